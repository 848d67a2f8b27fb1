"""View counts of threads and blog entries (浏览/阅读次数), with no database write on a page view.

A page view adds one to a counter in this worker's memory. A daemon thread per worker, started at
the first view, adds the counters to `threads.view_count` and `entries.view_count` every
`VIEW_COUNT_FLUSH_SECONDS` (default 30) in one short transaction, one UPDATE per row that was
viewed, and on a clean exit. So a page view never waits for the database's write lock, and a
popular thread read by a hundred visitors in half a minute costs one UPDATE.

Counts are best effort, as on every forum: a worker killed with -9 loses at most the last interval;
a flush that meets a busy database keeps its counters and tries again next time. Views answered by
the visitors' page cache (forum/core/pagecache.py) are counted too: the stored page remembers what
it counted. The flush goes through the engine, not the ORM session, so it does not move the page
cache's generation: the counts a cached page shows are at most PAGE_CACHE_TTL old.
"""
from __future__ import annotations

import atexit
import logging
import os
import threading
from collections import Counter

from flask import current_app, g

log = logging.getLogger(__name__)

KINDS = ("thread", "entry")


class ViewCounter:
    """This process's pending views, and the thread that writes them out."""

    def __init__(self, app, interval: float):
        self.app = app
        self.interval = interval
        self.pending: Counter[tuple[str, int]] = Counter()
        self.lock = threading.Lock()
        self.pid: int | None = None
        self.stopped = threading.Event()
        self.thread: threading.Thread | None = None

    def add(self, kind: str, obj_id: int) -> None:
        with self.lock:
            self.pending[(kind, obj_id)] += 1
        if self.interval > 0 and self.pid != os.getpid():
            self._start()  # first view in this process (gunicorn forks after the app is built)

    def _start(self) -> None:
        with self.lock:
            if self.pid == os.getpid():
                return
            self.pid = os.getpid()
            self.stopped = threading.Event()
            self.thread = threading.Thread(target=self._run, name="view-counts", daemon=True)
            self.thread.start()
        atexit.register(self.flush)

    def _run(self) -> None:
        while not self.stopped.wait(self.interval):
            self.flush()

    def stop(self) -> None:
        self.stopped.set()
        self.flush()

    def flush(self) -> int:
        """Write the pending views; returns how many rows were updated (0 when nothing was pending).
        On a database error the views stay pending for the next flush."""
        from sqlalchemy import bindparam, update

        from forum.blogs.models import Entry
        from forum.boards.models import Thread
        from forum.extensions import db

        with self.lock:
            batch, self.pending = self.pending, Counter()
        if not batch:
            return 0
        models = {"thread": Thread, "entry": Entry}
        try:
            with self.app.app_context():
                with db.engine.begin() as conn:
                    for kind, model in models.items():
                        rows = [{"row_id": i, "n": n} for (k, i), n in batch.items() if k == kind]
                        if not rows:
                            continue
                        table = model.__table__
                        values = {"view_count": table.c.view_count + bindparam("n")}
                        if "updated_at" in table.c:
                            values["updated_at"] = table.c.updated_at  # a view is not an edit
                        stmt = update(table).where(table.c.id == bindparam("row_id")).values(**values)
                        conn.execute(stmt, rows)
        except Exception:  # noqa: BLE001 - a count must never cost a page, nor be lost to a busy database
            log.warning("view counts not written this time; kept for the next flush", exc_info=True)
            with self.lock:
                self.pending.update(batch)
            return 0
        return len(batch)


def count(kind: str, obj_id: int) -> None:
    """One view of a thread or an entry by this request (counted once per request)."""
    counter = current_app.extensions.get("jy_viewcounts")
    if counter is None or kind not in KINDS:
        return
    seen = g.setdefault("jy_views", set())
    if (kind, obj_id) in seen:
        return
    seen.add((kind, obj_id))
    counter.add(kind, obj_id)


def counted() -> tuple:
    """What this request counted (the page cache stores it with the page and counts it again on a hit)."""
    return tuple(sorted(g.get("jy_views", ())))


def init_app(app) -> None:
    interval = float(app.config.get("VIEW_COUNT_FLUSH_SECONDS", 0 if app.config.get("TESTING") else 30))
    counter = ViewCounter(app, interval)
    app.extensions["jy_viewcounts"] = counter
    previous = app.extensions.get("jy_shutdown")

    def shutdown(previous=previous):
        counter.stop()
        if previous:
            previous()

    app.extensions["jy_shutdown"] = shutdown

    @app.before_request
    def _fresh():
        g.pop("jy_views", None)
