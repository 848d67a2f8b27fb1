"""Tallies: who may see which table, the tables of a period, ranking and trends.

Every figure comes from the ledger (forum.tallies.reports); every right from forum.policy.can.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from forum.auth.models import User
from forum.extensions import db
from forum.org.models import Group, Membership, School
from forum.policy import can, preload_memberships, signed_in
from forum.tallies import reports
from forum.tallies.periods import Period, add_months
from forum.tallies.reports import TallyRow

SORT_KEYS = ("label", "school", "size", "entries", "threads", "replies", "comments", "preps", "total",
             "substantive", "total_rate", "substantive_rate")
TREND_MONTHS = 12
PAGE_SIZES = {"group": 50, "teacher": 100, "idle": 100}  # rows per page of the dashboard's long tables
TARGET_ROWS_SHOWN = 30  # rows of each target's detail and of the "behind" list shown; the export has all


class TallyForbidden(Exception):
    """The user may not see the table asked for."""


@dataclass
class Scope:
    """What one user may see: ids of schools, groups and teachers (None means all of them)."""

    school_ids: set[int] | None = field(default_factory=set)
    group_ids: set[int] | None = field(default_factory=set)
    teacher_ids: set[int] | None = field(default_factory=set)
    key: str = ""  # "all", "school:<id>", "cluster:<id>" for leaders; "" otherwise
    is_leader: bool = False

    def sees(self, by: str) -> bool:
        """True when the table by teacher, group or school has at least one visible row."""
        ids = {"school": self.school_ids, "group": self.group_ids, "teacher": self.teacher_ids}[by]
        return ids is None or bool(ids)

    def ids(self, by: str) -> set[int] | None:
        return {"school": self.school_ids, "group": self.group_ids, "teacher": self.teacher_ids}[by]


def leader_scope_key(user) -> str:
    """The scope a leader publishes bulletins for."""
    if getattr(user, "scope_school_id", None):
        return f"school:{user.scope_school_id}"
    if getattr(user, "scope_cluster_id", None):
        return f"cluster:{user.scope_cluster_id}"
    return "all"


def scope_for(user) -> Scope:
    """The schools, groups and teachers whose tallies `user` may see (policy: see_tallies)."""
    if not signed_in(user):
        return Scope()
    schools = db.session.scalars(select(School)).all()
    groups = db.session.scalars(select(Group).options(joinedload(Group.school))).all()
    school_ids = {s.id for s in schools if can(user, "see_tallies", s)}
    group_ids = {g.id for g in groups if can(user, "see_tallies", g)}
    scope = Scope(school_ids=school_ids, group_ids=group_ids)
    if can(user, "see_all_tallies"):
        scope.is_leader = True
        scope.key = leader_scope_key(user)
        if len(school_ids) == len(schools) and len(group_ids) == len(groups) and scope.key == "all":
            return Scope(None, None, None, key="all", is_leader=True)
        # A leader sees the teachers of the schools in scope (policy: see_tallies on User).
        scope.teacher_ids = set(db.session.scalars(select(User.id).where(User.school_id.in_(school_ids))))
        return scope
    member_ids = set(db.session.scalars(
        select(Membership.user_id).where(Membership.group_id.in_(group_ids)))) if group_ids else set()
    candidates = db.session.scalars(select(User).where(User.id.in_(member_ids | {user.id}))).all()
    preload_memberships(candidates)
    scope.teacher_ids = {t.id for t in candidates if can(user, "see_tallies", t)}
    return scope


def table(scope: Scope, by: str, period: Period) -> list[TallyRow]:
    """One table (by teacher, group or school) limited to the scope; TallyForbidden if none of it is visible."""
    if by not in reports.BY:
        raise ValueError(by)
    if not scope.sees(by):
        raise TallyForbidden(by)
    return reports.tally(by, (period.first, period.last), scope.ids(by))


def tables(scope: Scope, period: Period) -> dict[str, list[TallyRow]]:
    """Every table the scope may see, keyed by 'school', 'group', 'teacher'."""
    return {by: table(scope, by, period) for by in ("school", "group", "teacher") if scope.sees(by)}


def sort_rows(rows: list[TallyRow], key: str | None, descending: bool = True) -> list[TallyRow]:
    """Rows sorted by one column (unknown keys fall back to the natural order)."""
    if key not in SORT_KEYS:
        return rows
    if key in ("label", "school"):
        return sorted(rows, key=lambda r: (getattr(r, key), r.id), reverse=descending)
    return sorted(rows, key=lambda r: (getattr(r, key), r.label), reverse=descending)


@dataclass
class Page:
    """One page of a sorted table: its rows, position and the size of the whole table."""

    rows: list
    number: int
    pages: int
    total: int
    first: int  # 1-based position of the first row shown (0 when empty)
    last: int


def page_of(rows: list, number: int | None, per_page: int) -> Page:
    """Slice an already sorted table; out-of-range page numbers are clamped."""
    pages = max((len(rows) + per_page - 1) // per_page, 1)
    number = min(max(number or 1, 1), pages)
    start = (number - 1) * per_page
    shown = rows[start:start + per_page]
    return Page(shown, number, pages, len(rows), start + 1 if shown else 0, start + len(shown))


def trends_for(board: "Dashboard", by: str, rows: list[TallyRow]) -> dict[int, dict[int, tuple[int, int]]]:
    """12-month trends of the given (shown) rows only: one query whatever the size of the table."""
    if not rows:
        return {}
    return reports.trend(by, board.period.last, board.trend_months[0], {r.id for r in rows})


def idle_teachers(rows: list[TallyRow]) -> list[TallyRow]:
    """Teachers with zero substantive contributions in the period."""
    return [r for r in rows if r.substantive == 0]


def ranking_method(by: str) -> str:
    """How the ranking is computed, printed under it."""
    if by == "school":
        return _("按教师人均实质性贡献数（实质性贡献 ÷ 本校教师人数）从高到低排名；"
                 "人均相同时按实质性贡献总数，再按名称排序。规模不同的学校因此可以公平比较。")
    return _("按成员人均实质性贡献数（实质性贡献 ÷ 组内成员数）从高到低排名；"
             "人均相同时按实质性贡献总数，再按名称排序；没有成员的组排在最后。")


def rank(rows: list[TallyRow]) -> list[tuple[int, TallyRow]]:
    """Competition ranking (1, 2, 2, 4) by substantive per member, then substantive total."""
    ordered = sorted(rows, key=lambda r: (r.size == 0, -r.substantive_rate, -r.substantive, r.label))
    out: list[tuple[int, TallyRow]] = []
    prev = None
    for i, row in enumerate(ordered, start=1):
        key = (row.size == 0, row.substantive_rate, row.substantive)
        position = out[-1][0] if prev == key else i
        out.append((position, row))
        prev = key
    return out


@dataclass
class Dashboard:
    """Everything the dashboard page shows for one user and one period."""

    period: Period
    scope: Scope
    tables: dict[str, list[TallyRow]]
    idle: list[TallyRow]
    rankings: dict[str, list[tuple[int, TallyRow]]]
    trend_months: list[int]
    trends: dict[str, dict[int, dict[int, tuple[int, int]]]]
    targets: list
    behind: list
    cutoff: datetime


def dashboard(user, period: Period, now: datetime | None = None, school_id: int | None = None) -> Dashboard:
    """Assemble the dashboard of `user` for `period`, optionally narrowed to one visible school.

    TallyForbidden for users who may see nothing (anonymous). The school table and its ranking
    always cover the whole scope; the group and teacher tables, targets and trends follow the
    school filter.
    """
    from forum.tallies import targets as targets_service

    scope = scope_for(user)
    if not scope.sees("teacher") and not scope.sees("group"):
        raise TallyForbidden("dashboard")
    cutoff = now or datetime.now(timezone.utc)
    tabs = tables(scope, period)
    if school_id is not None and "school" in tabs and any(r.id == school_id for r in tabs["school"]):
        for by in ("group", "teacher"):
            if by in tabs:
                tabs[by] = [r for r in tabs[by] if r.school_id == school_id]
    rankings = {by: rank(tabs[by]) for by in ("school", "group") if by in tabs}
    months = [add_months(period.last, i - (TREND_MONTHS - 1)) for i in range(TREND_MONTHS)]
    trend_data: dict[str, dict] = {}
    if "school" in tabs:
        trend_data["school"] = reports.trend("school", period.last, months[0], scope.school_ids)
    summaries = targets_service.evaluate(scope, period, tabs, now=cutoff)
    return Dashboard(
        period=period, scope=scope, tables=tabs,
        idle=idle_teachers(tabs.get("teacher", [])) if scope.teacher_ids is None or len(scope.teacher_ids) > 1 else [],
        rankings=rankings, trend_months=months, trends=trend_data,
        targets=summaries, behind=targets_service.behind(summaries, period, now=cutoff), cutoff=cutoff,
    )
