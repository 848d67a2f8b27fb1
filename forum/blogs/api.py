"""Blog endpoints of the JSON API (DESIGN.md §5): entries, comments, deletes."""
from __future__ import annotations

from flask import jsonify, request, url_for
from flask_babel import gettext as _

from forum.api import bp
from forum.api.auth import api_user, json_body, require_user
from forum.blogs import services
from forum.blogs.models import CATEGORIES, Blog, Comment, Entry
from forum.core.errors import fail
from forum.core.markup import html_snippet
from forum.extensions import db
from forum.policy import can

PER_PAGE = 20
MAX_PAGE = 100_000


def _load(model, obj_id: int, action: str = "read"):
    """404 for unknown or invisible ids, 403 when visible but not allowed."""
    user = api_user()
    obj = db.session.get(model, obj_id) if obj_id < 2**63 else None  # beyond any database integer
    if obj is None or not can(user, "read", obj):
        fail(404)
    if action != "read" and not can(user, action, obj):
        fail(403)
    return obj


def entry_json(e: Entry, *, full: bool = False) -> dict:
    """An entry as the API shows it (strings are JSON-escaped by the encoder)."""
    data = {
        "id": e.id,
        "blog_id": e.blog_id,
        "title": e.title,
        "category": e.category,
        "category_name": CATEGORIES.get(e.category, e.category),
        "tags": e.tag_names,
        "status": e.status,
        "author": {"id": e.author.id, "display_name": e.author.display_name} if e.author else None,
        "published_at": e.published_at.isoformat() if e.published_at else None,
        "updated_at": e.updated_at.isoformat() if e.updated_at else None,
        "comment_count": e.comment_count,
        "version": e.version,
        "url": url_for("blogs.show_entry", entry_id=e.id),
        "stage": e.stage, "subject": e.subject, "grade": e.grade, "textbook": e.textbook, "unit": e.unit,
    }
    if full:
        data["body"] = e.body
        data["html"] = e.html
    else:
        data["snippet"] = html_snippet(e.html, 120)
    return data


def comment_json(c: Comment) -> dict:
    return {
        "id": c.id,
        "entry_id": c.entry_id,
        "parent_id": c.parent_id,
        "author": {"id": c.author.id, "display_name": c.author.display_name} if c.author else None,
        "body": c.body,
        "html": c.html,
        "created_at": c.created_at.isoformat(),
        "url": url_for("blogs.show_entry", entry_id=c.entry_id, _anchor=f"comment-{c.id}"),
    }


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        fail(422, _("参数 %(name)s 必须是整数。", name=name), field=name)
    if value < 1:
        fail(422, _("参数 %(name)s 必须大于 0。", name=name), field=name)
    # A page past any real blog, and too big for the database's OFFSET: an empty page, not a 500.
    return min(value, MAX_PAGE)


@bp.route("/blogs/<int:blog_id>/entries", methods=["GET"])
def list_blog_entries(blog_id: int):
    """Published entries of a blog the caller may read, newest first (?page=&category=&tag=)."""
    blog = _load(Blog, blog_id)
    category = request.args.get("category") or None
    if category is not None and category not in CATEGORIES:
        fail(422, _("类别无效。"), field="category")
    page = _int_arg("page", 1)
    query = services.visible_entries(api_user(), blog, category=category, tag=request.args.get("tag") or None)
    total = services.count(query)
    rows = db.session.scalars(services.for_listing(query).order_by(Entry.published_at.desc(), Entry.id.desc())
                              .limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return jsonify({"blog_id": blog.id, "title": blog.title, "total": total, "page": page,
                    "per_page": PER_PAGE, "entries": [entry_json(e) for e in rows]})


@bp.route("/blogs/<int:blog_id>/entries", methods=["POST"])
@require_user
def create_blog_entry(blog_id: int):
    """Write an entry: {"title","body","category","tags"?,"status"?, teaching metadata?} → 201."""
    blog = _load(Blog, blog_id)
    user = api_user()
    if not can(user, "write", blog):
        fail(403, _("你不能在这个博客发表日志。"))
    data = json_body()
    for name in ("title", "body", "category"):
        if name not in data or data[name] is None:
            fail(422, _("缺少字段：%(name)s", name=name), field=name)
    status = data.get("status", "published")
    entry = services.create_entry(blog, user, title=data["title"], body=data["body"], category=data["category"],
                                  tags=data.get("tags"), meta={k: data[k] for k in services.META_FIELDS if k in data},
                                  status=status)
    return jsonify(entry_json(entry, full=True)), 201


@bp.route("/entries/<int:entry_id>", methods=["GET"])
def get_blog_entry(entry_id: int):
    """One entry the caller may read, with its Markdown and sanitized HTML."""
    return jsonify(entry_json(_load(Entry, entry_id), full=True))


@bp.route("/entries/<int:entry_id>/comments", methods=["POST"])
@require_user
def create_entry_comment(entry_id: int):
    """Comment on an entry: {"body","parent_id"?} → 201."""
    entry = _load(Entry, entry_id, "comment")
    data = json_body()
    if "body" not in data or data["body"] is None:
        fail(422, _("缺少字段：%(name)s", name="body"), field="body")
    parent_id = data.get("parent_id")
    if parent_id is not None and (isinstance(parent_id, bool) or not isinstance(parent_id, int)):
        fail(422, _("字段 parent_id 必须是整数。"), field="parent_id")
    comment = services.add_comment(entry, api_user(), data["body"], parent_id)
    return jsonify(comment_json(comment)), 201


def _reason() -> tuple[str | None, str]:
    """The optional {"reason","note"} body of a DELETE."""
    if not request.get_data():
        return None, ""
    data = json_body()
    reason = data.get("reason")
    note = data.get("note") or ""
    if reason is not None and not isinstance(reason, str):
        fail(422, _("字段 reason 必须是字符串。"), field="reason")
    if not isinstance(note, str) or len(note) > 500:
        fail(422, _("字段 note 必须是不超过 500 字的字符串。"), field="note")
    return reason, note


@bp.route("/entries/<int:entry_id>", methods=["DELETE"])
@require_user
def delete_blog_entry(entry_id: int):
    """Soft-delete an entry: {"reason"} (a reason code; the author may omit it)."""
    entry = _load(Entry, entry_id, "delete")
    reason, note = _reason()
    services.delete_entry(entry, api_user(), reason, note)
    return jsonify({"id": entry.id, "deleted": True, "reason": entry.deleted_reason})


@bp.route("/comments/<int:comment_id>", methods=["DELETE"])
@require_user
def delete_entry_comment(comment_id: int):
    """Soft-delete a comment: {"reason"} (a reason code; the author may omit it)."""
    comment = _load(Comment, comment_id, "delete")
    reason, note = _reason()
    services.delete_comment(comment, api_user(), reason, note)
    return jsonify({"id": comment.id, "deleted": True, "reason": comment.deleted_reason})
