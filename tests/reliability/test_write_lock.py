"""SQLite's one write lock: a request takes it only for its write, waits for it, and answers 503 with the draft kept.

A holder connection takes the write lock (BEGIN IMMEDIATE) the way another worker's write would.
"""
from __future__ import annotations

import sqlite3
import threading
import time
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from tests.factories import make_group, make_thread, make_user

BUSY_MS = 1000  # long enough that a release 100 ms in is never late, short enough for the 503 tests


@pytest.fixture
def app_config(app_config):
    app_config["SQLITE_BUSY_TIMEOUT_MS"] = BUSY_MS
    app_config["SEARCH_INDEXER"] = "off"
    return app_config


@pytest.fixture
def world(app, db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    teacher = make_user("lock_teacher", display_name="李老师")
    group = make_group("语文组", members=[teacher])
    thread = make_thread(group.board, teacher, title="锁的讨论")
    db.session.commit()
    ids = {"thread": thread.id, "board": group.board.id, "teacher": SimpleNamespace(username=teacher.username)}
    db.session.remove()  # no transaction of the test's own stays open beside the holder
    return ids


@pytest.fixture
def holder(db):
    """A second connection that holds the write lock until released (always released at teardown)."""
    conn = sqlite3.connect(db.engine.url.database, isolation_level=None, check_same_thread=False)
    state = {"held": False}

    def take():
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO clusters (name, description) VALUES ('持锁者', '')")
        state["held"] = True

    def release():
        if state["held"]:
            state["held"] = False
            conn.execute("COMMIT")

    state["take"], state["release"] = take, release
    yield state
    release()
    conn.close()


def posts(db) -> int:
    from forum.boards.models import Post

    n = db.session.scalar(select(func.count()).select_from(Post))
    db.session.rollback()
    return n


def test_request_reads_take_no_write_lock(world, holder, client, login, db):
    """A refused reply (empty body) reads the thread, the user and the policy while another writer holds the lock."""
    login(world["teacher"])
    holder["take"]()
    started = time.monotonic()
    resp = client.post(f"/boards/threads/{world['thread']}/reply", data={"body": "  "})
    assert resp.status_code == 422  # not 503: nothing in it needed the lock
    assert holder["held"]
    holder["release"]()
    assert time.monotonic() - started < 5


def test_api_reads_take_no_write_lock(world, holder, client, api_token):
    token = api_token(world["teacher"])
    holder["take"]()
    resp = client.post(f"/api/v1/threads/{world['thread']}/posts", json={"body": ""},
                       headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 422
    resp = client.get(f"/api/v1/threads/{world['thread']}", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200


def test_write_in_a_request_waits_for_a_held_lock(world, holder, client, api_token, db, app):
    """The write waits its turn (busy timeout) instead of failing at once with 'database is locked'."""
    token = api_token(world["teacher"])
    before = posts(db)
    holder["take"]()
    timer = threading.Timer(0.1, holder["release"])
    timer.start()
    resp = client.post(f"/api/v1/threads/{world['thread']}/posts", json={"body": "等锁的回复"},
                       headers={"Authorization": f"Bearer {token}"})
    timer.join()
    assert resp.status_code == 201, resp.get_json()
    assert posts(db) == before + 1


def test_lock_held_beyond_the_busy_timeout_is_a_json_503_and_writes_nothing(world, holder, client, api_token, db):
    token = api_token(world["teacher"])
    before = posts(db)
    holder["take"]()
    resp = client.post(f"/api/v1/threads/{world['thread']}/posts", json={"body": "没能保存的回复"},
                       headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 503
    assert resp.headers["Retry-After"]
    assert resp.get_json()["error"]["code"] == "database_busy"
    holder["release"]()
    assert posts(db) == before


def test_lock_held_beyond_the_busy_timeout_shows_the_draft_on_the_page(world, holder, client, login, db):
    """The form's text comes back on the 503 page, so the teacher can resubmit it."""
    login(world["teacher"])
    before = posts(db)
    holder["take"]()
    draft = "这是我写了很久的一段回复：关于《秋天的雨》的朗读指导。"
    resp = client.post(f"/boards/threads/{world['thread']}/reply", data={"body": draft})
    assert resp.status_code == 503
    page = resp.get_data(as_text=True)
    assert draft in page and "<textarea" in page
    holder["release"]()
    assert posts(db) == before
    # Once the lock is free the same submission goes through.
    assert client.post(f"/boards/threads/{world['thread']}/reply", data={"body": draft}).status_code == 302
    assert posts(db) == before + 1


def test_an_edit_read_before_another_save_is_a_conflict_not_an_overwrite(world, client, login, db, app):
    """The version check sits in the UPDATE: a save that read version 1 loses to one that wrote version 2."""
    from forum.boards import services
    from forum.boards.models import Thread

    login(world["teacher"])
    form = client.get(f"/boards/threads/{world['thread']}/edit")
    assert form.status_code == 200
    with app.app_context():
        thread = db.session.get(Thread, world["thread"])
        services.edit_thread(thread, thread.author, "别人的标题", "别人先保存的正文", version=1)
    resp = client.post(f"/boards/threads/{world['thread']}/edit",
                       data={"title": "我的标题", "body": "我的正文", "tags": "", "version": 1})
    assert resp.status_code == 409
    page = resp.get_data(as_text=True)
    assert "我的正文" in page and "别人先保存的正文" in page
    db.session.expire_all()
    assert db.session.get(Thread, world["thread"]).body == "别人先保存的正文"
