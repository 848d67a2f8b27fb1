"""Targets (目标) and published monthly bulletins (通报) with their frozen snapshots."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Optional

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.core.db import utcnow
from forum.extensions import db

if TYPE_CHECKING:
    from forum.auth.models import User



def mark(text: str) -> str:
    """Marks a msgid for extraction (imported as `_l`, a keyword of scripts/i18n.py); translated where shown."""
    return text


_l = mark


# What a target measures, for whom, over which period. Labels are msgids (Chinese).
METRICS: dict[str, dict[str, str]] = {
    "concluded_preps": {"subject": "group", "label": _l("完成集体备课（次）")},
    "theme_contributions": {"subject": "group", "label": _l("月度主题下的贡献（条）")},
    "group_substantive": {"subject": "group", "label": _l("实质性贡献（条）")},
    "substantive_entries": {"subject": "teacher", "label": _l("实质性博文（篇）")},
    "teacher_substantive": {"subject": "teacher", "label": _l("实质性贡献（条）")},
}
SUBJECTS = ("group", "teacher")
PERIODS = ("month", "semester")

# The defaults of issue 7, used until a leader saves targets of their own.
DEFAULT_TARGETS = (
    {"subject": "group", "metric": "concluded_preps", "period": "month", "threshold": 2},
    {"subject": "group", "metric": "theme_contributions", "period": "month", "threshold": 1},
    {"subject": "teacher", "metric": "substantive_entries", "period": "semester", "threshold": 3},
)


class Target(db.Model):
    """A target as data: e.g. each group, each month, at least 2 concluded collective preparations."""

    __tablename__ = "tally_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(10))  # group | teacher
    metric: Mapped[str] = mapped_column(String(30))
    period: Mapped[str] = mapped_column(String(10))  # month | semester
    threshold: Mapped[int]
    is_active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    updated_by: Mapped[Optional["User"]] = relationship()

    @property
    def metric_label(self) -> str:
        return METRICS.get(self.metric, {}).get("label", self.metric)

    def as_dict(self) -> dict[str, Any]:
        """Plain data, for snapshots and the API."""
        return {"id": self.id, "subject": self.subject, "metric": self.metric, "period": self.period,
                "threshold": self.threshold}


class Bulletin(db.Model):
    """A published monthly bulletin: the month's tables frozen at publication, plus the leader's text.

    The snapshot never changes; later deletions and restores in the ledger are shown as
    adjustments against it (see services.bulletin_adjustments).
    """

    __tablename__ = "tally_bulletins"
    __table_args__ = (UniqueConstraint("month", "scope_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[int]  # YYYYMM, site time zone
    # "all", "school:<id>" or "cluster:<id>": the publishing leader's scope.
    scope_key: Mapped[str] = mapped_column(String(30), default="all")
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    snapshot: Mapped[dict] = mapped_column(JSON, default=dict)
    cutoff_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    published_by: Mapped[Optional["User"]] = relationship()

    @property
    def scope_school_id(self) -> int | None:
        kind, _, ident = self.scope_key.partition(":")
        return int(ident) if kind == "school" and ident.isdigit() else None

    @property
    def scope_cluster_id(self) -> int | None:
        kind, _, ident = self.scope_key.partition(":")
        return int(ident) if kind == "cluster" and ident.isdigit() else None
