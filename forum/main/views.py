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
    """Switch the interface language; remembered on the account when signed in.

    A visitor's choice is only a cookie, so the form carries no CSRF token and the visitor gets no
    session: visitors' pages hold nothing personal (forum/core/pagecache.py). The worst a forged
    switch can do is change a visitor's language. A signed-in user's switch writes the account and
    is CSRF-checked as every other form.
    """
    from flask import current_app

    from forum.extensions import csrf

    if current_user.is_authenticated and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()
    lang = request.form.get("lang", "")
    if lang not in SUPPORTED:
        fail(422, field="lang")
    if current_user.is_authenticated:
        session["locale"] = lang
        current_user.locale = lang
        db.session.commit()
    elif session.get("locale"):
        session["locale"] = lang  # an older session's choice would otherwise win over the cookie
    resp = make_response(redirect(safe_next(request.form.get("next"), "/")))
    resp.set_cookie("locale", lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return resp


@bp.route("/healthz")
def health():
    """Liveness and database reachability."""
    db.session.execute(text("SELECT 1"))
    return jsonify({"status": "ok"})
