"""Times on pages: the site time zone, and the row formats written without strftime."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from flask import render_template_string

from forum.core.templating import format_local


def test_format_local_writes_what_strftime_writes():
    rnd = random.Random(5)
    start = datetime(1, 1, 1, tzinfo=timezone.utc)
    days = (datetime(9999, 12, 31, tzinfo=timezone.utc) - start).days
    samples = [start + timedelta(days=rnd.randrange(days), seconds=rnd.randrange(86400),
                                 microseconds=rnd.randrange(10 ** 6)) for _ in range(3000)]
    samples += [datetime(999, 12, 31, 23, 59, tzinfo=timezone.utc), datetime(1000, 1, 1, tzinfo=timezone.utc),
                datetime(2026, 12, 8, 0, 0, 0, 1, tzinfo=timezone(timedelta(hours=8)))]
    for d in samples:
        for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d", "%H:%M:%S", "%m/%d"):
            assert format_local(d, fmt) == d.strftime(fmt), (d, fmt)


def test_date_filters_follow_the_site_time_zone(app):
    d = datetime(2026, 12, 7, 17, 30, tzinfo=timezone.utc)
    with app.test_request_context("/"):
        app.config["SITE_TIMEZONE"] = "Asia/Shanghai"
        assert render_template_string("{{ d|dt }} {{ d|date }}", d=d) == "2026-12-08 01:30 2026-12-08"
        app.config["SITE_TIMEZONE"] = "UTC"
        assert render_template_string("{{ d|dt }} {{ d|date }} {{ d|dt('%H时') }}", d=d) == \
            "2026-12-07 17:30 2026-12-07 17时"
