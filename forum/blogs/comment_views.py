"""Blog comments and guestbook messages: add, delete (with a reason for moderators), restore."""
from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forum.blogs import services
from forum.blogs.forms import CommentForm, ConfirmForm, DeleteForm, GuestbookForm
from forum.blogs.models import Comment, GuestbookMessage
from forum.blogs.views import _get_content, _render_blog, _render_entry, bp, get_blog, get_entry
from forum.core.errors import ApiError, fail


@bp.route("/entries/<int:entry_id>/comments", methods=["POST"])
@login_required
def add_comment(entry_id: int):
    """Comment on an entry (or reply to a comment)."""
    entry = get_entry(entry_id, "comment")
    form = CommentForm()
    if not form.validate():
        return _render_entry(entry, form, 422)
    try:
        comment = services.add_comment(entry, current_user, form.body.data, form.parent_id.data or None)
    except ApiError as exc:
        if exc.status != 422:
            raise
        form.body.errors = [exc.message]
        return _render_entry(entry, form, 422)
    return redirect(url_for("blogs.show_entry", entry_id=entry.id, _anchor=f"comment-{comment.id}"))


@bp.route("/comments/<int:comment_id>/delete", methods=["POST"])
@login_required
def delete_comment(comment_id: int):
    """Delete a comment (its author, or the blog's host with a reason)."""
    comment = _get_content(Comment, comment_id, "delete")
    form = DeleteForm()
    if not form.validate():
        fail(400)
    try:
        services.delete_comment(comment, current_user, form.reason.data or None, form.note.data or "")
        flash(_("评论已删除。"), "info")
    except ApiError as exc:
        if exc.status != 422:
            raise
        flash(exc.message, "error")
    return redirect(url_for("blogs.show_entry", entry_id=comment.entry_id, _anchor="comments"))


@bp.route("/comments/<int:comment_id>/restore", methods=["POST"])
@login_required
def restore_comment(comment_id: int):
    """Restore a deleted comment."""
    comment = _get_content(Comment, comment_id, "restore")
    if not ConfirmForm().validate():
        fail(400)
    services.restore_comment(comment, current_user)
    return redirect(url_for("blogs.show_entry", entry_id=comment.entry_id, _anchor=f"comment-{comment.id}"))


@bp.route("/<int:blog_id>/guestbook", methods=["POST"])
@login_required
def add_guestbook_message(blog_id: int):
    """Leave a guestbook message on a blog."""
    blog = get_blog(blog_id, "guestbook")
    form = GuestbookForm()
    if not form.validate():
        return _render_blog(blog, form, 422)
    try:
        services.add_guestbook_message(blog, current_user, form.body.data)
    except ApiError as exc:
        if exc.status != 422:
            raise
        form.body.errors = [exc.message]
        return _render_blog(blog, form, 422)
    flash(_("留言已发表。"), "info")
    return redirect(url_for("blogs.show_blog", blog_id=blog.id, _anchor="guestbook"))


@bp.route("/guestbook/<int:message_id>/delete", methods=["POST"])
@login_required
def delete_guestbook_message(message_id: int):
    """Delete a guestbook message (its author, or the blog's host/owner with a reason)."""
    msg = _get_content(GuestbookMessage, message_id, "delete")
    form = DeleteForm()
    if not form.validate():
        fail(400)
    try:
        services.delete_guestbook_message(msg, current_user, form.reason.data or None, form.note.data or "")
        flash(_("留言已删除。"), "info")
    except ApiError as exc:
        if exc.status != 422:
            raise
        flash(exc.message, "error")
    return redirect(url_for("blogs.show_blog", blog_id=msg.blog_id, _anchor="guestbook"))


@bp.route("/guestbook/<int:message_id>/restore", methods=["POST"])
@login_required
def restore_guestbook_message(message_id: int):
    """Restore a deleted guestbook message."""
    msg = _get_content(GuestbookMessage, message_id, "restore")
    if not ConfirmForm().validate():
        fail(400)
    services.restore_guestbook_message(msg, current_user)
    return redirect(url_for("blogs.show_blog", blog_id=msg.blog_id, _anchor="guestbook"))


# --- attachments ---------------------------------------------------------------------------------
