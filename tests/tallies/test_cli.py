"""`flask tally show --month YYYY-MM --by teacher|group|school [--json]`."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

WHEN = datetime(2026, 11, 10, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def data(district, contribute):
    contribute(district.t1, district.ga, "entry", when=WHEN)
    contribute(district.t3, district.gb, "reply", when=WHEN, text="顶")
    return district


@pytest.mark.parametrize("by,name", [("teacher", "t1"), ("group", "语文组"), ("school", "东城小学")])
def test_json_output_matches_the_api_shape(runner, data, by, name):
    result = runner.invoke(args=["tally", "show", "--month", "2026-11", "--by", by, "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["month"] == "2026-11" and body["by"] == by
    row = next(r for r in body["rows"] if r["name"] == name)
    assert row["total"] == 1 and row["substantive"] == 1


def test_table_output(runner, data):
    result = runner.invoke(args=["tally", "show", "--month", "2026-11", "--by", "teacher"])
    assert result.exit_code == 0
    assert "t1" in result.output and "substantive" in result.output


def test_bad_month_is_a_usage_error(runner, data):
    result = runner.invoke(args=["tally", "show", "--month", "2026/11"])
    assert result.exit_code == 2 and "YYYY-MM" in result.output
