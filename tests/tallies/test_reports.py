"""Counting from the ledger: columns by kind, substantive vs raw, deletion and restore flips."""
from __future__ import annotations

from datetime import datetime, timezone

from forum.core.timezones import current_month
from forum.core.writepath import set_deleted
from forum.tallies import reports, services
from forum.tallies.periods import month_period
from tests.factories import make_entry, make_thread

NOV = datetime(2026, 11, 10, 2, 0, tzinfo=timezone.utc)


def _by_id(rows):
    return {r.id: r for r in rows}


def test_each_kind_lands_in_its_column(district, contribute):
    d = district
    for kind in ("entry", "thread", "reply", "comment", "guestbook", "prep_lead", "prep_conclusion",
                 "adoption", "featured"):
        contribute(d.t1, d.ga, kind, when=NOV, text=f"{kind}：本节课的导入设计很有新意，建议增加任务单帮助学生聚焦。")
    row = _by_id(reports.tally("teacher", (202611, 202611)))[d.t1.id]
    assert (row.entries, row.threads, row.replies, row.comments, row.preps) == (1, 1, 1, 2, 2)
    assert row.total == 9  # adoption and featured count in the total only
    assert row.substantive == 9


def test_raw_and_substantive_are_both_counted(district, contribute):
    d = district
    contribute(d.t1, d.ga, "reply", when=NOV, text="顶")
    contribute(d.t1, d.ga, "reply", when=NOV)
    row = _by_id(reports.tally("teacher", (202611, 202611)))[d.t1.id]
    assert (row.replies, row.total, row.substantive) == (2, 2, 1)


def test_group_and_school_tables_with_sizes_and_rates(district, contribute):
    d = district
    contribute(d.t1, d.ga, "entry", when=NOV)
    contribute(d.t3, d.gb, "entry", when=NOV)
    groups = _by_id(reports.tally("group", (202611, 202611)))
    assert groups[d.ga.id].size == 3 and groups[d.ga.id].substantive_rate == 0.33
    assert groups[d.gb.id].size == 1 and groups[d.gb.id].substantive_rate == 1.0
    assert groups[d.gc.id].total == 0  # idle groups are listed too
    schools = _by_id(reports.tally("school", (202611, 202611)))
    assert schools[d.a.id].size == 3 and schools[d.b.id].total == 1


def test_idle_teachers_have_zero_substantive(district, contribute):
    d = district
    contribute(d.t1, d.ga, "reply", when=NOV)
    contribute(d.t2, d.ga, "reply", when=NOV, text="学习了")
    idle = {r.id for r in services.idle_teachers(reports.tally("teacher", (202611, 202611)))}
    assert d.t2.id in idle and d.t4.id in idle and d.t1.id not in idle


def test_deletion_and_restore_flip_the_counts(district, db):
    d = district
    body = "本节课我尝试让学生在朗读中体会秋天的美，学生朗读的积极性明显提高。"
    entry = make_entry(d.ga.blog, d.t1, body=body)
    thread = make_thread(d.ga.board, d.t1, body="大家在单元整体教学中遇到了哪些困难？请结合课例谈谈。")
    period = month_period(current_month())

    def row():
        return _by_id(reports.tally("teacher", (period.first, period.last)))[d.t1.id]

    assert (row().entries, row().threads, row().substantive) == (1, 1, 2)
    set_deleted(entry, True, by_id=d.host.id, reason="other")
    db.session.commit()
    assert (row().entries, row().total, row().substantive) == (0, 1, 1)
    set_deleted(entry, False)
    db.session.commit()
    assert (row().entries, row().total, row().substantive) == (1, 2, 2)


def test_reports_use_the_month_index(district, db):
    """The month query is an index range, so its cost follows the month, not history."""
    from sqlalchemy import text

    if db.engine.dialect.name != "sqlite":
        return
    plan = " ".join(str(r) for r in db.session.execute(text(
        "EXPLAIN QUERY PLAN SELECT user_id, kind, count(*) FROM contributions "
        "WHERE month = 202611 AND is_deleted = 0 GROUP BY user_id, kind")))
    assert "ix_contributions_month_user" in plan and "COVERING" in plan


def test_sort_rows(district, contribute):
    d = district
    contribute(d.t3, d.gb, "entry", when=NOV)
    rows = reports.tally("teacher", (202611, 202611))
    assert services.sort_rows(rows, "total")[0].id == d.t3.id
    assert services.sort_rows(rows, "nonsense") == rows


def test_ranking_is_per_member_with_ties(district, contribute):
    d = district
    contribute(d.t1, d.ga, "entry", when=NOV)
    contribute(d.t3, d.gb, "entry", when=NOV)
    ranked = services.rank(reports.tally("group", (202611, 202611)))
    # The one-teacher village group outranks the bigger group with the same total.
    assert [r.id for _p, r in ranked][:2] == [d.gb.id, d.ga.id]
    assert [p for p, _r in ranked] == [1, 2, 3]
