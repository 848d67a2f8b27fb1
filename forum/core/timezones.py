"""Site time zone: months and semesters are bucketed here, not in UTC."""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def site_zone() -> ZoneInfo:
    """The configured SITE_TIMEZONE (Asia/Shanghai by default)."""
    name = current_app.config.get("SITE_TIMEZONE", "Asia/Shanghai") if has_app_context() else "Asia/Shanghai"
    return zone_named(name)


def zone_named(name: str) -> ZoneInfo:
    """ZoneInfo(name), kept (ZoneInfo's own cache keeps it too, behind a weak reference)."""
    zone = _ZONES.get(name)
    if zone is None:
        zone = _ZONES[name] = ZoneInfo(name)
    return zone


_ZONES: dict[str, ZoneInfo] = {}


def local(dt: datetime, zone: ZoneInfo | None = None) -> datetime:
    """A UTC datetime in the site time zone (or in `zone`)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(zone or site_zone())


def month_key(dt: datetime) -> int:
    """YYYYMM of `dt` in the site time zone."""
    d = local(dt)
    return d.year * 100 + d.month


def month_bounds(key: int) -> tuple[datetime, datetime]:
    """UTC start (inclusive) and end (exclusive) of month YYYYMM in the site time zone."""
    year, month = divmod(key, 100)
    zone = site_zone()
    start = datetime.combine(date(year, month, 1), time(), zone)
    ny, nm = (year + 1, 1) if month == 12 else (year, month + 1)
    end = datetime.combine(date(ny, nm, 1), time(), zone)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def parse_month(text: str) -> int:
    """'2026-11' → 202611; ValueError for anything else."""
    if not isinstance(text, str) or len(text) != 7 or text[4] != "-":
        raise ValueError("month must be YYYY-MM")
    year, month = text[:4], text[5:]
    if not (year.isdigit() and month.isdigit() and year.isascii() and month.isascii()):
        raise ValueError("month must be YYYY-MM")
    y, m = int(year), int(month)
    if not (1 <= m <= 12 and 1970 <= y <= 9999):
        raise ValueError("month must be YYYY-MM")
    return y * 100 + m


def format_month(key: int) -> str:
    """202611 → '2026-11'."""
    return f"{key // 100:04d}-{key % 100:02d}"


def current_month() -> int:
    """This month (YYYYMM) in the site time zone."""
    return month_key(datetime.now(timezone.utc))
