"""Crash recovery: kill -9 a web worker mid-write, the indexer mid-drain and a rebuild halfway, then check the site.

Each child process stops at a named fault point (forum/core/faults.py) and is killed there. After
restart: `PRAGMA integrity_check` passes, content and its ledger/outbox rows are both present or
both absent, the outbox drains and `flask search verify` reports the index equal to the database.
"""
from __future__ import annotations

import socket
import sys
import threading
import time

import pytest
import requests

from tests.factories import make_entry, make_group, make_thread, make_user
from tests.reliability.crash import (
    child_env, drain_with_worker, flask, integrity_ok, kill9, orphans, outbox_count, scalar, start, stop,
    verify_ok, wait_for_fault,
)


@pytest.fixture
def app_config(app_config):
    app_config["SEARCH_INDEXER"] = "off"  # the children index; the outbox is part of what we check
    return app_config


@pytest.fixture
def site(app, db):
    """A group with a thread and some entries, all in the outbox; a bearer token for the teacher."""
    from forum.auth.services import issue_token

    teacher = make_user("crash_teacher", display_name="李老师")
    group = make_group("语文组", members=[teacher])
    thread = make_thread(group.board, teacher, title="单元整体教学的讨论", body="大家遇到了哪些困难？")
    for i in range(12):
        make_entry(group.blog, teacher, title=f"教学反思 第{i}篇", body=f"第{i}篇：朗读中体会秋天的美。")
    raw, _token = issue_token(teacher, "crash")
    db.session.commit()
    ids = {"thread": thread.id, "token": raw}
    db.session.remove()
    return ids


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _posts_with(db, marker: str) -> list[int]:
    from sqlalchemy import text

    ids = [r[0] for r in db.session.execute(text("SELECT id FROM posts WHERE body LIKE :m"), {"m": f"%{marker}%"})]
    db.session.rollback()
    return ids


@pytest.mark.parametrize("fault", ["write.flushed", "write.committed"])
def test_web_worker_killed_in_the_middle_of_a_write(app, db, site, tmp_path, fault):
    """Killed before its commit the reply is wholly absent; after it, wholly present; the site carries on."""
    fault_file = tmp_path / "fault"
    port = _free_port()
    server = start([sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", "2", "--bind",
                    f"127.0.0.1:{port}", "--timeout", "60", "--log-level", "warning", "wsgi:app"],
                   child_env(app, fault, fault_file))
    base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {site['token']}"}
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=5)
                break
            except requests.RequestException:
                assert time.monotonic() < deadline and server.poll() is None, "gunicorn did not start"
                time.sleep(0.2)
        outcome = {}

        def killed_write():
            try:
                outcome["status"] = requests.post(f"{base}/api/v1/threads/{site['thread']}/posts", headers=headers,
                                                  json={"body": "CRASH-A 被打断的回复"}, timeout=60).status_code
            except requests.RequestException as exc:
                outcome["error"] = exc

        writer = threading.Thread(target=killed_write)
        writer.start()
        kill9(wait_for_fault(server, fault_file))
        writer.join(timeout=60)
        assert "status" not in outcome or outcome["status"] >= 500  # never acknowledged
        # The master starts a new worker; the write lock died with the old one, so writes go on.
        deadline = time.monotonic() + 90
        while True:
            try:
                resp = requests.post(f"{base}/api/v1/threads/{site['thread']}/posts", headers=headers,
                                     json={"body": "CRASH-B 之后的回复"}, timeout=30)
                break
            except requests.RequestException:
                assert time.monotonic() < deadline, "no worker came back"
                time.sleep(0.3)
        assert resp.status_code == 201, resp.text
    finally:
        stop(server)
    assert integrity_ok(app)
    killed = _posts_with(db, "CRASH-A")
    assert len(killed) == (0 if fault == "write.flushed" else 1)  # uncommitted: gone; committed: kept
    for post_id in killed + _posts_with(db, "CRASH-B"):
        assert scalar(db, "SELECT COUNT(*) FROM contributions WHERE source_type = 'post' AND source_id = :i",
                      i=post_id) == 1
        assert scalar(db, "SELECT COUNT(*) FROM search_outbox WHERE doc_type = 'post' AND doc_id = :i", i=post_id) >= 1
    assert orphans(db) == 0
    drain_with_worker(app, db)
    verify_ok(app)


def test_indexer_killed_in_the_middle_of_draining(app, db, site, tmp_path):
    """Killed after a batch reached the index but before its outbox rows were deleted: nothing is lost."""
    from forum.search import indexer

    pending = outbox_count(db)
    assert pending >= 12
    fault_file = tmp_path / "fault"
    worker = start([sys.executable, "-m", "flask", "--app", "wsgi", "search", "worker"],
                   child_env(app, "indexer.batch_applied", fault_file))
    try:
        kill9(wait_for_fault(worker, fault_file))
        worker.wait(timeout=30)
    finally:
        stop(worker)
    assert integrity_ok(app)
    assert outbox_count(db) == pending  # the work is still queued
    with indexer.indexer_lock(app, blocking=False) as got:
        assert got  # no stale lock: the file lock died with the process
    drain_with_worker(app, db)
    assert outbox_count(db) == 0 and orphans(db) == 0
    verify_ok(app)


def test_rebuild_killed_halfway_resumes(app, db, site, tmp_path, client):
    """A rebuild killed after its first batch leaves the live index serving; the next rebuild finishes it."""
    from forum.search import index

    drain_with_worker(app, db)
    fault_file = tmp_path / "fault"
    rebuild = start([sys.executable, "-m", "flask", "--app", "wsgi", "search", "rebuild"],
                    child_env(app, "rebuild.checkpoint", fault_file))
    try:
        kill9(wait_for_fault(rebuild, fault_file))
        rebuild.wait(timeout=30)
    finally:
        stop(rebuild)
    assert index.rebuild_running(app)  # the marker is left behind; the next rebuild resumes
    assert integrity_ok(app)
    # The live index still answers, and posting carries on (the outbox keeps the work).
    found = client.get("/api/v1/search", query_string={"q": "教学反思"})
    assert found.status_code == 200 and found.get_json()["total"] >= 12
    resp = client.post(f"/api/v1/threads/{site['thread']}/posts", json={"body": "CRASH-C 重建期间的回复"},
                       headers={"Authorization": f"Bearer {site['token']}"})
    assert resp.status_code == 201
    done = flask(app, "search", "rebuild")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert not index.rebuild_running(app)
    drain_with_worker(app, db)
    assert integrity_ok(app) and orphans(db) == 0
    verify_ok(app)
    found = client.get("/api/v1/search", query_string={"q": "重建期间"})
    assert found.get_json()["total"] == 1
