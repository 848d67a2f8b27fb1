"""The ledger's monthly rollup (`contribution_months`), kept by triggers on `contributions`.

Every row of `contributions` that is not deleted counts once in the rollup row of its
(month, school, group, kind), and once more in `substantive` if it is substantive. Triggers keep
that true on INSERT, DELETE and on an UPDATE of any of those columns, in the statement's own
transaction (on PostgreSQL at its COMMIT, see POSTGRES_TRIGGERS): the app's write paths,
moderation's bulk statements, thread moves, foreign-key actions (a deleted group sets `group_id`
NULL) and bench/data.py's bulk inserts alike. Nothing in Python has to remember it.

A decrement is a plain UPDATE (a missing rollup row is left missing: a test teardown that
deletes the rollup before the ledger leaves nothing behind); an increment is an UPSERT, which
SQLite (≥ 3.24) and PostgreSQL both have. `flask tally rollup` checks the rollup against the
ledger and rebuilds it (`--fix`).
"""
from __future__ import annotations

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection

from forum.extensions import db

TABLE = "contribution_months"
_KEY = "month, school_id, group_id, kind"
# The ledger rows as rollup rows: the same GROUP BY the triggers keep, for a rebuild and a check.
AGGREGATE = (
    "SELECT month, COALESCE(school_id, 0) AS school_id, COALESCE(group_id, 0) AS group_id, kind, "
    "COUNT(*) AS total, SUM(CASE WHEN is_substantive THEN 1 ELSE 0 END) AS substantive "
    "FROM contributions WHERE NOT is_deleted GROUP BY month, COALESCE(school_id, 0), COALESCE(group_id, 0), kind"
)


def _sqlite_sql(side: str) -> str:
    """The statement of one side (OLD: take away, NEW: add) for SQLite trigger bodies."""
    if side == "OLD":
        return (f"UPDATE {TABLE} SET total = total - 1, substantive = substantive - "
                f"(CASE WHEN OLD.is_substantive THEN 1 ELSE 0 END) "
                f"WHERE OLD.is_deleted = 0 AND month = OLD.month AND school_id = COALESCE(OLD.school_id, 0) "
                f"AND group_id = COALESCE(OLD.group_id, 0) AND kind = OLD.kind;")
    # SELECT … WHERE (not VALUES): the row is added only if it is live. The WHERE also keeps
    # SQLite's parser from reading ON CONFLICT as part of a join.
    return (f"INSERT INTO {TABLE} ({_KEY}, total, substantive) "
            f"SELECT NEW.month, COALESCE(NEW.school_id, 0), COALESCE(NEW.group_id, 0), NEW.kind, 1, "
            f"(CASE WHEN NEW.is_substantive THEN 1 ELSE 0 END) WHERE NEW.is_deleted = 0 "
            f"ON CONFLICT ({_KEY}) DO UPDATE SET total = total + 1, substantive = substantive + excluded.substantive;")


_WATCHED = ("month", "school_id", "group_id", "kind", "is_deleted", "is_substantive")

SQLITE_TRIGGERS = (
    f"CREATE TRIGGER IF NOT EXISTS contributions_rollup_insert AFTER INSERT ON contributions "
    f"BEGIN {_sqlite_sql('NEW')} END",
    f"CREATE TRIGGER IF NOT EXISTS contributions_rollup_delete AFTER DELETE ON contributions "
    f"BEGIN {_sqlite_sql('OLD')} END",
    f"CREATE TRIGGER IF NOT EXISTS contributions_rollup_update AFTER UPDATE OF {', '.join(_WATCHED)} "
    f"ON contributions WHEN " + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _WATCHED)
    + f" BEGIN {_sqlite_sql('OLD')} {_sqlite_sql('NEW')} END",
)

POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION contributions_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' AND NOT OLD.is_deleted THEN
    UPDATE {TABLE} SET total = total - 1, substantive = substantive - OLD.is_substantive::int
     WHERE month = OLD.month AND school_id = COALESCE(OLD.school_id, 0)
       AND group_id = COALESCE(OLD.group_id, 0) AND kind = OLD.kind;
  END IF;
  IF TG_OP <> 'DELETE' AND NOT NEW.is_deleted THEN
    INSERT INTO {TABLE} ({_KEY}, total, substantive)
    VALUES (NEW.month, COALESCE(NEW.school_id, 0), COALESCE(NEW.group_id, 0), NEW.kind, 1,
            NEW.is_substantive::int)
    ON CONFLICT ({_KEY}) DO UPDATE
      SET total = {TABLE}.total + 1, substantive = {TABLE}.substantive + EXCLUDED.substantive;
  END IF;
  RETURN NULL;
END $$
"""

# Deferred to COMMIT (constraint triggers): the rollup row is a lock shared by every writer of a
# group's month, so it is taken last, after the counters (board, thread, blog) a write path
# updates. Taken at once, it deadlocked with them under concurrent writers (tests/reliability/
# test_load.py): a reply held the rollup row and waited for the thread row, a delete the other way.
POSTGRES_TRIGGERS = (
    POSTGRES_FUNCTION,
    "DROP TRIGGER IF EXISTS contributions_rollup_insert_delete ON contributions",
    "CREATE CONSTRAINT TRIGGER contributions_rollup_insert_delete AFTER INSERT OR DELETE ON contributions "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION contributions_rollup()",
    "DROP TRIGGER IF EXISTS contributions_rollup_update ON contributions",
    f"CREATE CONSTRAINT TRIGGER contributions_rollup_update AFTER UPDATE OF {', '.join(_WATCHED)} ON contributions "
    f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (({', '.join('OLD.' + c for c in _WATCHED)}) IS DISTINCT FROM "
    f"({', '.join('NEW.' + c for c in _WATCHED)})) EXECUTE FUNCTION contributions_rollup()",
)


def trigger_statements(dialect: str) -> tuple[str, ...]:
    """The statements that install the triggers on one database (idempotent)."""
    if dialect == "sqlite":
        return SQLITE_TRIGGERS
    if dialect == "postgresql":
        return POSTGRES_TRIGGERS
    raise RuntimeError(f"the ledger rollup has no triggers for {dialect!r}")


def install_triggers(conn: Connection) -> None:
    for statement in trigger_statements(conn.dialect.name):
        conn.exec_driver_sql(statement)


def rebuild(conn: Connection) -> int:
    """Install the triggers and recompute the whole rollup from the ledger, in `conn`'s
    transaction; returns the number of rollup rows.

    On PostgreSQL the ledger is locked against writes until that transaction ends, so no row is
    committed between the triggers and the fill (SQLite has one writer at a time anyway).
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE contributions IN SHARE ROW EXCLUSIVE MODE")
    install_triggers(conn)
    conn.exec_driver_sql(f"DELETE FROM {TABLE}")
    conn.exec_driver_sql(f"INSERT INTO {TABLE} ({_KEY}, total, substantive) {AGGREGATE}")
    return conn.execute(text(f"SELECT COUNT(*) FROM {TABLE}")).scalar_one()


def differences(conn: Connection, limit: int = 20) -> list[tuple]:
    """Rollup rows that disagree with the ledger: (month, school, group, kind, rollup, ledger) counts.

    Rows that count nothing on both sides (a rollup row whose rows were all deleted) agree.
    """
    rollup = {tuple(r[:4]): (r[4], r[5]) for r in conn.exec_driver_sql(
        f"SELECT {_KEY}, total, substantive FROM {TABLE} WHERE total <> 0 OR substantive <> 0")}
    ledger = {tuple(r[:4]): (r[4], int(r[5] or 0)) for r in conn.exec_driver_sql(AGGREGATE)}
    out = []
    for key in sorted(set(rollup) | set(ledger)):
        if rollup.get(key, (0, 0)) != ledger.get(key, (0, 0)):
            out.append((*key, rollup.get(key, (0, 0)), ledger.get(key, (0, 0))))
            if len(out) >= limit:
                break
    return out


@event.listens_for(db.metadata, "after_create")
def _after_create(metadata, connection: Connection, **_kw) -> None:
    """`create_all` (tests, `flask init-db`) installs the triggers as the migration does."""
    if {"contributions", TABLE} <= set(metadata.tables):
        present = inspect(connection)
        if present.has_table("contributions") and present.has_table(TABLE):
            install_triggers(connection)
