"""The write path: content, contribution ledger row and search outbox row in one transaction.

Services call `record()` after adding their content row; they commit once at the end. The first
new row a request records also claims the request's submission key (forum.core.submissions), so
a repeated form or API call finds that row instead of writing a second one.
Soft-delete and restore call `set_deleted()`, which flips the ledger rows and queues the
index change in the same transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy import update

from forum.core.db import utcnow
from forum.core.timezones import month_key
from forum.extensions import db
from forum.ledger.models import Contribution
from forum.search.models import SearchOutbox


@dataclass
class Credit:
    """Who gets a ledger row for this content, and for what."""

    kind: str
    user_id: int
    group_id: Optional[int]
    school_id: Optional[int]
    text: str = ""
    theme_id: Optional[int] = None
    created_at: Optional[datetime] = None


def record(content, credit: Credit | None = None, *, index: bool = True) -> Contribution | None:
    """Write the ledger row (if `credit`) and the outbox row (if `index`) for `content`.

    `content` must already be added to the session; it is flushed here to get its id.
    """
    if content not in db.session:
        db.session.add(content)
    db.session.flush()
    if credit is not None:  # new, credited content (not edits, not drafts an editor autosaves)
        from forum.core.submissions import claim

        claim(content, credit.user_id)
    row = None
    if credit is not None:
        row = add_contribution(credit, content.doc_type, content.id)
    if index:
        enqueue(content.doc_type, content.id)
    return row


def add_contribution(credit: Credit, source_type: str, source_id: int) -> Contribution:
    """Add one ledger row for `credit` (caller commits)."""
    from forum.ledger.substance import fingerprint, is_substantive

    when = credit.created_at or utcnow()
    fp = fingerprint(credit.text)
    row = Contribution(
        user_id=credit.user_id,
        group_id=credit.group_id,
        school_id=credit.school_id,
        kind=credit.kind,
        created_at=when,
        month=month_key(when),
        is_substantive=is_substantive(credit.text, credit.user_id, when, fp),
        source_type=source_type,
        source_id=source_id,
        fingerprint=fp,
        theme_id=credit.theme_id,
    )
    db.session.add(row)
    return row


def enqueue(doc_type: str, doc_id: int, op: str = "upsert") -> None:
    """Queue an index change for the indexer (caller commits)."""
    db.session.add(SearchOutbox(doc_type=doc_type, doc_id=doc_id, op=op))


def set_deleted(content, deleted: bool, *, by_id: int | None = None, reason: str | None = None,
                note: str | None = None) -> None:
    """Soft-delete or restore `content`, flipping its ledger rows and queueing the index change."""
    content.is_deleted = deleted
    if deleted:
        content.deleted_at = utcnow()
        content.deleted_by_id = by_id
        content.deleted_reason = reason
        content.deleted_note = note
    else:
        content.deleted_at = None
        content.deleted_by_id = None
        content.deleted_reason = None
        content.deleted_note = None
    flip_contributions(content.doc_type, content.id, deleted)
    enqueue(content.doc_type, content.id, "delete" if deleted else "upsert")


def flip_contributions(source_type: str, source_id: int, deleted: bool) -> None:
    """Mark the ledger rows of one source deleted or restored."""
    db.session.execute(
        update(Contribution)
        .where(Contribution.source_type == source_type, Contribution.source_id == source_id)
        .values(is_deleted=deleted)
    )
