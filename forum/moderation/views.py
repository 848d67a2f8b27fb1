"""Moderation pages: flag queue, audit log, reasoned delete/restore/purge, pin/lock/feature, move, suspension."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from forum.auth.models import User
from forum.boards.models import Board
from forum.core.errors import ApiError, fail
from forum.core.redirects import safe_next
from forum.core.ids import as_id
from forum.extensions import db
from forum.moderation import flags as flag_service
from forum.moderation import services
from forum.moderation.audit import visible_log
from forum.moderation.forms import ConfirmForm, MoveForm, ReasonForm, ResolveForm, SuspendForm
from forum.moderation.models import AuditLog, Flag
from forum.org.models import Group
from forum.policy import can

bp = Blueprint("moderation", __name__, url_prefix="/moderation")
KINDS = "any(entry, comment, guestbook, thread, post)"
PER_PAGE = 50


def content_url(obj) -> str:
    """The page that shows `obj` (for a deleted post: its place in the thread)."""
    kind = getattr(obj, "doc_type", "")
    if kind == "entry":
        return url_for("blogs.show_entry", entry_id=obj.id)
    if kind == "comment":
        return url_for("blogs.show_entry", entry_id=obj.entry_id, _anchor=f"comment-{obj.id}")
    if kind == "guestbook":
        return url_for("blogs.show_blog", blog_id=obj.blog_id, _anchor=f"gb-{obj.id}")
    if kind == "thread":
        return url_for("boards.show_thread", thread_id=obj.id)
    if kind == "post":
        return url_for("boards.show_post", post_id=obj.id)
    return url_for("main.home")


def _back(obj, form=None) -> str:
    target = (form.next.data if form is not None and getattr(form, "next", None) is not None else None) \
        or request.args.get("next")
    return safe_next(target, content_url(obj))


def _check_csrf(form) -> None:
    if not form.validate_on_submit():
        fail(400, _("表单已失效，请刷新页面后重试。"))


def _group_arg() -> Group | None:
    """?group=ID: a group the user may read (404) and moderate (403)."""
    raw = request.args.get("group", type=int)
    if raw is None:
        return None
    group = db.session.get(Group, as_id(raw)) if as_id(raw) else None
    if group is None or not can(current_user, "read", group):
        fail(404)
    if not can(current_user, "see_audit", group):
        fail(403)
    return group


# --- content actions ------------------------------------------------------------------------------

@bp.route(f"/<{KINDS}:kind>/<int:obj_id>/delete", methods=["POST"])
@login_required
def delete_content(kind: str, obj_id: int):
    """Soft-delete content with a reason code (the author is told the reason)."""
    obj = services.load_content(kind, obj_id, current_user, "delete")
    form = ReasonForm()
    _check_csrf(form)
    try:
        services.delete_content(obj, current_user, form.reason.data or None, form.note.data or "")
    except ApiError as exc:
        if exc.status != 422:
            raise
        flash(exc.message, "error")
        return redirect(_back(obj, form))
    flash(_("内容已删除。"), "info")
    return redirect(_back(obj, form))


@bp.route(f"/<{KINDS}:kind>/<int:obj_id>/restore", methods=["POST"])
@login_required
def restore_content(kind: str, obj_id: int):
    """Restore soft-deleted content."""
    obj = services.load_content(kind, obj_id, current_user, "restore")
    form = ConfirmForm()
    _check_csrf(form)
    services.restore_content(obj, current_user)
    flash(_("内容已恢复。"), "info")
    return redirect(_back(obj, form))


@bp.route(f"/<{KINDS}:kind>/<int:obj_id>/purge", methods=["POST"])
@login_required
def purge_content(kind: str, obj_id: int):
    """Remove content for good (admins only; logged)."""
    obj = services.load_content(kind, obj_id, current_user, "purge")
    _check_csrf(ConfirmForm())
    services.purge_content(obj, current_user)
    flash(_("内容已彻底删除。"), "info")
    return redirect(url_for("moderation.audit_log"))


@bp.route("/<any(entry, thread):kind>/<int:obj_id>/<any(pin, lock, feature):what>", methods=["POST"])
@login_required
def toggle_content(kind: str, obj_id: int, what: str):
    """Pin / lock / feature a thread or entry, or undo it (`value` 1 or 0; absent flips)."""
    obj = services.load_content(kind, obj_id, current_user)
    form = ConfirmForm()
    _check_csrf(form)
    raw = request.form.get("value")
    value = None if raw in (None, "") else raw in ("1", "true", "on")
    new = services.set_toggle(obj, current_user, what, value)
    labels = {"pin": (_("已置顶。"), _("已取消置顶。")), "lock": (_("已锁定。"), _("已解除锁定。")),
              "feature": (_("已设为精华。"), _("已取消精华。"))}
    flash(labels[what][0 if new else 1], "info")
    return redirect(_back(obj, form))


@bp.route("/thread/<int:obj_id>/move", methods=["GET", "POST"])
@login_required
def move_thread(obj_id: int):
    """Move a thread to another board in the moderator's scope."""
    thread = services.load_content("thread", obj_id, current_user, "move")
    form = MoveForm()
    targets = services.move_targets(current_user, thread)
    form.board_id.choices = [(b.id, b.name) for b in targets]
    if request.method == "POST":
        board = db.session.get(Board, request.form.get("board_id", type=int) or 0)
        if board is None or not can(current_user, "read", board):
            fail(404)
        if not can(current_user, "move_to", board):
            fail(403, _("只能移动到你管理的版块。"))
        _check_csrf(form)
        services.move_thread(thread, current_user, board, form.note.data or "")
        flash(_("帖子已移动到“%(name)s”。", name=board.name), "info")
        return redirect(url_for("boards.show_thread", thread_id=thread.id))
    return render_template("moderation/move.html", thread=thread, form=form, targets=targets)


@bp.route(f"/<{KINDS}:kind>/<int:obj_id>/flag", methods=["POST"])
@login_required
def flag_content(kind: str, obj_id: int):
    """Report content to the group's host."""
    obj = services.load_content(kind, obj_id, current_user, "flag")
    form = ReasonForm()
    _check_csrf(form)
    try:
        flag_service.flag_content(current_user, obj, form.reason.data, form.note.data or "")
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        flash(exc.message, "error")
        return redirect(_back(obj, form))
    flash(_("已举报，主持人会尽快处理。"), "info")
    return redirect(_back(obj, form))


# --- flag queue -----------------------------------------------------------------------------------

@bp.route("/")
@login_required
def index():
    """The moderation home is the flag queue."""
    return redirect(url_for("moderation.queue"))


@bp.route("/queue")
@login_required
def queue():
    """Open flags in the groups the user moderates, oldest first."""
    group = _group_arg()
    if group is None and not can(current_user, "moderate_any"):
        fail(403)
    rows = db.session.scalars(flag_service.open_flags(current_user, group.id if group else None).limit(200)).all()
    items = []
    for flag in rows:
        target = flag_service.flag_target(flag)
        items.append({"flag": flag, "target": target, "url": content_url(target) if target is not None else ""})
    return render_template("moderation/queue.html", items=items, group=group, form=ResolveForm())


@bp.route("/flags/<int:flag_id>/resolve", methods=["POST"])
@login_required
def resolve_flag(flag_id: int):
    """Dismiss a flag or delete the flagged content with a reason."""
    flag = db.session.get(Flag, flag_id)
    if flag is None or not can(current_user, "resolve", flag):
        fail(404)
    form = ResolveForm()
    _check_csrf(form)
    try:
        flag_service.resolve_flag(flag, current_user, form.outcome.data, form.reason.data or None,
                                  form.note.data or "")
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        flash(exc.message, "error")
        return redirect(url_for("moderation.queue"))
    flash(_("举报已处理。"), "info")
    return redirect(url_for("moderation.queue"))


@bp.route("/my-flags")
@login_required
def my_flags():
    """The reports the user made, with their outcome."""
    rows = db.session.scalars(select(Flag).where(Flag.reporter_id == current_user.id)
                              .order_by(Flag.id.desc()).limit(100)).all()
    return render_template("moderation/my_flags.html", flags=rows)


# --- audit log ------------------------------------------------------------------------------------

@bp.route("/audit")
@login_required
def audit_log():
    """The audit log: hosts see their groups', leaders their scope's, admins everything."""
    group = _group_arg()
    if group is None and not can(current_user, "moderate_any"):
        fail(403)
    stmt = visible_log(current_user, group.id if group else None)
    before = request.args.get("before", type=int)
    if as_id(before):
        stmt = stmt.where(AuditLog.id < before)
    rows = db.session.scalars(stmt.limit(PER_PAGE + 1)).all()
    more = len(rows) > PER_PAGE
    rows = rows[:PER_PAGE]
    groups = {g.id: g for g in db.session.scalars(select(Group).where(
        Group.id.in_({r.group_id for r in rows if r.group_id})))}
    return render_template("moderation/audit.html", rows=rows, group=group, groups=groups,
                           next_before=rows[-1].id if more else None)


# --- suspension -----------------------------------------------------------------------------------

def _target_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        fail(404)
    if not can(current_user, "suspend", user):
        fail(403)
    return user


@bp.route("/users/<int:user_id>/suspend", methods=["GET", "POST"])
@login_required
def suspend_user(user_id: int):
    """Suspend a user for some days or indefinitely (admins, leaders in scope)."""
    user = _target_user(user_id)
    form = SuspendForm()
    if form.validate_on_submit():
        days = None if form.indefinite.data else form.days.data
        if days is None and not form.indefinite.data:
            form.days.errors = list(form.days.errors) + [_("请填写停用天数，或选择无限期。")]
        else:
            services.suspend_user(current_user, user, days=days, reason=form.reason.data)
            flash(_("已停用 %(name)s。", name=user.display_name), "info")
            return redirect(url_for("moderation.suspend_user", user_id=user.id))
    status = 422 if request.method == "POST" else 200
    return render_template("moderation/suspend.html", user=user, form=form, confirm=ConfirmForm()), status


@bp.route("/users/<int:user_id>/unsuspend", methods=["POST"])
@login_required
def unsuspend_user(user_id: int):
    """Lift a suspension."""
    user = _target_user(user_id)
    _check_csrf(ConfirmForm())
    services.unsuspend_user(current_user, user)
    flash(_("已恢复 %(name)s 的账号。", name=user.display_name), "info")
    return redirect(url_for("moderation.suspend_user", user_id=user.id))

