"""Notification rows."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.core.db import utcnow
from forum.extensions import db

KINDS = ("reply", "mention", "comment", "prep_expected", "prep_deadline", "prep_concluded",
         "moderation", "flag_outcome", "guestbook")


class Notification(db.Model):
    """Something that happened that a user should know about.

    Only ids and the kind are stored; the text is built at read time from the target, after
    checking the reader may still see it, so a notification never reveals hidden content.
    """

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    target_type: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int]
    reason_code: Mapped[Optional[str]] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[Optional[datetime]] = mapped_column(default=None)

    actor = relationship("User", foreign_keys=[actor_id])
