"""The hot lists' SQLite plans: index walks that stop after one page, no sort of a whole list."""
from __future__ import annotations

import re

import pytest

from forum.boards import services as boards
from forum.extensions import db
from tests.factories import make_entry, make_group, make_user
from tests.querycount import count_queries


@pytest.fixture
def sqlite_only(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL plans: bench/explain.py")


def _plans(client, path: str, table: str) -> list[list[str]]:
    """The plan of every SELECT … FROM `table` the page at `path` runs."""
    with count_queries() as log:
        assert client.get(path).status_code == 200
    conn = db.session.connection()
    plans = []
    for statement, params in zip(log.sql, log.params):
        if re.search(rf"\bFROM {table}\b", statement) and statement.lstrip().upper().startswith("SELECT"):
            plans.append([row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)])
    db.session.rollback()
    return plans


def test_latest_threads_and_entries_walk_their_date_index(app, client, sqlite_only):
    # On large data with statistics, `IN (every readable board)` made SQLite list the boards and
    # merge their threads (docs/performance.md); this checks the index walk the EXISTS form allows.
    author = make_user()
    group = make_group(members=[author])
    for i in range(3):
        boards.start_thread(group.board, author, f"主题{i}", "内容")
        make_entry(group.blog, author, title=f"日志{i}")
    threads = _plans(client, "/", "threads")
    entries = _plans(client, "/", "entries")
    assert any("ix_threads_latest" in line for plan in threads for line in plan), threads
    assert any("ix_entries_latest" in line for plan in entries for line in plan), entries
    for plan in threads + entries:
        assert not any("TEMP B-TREE" in line for line in plan), plan


def test_a_deep_board_page_seeks_to_its_cursor(app, client, sqlite_only):
    author = make_user()
    group = make_group(members=[author])
    for i in range(35):
        boards.start_thread(group.board, author, f"主题{i}", "内容")
    page1 = client.get(f"/boards/{group.board.id}").get_data(as_text=True)
    cursor = re.search(r'href="([^"]*before=[^"]+)"', page1).group(1).replace("&amp;", "&")
    plans = _plans(client, cursor, "threads")
    listing = [plan for plan in plans if any("ix_threads_board_listing" in line for line in plan)]
    assert listing and all(any("last_post_at<" in line for line in plan) for plan in listing), plans
    assert not any("TEMP B-TREE" in line for plan in plans for line in plan), plans
