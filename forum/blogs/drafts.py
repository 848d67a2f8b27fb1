"""Editor autosaves (server drafts) and uploads made before an entry exists.

An autosave is the editor's text kept for its author only: one row per user and editor slot
("new:<blog>" or "entry:<entry>"). It never touches the entry (no version bump, no revision, no
ledger or search outbox row), so nothing autosaved reaches search, feeds or tallies, and an
autosave of a published entry never overwrites what readers see. Saving the entry from the editor
drops the autosave and claims the files uploaded for it (attachments with no entry yet, visible to
their uploader only until then).
"""
from __future__ import annotations

import json
import re
from typing import Iterable

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from forum.blogs.models import Attachment, Blog, Entry, EntryAutosave
from forum.core.db import utcnow
from forum.core.errors import fail
from forum.core.ids import as_id
from forum.extensions import db
from forum.policy import can

FIELD_NAMES = ("stage", "subject", "grade", "textbook", "unit")
_ATTACHMENT_URL = re.compile(r"/blogs/attachments/(\d{1,10})(?:/inline)?\b")


def slot_for(blog: Blog, entry: Entry | None) -> str:
    """The editor slot: a new entry on `blog`, or editing `entry`."""
    return f"entry:{entry.id}" if entry is not None else f"new:{blog.id}"


def _text(value, field: str, max_len: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        fail(422, _("字段 %(name)s 必须是字符串。", name=field), field=field)
    if "\x00" in value:
        fail(422, _("字段 %(name)s 含有非法字符。", name=field), field=field)
    if len(value) > max_len:
        fail(422, _("字段 %(name)s 太长（最多 %(n)s 个字符）。", name=field, n=max_len), field=field)
    return value


def autosave(user, blog: Blog, entry: Entry | None, *, title, body, category="", tags="",
             fields: dict | None = None, base_version=None) -> EntryAutosave:
    """Keep the editor's current text for `user` (replacing the slot's previous autosave)."""
    from forum.blogs.services import BODY_MAX, TITLE_MAX

    if entry is not None:
        if entry.blog_id != blog.id or not can(user, "edit", entry):
            fail(403, _("你不能编辑这篇日志。"))
    elif not can(user, "write", blog):
        fail(403, _("你不能在这个博客发表日志。"))
    title = _text(title, "title", TITLE_MAX).replace("\r", " ").replace("\n", " ")
    body = _text(body, "body", BODY_MAX).replace("\r\n", "\n")
    category = _text(category, "category", 20)
    tags = _text(tags, "tags", 400)
    clean_fields = {k: _text((fields or {}).get(k), k, 120) for k in FIELD_NAMES if (fields or {}).get(k)}
    version = as_id(base_version)
    slot = slot_for(blog, entry)
    values = dict(title=title, body=body, category=category, tags=tags,
                  fields=json.dumps(clean_fields, ensure_ascii=False), base_version=version, updated_at=utcnow())
    row = autosave_of(user, slot)
    if row is None:
        row = EntryAutosave(user_id=user.id, blog_id=blog.id, entry_id=entry.id if entry else None, slot=slot,
                            **values)
        db.session.add(row)
        try:
            db.session.commit()
            return row
        except IntegrityError:  # the same editor autosaved twice at once: update the row that won
            db.session.rollback()
            row = autosave_of(user, slot)
    for name, value in values.items():
        setattr(row, name, value)
    db.session.commit()
    return row


def autosave_of(user, slot: str) -> EntryAutosave | None:
    """The user's own autosave for a slot (nobody else's is ever returned)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(EntryAutosave).where(EntryAutosave.user_id == user.id,
                                                         EntryAutosave.slot == slot))


def drop(user, slot: str) -> None:
    """Forget the user's autosave of a slot (caller commits)."""
    row = autosave_of(user, slot)
    if row is not None:
        db.session.delete(row)


def discard(user, slot: str) -> None:
    """The author throws an autosave away."""
    drop(user, slot)
    db.session.commit()


def my_autosaves(user, blog: Blog | None = None) -> list[EntryAutosave]:
    """The user's autosaves they can still use (the blog writable, the entry still editable), newest first."""
    if not getattr(user, "is_authenticated", False):
        return []
    q = select(EntryAutosave).where(EntryAutosave.user_id == user.id)
    if blog is not None:
        q = q.where(EntryAutosave.blog_id == blog.id)
    # The blogs and entries the permission checks below read, loaded with the rows (not one by one).
    q = q.options(selectinload(EntryAutosave.blog), selectinload(EntryAutosave.entry).joinedload(Entry.blog))
    rows = db.session.scalars(q.order_by(EntryAutosave.updated_at.desc()).limit(50)).all()
    return [r for r in rows
            if (can(user, "edit", r.entry) if r.entry is not None else can(user, "write", r.blog))]


def fields_of(row: EntryAutosave) -> dict:
    try:
        data = json.loads(row.fields or "{}")
    except ValueError:
        return {}
    return {k: v for k, v in data.items() if k in FIELD_NAMES and isinstance(v, str)}


def claim_attachments(user, entry: Entry, ids: Iterable = (), body: str = "") -> int:
    """Attach to `entry` the user's own not-yet-attached uploads named in `ids` or linked from `body` (caller commits)."""
    named = [*(ids or ()), *_ATTACHMENT_URL.findall(body or "")]
    wanted = {n for n in map(as_id, named) if n}
    if not wanted:
        return 0
    return db.session.execute(
        update(Attachment).where(Attachment.id.in_(wanted), Attachment.uploader_id == user.id,
                                 Attachment.entry_id.is_(None), Attachment.is_deleted.is_(False))
        .values(entry_id=entry.id).execution_options(synchronize_session=False)
    ).rowcount or 0


def pending_attachments(user, ids: Iterable) -> list[Attachment]:
    """The user's uploads that are still waiting for their entry, among `ids`."""
    wanted = []
    for raw in ids or ():
        try:
            wanted.append(int(raw))
        except (TypeError, ValueError):
            continue
    if not wanted or not getattr(user, "is_authenticated", False):
        return []
    return list(db.session.scalars(select(Attachment).where(
        Attachment.id.in_(wanted[:50]), Attachment.uploader_id == user.id, Attachment.entry_id.is_(None),
        Attachment.is_deleted.is_(False)).order_by(Attachment.id)))
