"""View counts (forum/core/viewcounts.py): counted in memory on a page view, written in batches."""
import time

import pytest
from sqlalchemy import select

from forum.blogs.models import Entry
from forum.boards.models import Thread
from tests.boards.helpers import prep_group
from tests.factories import make_entry, make_thread
from tests.querycount import count_queries


def flush(app, db) -> int:
    """The worker's flush; the test's own session first ends its transaction (outside a request it
    holds SQLite's write lock, as a CLI command does)."""
    db.session.rollback()
    return app.extensions["jy_viewcounts"].flush()


def stored(db, model, obj_id) -> tuple[int, object]:
    db.session.expire_all()
    row = db.session.execute(select(model.view_count, model.updated_at).where(model.id == obj_id)).one()
    return row[0], row[1]


def test_a_view_writes_nothing_and_the_flush_adds_every_view(app, db, client):
    group, host, lead, (a, b, c) = prep_group(3)
    thread = make_thread(group.board, a)
    before = stored(db, Thread, thread.id)
    with count_queries() as log:
        for _ in range(3):
            assert client.get(f"/boards/threads/{thread.id}").status_code == 200
    assert log.writes == []
    assert stored(db, Thread, thread.id)[0] == 0
    assert flush(app, db) == 1  # one row, one UPDATE for three views
    count, updated_at = stored(db, Thread, thread.id)
    assert count == 3 and updated_at == before[1]  # a view is not an edit
    assert flush(app, db) == 0  # nothing pending any more


def test_entries_are_counted_once_per_request_and_missing_pages_not_at_all(app, db, client):
    group, host, lead, (a, b, c) = prep_group(3)
    entry = make_entry(group.blog, a)
    before = stored(db, Entry, entry.id)
    client.get(f"/blogs/entries/{entry.id}")
    client.get(f"/blogs/entries/{entry.id}")
    assert client.get("/blogs/entries/999999").status_code == 404
    assert client.get("/boards/threads/999999").status_code == 404
    flush(app, db)
    count, updated_at = stored(db, Entry, entry.id)
    assert count == 2 and updated_at == before[1]
    assert db.session.scalar(select(Thread.view_count).where(Thread.view_count > 0)) is None


def test_a_failed_flush_keeps_the_views_for_the_next(app, db, client, monkeypatch):
    group, host, lead, (a, b, c) = prep_group(3)
    thread = make_thread(group.board, a)
    client.get(f"/boards/threads/{thread.id}")
    engine = db.engine

    class Busy:
        def __enter__(self):
            from sqlalchemy.exc import OperationalError

            raise OperationalError("UPDATE threads", {}, Exception("database is locked"))

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(type(engine), "begin", lambda self: Busy())
    assert flush(app, db) == 0
    monkeypatch.undo()
    client.get(f"/boards/threads/{thread.id}")
    assert flush(app, db) == 1
    assert stored(db, Thread, thread.id)[0] == 2


@pytest.mark.parametrize("cache", [True, False])
def test_views_answered_by_the_page_cache_are_counted(app_config, cache):
    from forum import create_app
    from forum.extensions import db

    app_config["PAGE_CACHE"] = cache
    app = create_app(app_config)
    with app.app_context():
        group, host, lead, (a, b, c) = prep_group(3)
        thread_id = make_thread(group.board, a).id
    client = app.test_client()
    answers = [client.get(f"/boards/threads/{thread_id}").headers.get("X-Page-Cache") for _ in range(4)]
    assert answers == (["miss", "hit", "hit", "hit"] if cache else [None] * 4)
    app.extensions["jy_viewcounts"].flush()
    with app.app_context():
        assert db.session.scalar(select(Thread.view_count).where(Thread.id == thread_id)) == 4
        db.session.remove()


def test_the_worker_thread_flushes_on_its_own(app_config):
    from forum import create_app
    from forum.extensions import db

    app_config["VIEW_COUNT_FLUSH_SECONDS"] = 0.1
    app = create_app(app_config)
    with app.app_context():
        group, host, lead, (a, b, c) = prep_group(3)
        thread_id = make_thread(group.board, a).id
    app.test_client().get(f"/boards/threads/{thread_id}")
    deadline = time.monotonic() + 10
    seen = 0
    while time.monotonic() < deadline and seen == 0:
        time.sleep(0.1)
        with app.app_context():
            seen = db.session.scalar(select(Thread.view_count).where(Thread.id == thread_id))
            db.session.remove()
    app.extensions["jy_shutdown"]()
    assert seen == 1


def test_pages_show_the_written_counts(app, db, client):
    group, host, lead, (a, b, c) = prep_group(3)
    thread = make_thread(group.board, a, title="《春》第一课时集体备课")
    entry = make_entry(group.blog, a)
    for _ in range(3):
        client.get(f"/boards/threads/{thread.id}")
    client.get(f"/blogs/entries/{entry.id}")
    flush(app, db)
    assert "3 次浏览" in client.get(f"/boards/threads/{thread.id}").get_data(as_text=True)  # this view: next flush
    board = client.get(f"/boards/{group.board.id}").get_data(as_text=True)
    assert "回复/查看" in board and '<span class="muted small"> / 3</span>' in board
    assert "阅读 1" in client.get(f"/blogs/entries/{entry.id}").get_data(as_text=True)
