"""Months and semesters are bucketed in the site time zone (Asia/Shanghai), not UTC."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from forum.core.timezones import month_key
from forum.tallies import reports
from forum.tallies.periods import add_months, month_period, parse_period, semester_of, semester_period

UTC = timezone.utc


@pytest.mark.parametrize("utc,expected", [
    (datetime(2026, 10, 31, 16, 30, tzinfo=UTC), 202611),  # 00:30 on 1 Nov in Shanghai
    (datetime(2026, 10, 31, 15, 59, tzinfo=UTC), 202610),  # 23:59 on 31 Oct in Shanghai
    (datetime(2026, 12, 31, 16, 0, tzinfo=UTC), 202701),  # New Year in Shanghai
    (datetime(2026, 8, 31, 16, 30, tzinfo=UTC), 202609),  # first day of the autumn semester
])
def test_month_bucket_is_shanghai(app, utc, expected):
    assert month_key(utc) == expected


def test_reply_at_0030_on_1_november_shanghai_counts_in_november(district, contribute):
    d = district
    contribute(d.t1, d.ga, "reply", when=datetime(2026, 10, 31, 16, 30, tzinfo=UTC))
    nov = {r.id: r for r in reports.tally("teacher", (202611, 202611))}
    octo = {r.id: r for r in reports.tally("teacher", (202610, 202610))}
    assert nov[d.t1.id].replies == 1
    assert octo[d.t1.id].replies == 0


def test_month_follows_configured_time_zone(app):
    app.config["SITE_TIMEZONE"] = "UTC"
    assert month_key(datetime(2026, 10, 31, 16, 30, tzinfo=UTC)) == 202610


@pytest.mark.parametrize("month,semester", [
    (202609, "2026-1"), (202612, "2026-1"), (202701, "2026-1"),
    (202702, "2026-2"), (202707, "2026-2"),
    (202608, "2025-2"),  # August is between semesters: the one just ended
])
def test_semester_of_month(app, month, semester):
    assert semester_of(month).key == semester


def test_semester_boundary_in_shanghai(district, contribute):
    """00:30 on 1 Sep in Shanghai (still 31 Aug in UTC) falls in the new autumn semester."""
    d = district
    contribute(d.t1, d.ga, "entry", when=datetime(2026, 8, 31, 16, 30, tzinfo=UTC))
    autumn = semester_period(2026, 1)
    spring = semester_period(2025, 2)
    assert (autumn.first, autumn.last) == (202609, 202701)
    assert {r.id: r.entries for r in reports.tally("teacher", (autumn.first, autumn.last))}[d.t1.id] == 1
    assert {r.id: r.entries for r in reports.tally("teacher", (spring.first, spring.last))}[d.t1.id] == 0


def test_semesters_are_configurable(app):
    app.config["SEMESTERS"] = [((8, 20), (1, 15)), ((2, 20), (7, 10))]
    assert (semester_period(2026, 1).first, semester_period(2026, 1).last) == (202608, 202701)
    assert semester_of(202608).key == "2026-1"


@pytest.mark.parametrize("month,semester", [("2026-13", None), ("2026-1", None), ("abcd-ef", None),
                                            ("２０２６-１１", None), (None, "2026-3"), (None, "26-1")])
def test_bad_periods_raise_value_error(app, month, semester):
    with pytest.raises(ValueError):
        parse_period(month, semester)


def test_month_arithmetic():
    assert add_months(202601, -1) == 202512
    assert add_months(202612, 1) == 202701
    assert add_months(202611, -11) == 202512
    assert month_period(202611).months == [202611]


def test_progress_in_shanghai(app):
    period = month_period(202611)
    fraction, days_left = period.progress(datetime(2026, 11, 15, 16, 30, tzinfo=UTC))  # 16 Nov, 00:30 Shanghai
    assert days_left == 14
    assert 0.5 < fraction < 0.6
    assert period.is_current(datetime(2026, 10, 31, 16, 30, tzinfo=UTC))
    assert not period.is_current(datetime(2026, 10, 31, 15, 30, tzinfo=UTC))
