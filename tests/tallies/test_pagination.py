"""The dashboard at district scale: long tables paginated or capped, exports complete, SQL count flat."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import event

from forum.extensions import db
from forum.tallies import services
from forum.tallies import targets as targets_service
from tests.factories import make_group, make_school, make_user

NOW = datetime.now(timezone.utc)
MONTH = NOW.strftime("%Y-%m")


def _section(html: str, anchor: str) -> str:
    """The HTML of one dashboard section (by its id)."""
    start = html.index(f'id="{anchor}"')
    end = html.find("<section", start)
    return html[start:end if end != -1 else len(html)]


def _group_labels(html: str) -> list[str]:
    body = _section(html, "groups").split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr><td>([^<]+)</td>", body)


@pytest.fixture
def many_groups(district, contribute):
    """Seven groups in one school, each with one teacher who wrote i replies (0..6)."""
    school = make_school("大学区中学", district.c1)
    groups = []
    for i in range(7):
        teacher = make_user(f"mg{i}", school=school, display_name=f"教师{i}")
        group = make_group(f"组{i}", school=school, members=[teacher])
        for _ in range(i):
            contribute(teacher, group, "reply", when=NOW)
        groups.append(group)
    return groups


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setitem(services.PAGE_SIZES, "group", 3)
    monkeypatch.setitem(services.PAGE_SIZES, "idle", 2)
    monkeypatch.setattr(services, "TARGET_ROWS_SHOWN", 2)


def test_group_table_is_paginated_with_the_total(client, login, district, many_groups, small_pages):
    login(district.leader)
    total = 3 + len(many_groups)  # the district's three groups and the seven new ones
    html = client.get(f"/tallies/?month={MONTH}").get_data(as_text=True)
    groups = _section(html, "groups")
    assert len(_group_labels(html)) == 3
    assert f"显示第 1–3 个 / 共 {total} 个" in groups
    assert "page_group=2" in groups
    # trends only for the rows shown
    assert groups.count('class="trend-chart"') == 3

    seen = []
    for page in range(1, 5):
        seen += _group_labels(client.get(f"/tallies/?month={MONTH}&page_group={page}").get_data(as_text=True))
    assert len(seen) == total and len(set(seen)) == total
    last = client.get(f"/tallies/?month={MONTH}&page_group=4").get_data(as_text=True)
    assert f"显示第 10–10 个 / 共 {total} 个" in _section(last, "groups")
    # past the end: the last page, not an error
    assert _group_labels(client.get(f"/tallies/?month={MONTH}&page_group=99").get_data(as_text=True)) == \
        _group_labels(last)


def test_sort_order_holds_across_pages(client, login, district, many_groups, small_pages):
    login(district.leader)
    seen = []
    for page in range(1, 5):
        html = client.get(f"/tallies/?month={MONTH}&sort_group=total&order_group=desc&page_group={page}")
        seen += _group_labels(html.get_data(as_text=True))
    ordered = [f"大学区中学 · 组{i}" for i in range(6, 0, -1)]
    assert seen[:6] == ordered  # 6, 5, ... 1 replies: the whole table sorted, then sliced
    # a sort link starts again at page 1
    html = client.get(f"/tallies/?month={MONTH}&page_group=2").get_data(as_text=True)
    link = re.search(r'href="([^"]*sort_group=total[^"]*)"', _section(html, "groups")).group(1)
    assert "page_group" not in link


def test_export_keeps_every_group(client, login, district, many_groups, small_pages):
    login(district.leader)
    raw = client.get(f"/tallies/export/group.csv?month={MONTH}").get_data().decode("utf-8-sig")
    for i in range(7):
        assert f"组{i}" in raw
    assert len([line for line in raw.splitlines() if line.strip()]) == 1 + 3 + len(many_groups)


def test_school_filter_and_pages_together(client, login, district, many_groups, small_pages):
    login(district.leader)
    school_id = many_groups[0].school_id
    html = client.get(f"/tallies/?month={MONTH}&school={school_id}&page_group=3").get_data(as_text=True)
    assert _group_labels(html) == ["大学区中学 · 组6"]
    assert "显示第 7–7 个 / 共 7 个" in _section(html, "groups")
    prev = re.search(r'<a href="([^"]*)" rel="prev">', _section(html, "groups")).group(1)
    assert f"school={school_id}" in prev and "page_group=2" in prev


def test_idle_teachers_are_paginated(client, login, district, many_groups, small_pages):
    login(district.leader)
    html = client.get(f"/tallies/?month={MONTH}").get_data(as_text=True)
    idle = _section(html, "idle")
    count = int(re.search(r"零实质性贡献的教师（(\d+)）", idle).group(1))
    assert count > 2
    assert idle.count("<li>") == 2
    assert f"显示第 1–2 个 / 共 {count} 个" in idle
    names = []
    for page in range(1, (count + 1) // 2 + 1):
        names += re.findall(r"<li>([^<]+) <span", _section(
            client.get(f"/tallies/?month={MONTH}&page_idle={page}").get_data(as_text=True), "idle"))
    assert len(set(names)) == count
    raw = client.get(f"/tallies/export/idle.csv?month={MONTH}").get_data().decode("utf-8-sig")
    assert len([line for line in raw.splitlines() if line.strip()]) == 1 + count


def test_target_details_are_capped(client, login, district, many_groups, small_pages):
    targets_service.save_targets(district.leader, [{"metric": "group_substantive", "period": "month", "threshold": 50}])
    login(district.leader)
    html = client.get(f"/tallies/?month={MONTH}").get_data(as_text=True)
    targets = _section(html, "targets")
    assert "显示前 2 个 / 共 10 个，完整名单请导出。" in targets
    raw = client.get(f"/tallies/export/targets.csv?month={MONTH}").get_data().decode("utf-8-sig")
    assert len([line for line in raw.splitlines() if line.strip()]) == 1 + 10


def _statements(client, url: str) -> int:
    count = [0]

    def _count(*_args, **_kwargs):
        count[0] += 1

    event.listen(db.engine, "before_cursor_execute", _count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", _count)
    return count[0]


def test_sql_statements_do_not_grow_with_the_district(client, login, district, contribute):
    targets_service.save_targets(district.leader, [{"metric": "group_substantive", "period": "month", "threshold": 5},
                                                   {"metric": "teacher_substantive", "period": "month", "threshold": 2}])
    login(district.leader)
    url = f"/tallies/?month={MONTH}"
    client.get(url)
    small = _statements(client, url)
    for s in range(3):
        school = make_school(f"新校{s}", district.c2)
        for g in range(20):
            teacher = make_user(f"n{s}_{g}", school=school)
            group = make_group(f"新组{s}_{g}", school=school, members=[teacher])
            contribute(teacher, group, "reply", when=NOW)
    client.get(url)
    big = _statements(client, url)
    assert big == small, (small, big)
    assert _statements(client, url + "&page_group=2&page_idle=2&sort_group=total") == small
