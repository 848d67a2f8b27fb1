"""Ledger queries: every figure is counted from `contributions` rows, through the month indexes.

Each query is a range on the leading `month` column of a covering index
((month, user_id|group_id|school_id, kind, is_deleted, is_substantive)), so its cost follows
the activity of the months asked for, not the size of history. The tables by group and by
school and the trends read the monthly rollup instead (`contribution_months`, kept by triggers,
forum/ledger/rollup.py): the same counts from about a twentieth of the rows.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Iterable

from sqlalchemy import and_, false, func, select

from forum.auth.models import User
from forum.extensions import db
from forum.ledger.models import Contribution, ContributionMonth
from forum.org.models import Group, Membership, School

BY = ("teacher", "group", "school")
COUNT_FIELDS = ("entries", "threads", "replies", "comments", "preps", "total", "substantive")
# Ledger kind → column of the tables. Adoptions (采纳) and featured (精华) count in the total only.
KIND_COLUMN = {
    "entry": "entries", "thread": "threads", "reply": "replies", "comment": "comments",
    "guestbook": "comments", "prep_lead": "preps", "prep_conclusion": "preps",
}
_KEY = {"teacher": Contribution.user_id, "group": Contribution.group_id, "school": Contribution.school_id}
_ROLLUP_KEY = {"group": ContributionMonth.group_id, "school": ContributionMonth.school_id}
# Past this many ids an IN list costs more than filtering the month's aggregate in Python.
_IN_LIMIT = 400


@dataclass(slots=True)
class TallyRow:
    """One row of a table: counts for a teacher, a group or a school over a period."""

    id: int
    name: str
    label: str = ""
    school: str = ""
    school_id: int | None = None
    size: int = 0
    entries: int = 0
    threads: int = 0
    replies: int = 0
    comments: int = 0
    preps: int = 0
    total: int = 0
    substantive: int = 0

    @property
    def total_rate(self) -> float:
        """Contributions per member (groups) or per teacher (schools)."""
        return round(self.total / self.size, 2) if self.size else 0.0

    @property
    def substantive_rate(self) -> float:
        """Substantive contributions per member (groups) or per teacher (schools)."""
        return round(self.substantive / self.size, 2) if self.size else 0.0

    def api_dict(self) -> dict:
        """The row fields of DESIGN.md §5."""
        return {"id": self.id, "name": self.name, **{k: getattr(self, k) for k in COUNT_FIELDS}}

    def as_dict(self) -> dict:
        """Every field and both rates, for exports and bulletin snapshots."""
        data = asdict(self)
        data["total_rate"] = self.total_rate
        data["substantive_rate"] = self.substantive_rate
        return data


def _rows(query):
    """Execute on the session's connection as Core: plain tuples, none of the ORM's per-row work."""
    return db.session.connection().execute(query).all()


def month_filter(months: tuple[int, int], column=Contribution.month):
    """The leading-column range of the month indexes (or of the rollup's primary key)."""
    first, last = months
    if first == last:
        return column == first
    return and_(column >= first, column <= last)


def _kind_filter(kind_column, column: str):
    kinds = [k for k, c in KIND_COLUMN.items() if c == column]
    return kind_column == kinds[0] if len(kinds) == 1 else kind_column.in_(kinds)


def _column_sums():
    """One COUNT(*) FILTER (…) per column: the rows are pivoted in SQL, one result row per id.

    FILTER is standard SQL (PostgreSQL, SQLite ≥ 3.30) and cheaper per row than SUM(CASE …).
    """
    sums = [func.count().filter(_kind_filter(Contribution.kind, column)) for column in COUNT_FIELDS[:5]]
    sums.append(func.count())
    sums.append(func.count().filter(Contribution.is_substantive.is_(True)))
    return sums


def _rollup_sums():
    """_column_sums() over the rollup: its rows already count live ledger rows per kind."""
    m = ContributionMonth
    sums = [func.coalesce(func.sum(m.total).filter(_kind_filter(m.kind, column)), 0) for column in COUNT_FIELDS[:5]]
    return [*sums, func.sum(m.total), func.sum(m.substantive)]


def pivot_counts(by: str, months: tuple[int, int], ids: Iterable[int] | None = None) -> dict[int, tuple]:
    """{id: (entries, threads, replies, comments, preps, total, substantive)} for live ledger rows."""
    wanted = None if ids is None else set(ids)
    if by in _ROLLUP_KEY:
        key = _ROLLUP_KEY[by]
        q = (select(key, *_rollup_sums())
             .where(month_filter(months, ContributionMonth.month), key != 0)
             .group_by(key).having(func.sum(ContributionMonth.total) > 0))
    else:
        key = _KEY[by]
        q = (select(key, *_column_sums())
             .where(month_filter(months), Contribution.is_deleted == false(), key.is_not(None))
             .group_by(key))
    if wanted is not None and len(wanted) <= _IN_LIMIT:
        if not wanted:
            return {}
        q = q.where(key.in_(sorted(wanted)))
    if wanted is None:
        return {row[0]: tuple(row[1:]) for row in _rows(q)}
    return {row[0]: tuple(row[1:]) for row in _rows(q) if row[0] in wanted}


def ledger_counts(by: str, months: tuple[int, int], ids: Iterable[int] | None = None) -> dict[int, dict]:
    """{id: {entries, threads, replies, comments, preps, total, substantive}} for live ledger rows."""
    return {ident: dict(zip(COUNT_FIELDS, counts)) for ident, counts in pivot_counts(by, months, ids).items()}


def _teacher_rows(ids: set[int] | None, counts: dict[int, tuple], every_teacher: bool) -> list[TallyRow]:
    """Rows for users in `ids` (None: every teacher plus anyone who contributed)."""
    schools = dict(_rows(select(School.id, School.name)))
    q = select(User.id, User.username, User.display_name, User.school_id, User.role)
    if ids is not None:
        q = q.where(User.id.in_(sorted(ids)))
    zero = (0,) * len(COUNT_FIELDS)
    out = []
    for uid, username, display, sid, role in _rows(q):
        if every_teacher and role != "teacher" and uid not in counts:
            continue
        out.append(TallyRow(uid, username, display or username, schools.get(sid, ""), sid, 1,
                            *counts.get(uid, zero)))
    return out


def _group_rows(ids: set[int] | None, counts: dict[int, tuple]) -> list[TallyRow]:
    """Rows for groups in `ids` (None: all), sized by current membership."""
    sizes = dict(_rows(select(Membership.group_id, func.count()).group_by(Membership.group_id)))
    q = select(Group.id, Group.name, School.name, Group.school_id).outerjoin(School, School.id == Group.school_id)
    if ids is not None:
        q = q.where(Group.id.in_(sorted(ids)))
    zero = (0,) * len(COUNT_FIELDS)
    return [TallyRow(gid, name, f"{school} · {name}" if school else name, school or "", sid, sizes.get(gid, 0),
                     *counts.get(gid, zero))
            for gid, name, school, sid in _rows(q)]


def _school_rows(ids: set[int] | None, counts: dict[int, tuple]) -> list[TallyRow]:
    """Rows for schools in `ids` (None: all), sized by their current teachers."""
    sizes = dict(_rows(select(User.school_id, func.count())
                       .where(User.role == "teacher", User.school_id.is_not(None)).group_by(User.school_id)))
    q = select(School.id, School.name)
    if ids is not None:
        q = q.where(School.id.in_(sorted(ids)))
    zero = (0,) * len(COUNT_FIELDS)
    return [TallyRow(sid, name, name, name, sid, sizes.get(sid, 0), *counts.get(sid, zero))
            for sid, name in _rows(q)]


def tally(by: str, months: tuple[int, int], ids: Iterable[int] | None = None,
          *, include_idle: bool = True) -> list[TallyRow]:
    """The table by teacher, group or school, sorted by school and name; idle rows (all zero) included.

    For teachers, `ids=None` and `include_idle` means every teacher plus anyone (a leader, an
    admin) with a contribution in the period.
    """
    if by not in BY:
        raise ValueError(f"by must be one of {BY}")
    wanted = None if ids is None else set(ids)
    counts = pivot_counts(by, months, wanted)
    keys = set(counts) if not include_idle else wanted
    if by == "teacher":
        rows = _teacher_rows(keys, counts, every_teacher=include_idle and wanted is None)
    elif by == "group":
        rows = _group_rows(keys, counts)
    else:
        rows = _school_rows(keys, counts)
    rows.sort(key=lambda r: (r.school, r.label, r.id))
    return rows


def trend(by: str, last_month: int, first_month: int, ids: Iterable[int] | None = None) -> dict[int, dict[int, tuple[int, int]]]:
    """{id: {month: (total, substantive)}} for teachers, groups or schools over a range of months.

    Groups and schools from the rollup; a teacher's months from the ledger's (month, user) index.
    """
    wanted = None if ids is None else set(ids)
    if by in _ROLLUP_KEY:
        key, m = _ROLLUP_KEY[by], ContributionMonth
        q = (select(key, m.month, func.sum(m.total), func.sum(m.substantive))
             .where(month_filter((first_month, last_month), m.month), key != 0)
             .group_by(key, m.month).having(func.sum(m.total) > 0))
    else:
        key = _KEY[by]
        q = (select(key, Contribution.month, func.count(), func.count().filter(Contribution.is_substantive.is_(True)))
             .where(month_filter((first_month, last_month)), Contribution.is_deleted == false(), key.is_not(None))
             .group_by(key, Contribution.month))
    if wanted is not None and len(wanted) <= _IN_LIMIT:
        if not wanted:
            return {}
        q = q.where(key.in_(sorted(wanted)))
    out: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)
    for ident, month, total, subst in _rows(q):
        if wanted is None or ident in wanted:
            out[ident][month] = (total, int(subst or 0))
    return dict(out)


def metric_counts(metric: str, months: tuple[int, int], ids: Iterable[int] | None = None) -> dict[int, int]:
    """{group or teacher id: value} of a target metric over months, from live ledger rows."""
    live = [month_filter(months), Contribution.is_deleted == false()]
    if metric == "concluded_preps":
        key, cond = Contribution.group_id, [Contribution.kind == "prep_conclusion"]
    elif metric == "theme_contributions":
        key, cond = Contribution.group_id, [Contribution.theme_id.is_not(None)]
    elif metric == "group_substantive":
        key, cond = Contribution.group_id, [Contribution.is_substantive.is_(True)]
    elif metric == "substantive_entries":
        key, cond = Contribution.user_id, [Contribution.kind == "entry", Contribution.is_substantive.is_(True)]
    elif metric == "teacher_substantive":
        key, cond = Contribution.user_id, [Contribution.is_substantive.is_(True)]
    else:
        raise ValueError(f"unknown metric {metric!r}")
    wanted = None if ids is None else set(ids)
    q = select(key, func.count()).where(*live, *cond, key.is_not(None)).group_by(key)
    if wanted is not None and len(wanted) <= _IN_LIMIT:
        if not wanted:
            return {}
        q = q.where(key.in_(sorted(wanted)))
    return {k: n for k, n in _rows(q) if wanted is None or k in wanted}
