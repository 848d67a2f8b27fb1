"""Foundation endpoints: tokens, me, groups."""
from __future__ import annotations

from flask import jsonify, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from forum.api import bp
from forum.api.auth import api_user, json_body, require_user, text_field
from forum.auth import services
from forum.core.errors import fail
from forum.extensions import db, limiter
from forum.org.models import Group
from forum.policy import visible_groups_clause


def user_json(user) -> dict:
    """Public fields of a user."""
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "school": user.school.name if user.school else None,
    }


@bp.route("/tokens", methods=["POST"])
@limiter.limit(lambda: __import__("flask").current_app.config.get("LOGIN_RATE_LIMIT", "10 per minute"))
def create_token():
    """Exchange username and password for a bearer token."""
    data = json_body()
    username = text_field(data, "username", max_len=200)
    password = text_field(data, "password", max_len=1024)
    name = text_field(data, "name", required=False, max_len=80)
    user = services.authenticate(username, password)
    if user is None or user.is_suspended:
        fail(401, _("用户名或密码不正确，或账号暂时不能登录。"), "invalid_credentials")
    raw, token = services.issue_token(user, name or "api")
    return jsonify({"token": raw, "expires_at": token.expires_at.isoformat(), "id": token.id}), 201


@bp.route("/tokens/<int:token_id>", methods=["DELETE"])
@require_user
def revoke_token(token_id: int):
    """Revoke one of the caller's tokens."""
    if not services.revoke_token(api_user(), token_id):
        fail(404)
    return "", 204


@bp.route("/me")
@require_user
def me():
    """The caller, with their groups."""
    user = api_user()
    from forum.policy import _membership_map

    data = user_json(user)
    data["groups"] = [{"id": gid, "is_host": host} for gid, host in sorted(_membership_map(user).items())]
    return jsonify(data)


@bp.route("/groups")
def list_groups():
    """Groups the caller may see, each with its blog and board ids."""
    user = api_user()
    groups = db.session.scalars(select(Group).where(visible_groups_clause(user)).order_by(Group.id)).all()
    return jsonify({"groups": [group_json(g) for g in groups]})


def group_json(group: Group) -> dict:
    """A group as the API shows it."""
    return {
        "id": group.id,
        "name": group.name,
        "school": group.school.name if group.school else None,
        "subject": group.subject,
        "grade": group.grade,
        "visibility": group.visibility,
        "blog_id": group.blog.id if group.blog else None,
        "board_id": group.board.id if group.board else None,
        "url": url_for("org.show_group", group_id=group.id),
    }
