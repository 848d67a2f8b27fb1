"""Bad input on every tallies page gets a clear 4xx, never a 500."""
from __future__ import annotations


def test_bad_input_is_never_a_500(client, login, district):
    login(district.leader)
    data = {f"rows-{i}-threshold": "1" for i in range(40)}
    data.update({f"rows-{i}-metric": "concluded_preps" for i in range(40)})
    data.update({f"rows-{i}-period": "month" for i in range(40)})
    r = client.post("/tallies/targets", data=data)
    assert r.status_code in (302, 422), r.status_code
    r = client.post("/tallies/targets", data={"rows-0-threshold": "abc", "rows-0-metric": "concluded_preps", "rows-0-period": "month"})
    assert r.status_code == 422
    r = client.post("/tallies/bulletins/new", data={"month": "2099-01"})
    assert r.status_code == 422
    r = client.post("/tallies/bulletins/new", data={"month": "x" * 5000, "title": "t" * 5000})
    assert r.status_code == 422
    for q in ["?page=-5", "?page=99999", "?school=abc", "?sort_teacher=__class__", "?order_teacher=x&sort_teacher=total",
              "?month=%00", "?semester=9999-2", "?semester=1969-1", "?month=0000-01"]:
        r = client.get("/tallies/" + q)
        assert r.status_code in (200, 400, 422), (q, r.status_code)
    assert client.get("/tallies/bulletins/abc").status_code == 404
    assert client.get("/tallies/export/teacher.xlsx?semester=2026-2").status_code == 200
