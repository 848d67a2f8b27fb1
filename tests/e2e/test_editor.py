"""The entry editor in Chromium: toolbar on a selection (with undo), paste and drop of files into attachments,
server autosave restored after a reload, and the editor's look at desktop and 360 px width."""
from __future__ import annotations

import base64
import re

import pytest
from playwright.sync_api import expect

from forum.demo.blogs import tiny_png

from .test_flows import PDF

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

PNG_B64 = base64.b64encode(tiny_png((200, 120, 40), 24)).decode()
PDF_B64 = base64.b64encode(PDF).decode()

# Paste (or drop) one file into the body the way the browser hands it over: a DataTransfer holding a File.
PASTE = """([b64, name, type, kind]) => {
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  const dt = new DataTransfer();
  dt.items.add(new File([bytes], name, {type}));
  const ta = document.getElementById('body');
  ta.focus();
  const ev = kind === 'paste'
    ? new ClipboardEvent('paste', {clipboardData: dt, bubbles: true, cancelable: true})
    : new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true});
  ta.dispatchEvent(ev);
  return ev.defaultPrevented;
}"""


def _select(page, start: int, end: int):
    page.evaluate("([s, e]) => { const t = document.getElementById('body'); t.focus(); t.setSelectionRange(s, e); }",
                  [start, end])


def _own_editor(page, category: str = "essay"):
    """The editor of the teacher's personal blog (the group blog's editor is left to the flows)."""
    page.goto("/blogs/me")
    page.goto(page.url.split("?")[0] + f"/new?category={category}")


def _value(page) -> str:
    return page.evaluate("document.getElementById('body').value")


def test_toolbar_bold_and_link_act_on_the_selection_with_undo(visit, accounts):
    v = visit("toolbar", accounts["teacher"], reuse=True)
    page = v.page
    _own_editor(page)
    body = page.locator("#body")
    body.fill("朗读指导要细致")
    _select(page, 0, 4)
    page.get_by_role("toolbar", name="格式").get_by_role("button", name="粗体").click()
    assert _value(page) == "**朗读指导**要细致"
    assert page.evaluate("(() => { const t = document.getElementById('body');"
                         " return t.value.slice(t.selectionStart, t.selectionEnd); })()") == "朗读指导"
    page.keyboard.press("Control+z")  # the browser's own undo still works after a toolbar edit
    assert _value(page) == "朗读指导要细致"
    page.keyboard.press("Control+Shift+z")
    assert _value(page) == "**朗读指导**要细致"

    _select(page, 8, 11)  # 要细致
    page.keyboard.press("Control+k")
    assert _value(page) == "**朗读指导**[要细致](https://)"
    page.keyboard.type("https://www.example.cn/langdu")  # the URL part was selected: typing replaces it
    assert _value(page) == "**朗读指导**[要细致](https://www.example.cn/langdu)"

    _select(page, 0, 0)
    page.keyboard.press("Control+i")
    assert _value(page).startswith("*斜体文字*")
    # The server's live preview renders what the toolbar wrote.
    page.get_by_role("button", name="预览").click()
    preview = page.locator("#preview-body")
    preview.locator("strong", has_text="朗读指导").wait_for()
    assert preview.locator("a[href='https://www.example.cn/langdu']").inner_text() == "要细致"
    assert not v.console_errors, v.console_errors


def test_toolbar_keyboard_focus_moves_with_arrows(visit, accounts):
    v = visit("toolbar-keys", accounts["teacher"], reuse=True)
    page = v.page
    _own_editor(page)
    bar = page.get_by_role("toolbar", name="格式")
    bar.get_by_role("button", name="粗体").focus()
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.getAttribute('data-md')") == "italic"
    page.keyboard.press("End")
    assert page.evaluate("document.activeElement.getAttribute('data-md')") == "table"
    style = page.evaluate("(() => { const s = getComputedStyle(document.activeElement);"
                          " return [s.outlineStyle, parseFloat(s.outlineWidth)]; })()")
    assert style[0] != "none" and style[1] >= 2, style
    page.keyboard.press("Enter")
    assert "| ---" in _value(page)


def test_pasted_image_and_dropped_pdf_become_attachments_of_the_entry(visit, accounts):
    v = visit("paste", accounts["teacher"])
    page = v.page
    page.goto(f"/blogs/{accounts['blog_id']}/new?category=reflection")
    title = "《秋天的雨》板书照片与课件"
    page.get_by_label("标题", exact=True).fill(title)
    page.locator("#body").fill("课堂板书：\n")
    page.evaluate("() => { const t = document.getElementById('body'); t.setSelectionRange(t.value.length, t.value.length); }")
    assert page.evaluate(PASTE, [PNG_B64, "image.png", "image/png", "paste"]) is True
    # A clipboard screenshot (always "image.png") gets a dated Chinese name; it is a paragraph of its own.
    expect(page.locator("#body")).to_have_value(re.compile(r"课堂板书：\n\n!\[截图-\d{8}-\d{6}\]\(/blogs/attachments/\d+/inline\)\n\n"))
    assert "正在上传" not in _value(page)
    page.get_by_role("status").filter(has_text="已上传").wait_for()
    assert page.evaluate(PASTE, [PDF_B64, "秋天的雨-课件.pdf", "application/pdf", "drop"]) is True
    expect(page.locator("#body")).to_have_value(re.compile(r"\[秋天的雨-课件\.pdf\]\(/blogs/attachments/\d+\)"))
    assert page.locator("#pending-files").get_by_role("link", name="秋天的雨-课件.pdf").is_visible()
    # A wrong file is refused with a message in Chinese, and the text stays as it was.
    before = _value(page)
    page.evaluate(PASTE, [base64.b64encode(b"MZ\x90\x00").decode(), "setup.exe", "application/octet-stream", "paste"])
    page.locator("#editor-status").filter(has_text="不支持的文件类型").wait_for()
    assert _value(page) == before
    v.shot("editor-with-uploads")

    page.locator("#entry-editor").get_by_role("button", name="发表").click()
    page.wait_for_load_state()
    assert re.search(r"/blogs/entries/\d+$", page.url), page.url
    page.get_by_role("heading", name=title).wait_for()
    img = page.locator(".entry-body img[src*='/blogs/attachments/']")
    img.wait_for()
    assert page.evaluate("(img) => img.complete && img.naturalWidth", img.element_handle()) == 24
    assert page.locator("#attachments").get_by_role("link", name="秋天的雨-课件.pdf").count() == 1
    assert page.locator("#attachments").get_by_role("link", name=re.compile(r"^截图-\d{8}-\d{6}\.png$")).count() == 1
    v.shot("entry-with-uploads")
    assert not v.console_errors, v.console_errors


def test_autosave_is_offered_after_a_reload_and_on_another_device(visit, accounts, browser, live_server):
    v = visit("autosave", accounts["teacher"])
    page = v.page
    page.goto(f"/blogs/{accounts['blog_id']}/new?category=essay")
    page.get_by_label("标题", exact=True).fill("没来得及提交的随笔")
    page.locator("#body").fill("## 今天的课\n\n孩子们读得很投入，下课铃响了还不想停。")
    page.locator("#editor-status").filter(has_text="已自动保存").wait_for(timeout=30_000)
    # Without the browser copy: the server's draft is what is offered.
    page.evaluate("localStorage.clear()")
    page.reload()
    banner = page.locator("#draft-restore")
    banner.wait_for()
    assert "服务器" in banner.inner_text()
    v.shot("restore-offer", full_page=False)
    banner.get_by_role("button", name="恢复草稿").click()
    assert "下课铃响了还不想停" in _value(page)
    assert page.get_by_label("标题", exact=True).input_value() == "没来得及提交的随笔"

    # Another browser signed in as the same teacher sees the same server draft.
    other = visit("autosave-other", accounts["teacher"])
    other.page.goto(f"/blogs/{accounts['blog_id']}/new?category=essay")
    other.page.locator("#draft-restore").wait_for()
    other.page.goto("/blogs/drafts")
    other.page.get_by_role("link", name="没来得及提交的随笔").click()
    assert "下课铃响了还不想停" in other.page.locator("#body").input_value()

    # A colleague does not.
    colleague = visit("autosave-colleague", next(m for m in accounts["members"] if m != accounts["teacher"]))
    colleague.page.goto(f"/blogs/{accounts['blog_id']}/new?category=essay")
    assert colleague.page.locator("#draft-restore").is_hidden()
    assert "下课铃响了" not in colleague.page.content()

    # Published: the draft is gone, and the editor no longer offers it.
    page.locator("#entry-editor").get_by_role("button", name="发表").click()
    page.wait_for_load_state()
    page.goto(f"/blogs/{accounts['blog_id']}/new?category=essay")
    page.wait_for_timeout(300)
    assert page.locator("#draft-restore").is_hidden()
    assert not v.console_errors, v.console_errors


def test_browser_copy_survives_an_expired_session(visit, accounts):
    v = visit("expired", accounts["teacher"])
    page = v.page
    url = f"/blogs/{accounts['blog_id']}/new?category=essay"
    page.goto(url)
    page.get_by_label("标题", exact=True).fill("会话过期前写的")
    page.locator("#body").fill("这段文字写完时登录已经过期了。")
    page.wait_for_timeout(600)  # the browser copy is written shortly after typing
    v.context.clear_cookies()   # the session is gone (timeout, signed out elsewhere)
    page.locator("#entry-editor").get_by_role("button", name="发表").click()
    page.wait_for_load_state()
    assert "/auth/login" in page.url
    assert page.get_by_text("登录已过期").is_visible()
    v.login(accounts["teacher"])
    page.goto(url)
    banner = page.locator("#draft-restore")
    banner.wait_for()
    assert "本浏览器" in banner.inner_text()
    banner.get_by_role("button", name="恢复草稿").click()
    assert _value(page) == "这段文字写完时登录已经过期了。"
    assert page.get_by_label("标题", exact=True).input_value() == "会话过期前写的"
    page.locator("#entry-editor").get_by_role("button", name="发表").click()
    page.get_by_role("heading", name="会话过期前写的").wait_for()


@pytest.mark.parametrize("width", [1280, 360])
def test_editor_screenshot_and_axe(visit, accounts, live_server, width):
    import sqlalchemy as sa

    from forum.blogs.models import EntryAutosave
    from forum.extensions import db

    with live_server.app.app_context():  # earlier tests' autosaves would put the restore offer in the picture
        db.session.execute(sa.delete(EntryAutosave))
        db.session.commit()
    v = visit(f"editor-{width}", accounts["teacher"], reuse=True, viewport={"width": width, "height": 900})
    page = v.page
    _own_editor(page, "design")
    page.evaluate("localStorage.clear()")
    page.reload()
    page.get_by_label("标题", exact=True).fill("《秋天的雨》第一课时教学设计")
    assert page.get_by_role("toolbar", name="格式").is_visible()
    bad = v.axe(f"editor-toolbar-{width}")
    assert not [(x["id"], x["impact"]) for x in bad], bad
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width
    box = page.get_by_role("toolbar", name="格式").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    v.shot("toolbar", full_page=False)


def test_editor_first_load_budget(visit, accounts, live_server):
    """The editor with its toolbar and scripts stays inside the home page's budget: ≤ 150 KB, nothing off-site."""
    import json
    from urllib.parse import urlparse

    from .conftest import ARTIFACTS

    visit("sign-in", accounts["teacher"], reuse=True)
    v = visit("editor-budget", accounts["teacher"], reuse=True, viewport={"width": 360, "height": 740})
    page = v.page
    done = []
    page.on("requestfinished", lambda r: done.append(r))
    page.goto(f"/blogs/{accounts['blog_id']}/new?category=design")
    page.wait_for_load_state("networkidle")
    site = urlparse(live_server.url).netloc
    rows = [{"url": r.url, "bytes": r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"]} for r in done]
    total = sum(r["bytes"] for r in rows)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "budget-editor.json").write_text(json.dumps({"total_bytes": total, "requests": rows}, indent=1))
    assert not [r for r in rows if urlparse(r["url"]).netloc not in (site, "")]
    assert any("mdtoolbar.js" in r["url"] for r in rows)
    assert total <= 150 * 1024, (total, rows)
    assert not v.console_errors, v.console_errors


def test_profile_shows_my_contributions_and_drafts(visit, accounts):
    """The profile: this month's counts and six months by the tallies' rule, my entries and drafts."""
    v = visit("profile", accounts["teacher"], reuse=True)
    page = v.page
    page.goto("/auth/profile")
    panel = page.locator("#my-contributions")
    assert panel.get_by_role("heading", name="我的贡献").is_visible()
    assert panel.locator("table").nth(1).locator("tbody tr").count() == 6
    assert page.locator("#my-writing").get_by_role("heading", name=re.compile("我的日志")).is_visible()
    bad = v.axe("profile-panels")
    assert not [(x["id"], x["impact"]) for x in bad], bad
    v.shot("profile")
