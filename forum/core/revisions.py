"""Revision history shared by entries, threads and posts."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.core.db import utcnow
from forum.extensions import db


class Revision(db.Model):
    """The previous version of an edited entry, thread or post."""

    __tablename__ = "revisions"
    __table_args__ = (Index("ix_revisions_target", "target_type", "target_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    target_type: Mapped[str] = mapped_column(String(16))  # entry | thread | post
    target_id: Mapped[int]
    editor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    is_moderator_edit: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    editor = relationship("User")


def keep_revision(target, editor_id: int | None, *, moderator: bool = False) -> Revision:
    """Store the current title/body of `target` before it is overwritten (caller commits)."""
    rev = Revision(
        target_type=target.doc_type,
        target_id=target.id,
        editor_id=editor_id,
        title=getattr(target, "title", "") or "",
        body=target.body,
        is_moderator_edit=moderator,
    )
    db.session.add(rev)
    return rev


def history(target) -> list[Revision]:
    """Previous versions of `target`, oldest first."""
    return list(db.session.scalars(
        db.select(Revision)
        .where(Revision.target_type == target.doc_type, Revision.target_id == target.id)
        .order_by(Revision.id)
    ))
