"""Results, totals and snippets follow the reading rule, for every role, on every backend."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.extensions import db
from tests.factories import make_entry, make_thread
from tests.search.helpers import anonymous, keys, make_comment, make_post, soft_delete

WORD = "葫芦丝"


@pytest.fixture
def content(app, world):
    """One entry, thread, post and comment with WORD in each group."""
    out = {}
    for name in ("public", "school_only", "private"):
        g = world[name]
        e = make_entry(g.blog, world["member"], title=f"{name}日志", body=f"{WORD}教学设计 {name}-secret")
        t = make_thread(g.board, world["member"], title=f"{name}主题", body=f"关于{WORD}的讨论 {name}-secret")
        p = make_post(t, world["host"], f"回复{WORD} {name}-secret")
        c = make_comment(e, world["host"], f"评论{WORD} {name}-secret")
        out[name] = {f"entry:{e.id}", f"thread:{t.id}", f"post:{p.id}", f"comment:{c.id}"}
    return out


@pytest.mark.parametrize("who, readable", [
    ("anonymous", ["public"]),
    ("outsider", ["public"]),
    ("colleague", ["public", "school_only"]),
    ("member", ["public", "school_only", "private"]),
    ("host", ["public", "school_only", "private"]),
    ("leader", ["public", "school_only", "private"]),
    ("scoped_leader", ["public"]),
    ("admin", ["public", "school_only", "private"]),
])
def test_results_follow_the_reading_rule(app, world, content, who, readable):
    user = anonymous() if who == "anonymous" else world[who]
    expected = set().union(*(content[n] for n in readable))
    assert keys(user, WORD) == expected


@pytest.mark.parametrize("who, total", [(None, 4), ("outsider", 4), ("colleague", 8), ("member", 12)])
def test_api_totals_and_snippets_hide_unreadable_content(app, client, api_token, world, content, who, total):
    headers = {"Authorization": f"Bearer {api_token(world[who])}"} if who else {}
    resp = client.get(f"/api/v1/search?q={WORD}", headers=headers)
    assert resp.status_code == 200
    data = resp.get_json()
    assert data["total"] == total
    assert len(data["results"]) == total
    body = resp.get_data(as_text=True)
    if total < 12:
        assert "private-secret" not in body
    if total < 8:
        assert "school_only-secret" not in body
    for r in data["results"]:
        assert r["url"].startswith("/") and r["title"]
        assert "<b>" in r["snippet"] and "<script" not in r["snippet"]


def test_page_shows_only_readable_results(app, client, world, content):
    html = client.get(f"/search?q={WORD}").get_data(as_text=True)
    assert "public-secret" in html and "private-secret" not in html and "school_only-secret" not in html
    assert "共找到 4 条结果" in html or "4" in html


def test_group_visibility_change_applies_at_once(app, world, content):
    outsider = world["outsider"]
    assert keys(outsider, WORD) == content["public"]
    world["private"].visibility = "public"
    db.session.commit()
    assert keys(outsider, WORD) == content["public"] | content["private"]


def test_deleted_content_is_hidden_even_from_moderators(app, world, content):
    from forum.blogs.models import Entry

    entry = db.session.scalar(select(Entry).where(Entry.title == "public日志"))
    soft_delete(entry)
    for user in (world["host"], world["admin"], anonymous()):
        seen = keys(user, WORD)
        assert f"entry:{entry.id}" not in seen
        # its comments go with it
        assert not {k for k in seen if k.startswith("comment:") and k in content["public"]}


def test_drafts_are_never_found(app, world):
    draft = make_entry(world["public"].blog, world["member"], title="草稿", body="尚未发布的手风琴教案",
                       status="draft")
    assert keys(world["member"], "手风琴") == set()
    assert keys(world["admin"], "手风琴") == set()
    assert draft.id


def test_totals_beyond_one_page_count_only_readable_documents(app, client, world):
    app.config["SEARCH_INDEXER"] = "off"
    for i in range(30):
        make_entry(world["public"].blog, world["member"], title=f"口琴{i}", body="口琴合奏")
        make_entry(world["private"].blog, world["member"], title=f"口琴私{i}", body="口琴合奏")
    from forum.search import indexer

    indexer.drain(app)
    data = client.get("/api/v1/search?q=口琴").get_json()
    assert data["total"] == 30 and len(data["results"]) == 20
    data = client.get("/api/v1/search?q=口琴&page=2").get_json()
    assert data["total"] == 30 and len(data["results"]) == 10
