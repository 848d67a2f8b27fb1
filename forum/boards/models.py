"""Boards, threads, threaded posts, collective lesson preparations and monthly themes."""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Optional

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.core.content import MarkdownMixin, SoftDeleteMixin, TimestampMixin
from forum.core.db import utcnow
from forum.extensions import db

if TYPE_CHECKING:
    from forum.auth.models import User
    from forum.org.models import Cluster, Group

THREAD_KINDS = ("discussion", "prep", "research", "question")
PREP_STATES = ("drafting", "discussing", "concluded")
THEME_STAGES = ("", "立项", "开题", "中期", "结题")


class Board(db.Model):
    """A forum board (版块) of a group, or a cluster-wide board."""

    __tablename__ = "boards"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[Optional[int]] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), unique=True)
    cluster_id: Mapped[Optional[int]] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    # Cluster boards: "public" or "cluster" (teachers of the cluster's schools). Group boards follow the group.
    visibility: Mapped[str] = mapped_column(String(10), default="public")
    thread_count: Mapped[int] = mapped_column(default=0)
    post_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    group: Mapped[Optional["Group"]] = relationship(back_populates="board")
    cluster: Mapped[Optional["Cluster"]] = relationship()


class Thread(SoftDeleteMixin, MarkdownMixin, TimestampMixin, db.Model):
    """A thread (主题帖); its opening text is the thread's own body."""

    __tablename__ = "threads"
    __table_args__ = (
        Index("ix_threads_board_listing", "board_id", "is_deleted", "is_pinned", "last_post_at", "id"),
        # A moderator's board listing (deleted threads included) in the same order, without a sort.
        Index("ix_threads_board_activity", "board_id", "is_pinned", "last_post_at", "id"),
        # The home page's latest threads across readable boards: walk by activity, stop after 8.
        Index("ix_threads_latest", "is_deleted", "last_post_at"),
        Index("ix_threads_author", "author_id", "created_at"),
    )
    doc_type = "thread"

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(12), default="discussion")
    is_pinned: Mapped[bool] = mapped_column(default=False)
    is_locked: Mapped[bool] = mapped_column(default=False)
    is_featured: Mapped[bool] = mapped_column(default=False)
    theme_id: Mapped[Optional[int]] = mapped_column(ForeignKey("themes.id", ondelete="SET NULL"), index=True)
    reply_count: Mapped[int] = mapped_column(default=0)
    view_count: Mapped[int] = mapped_column(default=0, server_default="0")  # forum/core/viewcounts.py
    # Number of top-level replies so far: the next top-level reply gets position + 1.
    top_level_count: Mapped[int] = mapped_column(default=0)
    last_post_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_poster_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1)

    board: Mapped[Board] = relationship()
    author: Mapped["User"] = relationship(foreign_keys=[author_id])
    last_poster: Mapped[Optional["User"]] = relationship(foreign_keys=[last_poster_id])
    tags: Mapped[list["ThreadTag"]] = relationship(cascade="all, delete-orphan", order_by="ThreadTag.tag")
    prep: Mapped[Optional["LessonPrep"]] = relationship(back_populates="thread", uselist=False)

    @property
    def tag_names(self) -> list[str]:
        return [t.tag for t in self.tags]


class ThreadTag(db.Model):
    """A tag on a thread."""

    __tablename__ = "thread_tags"

    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class Post(SoftDeleteMixin, MarkdownMixin, TimestampMixin, db.Model):
    """A reply (回帖) in a thread's tree.

    `root_id` is the top-level reply a post descends from (itself for top-level posts) and
    `position` numbers the top-level replies 1, 2, 3 … so that page k of a thread is a range
    scan on (thread_id, position) whatever k is, and its subtrees are one `root_id IN` query.
    `path` (zero-padded ids joined by '.') orders a subtree depth-first.
    """

    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_thread_position", "thread_id", "position"),
        Index("ix_posts_root_path", "root_id", "path"),
        Index("ix_posts_author", "author_id", "created_at"),
    )
    doc_type = "post"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    root_id: Mapped[Optional[int]] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    position: Mapped[Optional[int]] = mapped_column(default=None)
    depth: Mapped[int] = mapped_column(default=0)
    path: Mapped[str] = mapped_column(String(400), default="")
    is_adopted: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)

    thread: Mapped[Thread] = relationship()
    author: Mapped["User"] = relationship(foreign_keys=[author_id])
    parent: Mapped[Optional["Post"]] = relationship(foreign_keys=[parent_id], remote_side=[id])


class LessonPrep(db.Model):
    """The collective lesson preparation (集体备课) carried by a `prep` thread."""

    __tablename__ = "lesson_preps"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), unique=True)
    lesson: Mapped[str] = mapped_column(String(200), default="")  # 课题/单元
    subject: Mapped[str] = mapped_column(String(40), default="")
    grade: Mapped[str] = mapped_column(String(40), default="")
    textbook: Mapped[str] = mapped_column(String(80), default="")
    scheduled_on: Mapped[Optional[date]] = mapped_column(default=None)
    lead_speaker_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    deadline_at: Mapped[Optional[datetime]] = mapped_column(default=None)
    state: Mapped[str] = mapped_column(String(12), default="drafting")
    summary: Mapped[str] = mapped_column(Text, default="")
    summary_entry_id: Mapped[Optional[int]] = mapped_column(ForeignKey("entries.id", ondelete="SET NULL"))
    concluded_at: Mapped[Optional[datetime]] = mapped_column(default=None)
    concluded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    thread: Mapped[Thread] = relationship(back_populates="prep")
    lead_speaker: Mapped[Optional["User"]] = relationship(foreign_keys=[lead_speaker_id])
    participants: Mapped[list["PrepParticipant"]] = relationship(cascade="all, delete-orphan")


class PrepParticipant(db.Model):
    """A teacher expected to take part in a lesson preparation."""

    __tablename__ = "prep_participants"

    prep_id: Mapped[int] = mapped_column(ForeignKey("lesson_preps.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)

    user: Mapped["User"] = relationship()


class Theme(db.Model):
    """A group's monthly theme / small research topic (月度主题/小课题)."""

    __tablename__ = "themes"
    __table_args__ = (UniqueConstraint("group_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    month: Mapped[int]  # YYYYMM in the site time zone
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    stage: Mapped[str] = mapped_column(String(10), default="")
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    group: Mapped["Group"] = relationship()
