"""Attachment routes: upload (form, or the editor's paste/drop as JSON), remove, download, inline view."""
from __future__ import annotations

from flask import flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from forum.blogs import attachments
from forum.blogs.forms import ConfirmForm, EntryForm, UploadForm
from forum.blogs.models import Attachment, Entry
from forum.blogs.views import _editor, _get, bp, get_blog, get_entry
from forum.core.errors import ApiError, fail
from forum.policy import can


@bp.route("/<int:blog_id>/attachments", methods=["POST"], defaults={"entry_id": None})
@bp.route("/entries/<int:entry_id>/attachments", methods=["POST"], defaults={"blog_id": None})
def upload_attachment(entry_id: int | None, blog_id: int | None):
    """Attach a file to an entry, or (blog_id) keep it for the new entry being written on that blog.

    The editor's paste/drop asks for JSON and gets the file's Markdown; the plain form gets the editor
    page again, with the saved draft intact when the file is refused.
    """
    from forum.core.errors import wants_json

    if not current_user.is_authenticated:
        if wants_json():
            fail(401)
        return redirect(url_for("auth.login", next=request.path))
    entry = get_entry(entry_id, "edit") if entry_id is not None else None
    if entry is None:
        get_blog(blog_id, "write")
    upload = request.files.get("file")
    form = UploadForm()
    if not form.validate():
        fail(400)
    try:
        if upload is None or not upload.filename:
            fail(422, _("请选择要上传的文件。"), field="file")
        att = attachments.save_upload(entry, current_user, upload.filename, upload.stream)
    except ApiError as exc:
        if exc.status not in (413, 422, 503) or wants_json() or entry is None:
            raise
        return _editor(_entry_form(entry), entry.blog, entry, status=exc.status, upload_error=exc.message)
    if wants_json() or entry is None:
        return jsonify(_attachment_json(att)), 201
    flash(_("附件“%(name)s”已上传。", name=att.original_name), "info")
    return redirect(url_for("blogs.edit_entry", entry_id=entry.id, _anchor="attachments"))


def _attachment_json(att: Attachment) -> dict:
    """An uploaded file as the editor inserts it: images inline, other files as a download link."""
    url = url_for("blogs.download_attachment", attachment_id=att.id)
    is_image = att.extension in ("jpg", "jpeg", "png")
    label = att.original_name.replace("[", "(").replace("]", ")")
    if is_image:
        inline = url_for("blogs.inline_attachment", attachment_id=att.id)
        markdown = f"![{label.rpartition('.')[0] or label}]({inline})"
    else:
        inline = url_for("blogs.inline_attachment", attachment_id=att.id) if att.extension in attachments.INLINE else None
        markdown = f"[{label}]({url})"
    return {"id": att.id, "name": att.original_name, "size": att.size, "url": url, "inline_url": inline,
            "is_image": is_image, "pending": att.entry_id is None, "markdown": markdown}


def _entry_form(entry: Entry) -> EntryForm:
    form = EntryForm(formdata=None, obj=entry)
    form.tags.data = " ".join(entry.tag_names)
    form.version.data = str(entry.version)
    return form


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc):
    """A too-big upload: say so clearly and show the editor again (the draft is already saved)."""
    from forum.core.errors import error_response, wants_json

    if request.endpoint == "blogs.upload_attachment" and not wants_json():
        entry = _get(Entry, (request.view_args or {}).get("entry_id", 0))
        if entry is not None and can(current_user, "edit", entry):
            return _editor(_entry_form(entry), entry.blog, entry, status=413,
                           upload_error=attachments.too_large_message())
    return error_response(413, attachments.too_large_message())


@bp.route("/attachments/<int:attachment_id>/delete", methods=["POST"])
@login_required
def delete_attachment(attachment_id: int):
    """Remove an attachment from an entry."""
    att = _get(Attachment, attachment_id)
    if att is None or not can(current_user, "download", att):
        fail(404)
    if not ConfirmForm().validate():
        fail(400)
    attachments.delete_attachment(att, current_user)
    from forum.core.errors import wants_json

    if wants_json():
        return jsonify({"id": att.id, "deleted": True})
    flash(_("附件已删除。"), "info")
    if att.entry_id is None:
        return redirect(url_for("blogs.my_drafts"))
    return redirect(url_for("blogs.edit_entry", entry_id=att.entry_id, _anchor="attachments"))


@bp.route("/attachments/<int:attachment_id>")
def download_attachment(attachment_id: int):
    """Download a file, under the entry's visibility rule, with its original (Chinese) name."""
    att = _get(Attachment, attachment_id)
    if att is None or not can(current_user, "download", att):
        fail(404)
    return attachments.send_attachment(att)


@bp.route("/attachments/<int:attachment_id>/inline")
def inline_attachment(attachment_id: int):
    """An image or video shown inside its entry."""
    att = _get(Attachment, attachment_id)
    if att is None or not can(current_user, "download", att) or att.extension not in attachments.INLINE:
        fail(404)
    return attachments.send_attachment(att, inline=True)
