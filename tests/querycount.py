"""A SQL statement counter for tests: how many statements a block runs, and which of them write."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from forum.extensions import db

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class QueryLog:
    """The statements run inside a `count_queries()` block."""

    def __init__(self) -> None:
        self.sql: list[str] = []
        self.params: list = []

    @property
    def n(self) -> int:
        return len(self.sql)

    @property
    def writes(self) -> list[str]:
        return [s for s in self.sql if s.lstrip().upper().startswith(_WRITES)]

    def __getitem__(self, key):  # the older dict-style use: counter["n"], counter["sql"]
        return {"n": self.n, "sql": self.sql}[key]


@contextmanager
def count_queries():
    """Count the SQL statements (BEGIN/SAVEPOINT excluded) the engine runs inside the block."""
    log = QueryLog()

    def _before(conn, cursor, statement, params, context, executemany):
        if statement.strip().upper() in ("BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"):
            return
        log.sql.append(statement)
        log.params.append(params)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", _before)
    try:
        yield log
    finally:
        event.remove(engine, "before_cursor_execute", _before)
