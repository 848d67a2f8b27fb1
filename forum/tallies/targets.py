"""Targets as data: reading, editing and evaluating them (met / on track / behind)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from forum.extensions import db
from forum.policy import can
from forum.tallies import reports
from forum.tallies.models import DEFAULT_TARGETS, METRICS, PERIODS, Target
from forum.tallies.models import mark as _l
from forum.tallies.periods import Period, semester_of

STATUS_LABELS = {"met": _l("已达标"), "on_track": _l("进度正常"), "behind": _l("落后")}


def current_targets(active_only: bool = True) -> list[Target]:
    """The saved targets, or the defaults (unsaved) until a leader saves some."""
    q = select(Target).order_by(Target.position, Target.id)
    if active_only:
        q = q.where(Target.is_active.is_(True))
    saved = db.session.scalars(q).all()
    if saved or db.session.scalar(select(Target.id).limit(1)) is not None:
        return list(saved)
    return [Target(position=i, is_active=True, **spec) for i, spec in enumerate(DEFAULT_TARGETS)]


def save_targets(user, specs: list[dict]) -> list[Target]:
    """Replace the targets with `specs` ({metric, period, threshold, is_active}); leaders and admins only."""
    if not can(user, "set_targets"):
        raise PermissionError("set_targets")
    cleaned = []
    for spec in specs:
        metric, period = spec.get("metric"), spec.get("period")
        try:
            threshold = int(spec.get("threshold"))
        except (TypeError, ValueError) as exc:
            raise ValueError(_("目标值必须是整数。")) from exc
        if metric not in METRICS or period not in PERIODS:
            raise ValueError(_("未知的目标类型。"))
        if not 0 <= threshold <= 10000:
            raise ValueError(_("目标值必须在 0 到 10000 之间。"))
        cleaned.append({"metric": metric, "period": period, "threshold": threshold,
                        "subject": METRICS[metric]["subject"], "is_active": bool(spec.get("is_active", True))})
    db.session.execute(Target.__table__.delete())
    rows = [Target(position=i, updated_by_id=user.id, **spec) for i, spec in enumerate(cleaned)]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def status_of(value: int, threshold: int, fraction: float) -> str:
    """met when reached; on track when at least the pro-rata share (rounded down) is reached; else behind."""
    if value >= threshold:
        return "met"
    if fraction >= 1.0:
        return "behind"
    return "on_track" if value >= math.floor(threshold * fraction) else "behind"


@dataclass
class TargetRow:
    """One group's or teacher's standing against one target."""

    id: int
    label: str
    school: str
    value: int
    threshold: int
    status: str

    @property
    def need(self) -> int:
        return max(self.threshold - self.value, 0)


@dataclass
class TargetSummary:
    """A target evaluated over one period for every group or teacher in scope."""

    target: Target
    period: Period
    fraction: float
    days_left: int
    rows: list[TargetRow] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        out = {"met": 0, "on_track": 0, "behind": 0}
        for row in self.rows:
            out[row.status] += 1
        return out

    def lowest(self, n: int) -> list[TargetRow]:
        """The n rows furthest from the target (lowest value first; ties keep the table order)."""
        return sorted(self.rows, key=lambda r: r.value)[:n]

    def as_dict(self) -> dict:
        """Plain data for the bulletin snapshot and exports."""
        return {
            "metric": self.target.metric, "subject": self.target.subject, "period": self.period.key,
            "period_kind": self.target.period, "threshold": self.target.threshold, "counts": self.counts,
            "rows": [{"id": r.id, "label": r.label, "school": r.school, "value": r.value,
                      "threshold": r.threshold, "status": r.status} for r in self.rows],
        }


def _period_for(target: Target, period: Period) -> Period | None:
    """The period a target is judged over when the dashboard shows `period`."""
    if target.period == "month":
        return period if period.is_month else None
    return semester_of(period.first) if period.is_month else period


def evaluate(scope, period: Period, tables: dict, now: datetime | None = None,
             targets: list[Target] | None = None) -> list[TargetSummary]:
    """Every active target against the groups and teachers of the tables shown."""
    out = []
    for target in targets if targets is not None else current_targets():
        judged = _period_for(target, period)
        subject_rows = tables.get(target.subject)
        if judged is None or subject_rows is None:
            continue
        fraction, days_left = judged.progress(now)
        ids = [r.id for r in subject_rows]
        values = reports.metric_counts(target.metric, (judged.first, judged.last), ids)
        summary = TargetSummary(target=target, period=judged, fraction=fraction, days_left=days_left)
        threshold = target.threshold
        summary.rows = [TargetRow(r.id, r.label, r.school, value, threshold, status_of(value, threshold, fraction))
                        for r in subject_rows for value in (values.get(r.id, 0),)]
        out.append(summary)
    return out


def behind(summaries: list[TargetSummary], period: Period, now: datetime | None = None) -> list[tuple[TargetSummary, TargetRow]]:
    """In the current month: who is behind on which target (with days left on the summary)."""
    if not (period.is_month and period.is_current(now)):
        return []
    return [(s, r) for s in summaries for r in s.rows if r.status == "behind"]
