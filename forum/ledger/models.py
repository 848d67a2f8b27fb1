"""Contribution ledger rows."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from forum.core.db import utcnow
from forum.extensions import db

# Countable kinds (the tallies group them into entries / threads / replies / comments / preps).
KINDS = (
    "entry", "thread", "reply", "comment", "guestbook",
    "prep_lead", "prep_conclusion", "adoption", "featured",
)


class Contribution(db.Model):
    """One countable act: written in the same transaction as its content.

    `month` is YYYYMM in the site time zone, computed at write time, so a month's report is an
    index range on (month, …) whose cost follows that month's activity, not all of history.
    """

    __tablename__ = "contributions"
    __table_args__ = (
        # Covering indexes: a month's (or semester's) report is an index-only range scan.
        Index("ix_contributions_month_user", "month", "user_id", "kind", "is_deleted", "is_substantive"),
        Index("ix_contributions_month_group", "month", "group_id", "kind", "is_deleted", "is_substantive",
              "theme_id"),
        Index("ix_contributions_month_school", "month", "school_id", "kind", "is_deleted", "is_substantive"),
        Index("ix_contributions_source", "source_type", "source_id"),
        Index("ix_contributions_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    group_id: Mapped[Optional[int]] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"))
    school_id: Mapped[Optional[int]] = mapped_column(ForeignKey("schools.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    month: Mapped[int]
    is_substantive: Mapped[bool] = mapped_column(default=False)
    is_deleted: Mapped[bool] = mapped_column(default=False)
    source_type: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[int]
    # Fingerprint of the meaningful text, for the near-duplicate rule.
    fingerprint: Mapped[str] = mapped_column(String(255), default="")
    theme_id: Mapped[Optional[int]] = mapped_column(ForeignKey("themes.id", ondelete="SET NULL"))


class ContributionMonth(db.Model):
    """Live ledger rows counted by month, school, group and kind: the tallies' monthly rollup.

    Kept by database triggers on `contributions` (forum/ledger/rollup.py), so every write path,
    bulk statements and foreign-key actions included, keeps it exact in the same transaction.
    0 stands for "no school" and "no group" (a NULL would not match in the primary key).
    On the 1M-post bench data (500 groups): ~2,100 rows a month against ~44,000 ledger rows, so
    a 12-month trend or a semester's group table reads a twentieth of the rows.
    """

    __tablename__ = "contribution_months"

    month: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    school_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    group_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    total: Mapped[int] = mapped_column(default=0)  # live (not deleted) rows
    substantive: Mapped[int] = mapped_column(default=0)  # live substantive rows


from forum.ledger import rollup as _rollup  # noqa: E402,F401 - the triggers' create_all hook
