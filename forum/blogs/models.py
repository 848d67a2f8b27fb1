"""Blogs (personal and group), entries, comments, guestbook messages and attachments."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Optional

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.core.content import MarkdownMixin, SoftDeleteMixin, TimestampMixin
from forum.core.db import utcnow
from forum.core.i18n import N_
from forum.extensions import db

if TYPE_CHECKING:
    from forum.auth.models import User
    from forum.org.models import Group

# Category codes of DESIGN.md §5 with their Chinese names.
CATEGORIES = {
    "design": N_("教学设计"),
    "reflection": N_("教学反思"),
    "case": N_("教学案例"),
    "essay": N_("教学随笔"),
    "courseware": N_("课件"),
    "video": N_("录像课"),
    "prep_summary": N_("集体备课纪要"),
    "research": N_("小课题"),
}


class Blog(db.Model):
    """A personal blog (owner_id) or a group blog (group_id)."""

    __tablename__ = "blogs"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[Optional[int]] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), unique=True)
    owner_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    # Personal blogs carry their own visibility; group blogs follow their group's.
    visibility: Mapped[str] = mapped_column(String(10), default="public")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    group: Mapped[Optional["Group"]] = relationship(back_populates="blog")
    owner: Mapped[Optional["User"]] = relationship()


class Entry(SoftDeleteMixin, MarkdownMixin, TimestampMixin, db.Model):
    """A blog entry (日志/博文)."""

    __tablename__ = "entries"
    __table_args__ = (
        Index("ix_entries_blog_listing", "blog_id", "is_deleted", "status", "published_at"),
        # A blog's page and the group page's panel: pinned first, then newest, without a sort.
        Index("ix_entries_blog_pinned", "blog_id", "is_deleted", "status", "is_pinned", "published_at", "id"),
        Index("ix_entries_latest", "status", "is_deleted", "published_at"),
        Index("ix_entries_author", "author_id", "published_at"),
    )
    doc_type = "entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    blog_id: Mapped[int] = mapped_column(ForeignKey("blogs.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(20), default="essay")
    status: Mapped[str] = mapped_column(String(10), default="published")  # draft | published
    # Optional teaching metadata.
    stage: Mapped[str] = mapped_column(String(20), default="")  # 学段
    subject: Mapped[str] = mapped_column(String(40), default="")  # 学科
    grade: Mapped[str] = mapped_column(String(40), default="")  # 年级
    textbook: Mapped[str] = mapped_column(String(80), default="")  # 教材版本
    unit: Mapped[str] = mapped_column(String(120), default="")  # 单元
    is_pinned: Mapped[bool] = mapped_column(default=False)
    is_featured: Mapped[bool] = mapped_column(default=False)
    theme_id: Mapped[Optional[int]] = mapped_column(ForeignKey("themes.id", ondelete="SET NULL"), index=True)
    prep_thread_id: Mapped[Optional[int]] = mapped_column(ForeignKey("threads.id", ondelete="SET NULL"))
    published_at: Mapped[Optional[datetime]] = mapped_column(default=None)
    comment_count: Mapped[int] = mapped_column(default=0)
    view_count: Mapped[int] = mapped_column(default=0, server_default="0")  # forum/core/viewcounts.py
    # Incremented on every edit; an edit naming a stale version is a conflict, not an overwrite.
    version: Mapped[int] = mapped_column(default=1)

    blog: Mapped[Blog] = relationship()
    author: Mapped["User"] = relationship(foreign_keys=[author_id])
    tags: Mapped[list["EntryTag"]] = relationship(cascade="all, delete-orphan", order_by="EntryTag.tag")

    @property
    def tag_names(self) -> list[str]:
        return [t.tag for t in self.tags]


class EntryTag(db.Model):
    """A tag on an entry."""

    __tablename__ = "entry_tags"

    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class Comment(SoftDeleteMixin, MarkdownMixin, db.Model):
    """A comment on an entry, optionally replying to another comment."""

    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_entry", "entry_id", "created_at"),)
    doc_type = "comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("comments.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    entry: Mapped[Entry] = relationship()
    author: Mapped["User"] = relationship(foreign_keys=[author_id])
    parent: Mapped[Optional["Comment"]] = relationship(remote_side=[id])


class GuestbookMessage(SoftDeleteMixin, MarkdownMixin, db.Model):
    """A guestbook message (留言) on a blog."""

    __tablename__ = "guestbook_messages"
    __table_args__ = (Index("ix_guestbook_messages_blog", "blog_id", "created_at"),)
    doc_type = "guestbook"

    id: Mapped[int] = mapped_column(primary_key=True)
    blog_id: Mapped[int] = mapped_column(ForeignKey("blogs.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    blog: Mapped[Blog] = relationship()
    author: Mapped["User"] = relationship(foreign_keys=[author_id])


class Attachment(db.Model):
    """An uploaded file (courseware, image, video) attached to an entry."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[Optional[int]] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    uploader_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    extension: Mapped[str] = mapped_column(String(10))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    is_deleted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    entry: Mapped[Optional[Entry]] = relationship()
    uploader: Mapped["User"] = relationship()


class EntryAutosave(db.Model):
    """The editor's autosaved text for one user and one editor slot, private to that user.

    Kept apart from the entry so an autosave never bumps the entry's version, writes a revision, a
    ledger row or a search outbox row, and never overwrites a published body. `slot` is
    "new:<blog id>" for a new entry on a blog, "entry:<entry id>" for editing an entry.
    """

    __tablename__ = "entry_autosaves"
    __table_args__ = (UniqueConstraint("user_id", "slot", name="uq_entry_autosaves_user_slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    blog_id: Mapped[int] = mapped_column(ForeignKey("blogs.id", ondelete="CASCADE"))
    entry_id: Mapped[Optional[int]] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    slot: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(20), default="")
    tags: Mapped[str] = mapped_column(String(400), default="")
    # The other editor fields (学段, 学科 …) as a JSON object.
    fields: Mapped[str] = mapped_column(Text, default="{}")
    # The entry version the text was based on (editing an existing entry).
    base_version: Mapped[Optional[int]] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    blog: Mapped[Blog] = relationship()
    entry: Mapped[Optional[Entry]] = relationship()
