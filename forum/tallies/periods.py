"""Report periods: a month or a semester, as ranges of ledger month keys (YYYYMM, site time zone).

Semesters come from the SEMESTERS setting, a list of ((start month, day), (end month, day)); the
default is 1 Sep–31 Jan (first semester of a school year) and 1 Feb–31 Jul (second). The ledger
buckets by month, so a semester covers every month from its start month to its end month. A
semester is named by the calendar year its school year starts in and its number: "2026-1" is
1 Sep 2026–31 Jan 2027, "2026-2" is 1 Feb–31 Jul 2027.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone

from flask import current_app, has_app_context

from forum.core.timezones import current_month, format_month, local, parse_month, site_zone

DEFAULT_SEMESTERS = [((9, 1), (1, 31)), ((2, 1), (7, 31))]
_SEMESTER_RE = re.compile(r"^(\d{4})-([12])$")


def add_months(key: int, n: int) -> int:
    """Month key `n` months after (or before, if negative) `key`."""
    index = (key // 100) * 12 + (key % 100 - 1) + n
    return (index // 12) * 100 + index % 12 + 1


def month_range(first: int, last: int) -> list[int]:
    """Every month key from `first` to `last` inclusive."""
    out, key = [], first
    while key <= last:
        out.append(key)
        key = add_months(key, 1)
    return out


def _semesters() -> list:
    if has_app_context():
        return current_app.config.get("SEMESTERS") or DEFAULT_SEMESTERS
    return DEFAULT_SEMESTERS


@dataclass(frozen=True)
class Period:
    """A month or a semester: the ledger months [first, last] and how to name it."""

    kind: str  # "month" | "semester"
    first: int
    last: int
    key: str  # "2026-11" or "2026-1"

    @property
    def months(self) -> list[int]:
        return month_range(self.first, self.last)

    @property
    def is_month(self) -> bool:
        return self.kind == "month"

    def label(self) -> str:
        """Chinese label: 2026年11月 / 2026—2027学年第一学期."""
        from flask_babel import gettext as _

        if self.is_month:
            return _("%(y)s年%(m)s月", y=self.first // 100, m=self.first % 100)
        year, number = self.key.split("-")
        if number == "1":
            return _("%(a)s—%(b)s学年第一学期", a=year, b=int(year) + 1)
        return _("%(a)s—%(b)s学年第二学期", a=year, b=int(year) + 1)

    def days(self) -> tuple[date, date]:
        """First and last calendar day (site time zone)."""
        last_day = calendar.monthrange(self.last // 100, self.last % 100)[1]
        return date(self.first // 100, self.first % 100, 1), date(self.last // 100, self.last % 100, last_day)

    def progress(self, now: datetime | None = None) -> tuple[float, int]:
        """Fraction of the period elapsed (0..1) and whole days left, in the site time zone."""
        today = local(now or datetime.now(timezone.utc)).date()
        start, end = self.days()
        if today < start:
            return 0.0, (end - start).days + 1
        if today > end:
            return 1.0, 0
        total = (end - start).days + 1
        done = (today - start).days + 1
        return done / total, total - done

    def is_current(self, now: datetime | None = None) -> bool:
        key = _key_of(now)
        return self.first <= key <= self.last

    def is_past(self, now: datetime | None = None) -> bool:
        return self.last < _key_of(now)


def _key_of(now: datetime | None) -> int:
    if now is None:
        return current_month()
    d = now.astimezone(site_zone()) if now.tzinfo else now
    return d.year * 100 + d.month


def month_period(key: int) -> Period:
    """The period of one month."""
    return Period("month", key, key, format_month(key))


def semester_period(year: int, number: int) -> Period:
    """Semester `number` (1 or 2) of the school year starting in `year`."""
    (sm, _sd), (em, _ed) = _semesters()[number - 1]
    # The school year starts in autumn: a semester starting Aug–Dec lies in `year`, else in `year + 1`.
    first_year = year if sm >= 8 else year + 1
    first = first_year * 100 + sm
    last_year = first_year if em >= sm else first_year + 1
    return Period("semester", first, last_year * 100 + em, f"{year}-{number}")


def semester_of(key: int) -> Period:
    """The semester containing month `key`; a month between semesters (August) maps to the one just ended."""
    year, month = divmod(key, 100)
    for school_year in (year - 1, year):
        for number in (1, 2):
            p = semester_period(school_year, number)
            if p.first <= key <= p.last:
                return p
    # Between semesters: the latest semester that ended before this month.
    best = None
    for school_year in (year - 1, year):
        for number in (1, 2):
            p = semester_period(school_year, number)
            if p.last < key and (best is None or p.last > best.last):
                best = p
    return best or month_period(key)


def parse_period(month: str | None = None, semester: str | None = None) -> Period:
    """Period from request parameters; raises ValueError with a message for bad input."""
    if semester:
        m = _SEMESTER_RE.match(semester.strip())
        if not m or not 1970 <= int(m.group(1)) <= 9998:
            raise ValueError("semester must be YYYY-1 or YYYY-2")
        return semester_period(int(m.group(1)), int(m.group(2)))
    if month:
        return month_period(parse_month(month.strip()))
    return month_period(current_month())


def recent_semesters(count: int = 4, now: datetime | None = None) -> list[Period]:
    """The current (or last) semester and the ones before it, newest first."""
    current = semester_of(_key_of(now))
    out = [current]
    year, number = (int(x) for x in current.key.split("-"))
    while len(out) < count:
        year, number = (year, 1) if number == 2 else (year - 1, 2)
        out.append(semester_period(year, number))
    return out


def recent_months(count: int = 24, now: datetime | None = None) -> list[int]:
    """This month and the ones before it, newest first."""
    key = _key_of(now)
    return [add_months(key, -i) for i in range(count)]
