"""The audit log: one append-only row per moderation action, written in the action's transaction.

Moderation services call `audit()` explicitly. The blog and board features also delete, restore,
pin/lock/feature and edit as moderators through their own services; a `before_flush` hook notices
those changes (a deleted flag flipped by someone other than the author, a toggled pin/lock/feature,
a revision marked as a moderator edit, a thread whose board changed) and writes the row in the same
flush, so no path can skip the log. Rows can be inserted, never updated or deleted through the ORM.
"""
from __future__ import annotations

import json

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from forum.extensions import db
from forum.moderation.models import AuditLog

_DONE_KEY = "jy_audited"
TOGGLES = {"is_pinned": "pin", "is_locked": "lock", "is_featured": "feature"}


class AuditLogIsAppendOnly(RuntimeError):
    """Raised when code tries to change or remove an audit log row."""


def scope_of(obj) -> tuple[int | None, int | None]:
    """(group_id, school_id) a moderation action on `obj` belongs to, for filtering the log."""
    from forum.auth.models import User
    from forum.policy import content_group

    if isinstance(obj, User):
        return None, obj.school_id
    group = content_group(obj)
    if group is not None:
        return group.id, group.school_id
    author = getattr(obj, "author", None)
    return None, getattr(author, "school_id", None)


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str) if value not in (None, "") else ""


def audit(actor_id: int | None, action: str, target, *, reason_code: str | None = None, reason_text: str = "",
          before=None, after=None, target_type: str | None = None, target_id: int | None = None,
          group_id: int | None = None, school_id: int | None = None, session: Session | None = None) -> AuditLog:
    """Add one audit row for `target` to `session` (default: db.session); the caller commits with the action."""
    ttype = target_type or getattr(target, "doc_type", None) or type(target).__name__.lower()
    tid = target_id if target_id is not None else target.id
    if group_id is None and school_id is None and target is not None:
        group_id, school_id = scope_of(target)
    row = AuditLog(actor_id=actor_id, action=action, target_type=ttype, target_id=tid, group_id=group_id,
                   school_id=school_id, reason_code=reason_code, reason_text=(reason_text or "")[:500],
                   before=_json(before), after=_json(after))
    session = session if session is not None else db.session
    session.add(row)
    session.info.setdefault(_DONE_KEY, set()).add((ttype, tid, action))
    return row


def _already(session: Session, ttype: str, tid: int, action: str) -> bool:
    return (ttype, tid, action) in session.info.get(_DONE_KEY, ())


def _request_actor_id() -> int | None:
    """The signed-in user (page session or API token) behind the current request, if any."""
    from flask import g, has_request_context

    if not has_request_context():
        return None
    user = g.get("api_user")
    if user is not None and getattr(user, "is_authenticated", False):
        return user.id
    from flask_login import current_user

    return current_user.id if current_user and current_user.is_authenticated else None


def _content_types() -> tuple[type, ...]:
    from forum.blogs.models import Comment, Entry, GuestbookMessage
    from forum.boards.models import Post, Thread

    return Entry, Comment, GuestbookMessage, Thread, Post


def _changed(state, attr: str):
    """(old, new) if `attr` changed in this flush, else None."""
    hist = state.attrs[attr].history
    if not hist.has_changes() or not hist.added:
        return None
    old = hist.deleted[0] if hist.deleted else None
    new = hist.added[0]
    return None if old == new else (old, new)


def _before_flush(session: Session, _ctx, _instances) -> None:
    """Log moderation changes made by other features' services (see the module docstring)."""
    from forum.boards.models import Thread
    from forum.core.revisions import Revision

    content_types = _content_types()
    for obj in list(session.dirty):
        if not isinstance(obj, content_types):
            continue
        state = inspect(obj)
        ttype = obj.doc_type
        change = _changed(state, "is_deleted")
        if change is not None:
            if change[1]:
                # An author removing their own words is not moderation.
                if obj.deleted_by_id is not None and obj.deleted_by_id != obj.author_id \
                        and not _already(session, ttype, obj.id, "delete"):
                    audit(obj.deleted_by_id, "delete", obj, reason_code=obj.deleted_reason,
                          reason_text=obj.deleted_note or "", session=session)
            elif not _already(session, ttype, obj.id, "restore"):
                audit(_request_actor_id(), "restore", obj, session=session)
        for attr, action in TOGGLES.items():
            if attr in state.attrs.keys() and (change := _changed(state, attr)) is not None:
                name = action if change[1] else f"un{action}"
                if not _already(session, ttype, obj.id, name):
                    audit(_request_actor_id(), name, obj, session=session)
        if isinstance(obj, Thread) and (change := _changed(state, "board_id")) is not None \
                and not _already(session, ttype, obj.id, "move"):
            audit(_request_actor_id(), "move", obj, before={"board_id": change[0]}, after={"board_id": change[1]},
                  session=session)
    for obj in list(session.new):
        if isinstance(obj, Revision) and obj.is_moderator_edit \
                and not _already(session, obj.target_type, obj.target_id, "edit"):
            target = _revision_target(session, obj)
            if target is None or not _editor_moderates(session, obj.editor_id, target):
                continue  # e.g. a lead speaker writing the draft on the host's preparation thread
            audit(obj.editor_id, "edit", target,
                  before={"title": obj.title, "body": obj.body},
                  after={"title": getattr(target, "title", ""), "body": target.body}, session=session)


def _revision_target(session: Session, rev):
    from forum.blogs.models import Entry
    from forum.boards.models import Post, Thread

    model = {"entry": Entry, "thread": Thread, "post": Post}.get(rev.target_type)
    return session.get(model, rev.target_id) if model is not None else None


def _editor_moderates(session: Session, editor_id: int | None, target) -> bool:
    from forum.auth.models import User
    from forum.policy import moderates_content

    editor = session.get(User, editor_id) if editor_id is not None else None
    return editor is not None and moderates_content(editor, target)


def _forget(session: Session, *_args) -> None:
    session.info.pop(_DONE_KEY, None)


def _refuse_update(_mapper, _conn, target) -> None:
    raise AuditLogIsAppendOnly(f"audit log row {target.id} cannot be changed")


def _refuse_delete(_mapper, _conn, target) -> None:
    raise AuditLogIsAppendOnly(f"audit log row {target.id} cannot be deleted")


_installed = False


def install() -> None:
    """Attach the flush hook and the append-only guards (once per process)."""
    global _installed
    if _installed:
        return
    _installed = True
    event.listen(Session, "before_flush", _before_flush)
    for name in ("after_commit", "after_rollback", "after_soft_rollback"):
        event.listen(Session, name, _forget)
    event.listen(AuditLog, "before_update", _refuse_update)
    event.listen(AuditLog, "before_delete", _refuse_delete)


def visible_log(user, group_id: int | None = None):
    """A SELECT of audit rows `user` may see (newest first), optionally for one group."""
    from sqlalchemy import false, or_

    from forum.org.models import Group, Membership, School
    from forum.policy import is_admin, signed_in

    stmt = select(AuditLog).order_by(AuditLog.id.desc())
    if group_id is not None:
        stmt = stmt.where(AuditLog.group_id == group_id)
    if is_admin(user):
        return stmt
    if not signed_in(user):
        return stmt.where(false())
    conds = [AuditLog.group_id.in_(select(Membership.group_id).where(Membership.user_id == user.id,
                                                                     Membership.is_host.is_(True)))]
    if user.role == "leader":
        if user.scope_school_id is None and user.scope_cluster_id is None:
            return stmt
        if user.scope_school_id is not None:
            schools = select(School.id).where(School.id == user.scope_school_id)
        else:
            schools = select(School.id).where(School.cluster_id == user.scope_cluster_id)
        conds.append(AuditLog.school_id.in_(schools))
        conds.append(AuditLog.group_id.in_(select(Group.id).where(Group.school_id.in_(schools))))
        if user.scope_cluster_id is not None:
            conds.append(AuditLog.group_id.in_(select(Group.id).where(Group.cluster_id == user.scope_cluster_id)))
    return stmt.where(or_(*conds))
