"""Users and API tokens."""
from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING, Optional

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.core.db import utcnow
from forum.extensions import db

if TYPE_CHECKING:
    from forum.org.models import Cluster, Membership, School

ROLES = ("teacher", "leader", "admin")


class User(UserMixin, db.Model):
    """A person: teacher, leader or admin. Hosts are teachers with a host membership."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(40), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="teacher")
    school_id: Mapped[Optional[int]] = mapped_column(ForeignKey("schools.id", ondelete="SET NULL"), index=True)
    # A leader may be scoped to one school or one cluster; unscoped leaders see everything.
    scope_school_id: Mapped[Optional[int]] = mapped_column(ForeignKey("schools.id", ondelete="SET NULL"))
    scope_cluster_id: Mapped[Optional[int]] = mapped_column(ForeignKey("clusters.id", ondelete="SET NULL"))
    bio: Mapped[str] = mapped_column(Text, default="")
    locale: Mapped[Optional[str]] = mapped_column(String(10))
    session_version: Mapped[int] = mapped_column(default=1)
    suspended_until: Mapped[Optional[datetime]] = mapped_column(default=None)
    is_suspended_indefinitely: Mapped[bool] = mapped_column(default=False)
    suspension_reason: Mapped[Optional[str]] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    school: Mapped[Optional["School"]] = relationship(foreign_keys=[school_id])
    scope_school: Mapped[Optional["School"]] = relationship(foreign_keys=[scope_school_id])
    scope_cluster: Mapped[Optional["Cluster"]] = relationship(foreign_keys=[scope_cluster_id])
    memberships: Mapped[list["Membership"]] = relationship(back_populates="user", cascade="all, delete-orphan")

    def get_id(self) -> str:
        """Flask-Login id carrying the session version, so bumping it ends other sessions."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_suspended(self) -> bool:
        """True while a suspension is in force."""
        if self.is_suspended_indefinitely:
            return True
        return self.suspended_until is not None and self.suspended_until > utcnow()

    @property
    def is_active(self) -> bool:  # Flask-Login: suspended users cannot sign in
        return not self.is_suspended

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_leader(self) -> bool:
        return self.role == "leader"

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class ApiToken(db.Model):
    """A bearer token for the API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[Optional[datetime]] = mapped_column(default=None)

    user: Mapped[User] = relationship()

    @staticmethod
    def digest(raw: str) -> str:
        """The stored form of a raw token."""
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()

    @property
    def is_usable(self) -> bool:
        """Not revoked and not expired."""
        return self.revoked_at is None and self.expires_at > utcnow()
