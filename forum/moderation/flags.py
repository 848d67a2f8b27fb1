"""Flags: readers report content; the group's host dismisses the report or deletes with a reason."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import false, func, select

from forum.core.content import DELETE_REASONS
from forum.core.db import utcnow
from forum.core.errors import fail
from forum.extensions import db
from forum.moderation.audit import audit
from forum.moderation.models import Flag
from forum.moderation.services import CONTENT_MODELS, NOTE_MAX, delete_content
from forum.notifications.services import notify
from forum.policy import can, content_group

OUTCOMES = ("dismiss", "delete")


def flag_content(user, obj, reason, note: str = "") -> Flag:
    """Report `obj` with a reason code (one open report per reader and content)."""
    if not can(user, "flag", obj):
        fail(403) if can(user, "read", obj) else fail(404)
    note = (note or "").strip() if isinstance(note, str) else ""
    if not isinstance(reason, str) or reason not in DELETE_REASONS:
        fail(422, _("请选择举报原因：%(codes)s", codes=", ".join(DELETE_REASONS)), field="reason")
    if reason == "other" and not note:
        fail(422, _("选择“其他”时请写明原因。"), field="note")
    if len(note) > NOTE_MAX:
        fail(422, _("说明最多 %(n)s 个字。", n=NOTE_MAX), field="note")
    existing = db.session.scalar(select(Flag).where(Flag.reporter_id == user.id, Flag.target_type == obj.doc_type,
                                                    Flag.target_id == obj.id, Flag.status == "open"))
    if existing is not None:
        fail(409, _("你已经举报过这条内容，主持人会尽快处理。"), "already_flagged")
    group = content_group(obj)
    flag = Flag(reporter_id=user.id, target_type=obj.doc_type, target_id=obj.id,
                group_id=group.id if group is not None else None, reason=reason, note=note)
    db.session.add(flag)
    db.session.commit()
    return flag


def flag_target(flag: Flag):
    """The content a flag is about (None if it was purged)."""
    model = CONTENT_MODELS.get(flag.target_type)
    return db.session.get(model, flag.target_id) if model is not None else None


def moderated_group_ids(user):
    """A SELECT of the ids of groups `user` moderates, or None for every group (admins, unscoped leaders)."""
    from forum.org.models import Group, Membership, School
    from forum.policy import is_admin, signed_in

    if is_admin(user):
        return None
    if not signed_in(user):
        return select(Group.id).where(false())
    hosted = select(Membership.group_id).where(Membership.user_id == user.id, Membership.is_host.is_(True))
    if user.role != "leader":
        return hosted
    if user.scope_school_id is None and user.scope_cluster_id is None:
        return None
    if user.scope_school_id is not None:
        scoped = select(Group.id).where(Group.school_id == user.scope_school_id)
    else:
        schools = select(School.id).where(School.cluster_id == user.scope_cluster_id)
        scoped = select(Group.id).where((Group.cluster_id == user.scope_cluster_id) | Group.school_id.in_(schools))
    return hosted.union(scoped)


def open_flags(user, group_id: int | None = None):
    """A SELECT of open flags in groups `user` moderates (admins also see flags outside groups)."""
    stmt = select(Flag).where(Flag.status == "open").order_by(Flag.id)
    gids = moderated_group_ids(user)
    if gids is not None:
        stmt = stmt.where(Flag.group_id.in_(gids))
    if group_id is not None:
        stmt = stmt.where(Flag.group_id == group_id)
    return stmt


def open_flag_count(user) -> int:
    """How many open flags wait for `user` (the navigation badge)."""
    stmt = open_flags(user).order_by(None)
    return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def resolve_flag(flag: Flag, actor, outcome: str, reason=None, note: str = "") -> Flag:
    """Dismiss a flag, or delete its content with a reason; every open report on it closes; flaggers learn it."""
    if outcome not in OUTCOMES:
        fail(422, _("处理方式应为 dismiss 或 delete。"), field="outcome")
    if flag.status != "open":
        fail(409, _("这条举报已经处理过了。"), "already_resolved")
    target = flag_target(flag)
    if target is None:
        if not can(actor, "admin"):
            fail(404)
    elif not can(actor, "moderate", target):
        fail(403) if can(actor, "read", target) else fail(404)
    if outcome == "delete" and target is not None and not target.is_deleted:
        from forum.moderation.services import clean_reason

        reason, note = clean_reason(reason or flag.reason, note)
    status = "dismissed" if outcome == "dismiss" else "deleted"
    now = utcnow()
    same = db.session.scalars(select(Flag).where(Flag.target_type == flag.target_type,
                                                 Flag.target_id == flag.target_id, Flag.status == "open")).all()
    for f in same:
        f.status, f.resolved_by_id, f.resolved_at = status, actor.id, now
        # The notification points at the flag: the flagger may no longer read deleted content.
        notify([f.reporter_id], "flag_outcome", actor_id=actor.id, target_type="flag", target_id=f.id,
               reason_code=status, note=note if outcome == "delete" else "")
    audit(actor.id, f"flag_{status}", target, target_type=flag.target_type, target_id=flag.target_id,
          group_id=flag.group_id, reason_code=reason if outcome == "delete" else flag.reason,
          reason_text=note, after={"flags": [f.id for f in same]})
    if outcome == "delete" and target is not None and not target.is_deleted:
        delete_content(target, actor, reason, note)  # commits the flags with the delete
    else:
        db.session.commit()
    return flag
