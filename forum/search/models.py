"""The search outbox: what changed, for the single indexer to apply."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import Index, String, Text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from forum.core.db import utcnow
from forum.extensions import db


class SearchOutbox(db.Model):
    """A pending index change, written in the content's own transaction."""

    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(16))
    doc_id: Mapped[int]
    op: Mapped[str] = mapped_column(String(8), default="upsert")  # upsert | delete
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SearchDocument(db.Model):
    """The PostgreSQL backend's index: one row per searchable document (unused on SQLite).

    `tsv` holds the analyzer's uni+bigram tokens at their positions (title first, body after a
    gap) under the 'simple' configuration; a GIN index serves `@@` and phrase queries.
    """

    __tablename__ = "search_documents"
    __table_args__ = (
        Index("ix_search_documents_tsv", "tsv", postgresql_using="gin"),
        Index("ix_search_documents_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    doc_type: Mapped[str] = mapped_column(String(16))
    doc_id: Mapped[int]
    container: Mapped[str] = mapped_column(String(24), index=True)
    group_id: Mapped[Optional[int]] = mapped_column(index=True)
    school_id: Mapped[Optional[int]]
    author_id: Mapped[int]
    category: Mapped[str] = mapped_column(String(20), default="")
    tags: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    stamp: Mapped[str] = mapped_column(String(40))
    tsv: Mapped[str] = mapped_column(Text().with_variant(TSVECTOR(), "postgresql"))
