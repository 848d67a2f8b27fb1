"""The monthly rollup (contribution_months) follows the ledger through every kind of write."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select, text

from forum.blogs import services as blogs
from forum.boards import services as boards
from forum.core.timezones import current_month
from forum.core.writepath import set_deleted
from forum.extensions import db
from forum.ledger import rollup
from forum.ledger.models import Contribution, ContributionMonth
from forum.moderation import services as moderation
from forum.tallies import reports
from forum.tallies.periods import add_months, month_period
from tests.factories import make_entry, make_group, make_school, make_thread, make_user
from tests.tallies.conftest import SUBSTANTIVE

OCT = datetime(2026, 10, 12, 3, 0, tzinfo=timezone.utc)


@pytest.fixture
def app_config(app_config):
    app_config["SEARCH_INDEXER"] = "off"
    return app_config


def _differences():
    db.session.flush()
    return rollup.differences(db.session.connection())


def _rollup_total() -> int:
    return db.session.scalar(select(func.coalesce(func.sum(ContributionMonth.total), 0)))


@pytest.fixture
def world(app):
    school, other = make_school("实验小学"), make_school("育才小学")
    author, reader = make_user(school=school), make_user(school=other)
    host = make_user(school=school)
    chinese = make_group("语文组", school=school, members=[author, reader], hosts=[host])
    maths = make_group("数学组", school=other, members=[author])
    leader = make_user(role="leader", display_name="教研员")
    admin = make_user(role="admin")
    db.session.commit()
    return dict(school=school, other=other, author=author, reader=reader, host=host, chinese=chinese,
                maths=maths, leader=leader, admin=admin)


def test_writes_deletes_moves_and_purges_keep_the_rollup_exact(world):
    w = world
    entry = make_entry(w["chinese"].blog, w["author"], body="本节课我尝试让学生在朗读中体会秋天的美，学生的积极性明显提高。")
    comment = blogs.add_comment(entry, w["reader"], "这节课的朗读环节设计得很好，学生参与度高，值得学习。")
    thread = make_thread(w["chinese"].board, w["author"], body="大家在单元整体教学中遇到了哪些困难？请结合课例谈谈。")
    post = boards.reply(thread, w["reader"], "我同意，单元整体教学要先梳理目标，再设计任务。")
    boards.reply(thread, w["author"], "顶")  # not substantive
    db.session.commit()
    assert _rollup_total() == 5 and _differences() == []
    subst = db.session.scalar(select(func.sum(ContributionMonth.substantive)))
    assert subst == 4  # "顶" counts in the total only

    set_deleted(entry, True, by_id=w["host"].id, reason="other")  # a reasoned delete: one UPDATE
    db.session.commit()
    assert _rollup_total() == 4 and _differences() == []
    set_deleted(entry, False)
    db.session.commit()
    assert _rollup_total() == 5 and _differences() == []

    moderation.set_toggle(entry, w["host"], "feature")  # a featured row, in the total only
    db.session.commit()
    assert _rollup_total() == 6 and _differences() == []

    moderation.move_thread(thread, w["leader"], w["maths"].board, "更适合数学组")  # group and school change
    db.session.commit()
    assert _differences() == []
    by_group = dict(db.session.execute(select(ContributionMonth.group_id, func.sum(ContributionMonth.total))
                                       .group_by(ContributionMonth.group_id)).all())
    assert by_group[w["maths"].id] == 3 and by_group[w["chinese"].id] == 3

    moderation.purge_content(post, w["admin"])  # ledger rows DELETEd
    moderation.purge_content(comment, w["admin"])
    db.session.commit()
    assert _rollup_total() == 4 and _differences() == []


def test_bulk_statements_are_followed_too(world):
    """Statements outside the services (bench fills, operators' SQL) keep it exact as well."""
    w = world
    for i in range(6):
        make_thread(w["chinese"].board, w["author"], body=f"第{i}次集体备课：请大家围绕《秋天的雨》的朗读指导发表意见。")
    db.session.commit()
    conn = db.session.connection()
    conn.execute(text("UPDATE contributions SET is_substantive = :f WHERE id % 2 = 0"), {"f": False})
    conn.execute(text("UPDATE contributions SET month = :m WHERE id % 3 = 0"), {"m": add_months(current_month(), -1)})
    conn.execute(text("UPDATE contributions SET group_id = NULL WHERE id % 5 = 0"))
    conn.execute(text("UPDATE contributions SET is_deleted = :t WHERE id = (SELECT MIN(id) FROM contributions)"),
                 {"t": True})
    conn.execute(text("DELETE FROM contributions WHERE id = (SELECT MAX(id) FROM contributions)"))
    db.session.commit()
    assert _differences() == []
    assert _rollup_total() == 4


def test_the_check_sees_a_wrong_rollup_and_the_fix_rebuilds_it(world, runner):
    w = world
    make_thread(w["chinese"].board, w["author"], body="大家在单元整体教学中遇到了哪些困难？请结合课例谈谈。")
    db.session.commit()
    assert "agrees" in runner.invoke(args=["tally", "rollup"]).output
    db.session.execute(text("UPDATE contribution_months SET total = total + 2"))
    db.session.commit()
    assert len(_differences()) == 1
    db.session.rollback()  # the CLI works on a connection of its own
    result = runner.invoke(args=["tally", "rollup"])
    assert result.exit_code == 1 and "rollup 3/1, ledger 1/1" in result.output
    result = runner.invoke(args=["tally", "rollup", "--fix"])
    assert result.exit_code == 0 and "rebuilt" in result.output
    db.session.expire_all()
    assert _differences() == [] and _rollup_total() == 1


def test_tables_and_trends_from_the_rollup_match_the_ledger(world, contribute):
    """The group and school tables and trends (rollup) equal counting the ledger rows directly."""
    w = world
    month = current_month()
    for k, (user, group) in enumerate([(w["author"], w["chinese"]), (w["reader"], w["chinese"]),
                                       (w["author"], w["maths"]), (w["host"], w["chinese"])] * 3):
        when = OCT if k % 3 == 0 else None
        contribute(user, group, kind=("reply", "entry", "thread", "comment", "prep_lead", "adoption")[k % 6],
                   when=when, text="顶" if k % 4 == 0 else SUBSTANTIVE)
    period = month_period(month)
    months = (add_months(month, -11), month)
    for by, column in (("group", Contribution.group_id), ("school", Contribution.school_id)):
        ledger = {}
        for key, m, total, subst in db.session.execute(
                select(column, Contribution.month, func.count(),
                       func.count().filter(Contribution.is_substantive.is_(True)))
                .where(Contribution.is_deleted.is_(False), Contribution.month.between(*months))
                .group_by(column, Contribution.month)):
            ledger.setdefault(key, {})[m] = (total, subst)
        assert reports.trend(by, month, months[0]) == ledger and ledger
        rows = {r.id: r for r in reports.tally(by, (period.first, period.last))}
        for key, series in ledger.items():
            assert rows[key].total == series.get(month, (0, 0))[0]
            assert rows[key].substantive == series.get(month, (0, 0))[1]
    assert sum(r.entries + r.threads + r.replies + r.comments + r.preps
               for r in reports.tally("group", (period.first, period.last))) == db.session.scalar(
        select(func.count()).select_from(Contribution).where(
            Contribution.month == month, Contribution.kind != "adoption"))


def test_a_migrated_database_gets_its_rollup_filled(tmp_path):
    """Upgrading a site that already has a ledger fills the rollup from it and installs the triggers."""
    from flask_migrate import upgrade

    from forum import create_app

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    app = create_app({"JIAOYAN_DATA_DIR": str(tmp_path / "data"), "SQLALCHEMY_DATABASE_URI": url,
                      "SECRET_KEY": "t", "TESTING": True})
    with app.app_context():
        upgrade(revision="views_0001")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO users (id, username, display_name, password_hash, role, bio, "
                              "session_version, is_suspended_indefinitely, created_at) "
                              "VALUES (1, 'wang', '王老师', 'x', 'teacher', '', 1, 0, '2026-10-01')"))
            for i, (month, deleted, subst) in enumerate([(202610, 0, 1), (202610, 0, 0), (202611, 1, 1),
                                                         (202611, 0, 1)], start=1):
                conn.execute(text(
                    "INSERT INTO contributions (id, user_id, kind, created_at, month, is_substantive, is_deleted, "
                    "source_type, source_id, fingerprint) VALUES (:i, 1, 'reply', '2026-10-01', :m, :s, :d, "
                    "'post', :i, '')"), {"i": i, "m": month, "s": subst, "d": deleted})
        upgrade()
        with db.engine.begin() as conn:
            rows = conn.execute(text("SELECT month, total, substantive FROM contribution_months ORDER BY month")).all()
            assert [tuple(r) for r in rows] == [(202610, 2, 1), (202611, 1, 1)]
            conn.execute(text("UPDATE contributions SET is_deleted = 0 WHERE id = 3"))
            assert rollup.differences(conn) == []
            assert conn.execute(text("SELECT total FROM contribution_months WHERE month = 202611")).scalar() == 2
        db.engine.dispose()
