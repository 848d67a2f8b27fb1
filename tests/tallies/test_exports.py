"""Exports of every table read back: CSV (UTF-8 with BOM) and XLSX with Chinese headers."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import pytest
from openpyxl import load_workbook

from forum.tallies import exports

NOV = "2026-11"
WHEN = datetime(2026, 11, 10, 2, 0, tzinfo=timezone.utc)
TABLES = ["school", "group", "teacher", "idle", "ranking-school", "ranking-group", "targets"]
FIRST_HEADER = {"school": "学校", "group": "教研组", "teacher": "用户名", "idle": "用户名",
                "ranking-school": "名次", "ranking-group": "名次", "targets": "目标"}


@pytest.fixture
def signed_in_leader(client, login, district, contribute):
    contribute(district.t1, district.ga, "entry", when=WHEN)
    contribute(district.t2, district.ga, "reply", when=WHEN, text="=HYPERLINK(\"http://evil\") 学习了")
    login(district.leader)
    return district


@pytest.mark.parametrize("table", TABLES)
def test_csv_has_bom_and_chinese_headers(client, signed_in_leader, table):
    resp = client.get(f"/tallies/export/{table}.csv?month={NOV}")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    raw = resp.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == FIRST_HEADER[table]
    assert len(rows) > 1


@pytest.mark.parametrize("table", TABLES)
def test_xlsx_reads_back_with_openpyxl(client, signed_in_leader, table):
    resp = client.get(f"/tallies/export/{table}.xlsx?month={NOV}")
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.get_data())).active
    header = [c.value for c in ws[1]]
    assert header[0] == FIRST_HEADER[table]
    assert ws.max_row > 1


def test_teacher_export_values(client, signed_in_leader):
    d = signed_in_leader
    ws = load_workbook(io.BytesIO(client.get(f"/tallies/export/teacher.xlsx?month={NOV}").get_data())).active
    header = [c.value for c in ws[1]]
    assert header == ["用户名", "姓名", "学校", "博文", "主题帖", "回帖", "评论", "集体备课", "合计", "实质性贡献"]
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["t1"][1:4] == ("王老师", "东城小学", 1) and rows["t1"][8:10] == (1, 1)
    assert rows["t2"][5] == 1 and rows["t2"][9] == 0


def test_group_export_has_size_and_rates(client, signed_in_leader):
    raw = client.get(f"/tallies/export/group.csv?month={NOV}").get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(raw)))
    ga = next(r for r in rows if r["教研组"] == "东城小学 · 语文组")
    assert ga["成员数"] == "3" and ga["合计"] == "2" and ga["人均贡献"] == "0.67"


def test_formula_cells_are_neutralised():
    sheet = exports.Sheet("t", [("a", "甲")], [{"a": "=1+1"}, {"a": "-2"}, {"a": 3}])
    text = exports.to_csv(sheet).decode("utf-8-sig")
    assert "'=1+1" in text and "'-2" in text
    ws = load_workbook(io.BytesIO(exports.to_xlsx(sheet))).active
    assert ws["A2"].value == "'=1+1" and ws["A4"].value == 3


def test_semester_export(client, signed_in_leader):
    resp = client.get("/tallies/export/teacher.csv?semester=2026-1")
    assert resp.status_code == 200 and b"2026-1" in resp.headers["Content-Disposition"].encode()
