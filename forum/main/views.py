"""Home page, language switch, health check."""
from __future__ import annotations

from flask import Blueprint, jsonify, make_response, redirect, render_template, request, session
from flask_login import current_user
from sqlalchemy import select, text

from forum.core.errors import fail
from forum.core.i18n import SUPPORTED
from forum.core.redirects import safe_next
from forum.extensions import db
from forum.org.models import Group, School
from forum.policy import visible_groups_clause

bp = Blueprint("main", __name__)


@bp.route("/")
def home():
    """District home: panels from every feature (latest entries, my groups, themes, preps…)."""
    my_groups = []
    if current_user.is_authenticated:
        from forum.org.models import Membership
        my_groups = db.session.scalars(
            select(Group).join(Membership).where(Membership.user_id == current_user.id).order_by(Group.name)
        ).all()
    return render_template("main/home.html", my_groups=my_groups)


@bp.route("/groups")
def list_groups():
    """All groups the visitor may see, by school."""
    groups = db.session.scalars(
        select(Group).where(visible_groups_clause(current_user)).order_by(Group.school_id, Group.name)
    ).all()
    schools = {s.id: s for s in db.session.scalars(select(School))}
    return render_template("main/groups.html", groups=groups, schools=schools)


@bp.route("/lang", methods=["POST"])
def set_language():
    """Switch the interface language; remembered on the account when signed in."""
    from forum.auth.forms import TokenForm  # any FlaskForm validates the CSRF token

    form = TokenForm()
    if not form.validate_on_submit():
        fail(400)
    lang = request.form.get("lang", "")
    if lang not in SUPPORTED:
        fail(422, field="lang")
    session["locale"] = lang
    if current_user.is_authenticated:
        current_user.locale = lang
        db.session.commit()
    resp = make_response(redirect(safe_next(request.form.get("next"), "/")))
    resp.set_cookie("locale", lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return resp


@bp.route("/healthz")
def health():
    """Liveness and database reachability."""
    db.session.execute(text("SELECT 1"))
    return jsonify({"status": "ok"})
