"""Board endpoints of the JSON API (DESIGN.md §5): threads, posts, conclude, soft delete."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from forum.api import bp
from forum.api.auth import api_user, json_body, require_user, text_field
from forum.boards import prep as prep_service
from forum.boards import services
from forum.boards.models import THREAD_KINDS, Board, Post, Thread
from forum.core.errors import fail
from forum.extensions import db
from forum.policy import can


def _board(board_id: int, action: str = "read") -> Board:
    board = db.session.get(Board, board_id)
    if board is None or not can(api_user(), "read", board):
        fail(404)
    if action != "read" and not can(api_user(), action, board):
        fail(403)
    return board


def _thread(thread_id: int) -> Thread:
    thread = db.session.get(Thread, thread_id)
    if thread is None or not can(api_user(), "read", thread):
        fail(404)
    return thread


def _post(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None or not can(api_user(), "read", post):
        fail(404)
    return post


def _iso(dt):
    return dt.isoformat() if dt else None


def thread_json(thread: Thread, *, full: bool = False) -> dict:
    """A thread as the API shows it."""
    data = {
        "id": thread.id,
        "board_id": thread.board_id,
        "title": thread.title,
        "kind": thread.kind,
        "author": {"id": thread.author_id, "display_name": thread.author.display_name},
        "tags": thread.tag_names,
        "theme_id": thread.theme_id,
        "is_pinned": thread.is_pinned,
        "is_locked": thread.is_locked,
        "is_featured": thread.is_featured,
        "is_deleted": thread.is_deleted,
        "reply_count": thread.reply_count,
        "created_at": _iso(thread.created_at),
        "last_post_at": _iso(thread.last_post_at),
        "url": url_for("boards.show_thread", thread_id=thread.id),
    }
    if thread.prep is not None:
        p = thread.prep
        data["prep"] = {
            "state": p.state, "lesson": p.lesson, "subject": p.subject, "grade": p.grade, "textbook": p.textbook,
            "scheduled_on": p.scheduled_on.isoformat() if p.scheduled_on else None,
            "lead_speaker_id": p.lead_speaker_id, "deadline_at": _iso(p.deadline_at),
            "is_overdue": prep_service.is_overdue(p), "summary_entry_id": p.summary_entry_id,
            "expected_participant_ids": sorted(x.user_id for x in p.participants),
        }
    if full:
        data["body"] = thread.body
        data["body_html"] = thread.html
    return data


def post_json(post: Post, viewer) -> dict:
    """A post; a deleted one the viewer may not see keeps its place with no content."""
    hidden = post.is_deleted and not can(viewer, "read", post)
    return {
        "id": post.id,
        "thread_id": post.thread_id,
        "parent_id": post.parent_id,
        "depth": post.depth,
        "position": post.position,
        "author": None if hidden else {"id": post.author_id, "display_name": post.author.display_name},
        "body": "" if hidden else post.body,
        "body_html": "" if hidden else post.html,
        "is_deleted": post.is_deleted,
        "is_adopted": post.is_adopted,
        "created_at": _iso(post.created_at),
        "url": url_for("boards.show_post", post_id=post.id),
    }


@bp.route("/boards/<int:board_id>/threads", methods=["GET"])
def api_list_threads(board_id: int):
    """Threads of a board (pinned first, then last activity); `before` is the cursor of the next page."""
    board = _board(board_id)
    threads, cursor = services.board_threads(board, api_user(), before=request.args.get("before"),
                                             limit=min(max(request.args.get("limit", 30, type=int) or 30, 1), 100))
    return jsonify({"threads": [thread_json(t) for t in threads], "next": cursor})


def _parse_dt(data: dict, name: str) -> datetime | None:
    value = data.get(name)
    if value in (None, ""):
        return None
    try:
        dt = datetime.fromisoformat(str(value))
    except ValueError:
        fail(422, _("字段 %(name)s 应为 ISO 8601 时间。", name=name), field=name)
    if dt.tzinfo is None:
        from forum.core.timezones import site_zone
        dt = dt.replace(tzinfo=site_zone())
    return dt.astimezone(timezone.utc)


@bp.route("/boards/<int:board_id>/threads", methods=["POST"])
@require_user
def api_create_thread(board_id: int):
    """Start a thread: {"title","body","kind"?,"tags"?,"theme_id"?}; a prep also takes lesson fields."""
    user = api_user()
    board = _board(board_id, "write")
    data = json_body()
    title = text_field(data, "title", max_len=services.TITLE_MAX)
    kind = text_field(data, "kind", required=False, default="discussion", max_len=20)
    if kind not in THREAD_KINDS:
        fail(422, _("字段 kind 必须是 %(kinds)s 之一。", kinds=", ".join(THREAD_KINDS)), field="kind")
    tags = data.get("tags")
    if tags is not None and not isinstance(tags, (list, str)):
        fail(422, _("字段 tags 必须是字符串或字符串列表。"), field="tags")
    theme_id = data.get("theme_id")
    if theme_id is not None and not isinstance(theme_id, int):
        fail(422, _("字段 theme_id 必须是整数。"), field="theme_id")
    if kind == "prep":
        body = text_field(data, "body", required=False, max_len=services.BODY_MAX)
        lead = data.get("lead_speaker_id")
        if lead is not None and not isinstance(lead, int):
            fail(422, _("字段 lead_speaker_id 必须是整数。"), field="lead_speaker_id")
        participants = data.get("participant_ids")
        if participants is not None and not (isinstance(participants, list)
                                             and all(isinstance(i, int) for i in participants)):
            fail(422, _("字段 participant_ids 必须是整数列表。"), field="participant_ids")
        scheduled = data.get("scheduled_on")
        scheduled_on = None
        if scheduled:
            from datetime import date
            try:
                scheduled_on = date.fromisoformat(str(scheduled))
            except ValueError:
                fail(422, _("字段 scheduled_on 应为 YYYY-MM-DD。"), field="scheduled_on")
        thread = prep_service.open_prep(
            board, user, title=title, body=body,
            lesson=text_field(data, "lesson", required=False, max_len=200),
            subject=text_field(data, "subject", required=False, max_len=40),
            grade=text_field(data, "grade", required=False, max_len=40),
            textbook=text_field(data, "textbook", required=False, max_len=80),
            scheduled_on=scheduled_on, lead_speaker_id=lead, deadline_at=_parse_dt(data, "deadline_at"),
            participant_ids=participants, tags=tags, theme_id=theme_id)
    else:
        body = text_field(data, "body", max_len=services.BODY_MAX)
        thread = services.start_thread(board, user, title, body, kind=kind, tags=tags, theme_id=theme_id)
    return jsonify({**thread_json(thread, full=True)}), 201


@bp.route("/threads/<int:thread_id>", methods=["GET"])
def api_show_thread(thread_id: int):
    """A thread with its posts (each with parent_id), in tree order; ?page= pages top-level replies."""
    user = api_user()
    thread = _thread(thread_id)
    pages = services.page_count(thread)
    page = request.args.get("page", type=int)
    q = select(Post).where(Post.thread_id == thread.id).options(joinedload(Post.author))
    if page is not None:
        if page < 1 or page > pages:
            fail(404)
        first, last = (page - 1) * services.PAGE_SIZE + 1, page * services.PAGE_SIZE
        roots = select(Post.id).where(Post.thread_id == thread.id, Post.position >= first, Post.position <= last)
        q = q.where(Post.root_id.in_(roots.scalar_subquery()))
    posts = db.session.scalars(q.order_by(Post.path)).unique().all()
    data = thread_json(thread, full=True)
    data["pages"] = pages
    data["posts"] = [post_json(p, user) for p in posts]
    return jsonify(data)


@bp.route("/threads/<int:thread_id>/posts", methods=["POST"])
@require_user
def api_reply(thread_id: int):
    """Reply: {"body","parent_id"?}; 409 if the thread is locked."""
    user = api_user()
    thread = _thread(thread_id)
    data = json_body()
    body = text_field(data, "body", max_len=services.BODY_MAX)
    parent_id = data.get("parent_id")
    if parent_id is not None and (not isinstance(parent_id, int) or isinstance(parent_id, bool)):
        fail(422, _("字段 parent_id 必须是整数。"), field="parent_id")
    post = services.reply(thread, user, body, parent_id=parent_id)
    return jsonify(post_json(post, user)), 201


@bp.route("/threads/<int:thread_id>/draft", methods=["POST"])
@require_user
def api_post_draft(thread_id: int):
    """The lead speaker posts the draft: {"body"}; drafting → discussing."""
    user = api_user()
    thread = _thread(thread_id)
    body = text_field(json_body(), "body", max_len=services.BODY_MAX)
    prep_service.post_draft(thread, user, body)
    return jsonify(thread_json(thread, full=True))


@bp.route("/posts/<int:post_id>/adopt", methods=["POST"])
@require_user
def api_adopt(post_id: int):
    """Adopt (采纳) a reply; a second adoption is 409."""
    post = prep_service.adopt(_post(post_id), api_user())
    return jsonify(post_json(post, api_user()))


@bp.route("/threads/<int:thread_id>/conclude", methods=["POST"])
@require_user
def api_conclude(thread_id: int):
    """Conclude a lesson preparation: {"summary"} → the published summary entry; a second call is 409."""
    user = api_user()
    thread = _thread(thread_id)
    data = json_body()
    if thread.prep is None:
        fail(409, _("这不是集体备课帖。"), "not_prep")
    if not can(user, "conclude", thread):
        fail(403, _("只有主持人或中心发言人可以定稿。"))
    if thread.prep.state == "concluded":
        fail(409, _("这次集体备课已经定稿。"), "invalid_state")
    summary = text_field(data, "summary", max_len=prep_service.SUMMARY_MAX)
    entry = prep_service.conclude(thread, user, summary)
    from forum.notifications.services import _entry_url

    return jsonify({
        "id": entry.id, "title": entry.title, "category": entry.category, "blog_id": entry.blog_id,
        "prep_thread_id": entry.prep_thread_id, "body": entry.body, "url": _entry_url(entry) or
        url_for("boards.show_thread", thread_id=thread.id),
    }), 201


def _reason(data: dict) -> tuple[str | None, str | None]:
    reason = data.get("reason")
    if reason is not None and not isinstance(reason, str):
        fail(422, _("字段 reason 必须是字符串。"), field="reason")
    note = data.get("note")
    if note is not None and not isinstance(note, str):
        fail(422, _("字段 note 必须是字符串。"), field="note")
    return (reason or None), (note or None)


def _optional_body() -> dict:
    return json_body() if request.get_data() else {}


@bp.route("/threads/<int:thread_id>", methods=["DELETE"])
@require_user
def api_delete_thread(thread_id: int):
    """Soft-delete a thread: {"reason"} (required from moderators who are not the author)."""
    thread = _thread(thread_id)
    reason, note = _reason(_optional_body())
    services.delete_thread(thread, api_user(), reason, note)
    return "", 204


@bp.route("/posts/<int:post_id>", methods=["DELETE"])
@require_user
def api_delete_post(post_id: int):
    """Soft-delete a reply: {"reason"} (required from moderators who are not the author)."""
    post = _post(post_id)
    reason, note = _reason(_optional_body())
    services.delete_post(post, api_user(), reason, note)
    return "", 204
