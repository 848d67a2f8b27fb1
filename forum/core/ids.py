"""Ids from user input: an integer a database primary key can hold, or nothing."""
from __future__ import annotations

# The largest id an INTEGER primary key holds on PostgreSQL. SQLite refuses to bind ints past
# 2**63 (OverflowError) and PostgreSQL answers "integer out of range": neither may reach a query.
MAX_ID = 2**31 - 1


def as_id(value) -> int | None:
    """`value` as a row id (1..MAX_ID), or None when it cannot name a row."""
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 0 < number <= MAX_ID else None
