"""Mixins shared by every kind of user content: soft deletion and rendered Markdown."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from forum.core import markup
from forum.core.db import utcnow

# Reason codes a moderator must give when deleting content (labels are translated in templates).
DELETE_REASONS = {
    "ethics": "违背教师职业道德",
    "spam": "广告/灌水",
    "duplicate": "重复内容",
    "offtopic": "离题",
    "other": "其他",
}


class SoftDeleteMixin:
    """Content that is hidden, not removed: deleted rows stay for moderators and restore."""

    is_deleted: Mapped[bool] = mapped_column(default=False, index=False)
    deleted_at: Mapped[Optional[datetime]] = mapped_column(default=None)
    deleted_reason: Mapped[Optional[str]] = mapped_column(String(32), default=None)
    deleted_note: Mapped[Optional[str]] = mapped_column(String(500), default=None)

    @declared_attr
    def deleted_by_id(cls) -> Mapped[Optional[int]]:  # noqa: N805 - declared_attr signature
        return mapped_column(Integer, ForeignKey("users.id", ondelete="SET NULL"), default=None)


class MarkdownMixin:
    """Markdown source plus the sanitized HTML rendered from it at write time."""

    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    render_version: Mapped[int] = mapped_column(default=0)

    def set_body(self, source: str, html: str | None = None) -> None:
        """Store the Markdown and its sanitized rendering (`html` if the caller rendered it already)."""
        self.body = source
        self.body_html = markup.render(source) if html is None else html
        self.render_version = markup.RENDER_VERSION

    @property
    def html(self) -> str:
        """Sanitized HTML, re-rendered if the renderer became stricter since it was stored."""
        if self.render_version != markup.RENDER_VERSION:
            return markup.render(self.body)
        return self.body_html


class TimestampMixin:
    """created_at / updated_at in UTC."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
