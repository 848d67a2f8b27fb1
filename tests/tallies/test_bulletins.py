"""Monthly bulletins: a frozen snapshot; later deletions and restores show as adjustments."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from forum.core.writepath import flip_contributions
from forum.tallies import bulletins
from forum.tallies.models import Bulletin

OCT = datetime(2026, 10, 12, 4, 0, tzinfo=timezone.utc)


@pytest.fixture
def october(district, contribute):
    d = district
    rows = [contribute(d.t1, d.ga, "entry", when=OCT),
            contribute(d.t3, d.gb, "reply", when=OCT, text="我认为这节课的小组合作环节还可以再优化一下时间分配。"),
            contribute(d.host, d.ga, "prep_conclusion", when=OCT, text="集体备课总结：统一了第三单元的教学目标与重难点。")]
    return d, rows


def test_publish_freezes_tables_targets_and_ranking(october, db):
    d, _rows = october
    b = bulletins.publish(d.leader, 202610, "", "本月各校教研活动总体活跃。")
    assert b.title == "2026年10月教研工作月度通报" and b.scope_key == "all"
    snap = db.session.get(Bulletin, b.id).snapshot
    assert snap["month"] == "2026-10"
    teachers = {r["name"]: r for r in snap["tables"]["teacher"]}
    assert teachers["t1"]["entries"] == 1 and teachers["t3"]["replies"] == 1
    assert {r["label"] for r in snap["tables"]["school"]} == {"东城小学", "东湖小学", "西山村小"}
    assert snap["ranking"]["group"][0]["rank"] == 1 and "人均" in snap["ranking_method"]["group"]
    assert [t["metric"] for t in snap["targets"]][:2] == ["concluded_preps", "theme_contributions"]
    assert bulletins.adjustments(b) == []


def test_later_deletion_and_restore_show_as_adjustments(october, db):
    d, rows = october
    b = bulletins.publish(d.leader, 202610, "十月通报", "")
    entry = rows[0]
    flip_contributions(entry.source_type, entry.source_id, True)
    db.session.commit()
    adj = {(a.table, a.label, a.field): (a.before, a.after, a.delta) for a in bulletins.adjustments(b)}
    assert adj[("teacher", "王老师", "entries")] == (1, 0, -1)
    assert adj[("group", "东城小学 · 语文组", "substantive")] == (2, 1, -1)
    assert adj[("school", "东城小学", "total")] == (2, 1, -1)
    # The snapshot itself never changes.
    assert {r["name"]: r for r in db.session.get(Bulletin, b.id).snapshot["tables"]["teacher"]}["t1"]["entries"] == 1
    flip_contributions(entry.source_type, entry.source_id, False)
    db.session.commit()
    assert bulletins.adjustments(b) == []


def test_second_publication_of_a_month_conflicts(october):
    d, _rows = october
    bulletins.publish(d.leader, 202610, "", "")
    with pytest.raises(bulletins.BulletinConflict):
        bulletins.publish(d.leader, 202610, "", "")
    # A school leader publishes their own school's bulletin for the same month.
    own = bulletins.publish(d.leader_a, 202610, "", "")
    assert own.scope_key == f"school:{d.a.id}"
    assert {r["label"] for r in own.snapshot["tables"]["school"]} == {"东城小学"}


def test_future_month_and_teachers_are_refused(october):
    d, _rows = october
    with pytest.raises(ValueError):
        bulletins.publish(d.leader, 209912, "", "")
    with pytest.raises(PermissionError):
        bulletins.publish(d.t1, 202610, "", "")


def test_publish_page_show_page_and_feed(client, login, october, db):
    d, rows = october
    login(d.leader)
    assert client.get("/tallies/bulletins/new?month=2026-10").status_code == 200
    resp = client.post("/tallies/bulletins/new", data={"month": "2026-10", "title": "", "body": "**表扬**东湖小学。"})
    assert resp.status_code == 302
    b = db.session.query(Bulletin).one()
    page = client.get(f"/tallies/bulletins/{b.id}").get_data(as_text=True)
    assert "2026年10月教研工作月度通报" in page and "<strong>表扬</strong>" in page and "排名方法" in page
    assert "发布后的调整" not in page
    flip_contributions(rows[1].source_type, rows[1].source_id, True)
    db.session.commit()
    page = client.get(f"/tallies/bulletins/{b.id}").get_data(as_text=True)
    assert "发布后的调整" in page and "-1" in page
    again = client.post("/tallies/bulletins/new", data={"month": "2026-10"})
    assert again.status_code == 422 and "已经发布" in again.get_data(as_text=True)
    feed = client.get("/tallies/bulletins.atom")
    assert feed.status_code == 200 and feed.mimetype == "application/atom+xml"
    assert "2026年10月教研工作月度通报" in feed.get_data(as_text=True)
    assert client.get(f"/tallies/bulletins/{b.id}/export/teacher.csv").status_code == 200
    assert client.get("/tallies/bulletins/999").status_code == 404


def test_bulletin_readers(client, login, october):
    d, _rows = october
    all_ = bulletins.publish(d.leader, 202610, "", "")
    school_a = bulletins.publish(d.leader_a, 202610, "", "")
    for who, readable in (("leader", {all_.id, school_a.id}), ("admin", {all_.id, school_a.id}),
                          ("leader_a", {school_a.id}), ("leader_c1", {school_a.id}), ("t1", set()),
                          ("host", set())):
        user = getattr(d, who)
        login(user)
        for b in (all_, school_a):
            status = client.get(f"/tallies/bulletins/{b.id}").status_code
            assert status == (200 if b.id in readable else 403), (who, b.id, status)
        client.post("/auth/logout")
    anon_feed = client.get("/tallies/bulletins.atom").get_data(as_text=True)
    assert "<entry>" not in anon_feed


def test_feed_escapes_titles(client, login, october, db):
    d, _rows = october
    bulletins.publish(d.leader, 202610, "<script>alert(1)</script> & 通报", "")
    login(d.leader)
    body = client.get("/tallies/bulletins.atom").get_data(as_text=True)
    assert "<script>" not in body and "&lt;script&gt;" in body
