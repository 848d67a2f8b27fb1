"""Moderation endpoints of the JSON API (bearer tokens), calling the same services as the pages."""
from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from forum.api import bp
from forum.api.auth import api_user, json_body, require_user, text_field
from forum.auth.models import User
from forum.boards.models import Board
from forum.core.errors import fail
from forum.core.ids import as_id
from forum.extensions import db
from forum.moderation import flags as flag_service
from forum.moderation import services
from forum.moderation.audit import visible_log
from forum.moderation.models import AuditLog, Flag
from forum.org.models import Group
from forum.policy import can

KINDS = ("entry", "comment", "guestbook", "thread", "post")


def _load(kind: str, obj_id: int, action: str = "read", kinds=KINDS):
    """Content named by the path: unknown kinds and ids are 404 like invisible ones."""
    if kind not in kinds:
        fail(404)
    return services.load_content(kind, obj_id, api_user(), action)


def _body() -> dict:
    return json_body() if request.get_data() else {}


def _str(data: dict, name: str) -> str | None:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        fail(422, _("字段 %(name)s 必须是字符串。", name=name), field=name)
    return value


def _iso(dt):
    return dt.isoformat() if dt else None


def flag_json(f: Flag) -> dict:
    return {"id": f.id, "target_type": f.target_type, "target_id": f.target_id, "group_id": f.group_id,
            "reason": f.reason, "note": f.note, "status": f.status, "created_at": _iso(f.created_at),
            "resolved_at": _iso(f.resolved_at)}


def audit_json(a: AuditLog) -> dict:
    return {"id": a.id, "actor_id": a.actor_id, "action": a.action, "target_type": a.target_type,
            "target_id": a.target_id, "group_id": a.group_id, "school_id": a.school_id,
            "reason_code": a.reason_code, "reason_text": a.reason_text, "before": a.before or None,
            "after": a.after or None, "created_at": _iso(a.created_at)}


def _state(obj) -> dict:
    out = {"type": obj.doc_type, "id": obj.id, "deleted": obj.is_deleted, "reason": obj.deleted_reason}
    for attr in ("is_pinned", "is_locked", "is_featured"):
        if hasattr(obj, attr):
            out[attr[3:]] = getattr(obj, attr)
    if hasattr(obj, "board_id"):
        out["board_id"] = obj.board_id
    return out


@bp.route("/moderation/<kind>/<int:obj_id>/delete", methods=["POST"])
@require_user
def api_moderation_delete(kind: str, obj_id: int):
    """Soft-delete any content: {"reason","note"?} (reason codes: ethics, spam, duplicate, offtopic, other)."""
    obj = _load(kind, obj_id, "delete")
    data = _body()
    services.delete_content(obj, api_user(), _str(data, "reason"), _str(data, "note") or "")
    return jsonify(_state(obj))


@bp.route("/moderation/<kind>/<int:obj_id>/restore", methods=["POST"])
@require_user
def api_moderation_restore(kind: str, obj_id: int):
    """Restore soft-deleted content."""
    obj = _load(kind, obj_id, "restore")
    services.restore_content(obj, api_user())
    return jsonify(_state(obj))


@bp.route("/moderation/<kind>/<int:obj_id>", methods=["DELETE"])
@require_user
def api_moderation_purge(kind: str, obj_id: int):
    """Remove content for good (admins only; logged)."""
    obj = _load(kind, obj_id, "purge")
    services.purge_content(obj, api_user())
    return "", 204


@bp.route("/moderation/<kind>/<int:obj_id>/pin", methods=["POST"], defaults={"what": "pin"})
@bp.route("/moderation/<kind>/<int:obj_id>/lock", methods=["POST"], defaults={"what": "lock"})
@bp.route("/moderation/<kind>/<int:obj_id>/feature", methods=["POST"], defaults={"what": "feature"})
@require_user
def api_moderation_toggle(kind: str, obj_id: int, what: str):
    """Pin / lock / feature: {"value": true|false} (absent: flip)."""
    obj = _load(kind, obj_id, kinds=("entry", "thread"))
    value = _body().get("value")
    if value is not None and not isinstance(value, bool):
        fail(422, _("字段 value 必须是 true 或 false。"), field="value")
    services.set_toggle(obj, api_user(), what, value)
    return jsonify(_state(obj))


@bp.route("/moderation/thread/<int:obj_id>/move", methods=["POST"])
@require_user
def api_moderation_move(obj_id: int):
    """Move a thread: {"board_id"} (a board in the caller's scope)."""
    thread = _load("thread", obj_id, "move")
    data = json_body()
    board_id = data.get("board_id")
    if isinstance(board_id, bool) or not isinstance(board_id, int):
        fail(422, _("字段 board_id 必须是整数。"), field="board_id")
    board = db.session.get(Board, as_id(board_id)) if as_id(board_id) else None
    services.move_thread(thread, api_user(), board, _str(data, "note") or "")
    return jsonify(_state(thread))


@bp.route("/moderation/<kind>/<int:obj_id>/edit", methods=["POST"])
@require_user
def api_moderation_edit(kind: str, obj_id: int):
    """Edit a thread or reply: {"body", "title"? (threads)}; a moderator's edit is kept as a marked revision."""
    obj = _load(kind, obj_id, "edit", kinds=("thread", "post"))
    data = json_body()
    body = text_field(data, "body")
    title = text_field(data, "title", required=False, max_len=200, default="") or None if kind == "thread" else None
    services.edit_as_moderator(obj, api_user(), body=body, title=title)
    return jsonify({**_state(obj), "body": obj.body, "version": obj.version})


@bp.route("/moderation/<kind>/<int:obj_id>/flag", methods=["POST"])
@require_user
def api_moderation_flag(kind: str, obj_id: int):
    """Report content: {"reason","note"?} → 201."""
    obj = _load(kind, obj_id, "flag")
    data = json_body()
    flag = flag_service.flag_content(api_user(), obj, _str(data, "reason"), _str(data, "note") or "")
    return jsonify(flag_json(flag)), 201


def _group_arg() -> Group | None:
    raw = request.args.get("group")
    if raw in (None, ""):
        return None
    try:
        group_id = int(raw)
    except ValueError:
        fail(422, _("参数 group 必须是整数。"), field="group")
    group = db.session.get(Group, as_id(group_id)) if as_id(group_id) else None
    if group is None or not can(api_user(), "read", group):
        fail(404)
    if not can(api_user(), "see_audit", group):
        fail(403)
    return group


@bp.route("/moderation/flags", methods=["GET"])
@require_user
def api_moderation_flags():
    """Open flags in the groups the caller moderates (?group=ID for one)."""
    group = _group_arg()
    if group is None and not can(api_user(), "moderate_any"):
        fail(403)
    rows = db.session.scalars(flag_service.open_flags(api_user(), group.id if group else None).limit(200))
    return jsonify({"flags": [flag_json(f) for f in rows]})


@bp.route("/moderation/flags/<int:flag_id>/resolve", methods=["POST"])
@require_user
def api_moderation_resolve(flag_id: int):
    """Resolve a flag: {"outcome": "dismiss"|"delete", "reason"?, "note"?}."""
    flag = db.session.get(Flag, flag_id)
    if flag is None or not can(api_user(), "resolve", flag):
        fail(404)
    data = json_body()
    flag_service.resolve_flag(flag, api_user(), _str(data, "outcome") or "", _str(data, "reason"),
                              _str(data, "note") or "")
    return jsonify(flag_json(flag))


@bp.route("/moderation/audit", methods=["GET"])
@require_user
def api_moderation_audit():
    """The audit log rows the caller may see, newest first (?group=ID, ?before=ID)."""
    group = _group_arg()
    if group is None and not can(api_user(), "moderate_any"):
        fail(403)
    stmt = visible_log(api_user(), group.id if group else None)
    before = request.args.get("before", type=int)
    if as_id(before):
        stmt = stmt.where(AuditLog.id < before)
    return jsonify({"entries": [audit_json(a) for a in db.session.scalars(stmt.limit(100))]})


@bp.route("/moderation/users/<int:user_id>/suspend", methods=["POST"])
@require_user
def api_moderation_suspend(user_id: int):
    """Suspend a user: {"days"? (omit for indefinitely), "reason"}."""
    target = db.session.get(User, user_id)
    data = json_body()
    days = data.get("days")
    services.suspend_user(api_user(), target, days=days, reason=_str(data, "reason") or "")
    return jsonify({"id": target.id, "suspended": True, "until": _iso(target.suspended_until),
                    "indefinitely": target.is_suspended_indefinitely})


@bp.route("/moderation/users/<int:user_id>/unsuspend", methods=["POST"])
@require_user
def api_moderation_unsuspend(user_id: int):
    """Lift a suspension."""
    target = db.session.get(User, user_id)
    services.unsuspend_user(api_user(), target)
    return jsonify({"id": target.id, "suspended": False})



