"""Targets as data and their status: met / on track / behind, and who is behind with days left."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from forum.tallies import services
from forum.tallies import targets as targets_service
from forum.tallies.models import Target
from forum.tallies.periods import month_period, semester_period

UTC = timezone.utc
MID_NOV = datetime(2026, 11, 16, 4, 0, tzinfo=UTC)  # 16 Nov in Shanghai: half the month gone


@pytest.mark.parametrize("value,threshold,fraction,status", [
    (2, 2, 0.1, "met"), (3, 2, 1.0, "met"),
    (0, 2, 0.03, "on_track"),  # day 1: nothing expected yet
    (1, 2, 0.5, "on_track"), (0, 2, 0.5, "behind"),
    (1, 2, 1.0, "behind"), (0, 1, 0.99, "on_track"),
    (0, 3, 0.34, "behind"), (1, 3, 0.5, "on_track"), (0, 0, 0.0, "met"),
])
def test_status_rule(value, threshold, fraction, status):
    assert targets_service.status_of(value, threshold, fraction) == status


def test_defaults_until_a_leader_saves(district):
    targets = targets_service.current_targets()
    assert [(t.metric, t.period, t.threshold) for t in targets] == [
        ("concluded_preps", "month", 2), ("theme_contributions", "month", 1), ("substantive_entries", "semester", 3)]
    assert all(t.id is None for t in targets)


def test_leader_saves_targets_teacher_cannot(district, db):
    with pytest.raises(PermissionError):
        targets_service.save_targets(district.t1, [{"metric": "concluded_preps", "period": "month", "threshold": 1}])
    saved = targets_service.save_targets(district.leader, [
        {"metric": "concluded_preps", "period": "month", "threshold": 4},
        {"metric": "teacher_substantive", "period": "month", "threshold": 5, "is_active": False},
    ])
    assert db.session.query(Target).count() == 2 and saved[0].updated_by_id == district.leader.id
    assert [t.threshold for t in targets_service.current_targets()] == [4]
    with pytest.raises(ValueError):
        targets_service.save_targets(district.leader, [{"metric": "nope", "period": "month", "threshold": 1}])
    with pytest.raises(ValueError):
        targets_service.save_targets(district.leader, [{"metric": "concluded_preps", "period": "day", "threshold": 1}])


def test_group_targets_in_the_current_month(district, contribute):
    d = district
    from forum.boards.models import Theme
    from forum.extensions import db

    theme = Theme(group_id=d.ga.id, month=202611, title="单元整体教学")
    db.session.add(theme)
    db.session.commit()
    early = datetime(2026, 11, 3, 4, 0, tzinfo=UTC)
    contribute(d.host, d.ga, "prep_conclusion", when=early)
    contribute(d.host, d.ga, "prep_conclusion", when=early, text="第二次集体备课总结：明确了本单元的重点与难点。")
    contribute(d.t3, d.gb, "prep_conclusion", when=early)
    contribute(d.t1, d.ga, "reply", when=early, theme_id=theme.id, text="围绕单元整体教学，我认为应先梳理单元目标。")
    period = month_period(202611)
    scope = services.scope_for(d.leader)
    tables = services.tables(scope, period)
    summaries = targets_service.evaluate(scope, period, tables, now=MID_NOV)
    preps = next(s for s in summaries if s.target.metric == "concluded_preps")
    status = {r.id: r.status for r in preps.rows}
    assert status == {d.ga.id: "met", d.gb.id: "on_track", d.gc.id: "behind"}
    assert preps.days_left == 14 and preps.counts == {"met": 1, "on_track": 1, "behind": 1}
    theme_target = next(s for s in summaries if s.target.metric == "theme_contributions")
    assert {r.id: r.status for r in theme_target.rows}[d.ga.id] == "met"
    behind = targets_service.behind(summaries, period, now=MID_NOV)
    assert (preps, next(r for r in preps.rows if r.id == d.gc.id)) in behind
    # The same month seen afterwards: nobody is "on track" any more, and there is no "behind" list.
    after = targets_service.evaluate(scope, period, tables, now=datetime(2026, 12, 5, tzinfo=UTC))
    assert {r.id: r.status for r in after[0].rows}[d.gb.id] == "behind"
    assert targets_service.behind(after, period, now=datetime(2026, 12, 5, tzinfo=UTC)) == []


def test_teacher_semester_target_counts_substantive_entries(district, contribute):
    d = district
    for day in (2, 20):
        contribute(d.t1, d.ga, "entry", when=datetime(2026, 9, day, 4, 0, tzinfo=UTC),
                   text=f"九月{day}日教学反思：学生在计算小数乘法时容易忽略小数点位置，需要针对性练习。")
    contribute(d.t1, d.ga, "entry", when=datetime(2026, 10, 2, 4, 0, tzinfo=UTC), text="顶")
    contribute(d.t1, d.ga, "entry", when=datetime(2026, 11, 2, 4, 0, tzinfo=UTC),
               text="十一月教学设计：《秋天的雨》第二课时，重点指导学生有感情地朗读课文。")
    semester = semester_period(2026, 1)
    scope = services.scope_for(d.leader)
    tables = services.tables(scope, month_period(202611))
    summaries = targets_service.evaluate(scope, month_period(202611), tables, now=MID_NOV)
    entries = next(s for s in summaries if s.target.metric == "substantive_entries")
    assert entries.period == semester
    rows = {r.id: r for r in entries.rows}
    assert rows[d.t1.id].value == 3 and rows[d.t1.id].status == "met"
    assert rows[d.t2.id].status == "behind"  # 0 of 3 with more than a third of the semester gone


def test_dashboard_shows_rag_and_behind_list(client, login, district, contribute):
    d = district
    login(d.leader)
    html = client.get("/tallies/").get_data(as_text=True)
    assert "rag rag-" in html and "目标完成情况" in html and "已达标" in html


def test_targets_page_round_trip(client, login, district, db):
    login(district.leader)
    page = client.get("/tallies/targets")
    assert page.status_code == 200 and "完成集体备课" in page.get_data(as_text=True)
    resp = client.post("/tallies/targets", data={
        "rows-0-metric": "concluded_preps", "rows-0-period": "month", "rows-0-threshold": "3", "rows-0-is_active": "y",
        "rows-1-metric": "substantive_entries", "rows-1-period": "semester", "rows-1-threshold": "",
    })
    assert resp.status_code == 302
    assert [(t.metric, t.threshold) for t in targets_service.current_targets()] == [("concluded_preps", 3)]
    bad = client.post("/tallies/targets", data={"rows-0-metric": "concluded_preps", "rows-0-period": "month",
                                                "rows-0-threshold": "-5"})
    assert bad.status_code == 422
    bad = client.post("/tallies/targets", data={"rows-0-metric": "evil", "rows-0-period": "month",
                                                "rows-0-threshold": "1"})
    assert bad.status_code == 422
