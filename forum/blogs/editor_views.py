"""The editor's background requests: autosave and discard a server draft, a fresh form token, my drafts."""
from __future__ import annotations

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from forum.blogs import drafts
from forum.blogs.models import CATEGORIES, Entry
from forum.blogs.views import bp, get_blog, get_entry
from forum.core.errors import fail
from forum.extensions import db


def _signed_in() -> None:
    """Background requests answer 401 (not a redirect to the sign-in page) when the session is gone."""
    if not current_user.is_authenticated:
        fail(401, _("登录已过期，请重新登录。"))


def _save(blog, entry):
    form = request.form
    row = drafts.autosave(
        current_user, blog, entry, title=form.get("title", ""), body=form.get("body", ""),
        category=form.get("category", ""), tags=form.get("tags", ""),
        fields={name: form.get(name, "") for name in drafts.FIELD_NAMES}, base_version=form.get("version"))
    from forum.core.timezones import local

    return jsonify({"saved_at": row.updated_at.isoformat(),
                    "saved_label": local(row.updated_at).strftime("%H:%M:%S"),
                    "csrf_token": generate_csrf()})


@bp.route("/<int:blog_id>/autosave", methods=["POST"])
def autosave_new_entry(blog_id: int):
    """Keep the text of a new entry being written on this blog (private to its author)."""
    _signed_in()
    return _save(get_blog(blog_id, "write"), None)


@bp.route("/entries/<int:entry_id>/autosave", methods=["POST"])
def autosave_entry(entry_id: int):
    """Keep the text of an edit in progress, apart from the entry (the published body is untouched)."""
    _signed_in()
    entry = get_entry(entry_id, "edit")
    return _save(entry.blog, entry)


@bp.route("/<int:blog_id>/autosave/discard", methods=["POST"])
def discard_new_entry_autosave(blog_id: int):
    """Throw away the autosave of a new entry on this blog."""
    _signed_in()
    drafts.discard(current_user, drafts.slot_for(get_blog(blog_id), None))
    return jsonify({"discarded": True})


@bp.route("/entries/<int:entry_id>/autosave/discard", methods=["POST"])
def discard_entry_autosave(entry_id: int):
    """Throw away the autosave of an edit."""
    _signed_in()
    entry = get_entry(entry_id)
    drafts.discard(current_user, drafts.slot_for(entry.blog, entry))
    return jsonify({"discarded": True})


@bp.route("/editor-token")
def editor_token():
    """A fresh CSRF token for an editor page left open across a sign-out or a new session."""
    _signed_in()
    resp = jsonify({"csrf_token": generate_csrf()})
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/drafts")
@login_required
def my_drafts():
    """我的草稿: the signed-in teacher's draft entries and the editor's autosaves, on every blog."""
    entries = db.session.scalars(select(Entry).where(
        Entry.author_id == current_user.id, Entry.status == "draft", Entry.is_deleted.is_(False))
        .order_by(Entry.updated_at.desc()).limit(100)).all()
    return render_template("blogs/drafts.html", entries=entries, autosaves=drafts.my_autosaves(current_user),
                           categories=CATEGORIES)
