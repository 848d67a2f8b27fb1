"""The one search interface of the app: index_document, remove, search, rebuild, verify.

`backend(app)` picks Whoosh (default) or PostgreSQL (`SEARCH_BACKEND=postgres`) once per app.
Only the indexer (forum.search.indexer) and the CLI write; web requests only search.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable

from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from forum.core import faults
from forum.search import documents
from forum.search.analyzer import ParsedQuery
from forum.search.backends.base import DOC_TYPES, Backend, Filters, HitPage, split_key

EXTENSION = "jy_search"


def backend(app: Flask | None = None) -> Backend:
    """The app's search backend (created on first use)."""
    app = app or current_app._get_current_object()
    state = app.extensions.setdefault(EXTENSION, {})
    if "backend" not in state:
        state["backend"] = make_backend(app)
    return state["backend"]


def make_backend(app: Flask) -> Backend:
    """A new backend object for the app's configuration."""
    kind = (app.config.get("SEARCH_BACKEND") or "whoosh").lower()
    if kind == "postgres":
        from forum.extensions import db
        from forum.search.backends.postgres_backend import PostgresBackend

        with app.app_context():
            engine = db.engine
        if engine.dialect.name != "postgresql":
            raise RuntimeError("SEARCH_BACKEND=postgres needs DATABASE_URL to point at PostgreSQL")
        return PostgresBackend(engine)
    from forum.search.backends.whoosh_backend import WhooshBackend

    return WhooshBackend(app.config["SEARCH_INDEX_DIR"], app.config.get("SEARCH_MAPPED_MB", 0))


def session_for(app: Flask) -> Session:
    """A private session for the indexer and the CLI (never the request's session).

    On SQLite it uses its own engine whose transactions start deferred: the app's engine opens
    every non-GET transaction with BEGIN IMMEDIATE, which would hold the write lock for as long
    as the indexer or a rebuild reads. Only the short outbox DELETE takes the write lock here.
    """
    from forum.extensions import db

    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        state = app.extensions.setdefault(EXTENSION, {})
        if "sqlite_engine" not in state:
            state["sqlite_engine"] = _deferred_sqlite_engine(
                engine.url, int(app.config.get("SQLITE_BUSY_TIMEOUT_MS", 10_000)))
        engine = state["sqlite_engine"]
    return Session(engine, expire_on_commit=False)


def _deferred_sqlite_engine(url, busy_timeout_ms: int = 10_000):
    from sqlalchemy import create_engine, event

    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN")

    return engine


def journal_path(app: Flask) -> str:
    """Keys changed while a rebuild runs, replayed into the new index before it is swapped in."""
    return os.path.join(app.config["JIAOYAN_DATA_DIR"], "search-rebuild.journal")


def rebuild_marker(app: Flask) -> str:
    return os.path.join(app.config["JIAOYAN_DATA_DIR"], "search-rebuild.running")


# --- the interface -------------------------------------------------------------------------------

def index_document(app: Flask, session: Session, doc_type: str, doc_id: int) -> None:
    """Bring one document (and the posts/comments that follow it) up to date in the index."""
    apply_keys(app, session, {(doc_type, doc_id)})


def remove(app: Flask, doc_type: str, doc_id: int) -> None:
    """Drop one document from the index."""
    from forum.search.backends.base import doc_key

    backend(app).apply([], [doc_key(doc_type, doc_id)])


def apply_keys(app: Flask, session: Session, keys: set[tuple[str, int]]) -> int:
    """Re-read `keys` from the database and write their current state; returns documents touched."""
    keys = documents.expand(session, keys)
    upserts, deletes = documents.resolve(session, keys)
    if session.get_bind().dialect.name == "sqlite":
        session.rollback()  # do not hold SQLite's write lock while the index commits
    backend(app).apply(upserts, deletes)
    if os.path.exists(rebuild_marker(app)):
        with open(journal_path(app), "a", encoding="utf-8") as fh:
            fh.writelines(f"{t}:{i}\n" for t, i in sorted(keys))
    return len(upserts) + len(deletes)


class SearchUnavailable(RuntimeError):
    """The index cannot answer (unreadable or corrupt segment, missing files): search answers 503."""

    def __init__(self, rebuilding: bool):
        super().__init__("search index unavailable")
        self.rebuilding = rebuilding


def rebuild_running(app: Flask) -> bool:
    """True while a rebuild holds its marker (or one was interrupted and waits to be resumed)."""
    return os.path.exists(rebuild_marker(app))


def search(app: Flask, query: ParsedQuery, filters: Filters, sort: str = "relevance",
           offset: int = 0, limit: int = 20) -> HitPage:
    """Hits of one page (visibility must already be in `filters`; see forum.search.service).

    An index that cannot be read raises SearchUnavailable (a 503), never a 500; writes go on,
    since they only touch the outbox, and `flask search rebuild` repairs the index.
    """
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return backend(app).search(query, filters, sort, offset, limit)
    except SQLAlchemyError:
        raise  # the database's own errors keep their handling (busy: 503 with Retry-After)
    except Exception as exc:  # noqa: BLE001 - Whoosh raises many kinds on a damaged index
        import logging

        # With the traceback: a bug in the query code must not pass for a damaged index.
        logging.getLogger(__name__).exception("search index unreadable: %r", exc)
        raise SearchUnavailable(rebuild_running(app)) from exc


@dataclass
class Verification:
    """Differences between the database and the index."""

    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    checked: int = 0

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale or self.extra)


def verify(app: Flask, session: Session, fix: bool = False) -> Verification:
    """Compare every indexable document with the index; with `fix`, repair the differences."""
    indexed = backend(app).stamps()
    result = Verification()
    expected: set[str] = set()
    for doc_type in DOC_TYPES:
        for batch in documents.iter_docs(session, doc_type):
            for doc in batch:
                expected.add(doc.key)
                result.checked += 1
                have = indexed.get(doc.key)
                if have is None:
                    result.missing.append(doc.key)
                elif have != doc.stamp:
                    result.stale.append(doc.key)
    result.extra = sorted(set(indexed) - expected)
    if fix and not result.ok:
        keys = {split_key(k) for k in result.missing + result.stale + result.extra}
        upserts, deletes = documents.resolve(session, keys)
        backend(app).apply(upserts, deletes)
    return result


def rebuild(app: Flask, session: Session, progress: Callable[[int], None] | None = None,
            lock: Callable | None = None, drain_outbox: bool = True) -> int:
    """Build a fresh index from the database and swap it in; resumes an interrupted run.

    `lock` is a context manager factory taken around the swap so the indexer is paused while
    the changes it applied during the build are replayed into the new index. With
    `drain_outbox=False` the outbox rows the build covers are left in place (re-applying them
    is harmless), e.g. for a benchmark data set whose rows must stay as they were filled.
    """
    from forum.core.db import utcnow
    from forum.search.models import SearchOutbox

    started = utcnow()
    covered = session.scalar(select(func.max(SearchOutbox.id))) or 0
    session.rollback()
    target = backend(app).begin_rebuild()
    open(rebuild_marker(app), "a").close()
    done = target.done_upto()
    written = 0
    for doc_type in DOC_TYPES:
        last_id = None
        for batch in documents.iter_docs(session, doc_type, after_id=done.get(doc_type, 0), batch=1000):
            target.add(list(batch))
            target.checkpoint(doc_type, batch.last_id)
            last_id = batch.last_id
            faults.point("rebuild.checkpoint")
            written += len(batch)
            if progress:
                progress(batch.rows)
        if last_id is not None:
            target.checkpoint(doc_type, last_id, final=True)  # each finished type is durable
    ctx = lock() if lock else _null()
    with ctx:
        _replay_journal(app, session, target)
        target.finish()
        os.remove(rebuild_marker(app))
    if not drain_outbox:
        return written
    # Outbox rows queued well before the build started are covered by it. (Recent ones are kept:
    # on PostgreSQL a row can commit after a higher id; re-applying them is harmless.) The build's
    # read transaction ends first: on SQLite a write from a snapshot older than another writer's
    # commit (a reply, a view-count flush during the build) fails at once with "database is
    # locked" instead of waiting for the lock.
    session.rollback()
    session.execute(delete(SearchOutbox).where(SearchOutbox.id <= covered,
                                               SearchOutbox.created_at < started - timedelta(seconds=60)))
    session.commit()
    return written


def _replay_journal(app: Flask, session: Session, target) -> None:
    path = journal_path(app)
    if not os.path.exists(path):
        return
    with open(path, encoding="utf-8") as fh:
        keys = {split_key(line.strip()) for line in fh if line.strip()}
    if keys:
        session.expire_all()
        upserts, deletes = documents.resolve(session, documents.expand(session, keys))
        target.remove(deletes)
        target.replace(upserts)
    os.remove(path)


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
