"""Notification pages: the list, mark one read, mark all read."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from forum.core.errors import fail
from forum.core.redirects import safe_next
from forum.extensions import db
from forum.notifications import services
from forum.notifications.models import Notification

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
PER_PAGE = 30


@bp.route("/")
@login_required
def index():
    """My notifications, newest first (keyset by id), hiding those whose target I can no longer read."""
    before = request.args.get("before", type=int)
    q = select(Notification).where(Notification.user_id == current_user.id).options(selectinload(Notification.actor))
    if before:
        q = q.where(Notification.id < before)
    rows = list(db.session.scalars(q.order_by(Notification.id.desc()).limit(PER_PAGE + 1)))
    more = len(rows) > PER_PAGE
    rows = rows[:PER_PAGE]
    items = services.visible(current_user, rows)
    return render_template("notifications/index.html", items=items, form=FlaskForm(),
                           next_before=rows[-1].id if more and rows else None)


@bp.route("/<int:notification_id>/read", methods=["POST"])
@login_required
def mark_read(notification_id: int):
    """Mark one notification read, then follow its link (or go back to the list)."""
    if not FlaskForm().validate_on_submit():
        fail(400)
    n = db.session.get(Notification, notification_id)
    if n is None or n.user_id != current_user.id:
        fail(404)
    services.mark_read(current_user, notification_id)
    item = services.visible(current_user, [n])
    target = item[0]["url"] if item and item[0]["url"] and request.form.get("go") else None
    return redirect(target or safe_next(request.form.get("next"), url_for("notifications.index")))


@bp.route("/read-all", methods=["POST"])
@login_required
def mark_all_read():
    """Mark every notification read."""
    if not FlaskForm().validate_on_submit():
        fail(400)
    services.mark_read(current_user)
    from flask import flash

    flash(_("已全部标为已读。"), "success")
    return redirect(url_for("notifications.index"))
