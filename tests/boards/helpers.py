"""Shared setup for board tests: a group with a host, members and its board."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from forum.extensions import db
from tests.factories import make_group, make_user


def prep_group(n_members: int = 3, visibility: str = "public"):
    """(group, host, lead, members): lead is members[0]."""
    host = make_user(display_name="赵主任")
    names = ["王丽华", "李明", "张伟", "陈静", "刘洋", "杨帆"]
    members = [make_user(display_name=names[i % len(names)] + ("" if i < len(names) else str(i)))
               for i in range(n_members)]
    group = make_group(members=members, hosts=[host], visibility=visibility)
    return group, host, members[0], members


@contextmanager
def count_queries():
    """Count SQL statements run inside the block."""
    counter = {"n": 0, "sql": []}

    def _before(conn, cursor, statement, params, context, executemany):
        counter["n"] += 1
        counter["sql"].append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", _before)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", _before)
