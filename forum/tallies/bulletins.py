"""Monthly bulletins (通报): publish a frozen snapshot, then show later changes as adjustments."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from forum.core import markup
from forum.core.timezones import current_month, format_month
from forum.extensions import db
from forum.policy import can
from forum.tallies import reports, services
from forum.tallies import targets as targets_service
from forum.tallies.models import Bulletin
from forum.tallies.periods import month_period

ADJUSTABLE = ("entries", "threads", "replies", "comments", "preps", "total", "substantive")


class BulletinConflict(Exception):
    """A bulletin for this month and scope is already published."""


def snapshot(user, month: int, now: datetime | None = None) -> dict:
    """The month's tables, targets and ranking as the publishing leader sees them now."""
    period = month_period(month)
    board = services.dashboard(user, period, now=now)
    tables = {by: [r.as_dict() for r in rows] for by, rows in board.tables.items()}
    ranking = {by: [{"rank": pos, "id": r.id, "label": r.label, "size": r.size, "substantive": r.substantive,
                     "substantive_rate": r.substantive_rate} for pos, r in ranked]
               for by, ranked in board.rankings.items()}
    return {
        "version": 1,
        "month": format_month(month),
        "cutoff": board.cutoff.isoformat(),
        "scope": board.scope.key,
        "tables": tables,
        "targets": [s.as_dict() for s in board.targets],
        "ranking": ranking,
        "ranking_method": {by: services.ranking_method(by) for by in ranking},
        "idle": [r.as_dict() for r in board.idle],
    }


def publish(user, month: int, title: str, body: str, now: datetime | None = None) -> Bulletin:
    """Freeze the month's figures with the leader's text; BulletinConflict if already published."""
    if not can(user, "publish_bulletin"):
        raise PermissionError("publish_bulletin")
    if month > current_month():
        raise ValueError(_("不能发布尚未开始的月份的通报。"))
    now = now or datetime.now(timezone.utc)
    key = services.leader_scope_key(user)
    if db.session.scalar(select(Bulletin.id).where(Bulletin.month == month, Bulletin.scope_key == key)):
        raise BulletinConflict(month)
    bulletin = Bulletin(
        month=month, scope_key=key, title=(title or "").strip()[:200] or default_title(month),
        body=body or "", body_html=markup.render(body or ""), snapshot=snapshot(user, month, now),
        cutoff_at=now, published_at=now, published_by_id=user.id,
    )
    db.session.add(bulletin)
    try:
        db.session.commit()
    except IntegrityError as exc:  # a concurrent publication of the same month
        db.session.rollback()
        raise BulletinConflict(month) from exc
    return bulletin


def default_title(month: int) -> str:
    """2026年10月教研工作月度通报."""
    return _("%(y)s年%(m)s月教研工作月度通报", y=month // 100, m=month % 100)


def visible_bulletins(user, limit: int = 50) -> list[Bulletin]:
    """Published bulletins `user` may read, newest month first."""
    rows = db.session.scalars(select(Bulletin).order_by(Bulletin.month.desc(), Bulletin.id.desc()).limit(500))
    return [b for b in rows if can(user, "read", b)][:limit]


@dataclass
class Adjustment:
    """A figure that changed in the ledger after publication (a deletion or a restore)."""

    table: str
    id: int
    label: str
    field: str
    before: int
    after: int

    @property
    def delta(self) -> int:
        return self.after - self.before


def adjustments(bulletin: Bulletin) -> list[Adjustment]:
    """Differences between the frozen snapshot and the live ledger for the same rows and month."""
    out: list[Adjustment] = []
    months = (bulletin.month, bulletin.month)
    for by, rows in (bulletin.snapshot or {}).get("tables", {}).items():
        if by not in reports.BY:
            continue
        frozen = {r["id"]: r for r in rows}
        live = reports.ledger_counts(by, months, set(frozen))
        for ident, row in frozen.items():
            now = live.get(ident, {})
            for name in ADJUSTABLE:
                before, after = int(row.get(name, 0)), int(now.get(name, 0))
                if before != after:
                    out.append(Adjustment(by, ident, row.get("label") or row.get("name", ""), name, before, after))
    return out


def adjustment_status(bulletin: Bulletin) -> list[dict]:
    """Adjustments as plain data (for the API and the printable page)."""
    return [{"table": a.table, "id": a.id, "label": a.label, "field": a.field, "before": a.before,
             "after": a.after, "delta": a.delta} for a in adjustments(bulletin)]


def snapshot_targets(bulletin: Bulletin) -> list[dict]:
    """The frozen targets with their labels."""
    from forum.tallies.models import METRICS

    out = []
    for t in (bulletin.snapshot or {}).get("targets", []):
        item = dict(t)
        item["metric_label"] = METRICS.get(t.get("metric"), {}).get("label", t.get("metric"))
        item["status_labels"] = targets_service.STATUS_LABELS
        out.append(item)
    return out
