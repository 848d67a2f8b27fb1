"""Declarative base with a naming convention, a UTC datetime type and SQLite connection setup."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes; naive datetimes are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused; use datetime.now(timezone.utc)")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)

    def result_processor(self, dialect, coltype):
        """process_result_value fused with the dialect's own processor in one function: a page
        reads a few hundred datetimes, and TypeDecorator's generic wrapper adds a call to each."""
        impl = self.impl_instance.result_processor(dialect, coltype)
        utc = timezone.utc

        def process(value):
            if impl is not None:
                value = impl(value)
            if value is None:
                return None
            if value.tzinfo is None:
                return value.replace(tzinfo=utc)
            return value.astimezone(utc)

        return process


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


class Model(DeclarativeBase):
    """Base class of every model: naming convention, and `datetime` columns stored as UTC."""

    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


# Statements that write (or open a savepoint, which a later write would need under the lock).
_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE", "SAVEPOINT", "CREATE", "DROP", "ALTER")


def configure_sqlite(engine: Engine, busy_timeout_ms: int = 10_000) -> None:
    """WAL, busy timeout, foreign keys, and short write transactions on SQLite.

    pysqlite's own transaction handling is switched off so that we emit BEGIN ourselves. A web
    request starts with a deferred (read) transaction: its token lookup, loaders, permission
    checks and rendering take no lock. At its first write statement the read transaction is
    ended and `BEGIN IMMEDIATE` taken instead, which waits (busy timeout) for SQLite's one write
    lock and holds it only from that write to the commit. (Upgrading the read transaction in
    place would fail at once with SQLITE_BUSY when another writer committed since it began.)
    What the request read before the switch it read from the previous snapshot, as under
    PostgreSQL's READ COMMITTED: services write counters as SQL increments and check versions
    in the UPDATE itself. CLI commands and background work begin IMMEDIATE from the start.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA synchronous = NORMAL")
        if engine.url.database and engine.url.database != ":memory:":
            # Switching modes needs the write lock even when already in WAL: only switch once.
            if cur.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cur.execute("PRAGMA journal_mode = WAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        if _in_request():
            conn.exec_driver_sql("BEGIN")
            conn.info["jy_read_tx"] = True
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "before_cursor_execute")
    def _before_execute(conn, _cursor, statement, _params, _context, _executemany):
        if conn.info.get("jy_read_tx") and statement.lstrip()[:9].upper().startswith(_WRITE_VERBS):
            conn.info["jy_read_tx"] = False
            raw = conn.connection.dbapi_connection
            try:
                if raw.in_transaction:
                    raw.execute("COMMIT")  # a read-only transaction: nothing to write, ends the snapshot
                raw.execute("BEGIN IMMEDIATE")
            except raw.OperationalError as exc:  # locked beyond the busy timeout: the request answers 503
                raise OperationalError("BEGIN IMMEDIATE", (), exc) from exc

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(conn):
        conn.info.pop("jy_read_tx", None)


def _in_request() -> bool:
    """True inside a request: its transactions start deferred and take the write lock late."""
    from flask import has_request_context

    return has_request_context()
