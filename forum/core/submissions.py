"""Idempotent creation: a second submission of the same form (or API call) returns the first one's object.

A form carries a `submission_key` made when it was rendered; an API client may send an
`Idempotency-Key` header. The first new content a request writes claims (user, key) in a
`submissions` row inside the content's own transaction; the unique constraint on (user_id, key)
makes a double click, a resubmitted form or a retried call — on any worker or host — find the
first object instead of creating a second. Without a key nothing is deduplicated.
"""
from __future__ import annotations

import hashlib
import re
import uuid
from datetime import datetime

from flask import Flask, flash, g, has_request_context, jsonify, redirect, request
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import ForeignKey, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from forum.core.db import utcnow
from forum.extensions import db

FORM_FIELD, HEADER = "submission_key", "Idempotency-Key"
_KEY_OK = re.compile(r"^[A-Za-z0-9_.:\-]{8,64}$")


class Submission(db.Model):
    """The object a (user, submission key) created."""

    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    doc_type: Mapped[str] = mapped_column(String(16))
    doc_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DuplicateSubmission(Exception):
    """This request's key already created an object."""

    def __init__(self, found: Submission):
        super().__init__(f"{found.doc_type} {found.doc_id}")
        self.found = found


def request_key() -> str | None:
    """The request's submission key (form field or header) scoped to its URL; a malformed one is ignored.

    Scoping by path means a key reused on another endpoint starts a new object rather than
    answering with an unrelated one.
    """
    if not has_request_context() or request.method != "POST":
        return None
    raw = request.headers.get(HEADER) or (request.form.get(FORM_FIELD) if request.form else None)
    raw = (raw or "").strip()
    if not _KEY_OK.match(raw):
        return None
    return hashlib.sha256(f"{request.path}\n{raw}".encode()).hexdigest()


def claim(content, user_id: int) -> None:
    """Claim the request's key for new `content` (already flushed), once per request; caller commits."""
    from forum.search.documents import MODELS

    key = request_key()
    # Per request (request.environ), not `g`: an app context can outlive one request.
    if key is None or request.environ.get("jy.submission_claimed") or content.doc_type not in MODELS:
        return
    request.environ["jy.submission_claimed"] = True
    found = _lookup(user_id, key)
    if found is not None:
        raise DuplicateSubmission(found)
    db.session.add(Submission(user_id=user_id, key=key, doc_type=content.doc_type, doc_id=content.id))


def _lookup(user_id: int, key: str) -> Submission | None:
    return db.session.scalar(select(Submission).where(Submission.user_id == user_id, Submission.key == key))


def _answer(found: Submission):
    from forum.core.errors import wants_json
    from forum.search.documents import MODELS
    from forum.search.service import content_url

    row = db.session.get(MODELS[found.doc_type], found.doc_id)
    url = content_url(found.doc_type, row) if row is not None else "/"
    if wants_json():
        return jsonify({"id": found.doc_id, "type": found.doc_type, "url": url, "duplicate": True}), 200
    flash(_("这份内容已经提交过了，没有重复发布。"), "info")
    return redirect(url)


def init_app(app: Flask) -> None:
    """The form field as a template global, and the answers to a repeated submission."""
    def submission_field() -> Markup:
        g.jy_personal = True  # a key made for this form: the page is not for anyone else (pagecache)
        return Markup(f'<input type="hidden" name="{FORM_FIELD}" value="{uuid.uuid4().hex}">')

    app.jinja_env.globals["submission_field"] = submission_field

    @app.errorhandler(DuplicateSubmission)
    def _duplicate(exc: DuplicateSubmission):
        found = (exc.found.user_id, exc.found.key)
        db.session.rollback()
        return _answer(_lookup(*found))

    @app.errorhandler(IntegrityError)
    def _integrity(exc: IntegrityError):
        db.session.rollback()
        key = request_key()
        from flask_login import current_user

        user = g.get("api_user") or current_user
        found = _lookup(user.id, key) if key and getattr(user, "is_authenticated", False) else None
        if found is None:  # not a repeated submission: the generic conflict answer
            from forum.core.errors import error_response

            return error_response(409, _("操作与当前状态冲突，请刷新后重试。"))
        return _answer(found)  # two copies raced: the other one committed first
