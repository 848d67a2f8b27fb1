"""Who sees which table: anonymous, teacher, host, scoped leaders in and out of scope, admin — pages and API."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

NOV = datetime(2026, 11, 10, 2, 0, tzinfo=timezone.utc)
URL = "/tallies/?month=2026-11"


@pytest.fixture
def activity(district, contribute):
    d = district
    for user, group in ((d.t1, d.ga), (d.t2, d.ga), (d.host, d.ga), (d.t3, d.gb), (d.t4, d.gc)):
        contribute(user, group, "entry", when=NOV,
                   text=f"{user.display_name}：本节课的导入设计很有新意，建议增加任务单帮助学生聚焦问题。")
    return d


def _names(resp):
    return {r["name"] for r in resp.get_json()["rows"]}


# ---- pages -----------------------------------------------------------------------------------

def test_anonymous_is_sent_to_sign_in(client, activity):
    resp = client.get(URL)
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
    assert client.get("/tallies/export/school.csv?month=2026-11").status_code == 302
    assert client.get("/tallies/bulletins").status_code == 302


# (who, sees school table, visible schools, hidden schools, visible teachers, hidden teachers)
PAGE_MATRIX = [
    ("t1", False, [], ["东湖小学"], ["王老师"], ["李老师", "赵老师"]),
    ("host", False, [], ["东湖小学"], ["王老师", "李老师", "张组长"], ["赵老师", "陈老师"]),
    ("leader_a", True, ["东城小学"], ["东湖小学", "西山村小"], ["王老师", "李老师"], ["赵老师", "陈老师"]),
    ("leader_c1", True, ["东城小学", "东湖小学"], ["西山村小"], ["王老师", "赵老师"], ["陈老师"]),
    ("leader", True, ["东城小学", "东湖小学", "西山村小"], [], ["王老师", "赵老师", "陈老师"], []),
    ("admin", True, ["东城小学", "东湖小学", "西山村小"], [], ["王老师", "赵老师", "陈老师"], []),
]


@pytest.mark.parametrize("who,school_table,shown,hidden,teachers,hidden_teachers", PAGE_MATRIX,
                         ids=[m[0] for m in PAGE_MATRIX])
def test_dashboard_shows_only_the_scope(client, login, activity, who, school_table, shown, hidden, teachers,
                                        hidden_teachers):
    login(getattr(activity, who))
    resp = client.get(URL)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert ('id="schools"' in html) is school_table
    for name in shown + teachers:
        assert name in html, name
    for name in hidden + hidden_teachers:
        assert name not in html, name


@pytest.mark.parametrize("who,table,status", [
    ("t1", "school", 403), ("t1", "group", 200), ("t1", "teacher", 200), ("t1", "ranking-school", 403),
    ("host", "school", 403), ("host", "teacher", 200), ("host", "ranking-group", 200),
    ("leader_a", "school", 200), ("leader_c1", "idle", 200), ("admin", "targets", 200),
])
def test_exports_follow_the_same_rule(client, login, activity, who, table, status):
    login(getattr(activity, who))
    assert client.get(f"/tallies/export/{table}.csv?month=2026-11").status_code == status


def test_teacher_cannot_edit_targets_or_publish(client, login, activity):
    login(activity.t1)
    assert client.get("/tallies/targets").status_code == 403
    assert client.post("/tallies/targets", data={}).status_code == 403
    assert client.get("/tallies/bulletins").status_code == 403
    assert client.post("/tallies/bulletins/new", data={"month": "2026-10"}).status_code == 403


def test_bad_month_is_a_clear_422_page(client, login, activity):
    login(activity.leader)
    resp = client.get("/tallies/?month=2026-13")
    assert resp.status_code == 422
    assert "YYYY-MM" in resp.get_data(as_text=True)
    assert client.get("/tallies/?semester=2026-9").status_code == 422
    assert client.get("/tallies/export/nope.csv").status_code == 404
    assert client.get("/tallies/export/school.pdf").status_code == 404


# ---- API -------------------------------------------------------------------------------------

API_MATRIX = [
    # who, by, status, must include, must not include
    ("t1", "teacher", 200, {"t1"}, {"t2", "t3"}),
    ("t1", "group", 200, {"语文组"}, {"数学组"}),
    ("t1", "school", 403, set(), set()),
    ("host", "teacher", 200, {"t1", "t2", "host"}, {"t3"}),
    ("host", "school", 403, set(), set()),
    ("leader_a", "school", 200, {"东城小学"}, {"东湖小学", "西山村小"}),
    ("leader_a", "teacher", 200, {"t1", "t2", "host"}, {"t3", "t4"}),
    ("leader_a", "group", 200, {"语文组"}, {"数学组", "英语组"}),
    ("leader_c1", "school", 200, {"东城小学", "东湖小学"}, {"西山村小"}),
    ("leader_c1", "teacher", 200, {"t1", "t3"}, {"t4"}),
    ("leader", "school", 200, {"东城小学", "东湖小学", "西山村小"}, set()),
    ("admin", "teacher", 200, {"t1", "t3", "t4"}, set()),
]


@pytest.mark.parametrize("who,by,status,present,absent", API_MATRIX, ids=[f"{m[0]}-{m[1]}" for m in API_MATRIX])
def test_api_tallies_scope(client, api_token, activity, who, by, status, present, absent):
    token = api_token(getattr(activity, who))
    resp = client.get(f"/api/v1/tallies?month=2026-11&by={by}", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == status, resp.get_json()
    if status == 200:
        body = resp.get_json()
        assert body["month"] == "2026-11" and body["by"] == by
        names = _names(resp)
        assert present <= names and not (absent & names)
        row = body["rows"][0]
        assert set(row) == {"id", "name", "entries", "threads", "replies", "comments", "preps", "total",
                            "substantive"}
    else:
        assert resp.get_json()["error"]["code"] == "forbidden"


def test_api_row_values(client, api_token, activity):
    token = api_token(activity.leader)
    rows = client.get("/api/v1/tallies?month=2026-11&by=teacher",
                      headers={"Authorization": f"Bearer {token}"}).get_json()["rows"]
    t1 = next(r for r in rows if r["name"] == "t1")
    assert (t1["entries"], t1["total"], t1["substantive"]) == (1, 1, 1)


def test_api_anonymous_is_401(client, activity):
    resp = client.get("/api/v1/tallies?month=2026-11&by=school")
    assert resp.status_code == 401
    assert resp.get_json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("query", ["month=2026-13", "month=202611", "month=abc", "month=", "month=2026-1",
                                   "month=2026-11-01", "month=%EF%BC%92026-11"])
def test_api_bad_month_is_422(client, api_token, activity, query):
    token = api_token(activity.leader)
    resp = client.get(f"/api/v1/tallies?{query}&by=school", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 422
    err = resp.get_json()["error"]
    assert err["code"] == "invalid" and err["field"] == "month"


def test_api_bad_by_is_422(client, api_token, activity):
    token = api_token(activity.leader)
    resp = client.get("/api/v1/tallies?month=2026-11&by=district", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 422 and resp.get_json()["error"]["field"] == "by"


def test_school_filter_narrows_groups_and_teachers(client, login, activity):
    login(activity.leader)
    html = client.get(f"/tallies/?month=2026-11&school={activity.b.id}").get_data(as_text=True)
    assert "赵老师" in html and "陈老师" not in html
    csv_text = client.get(f"/tallies/export/teacher.csv?month=2026-11&school={activity.b.id}").get_data().decode("utf-8-sig")
    assert "t3" in csv_text and "t4" not in csv_text
    # A school outside the scope is ignored, not an error.
    login(activity.leader_a)
    html = client.get(f"/tallies/?month=2026-11&school={activity.c.id}").get_data(as_text=True)
    assert "王老师" in html and "陈老师" not in html
