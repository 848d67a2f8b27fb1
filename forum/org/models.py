"""Clusters (片区), schools, groups (学科组/年级组) and memberships."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Optional

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.core.db import utcnow
from forum.extensions import db

if TYPE_CHECKING:
    from forum.auth.models import User
    from forum.blogs.models import Blog
    from forum.boards.models import Board

VISIBILITIES = ("public", "school", "group")


class Cluster(db.Model):
    """片区: a set of schools that research together."""

    __tablename__ = "clusters"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")

    schools: Mapped[list["School"]] = relationship(back_populates="cluster")


class School(db.Model):
    """A school, optionally in a cluster."""

    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    cluster_id: Mapped[Optional[int]] = mapped_column(ForeignKey("clusters.id", ondelete="SET NULL"), index=True)

    cluster: Mapped[Optional[Cluster]] = relationship(back_populates="schools")


class Group(db.Model):
    """A subject or grade group; owns one blog and one board."""

    __tablename__ = "groups"
    __table_args__ = (UniqueConstraint("school_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    subject: Mapped[str] = mapped_column(String(40), default="")
    grade: Mapped[str] = mapped_column(String(40), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    school_id: Mapped[Optional[int]] = mapped_column(ForeignKey("schools.id", ondelete="SET NULL"), index=True)
    cluster_id: Mapped[Optional[int]] = mapped_column(ForeignKey("clusters.id", ondelete="SET NULL"), index=True)
    visibility: Mapped[str] = mapped_column(String(10), default="public")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    school: Mapped[Optional[School]] = relationship()
    cluster: Mapped[Optional[Cluster]] = relationship()
    memberships: Mapped[list["Membership"]] = relationship(back_populates="group", cascade="all, delete-orphan")
    blog: Mapped[Optional["Blog"]] = relationship(back_populates="group", uselist=False)
    board: Mapped[Optional["Board"]] = relationship(back_populates="group", uselist=False)

    @property
    def label(self) -> str:
        """Name with its school, for lists that span schools."""
        return f"{self.school.name} · {self.name}" if self.school else self.name


class Membership(db.Model):
    """A teacher's membership of a group; `is_host` makes them its host (主持人)."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "group_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    is_host: Mapped[bool] = mapped_column(default=False)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped["User"] = relationship(back_populates="memberships")
    group: Mapped[Group] = relationship(back_populates="memberships")
