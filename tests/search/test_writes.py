"""The outbox and the indexer: deletion, restore, moves, concurrent writers, crashes, latency."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.search import index, indexer
from forum.search.models import SearchOutbox
from tests.factories import make_entry, make_group, make_thread, make_user
from tests.search.helpers import anonymous, keys, make_comment, make_post, soft_delete


def test_delete_and_restore_follow_the_outbox(app, world):
    t = make_thread(world["public"].board, world["member"], title="古筝社团", body="古筝社团活动安排")
    p = make_post(t, world["host"], "古筝课程表已更新")
    assert keys(anonymous(), "古筝") == {f"thread:{t.id}", f"post:{p.id}"}
    soft_delete(t)
    assert keys(anonymous(), "古筝") == set()  # the thread's replies go with it
    soft_delete(t, False)
    assert keys(anonymous(), "古筝") == {f"thread:{t.id}", f"post:{p.id}"}
    soft_delete(p)
    assert keys(anonymous(), "古筝") == {f"thread:{t.id}"}


def test_moving_a_thread_moves_its_replies_out_of_sight(app, world):
    t = make_thread(world["public"].board, world["member"], title="竹笛教学", body="竹笛入门")
    p = make_post(t, world["member"], "竹笛的指法")
    assert keys(anonymous(), "竹笛") == {f"thread:{t.id}", f"post:{p.id}"}
    t.board_id = world["private"].board.id  # what the boards service's move does, plus its outbox row
    from forum.core.writepath import enqueue

    enqueue("thread", t.id)
    db.session.commit()
    assert keys(anonymous(), "竹笛") == set()
    assert keys(world["member"], "竹笛") == {f"thread:{t.id}", f"post:{p.id}"}
    assert keys(world["member"], "竹笛", group_id=world["private"].id) == {f"thread:{t.id}", f"post:{p.id}"}


def test_unpublishing_an_entry_hides_it_and_its_comments(app, world):
    e = make_entry(world["public"].blog, world["member"], title="琵琶教学反思", body="琵琶")
    c = make_comment(e, world["host"], "琵琶真好听")
    assert keys(anonymous(), "琵琶") == {f"entry:{e.id}", f"comment:{c.id}"}
    e.status = "draft"
    from forum.core.writepath import enqueue

    enqueue("entry", e.id)
    db.session.commit()
    assert keys(anonymous(), "琵琶") == set()


def test_filters_narrow_results(app, world):
    other = make_group("物理组", school=world["school_b"], visibility="public", members=[world["outsider"]])
    e1 = make_entry(world["public"].blog, world["member"], title="二胡", body="二胡设计", category="design")
    e2 = make_entry(other.blog, world["outsider"], title="二胡", body="二胡反思", category="reflection")
    t = make_thread(world["public"].board, world["member"], title="二胡讨论", body="二胡")
    everyone = anonymous()
    assert keys(everyone, "二胡") == {f"entry:{e1.id}", f"entry:{e2.id}", f"thread:{t.id}"}
    assert keys(everyone, "二胡", doc_type="entry") == {f"entry:{e1.id}", f"entry:{e2.id}"}
    assert keys(everyone, "二胡", school_id=world["school_b"].id) == {f"entry:{e2.id}"}
    assert keys(everyone, "二胡", group_id=world["public"].id) == {f"entry:{e1.id}", f"thread:{t.id}"}
    assert keys(everyone, "二胡", author="outsider") == {f"entry:{e2.id}"}
    assert keys(everyone, "二胡", author="nobody") == set()
    assert keys(everyone, "二胡", category="design") == {f"entry:{e1.id}"}
    from datetime import date, timedelta

    today = date.today()
    assert len(keys(everyone, "二胡", since=today - timedelta(days=2), until=today + timedelta(days=2))) == 3
    assert keys(everyone, "二胡", until=today - timedelta(days=5)) == set()


def test_concurrent_writers_lose_nothing(app, world):
    """Four writers commit at once while the indexer is off; one drain brings every change in."""
    app.config["SEARCH_INDEXER"] = "off"
    blog_id = world["public"].blog.id
    author_id = world["member"].id
    db.session.rollback()  # this thread's session must not hold SQLite's write lock meanwhile
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        from forum.blogs.models import Entry
        from forum.core.db import utcnow
        from forum.core.writepath import record

        try:
            with app.app_context():
                for i in range(25):
                    e = Entry(blog_id=blog_id, author_id=author_id, title=f"并发{n}-{i}", category="essay",
                              status="published", published_at=utcnow())
                    e.set_body(f"扬琴并发写入 {n} {i}")
                    record(e)
                    db.session.commit()
                db.session.remove()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    drainer_stop = threading.Event()

    def drainer():
        while not drainer_stop.is_set():
            indexer.drain(app, release_caller=False)
            time.sleep(0.01)

    d = threading.Thread(target=drainer)
    d.start()
    for t in threads:
        t.join()
    drainer_stop.set()
    d.join()
    assert not errors
    indexer.drain(app)
    assert len(keys(world["admin"], "扬琴")) == 100
    assert db.session.scalar(select(func.count()).select_from(SearchOutbox)) == 0


def test_a_write_during_a_batch_does_not_fail_the_drain(app, world, monkeypatch):
    """Another writer commits while the indexer applies a batch (a busy site): on SQLite, deleting
    the batch's outbox rows from the older read snapshot would fail at once ("database is locked")
    and the batch would be applied again and again."""
    from sqlalchemy import text

    app.config["SEARCH_INDEXER"] = "off"
    make_entry(world["public"].blog, world["member"], title="柳琴", body="柳琴合奏排练")
    real = index.apply_keys

    def apply_then_someone_writes(*args, **kwargs):
        result = real(*args, **kwargs)
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE entries SET view_count = view_count + 1"))
        return result

    monkeypatch.setattr(index, "apply_keys", apply_then_someone_writes)
    db.session.rollback()
    assert indexer.drain(app) >= 1
    assert db.session.scalar(select(func.count()).select_from(SearchOutbox)) == 0
    assert len(keys(anonymous(), "柳琴")) == 1


def test_a_failed_index_write_keeps_the_outbox(app, world, monkeypatch):
    """Like kill -9 mid-batch: nothing is deleted from the outbox until the index has the change."""
    app.config["SEARCH_INDEXER"] = "off"
    e = make_entry(world["public"].blog, world["member"], title="马头琴", body="马头琴")
    backend = index.backend(app)

    def boom(*_a, **_k):
        raise OSError("disk gone")

    monkeypatch.setattr(backend, "apply", boom)
    with pytest.raises(OSError):
        indexer.drain(app)
    assert db.session.scalar(select(func.count()).select_from(SearchOutbox)) >= 1
    monkeypatch.undo()
    indexer.drain(app)
    assert keys(anonymous(), "马头琴") == {f"entry:{e.id}"}


def test_thread_mode_makes_new_content_searchable_within_two_seconds(app, world):
    app.config["SEARCH_INDEXER"] = "thread"
    worker = indexer.ensure_thread(app)
    try:
        e = make_entry(world["public"].blog, world["member"], title="箜篌", body="箜篌引")
        entry_id = e.id
        db.session.rollback()
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline and not keys(anonymous(), "箜篌"):
            db.session.rollback()  # like the end of a request: release SQLite's lock
            time.sleep(0.05)
        assert keys(anonymous(), "箜篌") == {f"entry:{entry_id}"}
    finally:
        worker.stop()


def test_only_one_indexer_holds_the_lock(app):
    with indexer.indexer_lock(app) as first:
        assert first
        with indexer.indexer_lock(app) as second:
            assert not second
        assert indexer.drain(app, blocking=False) == 0
