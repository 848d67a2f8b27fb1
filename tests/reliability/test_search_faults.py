"""A damaged search index: search answers 503 search_unavailable (never a 500), posting goes on, a rebuild repairs it."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories import make_entry, make_group, make_thread, make_user


@pytest.fixture
def site(app, db, api_token):
    if app.config.get("SEARCH_BACKEND", "whoosh") != "whoosh":
        pytest.skip("the embedded Whoosh index")
    teacher = make_user("index_teacher", display_name="李老师")
    group = make_group("语文组", members=[teacher])
    thread = make_thread(group.board, teacher, title="单元整体教学的讨论")
    for i in range(5):
        make_entry(group.blog, teacher, title=f"教学反思 第{i}篇", body="朗读中体会秋天的美。")
    db.session.commit()  # SEARCH_INDEXER=sync: indexed now
    return {"thread": thread.id, "headers": {"Authorization": f"Bearer {api_token(teacher)}"}}


def corrupt_segments(app) -> int:
    """Overwrite the index's segment files with garbage, as a torn write or a bad disk would."""
    damaged = 0
    for path in Path(app.config["SEARCH_INDEX_DIR"]).iterdir():
        if path.suffix in (".seg", ".toc") or path.name.startswith("_MAIN_"):
            path.write_bytes(b"\x00garbage\xff" * 16)
            damaged += 1
    assert damaged
    from forum.search import index

    index.backend(app)._ix = None  # as a freshly started worker would: it opens the files again
    return damaged


def test_search_works_before_the_damage(client, site):
    assert client.get("/api/v1/search", query_string={"q": "教学反思"}).get_json()["total"] == 5


def test_corrupt_index_is_a_503_page_and_json_not_a_500(app, client, site):
    corrupt_segments(app)
    page = client.get("/search", query_string={"q": "教学反思"})
    assert page.status_code == 503 and page.headers["Retry-After"]
    assert "搜索暂时不可用" in page.get_data(as_text=True)
    api = client.get("/api/v1/search", query_string={"q": "教学反思"})
    assert api.status_code == 503
    assert api.get_json()["error"]["code"] == "search_unavailable"


def test_while_a_rebuild_runs_the_message_says_so(app, client, site):
    from forum.search import index

    corrupt_segments(app)
    Path(index.rebuild_marker(app)).touch()
    try:
        page = client.get("/search", query_string={"q": "教学反思"})
        assert page.status_code == 503 and "正在重建" in page.get_data(as_text=True)
        assert client.get("/api/v1/search?q=x").get_json()["error"]["code"] == "search_unavailable"
    finally:
        Path(index.rebuild_marker(app)).unlink()


def test_posting_keeps_working_and_a_rebuild_repairs_the_index(app, db, client, site, runner):
    from sqlalchemy import func, select

    from forum.search.models import SearchOutbox

    corrupt_segments(app)
    resp = client.post(f"/api/v1/threads/{site['thread']}/posts", json={"body": "索引坏了也能回复"},
                       headers=site["headers"])
    assert resp.status_code == 201
    post_id = resp.get_json()["id"]
    # The indexer could not apply it: the outbox keeps the work.
    assert db.session.scalar(select(func.count()).select_from(SearchOutbox)
                             .where(SearchOutbox.doc_type == "post", SearchOutbox.doc_id == post_id)) >= 1
    status = runner.invoke(args=["search", "status"])
    assert "unreadable" in status.output
    verify = runner.invoke(args=["search", "verify"])
    assert verify.exit_code == 2 and "rebuild" in verify.output
    assert runner.invoke(args=["search", "rebuild"]).exit_code == 0
    found = client.get("/api/v1/search", query_string={"q": "索引坏了"})
    assert found.status_code == 200 and [r["id"] for r in found.get_json()["results"]] == [post_id]
    assert runner.invoke(args=["search", "verify"]).exit_code == 0
