"""Every main page in Chromium: axe-core finds no serious or critical violation, no horizontal scroll at
360 px, no layout shift of the main content, no console error; and the home page's first-load budget."""
from __future__ import annotations

import json
from urllib.parse import urlparse

import pytest

from .conftest import ARTIFACTS

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

# Sum of layout-shift entries without recent input, observed from the very first paint.
CLS_OBSERVER = """
window.__cls = 0;
new PerformanceObserver(function (list) {
  list.getEntries().forEach(function (e) { if (!e.hadRecentInput) { window.__cls += e.value; } });
}).observe({type: 'layout-shift', buffered: true});
"""


def _ids(live_server, accounts) -> dict:
    """Ids of a real entry and thread of the host's group, read from the served database."""
    import sqlalchemy as sa

    from forum.blogs.models import Entry
    from forum.boards.models import Thread
    from forum.extensions import db

    with live_server.app.app_context():
        entry = db.session.scalar(sa.select(Entry.id).where(Entry.blog_id == accounts["blog_id"],
                                                            Entry.status == "published",
                                                            Entry.deleted_at.is_(None)).order_by(Entry.id))
        thread = db.session.scalar(sa.select(Thread.id).where(Thread.board_id == accounts["board_id"],
                                                              Thread.deleted_at.is_(None)).order_by(Thread.id))
    return {"entry": entry, "thread": thread}


# (name, who signs in: None or a key of `accounts`, path template)
PAGES = [
    ("home-visitor", None, "/"),
    ("login", None, "/auth/login"),
    ("home", "teacher", "/"),
    ("group", "teacher", "/groups/{group_id}"),
    ("blog", "teacher", "/blogs/{blog_id}"),
    ("entry", "teacher", "/blogs/entries/{entry}"),
    ("editor", "teacher", "/blogs/{blog_id}/new?category=design"),
    ("board", "teacher", "/boards/{board_id}"),
    ("thread", "teacher", "/boards/threads/{thread}"),
    ("new-thread", "teacher", "/boards/{board_id}/new"),
    ("search", "teacher", "/search?q=%E9%98%85%E8%AF%BB"),
    ("notifications", "teacher", "/notifications/"),
    ("profile", "teacher", "/auth/profile"),
    ("groups", "teacher", "/groups"),
    ("thread-host", "host", "/boards/threads/{thread}"),
    ("moderation-queue", "host", "/moderation/queue"),
    ("tallies", "leader", "/tallies/"),
    ("bulletins", "leader", "/tallies/bulletins"),
    ("admin", "admin", "/admin/"),
    ("admin-users", "admin", "/admin/users"),
]


@pytest.mark.parametrize("name,who,path", PAGES, ids=[p[0] for p in PAGES])
def test_main_page_is_accessible_and_stable(visit, accounts, live_server, name, who, path):
    """axe: no serious/critical violation; CLS < 0.1; no console error; no horizontal scroll at 360 px."""
    url = path.format(**accounts, **_ids(live_server, accounts))
    v = visit(name, accounts[who] if who else None, reuse=True)
    page = v.page
    page.add_init_script(CLS_OBSERVER)
    response = page.goto(url)
    assert response.status == 200, (url, response.status)
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    cls = page.evaluate("window.__cls")
    bad = v.axe(name)
    page.set_viewport_size({"width": 360, "height": 740})
    page.wait_for_timeout(100)
    scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
    v.shot("360", full_page=False)
    summary = [(x["id"], x["impact"], len(x["nodes"]), x["nodes"][0]["target"]) for x in bad]
    assert not summary, summary
    assert cls < 0.1, cls
    assert scroll_width <= 360, scroll_width
    assert not v.console_errors, v.console_errors


@pytest.mark.parametrize("who", [None, "teacher"], ids=["visitor", "teacher"])
def test_home_first_load_budget(visit, live_server, accounts, who):
    """First load of the home page: ≤ 150 KB transferred, nothing off-site, no console error, no shift."""
    if who:
        visit("sign-in", accounts[who], reuse=True)  # so the measured context starts signed in, with a cold cache
    v = visit("budget", accounts[who] if who else None, reuse=True, viewport={"width": 360, "height": 740})
    page = v.page
    page.add_init_script(CLS_OBSERVER)
    responses = []
    page.on("requestfinished", lambda r: responses.append(r))
    failed = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto("/")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    site = urlparse(live_server.url).netloc
    rows, total = [], 0
    for request in responses:
        sizes = request.sizes()
        size = sizes["responseBodySize"] + sizes["responseHeadersSize"]
        total += size
        rows.append({"url": request.url, "bytes": size, "body": sizes["responseBodySize"]})
    off_site = [r["url"] for r in rows if urlparse(r["url"]).netloc not in (site, "")
                and not r["url"].startswith("data:")]
    cls = page.evaluate("window.__cls")
    scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
    v.shot("home-360")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"budget-home-{who or 'visitor'}.json").write_text(json.dumps(
        {"total_bytes": total, "requests": rows, "cls": cls, "scroll_width": scroll_width}, indent=1))
    assert not off_site, off_site
    assert not failed, failed
    assert total <= 150 * 1024, (total, rows)
    assert not v.console_errors, v.console_errors
    assert cls < 0.1, cls
    assert scroll_width <= 360, scroll_width


def test_keyboard_focus_is_visible_and_skip_link_leads_to_content(visit):
    """Tab reaches the skip link first, it shows on focus, and every focused control has an outline."""
    v = visit("keyboard")
    page = v.page
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert page.evaluate("document.activeElement.classList.contains('skip-link')")
    box = skip.bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0  # moved on screen when focused
    for _ in range(4):
        page.keyboard.press("Tab")
        style = page.evaluate("(() => { const s = getComputedStyle(document.activeElement);"
                              " return [s.outlineStyle, parseFloat(s.outlineWidth)]; })()")
        assert style[0] != "none" and style[1] >= 2, style
    v.shot("focus", full_page=False)
