"""Moderation over every kind of content: reasoned delete, restore, purge, pin/lock/feature, move, edit.

Deletes, restores and edits go through the owning feature's service (which keeps its counters,
notifies the author and commits); the audit row is added first so it commits in that same
transaction. Everything else is done here and committed once.
"""
from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update

from forum.blogs.models import Attachment, Comment, Entry, GuestbookMessage
from forum.boards.models import Board, Post, Thread
from forum.core.content import DELETE_REASONS
from forum.core.db import utcnow
from forum.core.errors import ApiError, fail
from forum.core.writepath import Credit, add_contribution, enqueue
from forum.extensions import db
from forum.ledger.models import Contribution
from forum.moderation.audit import audit
from forum.notifications.services import notify
from forum.policy import can, content_group

CONTENT_MODELS = {"entry": Entry, "comment": Comment, "guestbook": GuestbookMessage, "thread": Thread, "post": Post}
TOGGLE_ATTRS = {"pin": "is_pinned", "lock": "is_locked", "feature": "is_featured"}
NOTE_MAX = 500
MAX_SUSPENSION_DAYS = 3650


def load_content(kind: str, obj_id: int, user, action: str = "read"):
    """The content named by (kind, id): 404 if unknown or unreadable by `user`, 403 if `action` is refused."""
    model = CONTENT_MODELS.get(kind)
    obj = db.session.get(model, obj_id) if model is not None else None
    if obj is None or not can(user, "read", obj):
        fail(404)
    if action != "read" and not can(user, action, obj):
        fail(403)
    return obj


def clean_reason(reason, note) -> tuple[str, str]:
    """A reason code from DELETE_REASONS; 'other' needs a written explanation."""
    note = note if isinstance(note, str) else ""
    note = note.strip()
    if not isinstance(reason, str) or reason not in DELETE_REASONS:
        fail(422, _("请选择删除原因：%(codes)s", codes=", ".join(DELETE_REASONS)), field="reason")
    if reason == "other" and not note:
        fail(422, _("选择“其他”时请写明原因。"), field="note")
    if len(note) > NOTE_MAX:
        fail(422, _("说明最多 %(n)s 个字。", n=NOTE_MAX), field="note")
    return reason, note


def _check(user, action: str, obj) -> None:
    """404 when `user` cannot even read `obj`, 403 when they can but may not `action`."""
    if not can(user, action, obj):
        fail(403) if can(user, "read", obj) else fail(404)


def _commit_or_undo(fn, *args, **kwargs):
    """Call another feature's committing service; on refusal, drop the audit row added before it."""
    try:
        return fn(*args, **kwargs)
    except ApiError:
        db.session.rollback()
        raise


# --- delete and restore ---------------------------------------------------------------------------

def delete_content(obj, actor, reason=None, note: str = ""):
    """Soft-delete any content; a moderator gives a reason, the author is told it, the log keeps it."""
    from forum.blogs import services as blogs
    from forum.boards import services as boards

    _check(actor, "delete", obj)
    own = obj.author_id == actor.id
    if own and reason in (None, ""):
        reason, note = None, (note or "").strip()[:NOTE_MAX]
    else:
        reason, note = clean_reason(reason, note)
        if not own:  # an author removing their own words is not moderation
            audit(actor.id, "delete", obj, reason_code=reason, reason_text=note)
    if isinstance(obj, Entry):
        _commit_or_undo(blogs.delete_entry, obj, actor, reason, note)
    elif isinstance(obj, Comment):
        _commit_or_undo(blogs.delete_comment, obj, actor, reason, note)
    elif isinstance(obj, GuestbookMessage):
        if not own:  # the blog service does not tell guestbook authors
            notify([obj.author_id], "moderation", actor_id=actor.id, target_type="guestbook", target_id=obj.id,
                   reason_code=reason, note=note)
        _commit_or_undo(blogs.delete_guestbook_message, obj, actor, reason, note)
    elif isinstance(obj, Thread):
        _commit_or_undo(boards.delete_thread, obj, actor, reason, note or None)
    elif isinstance(obj, Post):
        _commit_or_undo(boards.delete_post, obj, actor, reason, note or None)
    else:
        fail(404)
    return obj


def restore_content(obj, actor):
    """Undo a soft delete: the content, its ledger rows and its search entry come back."""
    from forum.blogs import services as blogs
    from forum.boards import services as boards

    _check(actor, "restore", obj)
    audit(actor.id, "restore", obj, before={"reason": obj.deleted_reason, "note": obj.deleted_note})
    notify([obj.author_id], "moderation", actor_id=actor.id, target_type=obj.doc_type, target_id=obj.id,
           reason_code="restored")
    if isinstance(obj, Entry):
        _commit_or_undo(blogs.restore_entry, obj, actor)
    elif isinstance(obj, Comment):
        _commit_or_undo(blogs.restore_comment, obj, actor)
    elif isinstance(obj, GuestbookMessage):
        _commit_or_undo(blogs.restore_guestbook_message, obj, actor)
    else:
        _commit_or_undo(boards.restore, obj, actor)
    if not getattr(obj, "is_featured", True):
        # Restoring flips every ledger row of the source back, including a withdrawn 精华.
        _flip_featured(obj, deleted=True)
        db.session.commit()
    return obj


def purge_content(obj, actor) -> None:
    """Remove content for good (admins only): its row, ledger rows, revisions and search entries; logged."""
    from forum.core.revisions import Revision
    from forum.moderation.models import Flag

    _check(actor, "purge", obj)
    if isinstance(obj, Post) and db.session.scalar(select(Post.id).where(Post.parent_id == obj.id).limit(1)):
        fail(409, _("这条回帖下还有回复，不能彻底删除；请改用删除（保留占位）。"), "has_replies")
    doc_type, obj_id = obj.doc_type, obj.id
    audit(actor.id, "purge", obj, reason_text=obj.deleted_note or "",
          before={"title": getattr(obj, "title", ""), "body": obj.body[:2000], "author_id": obj.author_id,
                  "deleted_reason": obj.deleted_reason})
    sources: list[tuple[str, list[int]]] = [(doc_type, [obj_id])]
    files = []
    if isinstance(obj, Thread):
        sources.append(("post", list(db.session.scalars(select(Post.id).where(Post.thread_id == obj_id)))))
        if not obj.is_deleted:
            db.session.execute(update(Board).where(Board.id == obj.board_id)
                               .values(thread_count=Board.thread_count - 1))
        if obj.prep is not None:
            db.session.delete(obj.prep)  # the ORM would otherwise null its required thread_id
    elif isinstance(obj, Entry):
        sources.append(("comment", list(db.session.scalars(select(Comment.id).where(Comment.entry_id == obj_id)))))
        files = list(db.session.scalars(select(Attachment).where(Attachment.entry_id == obj_id)))
    elif isinstance(obj, Post) and not obj.is_deleted:
        obj.thread.reply_count = max(0, (obj.thread.reply_count or 0) - 1)
    elif isinstance(obj, Comment) and not obj.is_deleted:
        obj.entry.comment_count = max(0, (obj.entry.comment_count or 0) - 1)
    for stype, ids in sources:
        if not ids:
            continue
        db.session.execute(Contribution.__table__.delete().where(Contribution.source_type == stype,
                                                                 Contribution.source_id.in_(ids)))
        db.session.execute(Revision.__table__.delete().where(Revision.target_type == stype,
                                                             Revision.target_id.in_(ids)))
        db.session.execute(update(Flag).where(Flag.target_type == stype, Flag.target_id.in_(ids),
                                              Flag.status == "open")
                           .values(status="deleted", resolved_by_id=actor.id, resolved_at=utcnow()))
        if stype != "guestbook":
            for sid in ids:
                enqueue(stype, sid, "delete")
    paths = []
    if files:
        from forum.blogs.attachments import path_of

        paths = [path_of(att) for att in files]
    db.session.delete(obj)
    db.session.commit()
    for path in paths:  # after commit: a rolled-back purge must not lose the files
        try:
            path.unlink()
        except OSError:
            pass


# --- pin, lock, feature ---------------------------------------------------------------------------

def _credit_for(obj) -> Credit:
    group = content_group(obj)
    school_id = group.school_id if group is not None else obj.author.school_id
    return Credit("featured", obj.author_id, group.id if group is not None else None, school_id,
                  getattr(obj, "title", "") or "")


def _featured_rows(obj):
    return select(Contribution).where(Contribution.source_type == obj.doc_type, Contribution.source_id == obj.id,
                                      Contribution.kind == "featured")


def _flip_featured(obj, *, deleted: bool) -> None:
    db.session.execute(update(Contribution).where(Contribution.source_type == obj.doc_type,
                                                  Contribution.source_id == obj.id,
                                                  Contribution.kind == "featured")
                       .values(is_deleted=deleted).execution_options(synchronize_session=False))


def set_toggle(obj, actor, what: str, value: bool | None = None) -> bool:
    """Pin, lock or feature (精华) a thread or entry, or undo it; returns the new value.

    Featuring credits the author with a 'featured' ledger row; unfeaturing withdraws it.
    """
    attr = TOGGLE_ATTRS.get(what)
    if attr is None or not hasattr(obj, attr):
        fail(404)
    _check(actor, what, obj)
    old = bool(getattr(obj, attr))
    new = (not old) if value is None else bool(value)
    if new == old:
        return new
    audit(actor.id, what if new else f"un{what}", obj, before={attr: old}, after={attr: new})
    setattr(obj, attr, new)
    if what == "feature":
        if new:
            if db.session.scalar(_featured_rows(obj).limit(1)) is not None:
                _flip_featured(obj, deleted=False)
            else:
                add_contribution(_credit_for(obj), obj.doc_type, obj.id)
        else:
            _flip_featured(obj, deleted=True)
    if obj.author_id != actor.id:
        notify([obj.author_id], "moderation", actor_id=actor.id, target_type=obj.doc_type, target_id=obj.id,
               reason_code=f"{attr[3:]}:{int(new)}")
    enqueue(obj.doc_type, obj.id)
    db.session.commit()
    return new


# --- move and edit --------------------------------------------------------------------------------

def move_targets(user, thread: Thread) -> list[Board]:
    """Boards `user` may move `thread` into."""
    boards = db.session.scalars(select(Board).where(Board.id != thread.board_id).order_by(Board.id)).all()
    return [b for b in boards if can(user, "move_to", b)]


def move_thread(thread: Thread, actor, board: Board, note: str = "") -> Thread:
    """Move a thread to another board in the mover's scope; its posts, ledger rows and index follow now."""
    _check(actor, "move", thread)
    if board is None or not can(actor, "read", board):
        fail(404)
    if not can(actor, "move_to", board):
        fail(403, _("只能移动到你管理的版块。"))
    if board.id == thread.board_id:
        fail(409, _("帖子已经在这个版块。"), "same_board")
    old_board = thread.board
    group = board.group
    school_id = group.school_id if group is not None else None
    audit(actor.id, "move", thread, reason_text=note,
          before={"board_id": old_board.id, "group_id": old_board.group_id, "theme_id": thread.theme_id},
          after={"board_id": board.id, "group_id": board.group_id})
    # The new group's scope is audited too, so its host sees what arrived.
    if group is not None and group.id != old_board.group_id:
        audit(actor.id, "move_in", thread, group_id=group.id, school_id=school_id, reason_text=note,
              before={"board_id": old_board.id}, after={"board_id": board.id})
    thread.board_id = board.id
    thread.board = board
    thread.theme_id = None  # themes belong to the old group
    post_ids = list(db.session.scalars(select(Post.id).where(Post.thread_id == thread.id)))
    # Ledger rows follow the thread: a group board credits its group and school; a cluster board
    # keeps each writer's own school (as the boards service does when writing there).
    values = {"group_id": group.id if group is not None else None, "theme_id": None}
    if group is not None:
        values["school_id"] = school_id
    db.session.execute(
        update(Contribution)
        .where(or_((Contribution.source_type == "thread") & (Contribution.source_id == thread.id),
                   (Contribution.source_type == "post") & Contribution.source_id.in_(post_ids or [-1])))
        .values(**values)
        .execution_options(synchronize_session=False))
    if not thread.is_deleted:
        visible_posts = db.session.scalar(select(func.count(Post.id)).where(Post.thread_id == thread.id,
                                                                            Post.is_deleted.is_(False)))
        db.session.execute(update(Board).where(Board.id == old_board.id)
                           .values(thread_count=Board.thread_count - 1, post_count=Board.post_count - visible_posts))
        db.session.execute(update(Board).where(Board.id == board.id)
                           .values(thread_count=Board.thread_count + 1, post_count=Board.post_count + visible_posts))
    enqueue("thread", thread.id, "delete" if thread.is_deleted else "upsert")
    for pid in post_ids:
        enqueue("post", pid)
    if thread.author_id != actor.id:
        notify([thread.author_id], "moderation", actor_id=actor.id, target_type="thread", target_id=thread.id,
               reason_code="moved", note=board.name)
    db.session.commit()
    return thread


def edit_as_moderator(obj, actor, *, body: str, title: str | None = None):
    """Edit someone else's thread or post; the old text is kept as a revision marked as a moderator edit."""
    from forum.boards import services as boards

    if not isinstance(obj, (Thread, Post)):
        fail(404)
    _check(actor, "edit", obj)
    if actor.id != obj.author_id:  # an author's own edit is not moderation
        audit(actor.id, "edit", obj, before={"title": getattr(obj, "title", ""), "body": obj.body},
              after={"title": title if title is not None else getattr(obj, "title", ""), "body": body})
    if isinstance(obj, Thread):
        return _commit_or_undo(boards.edit_thread, obj, actor, title if title is not None else obj.title, body)
    return _commit_or_undo(boards.edit_post, obj, actor, body)


# --- suspension -----------------------------------------------------------------------------------

def suspend_user(actor, target, *, days: int | None, reason: str):
    """Suspend `target` for `days` (None: indefinitely); their sessions and tokens stop now, content stays."""
    from forum.auth.services import end_other_sessions

    _check_suspend(actor, target)
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        fail(422, _("请填写停用原因。"), field="reason")
    if len(reason) > NOTE_MAX:
        fail(422, _("原因最多 %(n)s 个字。", n=NOTE_MAX), field="reason")
    if days is not None and (isinstance(days, bool) or not isinstance(days, int)
                             or not 1 <= days <= MAX_SUSPENSION_DAYS):
        fail(422, _("停用天数应为 1–%(n)s 天，或选择无限期。", n=MAX_SUSPENSION_DAYS), field="days")
    before = _suspension_state(target)
    target.is_suspended_indefinitely = days is None
    target.suspended_until = None if days is None else utcnow() + timedelta(days=days)
    target.suspension_reason = reason
    end_other_sessions(target)  # cookies carry the session version: every session ends at once
    audit(actor.id, "suspend", target, target_type="user", reason_text=reason, before=before,
          after=_suspension_state(target))
    db.session.commit()
    return target


def unsuspend_user(actor, target):
    """Lift a suspension."""
    _check_suspend(actor, target)
    before = _suspension_state(target)
    target.is_suspended_indefinitely = False
    target.suspended_until = None
    target.suspension_reason = None
    audit(actor.id, "unsuspend", target, target_type="user", before=before, after=_suspension_state(target))
    db.session.commit()
    return target


def _check_suspend(actor, target) -> None:
    if target is None:
        fail(404)
    if not can(actor, "suspend", target):
        fail(403)


def _suspension_state(user) -> dict:
    return {"until": user.suspended_until.isoformat() if user.suspended_until else None,
            "indefinitely": bool(user.is_suspended_indefinitely), "reason": user.suspension_reason}
