"""The single indexer: drains the search outbox into the index, in batches, under a lock.

Services write outbox rows in the content's transaction; web workers never write the index.
One indexer at a time holds `search-indexer.lock` (fcntl) in the data dir (and, on PostgreSQL,
a transaction advisory lock), so any number of processes may *try* to drain. Outbox rows are
deleted only after their changes reached the index, so a killed indexer loses nothing: the
next one re-applies them (applying is idempotent: it re-reads the current database state).

Modes (`SEARCH_INDEXER`): "thread" runs a daemon thread per process, started on the first
request and woken by commits that queued work; "sync" drains right after such a commit
(tests); "off" leaves it to `flask search worker`.
"""
from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from typing import Iterator

from flask import Flask, current_app, has_app_context
from sqlalchemy import delete, event, func, select, text
from sqlalchemy.orm import Session

from forum.core import faults
from forum.search import index
from forum.search.models import SearchOutbox

log = logging.getLogger(__name__)

BATCH = 500
POLL_SECONDS = 0.5
_ADVISORY_KEY = 7_310_006


def lock_path(app: Flask) -> str:
    return os.path.join(app.config["JIAOYAN_DATA_DIR"], "search-indexer.lock")


@contextlib.contextmanager
def indexer_lock(app: Flask, blocking: bool = False, timeout: float = 60.0) -> Iterator[bool]:
    """Hold the indexer file lock; yields False (and holds nothing) if it is busy and not blocking."""
    fd = os.open(lock_path(app), os.O_RDWR | os.O_CREAT, 0o644)
    got = False
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                got = True
                break
            except BlockingIOError:
                if not blocking or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
        yield got
    finally:
        if got:
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def drain(app: Flask | None = None, max_batches: int | None = None, blocking: bool = True,
          release_caller: bool = True) -> int:
    """Apply pending outbox rows to the index; returns the number of outbox rows processed."""
    app = app or current_app._get_current_object()
    if release_caller:
        release_callers_lock(app)
    done = 0
    with indexer_lock(app, blocking=blocking) as got:
        if not got:
            return 0
        session = index.session_for(app)
        try:
            batches = 0
            while max_batches is None or batches < max_batches:
                n = _drain_batch(app, session)
                if n == 0:
                    break
                done += n
                batches += 1
        finally:
            session.close()
    return done


def release_callers_lock(app: Flask) -> None:
    """On SQLite, end the calling thread's clean transaction so its write lock does not block us."""
    from forum.extensions import db

    if not has_app_context() or current_app._get_current_object() is not app:
        return
    session = db.session()
    if (session.in_transaction() and not (session.new or session.dirty or session.deleted)
            and session.get_bind().dialect.name == "sqlite"):
        session.rollback()


def _drain_batch(app: Flask, session: Session) -> int:
    if session.get_bind().dialect.name == "postgresql":
        if not session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _ADVISORY_KEY}):
            session.rollback()
            return 0
        # Hold the advisory lock for the whole batch: keep this transaction open until the end.
    rows = session.execute(
        select(SearchOutbox.id, SearchOutbox.doc_type, SearchOutbox.doc_id)
        .order_by(SearchOutbox.id).limit(BATCH)
    ).all()
    if not rows:
        session.rollback()
        return 0
    keys = {(r.doc_type, r.doc_id) for r in rows if r.doc_type in index.documents.MODELS}
    ids = [r.id for r in rows]
    index.apply_keys(app, session, keys)
    faults.point("indexer.batch_applied")
    session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_(ids)))
    session.commit()
    session.expunge_all()
    return len(rows)


def pending(app: Flask) -> tuple[int, float | None]:
    """(outbox rows waiting, age in seconds of the oldest one)."""
    session = index.session_for(app)
    try:
        count = session.scalar(select(func.count()).select_from(SearchOutbox)) or 0
        oldest = session.scalar(select(func.min(SearchOutbox.created_at)))
        session.rollback()
    finally:
        session.close()
    if oldest is None:
        return count, None
    from forum.core.db import utcnow

    return count, max(0.0, (utcnow() - oldest).total_seconds())


# --- the embedded thread ---------------------------------------------------------------------------

class IndexerThread:
    """A daemon thread that drains whenever woken, and at least every POLL_SECONDS."""

    def __init__(self, app: Flask):
        self.app = app
        self.wake = threading.Event()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="search-indexer", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self.stopped.set()
        self.wake.set()
        self.thread.join(timeout)

    def _run(self) -> None:
        while not self.stopped.is_set():
            try:
                drain(self.app, blocking=False, release_caller=False)
            except Exception:  # keep indexing after a transient failure; the outbox keeps the work
                log.exception("search indexer batch failed")
                self.stopped.wait(2.0)
            self.wake.wait(POLL_SECONDS)
            self.wake.clear()


def run_worker(app: Flask, stop: threading.Event | None = None) -> None:
    """`flask search worker`: drain forever (scale-out mode)."""
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            n = drain(app, blocking=False, release_caller=False)
        except Exception:
            log.exception("search indexer batch failed")
            n = 0
            stop.wait(2.0)
        if n == 0:
            stop.wait(POLL_SECONDS)


def ensure_thread(app: Flask) -> IndexerThread | None:
    """Start this process's indexer thread once (mode "thread")."""
    state = app.extensions.setdefault(index.EXTENSION, {})
    t = state.get("thread")
    if t is None or (not t.thread.is_alive() and not t.stopped.is_set()):
        with _start_lock:
            t = state.get("thread")
            if t is None or (not t.thread.is_alive() and not t.stopped.is_set()):
                t = IndexerThread(app)
                state["thread"] = t
                t.start()
                previous = app.extensions.get("jy_shutdown")

                def shutdown(t=t, previous=previous):
                    t.stop()
                    if previous:
                        previous()

                app.extensions["jy_shutdown"] = shutdown
    return t


_start_lock = threading.Lock()


# --- hooks -----------------------------------------------------------------------------------------

def init_app(app: Flask) -> None:
    """Start the thread lazily (mode "thread") and react to commits that queued outbox rows."""
    mode = app.config.get("SEARCH_INDEXER", "thread")
    if mode == "thread":
        @app.before_request
        def _start_indexer():
            ensure_thread(app)
    _install_session_hooks()


_hooks_installed = False


def _install_session_hooks() -> None:
    global _hooks_installed
    if _hooks_installed:
        return
    from forum.extensions import db

    @event.listens_for(db.session, "before_flush")
    def _note_outbox(session, _ctx, _instances):
        if any(isinstance(o, SearchOutbox) for o in session.new):
            session.info["jy_outbox"] = True

    @event.listens_for(db.session, "after_commit")
    def _after_commit(session):
        if not session.info.pop("jy_outbox", False) or not has_app_context():
            return
        app = current_app._get_current_object()
        mode = app.config.get("SEARCH_INDEXER", "thread")
        if mode == "sync":
            try:
                drain(app, release_caller=False)
            except Exception:  # the outbox keeps the work; never fail the user's commit
                log.exception("synchronous search indexing failed")
        elif mode == "thread":
            ensure_thread(app).wake.set()

    @event.listens_for(db.session, "after_rollback")
    def _after_rollback(session):
        session.info.pop("jy_outbox", None)

    _hooks_installed = True
