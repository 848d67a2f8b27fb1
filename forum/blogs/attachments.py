"""Courseware uploads: extension allowlist, content checks, generated storage names, safe downloads."""
from __future__ import annotations

import errno
import hashlib
import io
import os
import re
import unicodedata
import uuid
import zipfile
from pathlib import Path

from flask import current_app, send_file
from flask_babel import gettext as _

from forum.blogs.models import Attachment, Entry
from forum.core.errors import fail
from forum.extensions import db
from forum.policy import can

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# extension → (content type, what the content must look like)
TYPES: dict[str, tuple[str, str]] = {
    "pdf": ("application/pdf", "pdf"),
    "doc": ("application/msword", "ole2"),
    "xls": ("application/vnd.ms-excel", "ole2"),
    "ppt": ("application/vnd.ms-powerpoint", "ole2"),
    "wps": ("application/vnd.ms-works", "ole2"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "ooxml:word/"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "ooxml:xl/"),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "ooxml:ppt/"),
    "jpg": ("image/jpeg", "jpeg"),
    "jpeg": ("image/jpeg", "jpeg"),
    "png": ("image/png", "png"),
    "mp4": ("video/mp4", "mp4"),
}
INLINE = {"jpg", "jpeg", "png", "mp4"}
# HTML inside a PDF could be sniffed and run by a careless viewer; such files are refused.
_HTML_IN_PDF = re.compile(rb"<\s*(html|script|body|iframe|svg|!doctype\s+html)\b", re.I)
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f<>:\"|?*]")


def max_bytes() -> int:
    return int(current_app.config.get("MAX_UPLOAD_MB", 50)) * 1024 * 1024


def too_large_message() -> str:
    return _("文件太大：单个文件不能超过 %(mb)s MB。日志草稿已保存，可压缩文件后重新上传。",
             mb=current_app.config.get("MAX_UPLOAD_MB", 50))


def clean_filename(name: str | None) -> str:
    """The original name without any directory part or control characters; Chinese is kept."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = _UNSAFE_NAME.sub("", name).strip().lstrip(".").strip()
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:190] + dot + ext[:10]) if dot else name[:200]
    return name


def extension_of(name: str) -> str:
    _stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot else ""


def check_content(ext: str, data: bytes) -> None:
    """422 unless the bytes are what the extension claims."""
    kind = TYPES[ext][1]
    ok = False
    if kind == "pdf":
        ok = data.startswith(b"%PDF-") and not _HTML_IN_PDF.search(data)
        if data.startswith(b"%PDF-") and not ok:
            fail(422, _("PDF 文件中含有 HTML 内容，已拒绝。"), field="file")
    elif kind == "ole2":
        ok = data.startswith(OLE2)
    elif kind.startswith("ooxml:"):
        ok = data.startswith(b"PK\x03\x04") and _is_ooxml(data, kind.split(":", 1)[1])
    elif kind == "jpeg":
        ok = data.startswith(b"\xff\xd8\xff")
    elif kind == "png":
        ok = data.startswith(b"\x89PNG\r\n\x1a\n")
    elif kind == "mp4":
        ok = len(data) >= 12 and data[4:8] == b"ftyp"
    if not ok:
        fail(422, _("文件内容与扩展名 .%(ext)s 不符，已拒绝上传。", ext=ext), field="file")


def _is_ooxml(data: bytes, part_prefix: str) -> bool:
    """A zip-based Office file: [Content_Types].xml and its main part folder are present."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return False
    return "[Content_Types].xml" in names and any(n.startswith(part_prefix) for n in names)


def read_upload(stream, limit: int) -> bytes:
    """Read at most `limit` bytes; 413 if there is more."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        fail(413, too_large_message(), "too_large", field="file")
    return data


def save_upload(entry: Entry | None, uploader, filename: str | None, stream) -> Attachment:
    """Check and store one uploaded file for `entry` (the uploader must be able to edit it)."""
    if entry is not None and not can(uploader, "edit", entry):
        fail(403, _("你不能给这篇日志上传附件。"))
    name = clean_filename(filename)
    ext = extension_of(name)
    if not name or ext not in TYPES:
        fail(422, _("不支持的文件类型。允许：pdf、doc、docx、ppt、pptx、xls、xlsx、wps、jpg、png、mp4。"),
             field="file")
    data = read_upload(stream, max_bytes())
    if not data:
        fail(422, _("文件是空的。"), field="file")
    check_content(ext, data)
    stored = f"{uuid.uuid4().hex}.{ext}"
    folder = Path(current_app.config["UPLOAD_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{stored}.part"
    try:
        tmp.write_bytes(data)
        os.replace(tmp, folder / stored)
    except OSError as exc:  # a full disk (ENOSPC, EDQUOT) or a failing one: no partial file stays behind
        tmp.unlink(missing_ok=True)
        (folder / stored).unlink(missing_ok=True)
        current_app.logger.error("upload not stored: %s", exc)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            fail(503, _("服务器磁盘空间不足，附件没有保存；日志内容不受影响，请稍后再上传。"), "disk_full", field="file")
        fail(503, _("附件写入失败，没有保存；日志内容不受影响，请稍后再上传。"), "storage_error", field="file")
    att = Attachment(entry_id=entry.id if entry else None, uploader_id=uploader.id, original_name=name,
                     stored_name=stored, extension=ext, content_type=TYPES[ext][0], size=len(data),
                     sha256=hashlib.sha256(data).hexdigest())
    db.session.add(att)
    try:
        db.session.commit()
    except Exception:
        (folder / stored).unlink(missing_ok=True)
        raise
    return att


def delete_attachment(att: Attachment, actor) -> None:
    """Hide an attachment (the file stays until purged, like other soft-deleted content)."""
    if not can(actor, "delete", att):
        fail(403)
    att.is_deleted = True
    db.session.commit()


def path_of(att: Attachment) -> Path:
    """Where the file is stored; the stored name is ours, never the user's."""
    folder = Path(current_app.config["UPLOAD_DIR"]).resolve()
    path = (folder / att.stored_name).resolve()
    if path.parent != folder:
        fail(404)
    return path


def send_attachment(att: Attachment, *, inline: bool = False):
    """The file as a download (or inline for images and video) with its original name."""
    path = path_of(att)
    if not path.exists():
        fail(404)
    inline = inline and att.extension in INLINE
    resp = send_file(path, mimetype=att.content_type, as_attachment=not inline,
                     download_name=att.original_name, conditional=True, max_age=0)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "private, no-cache"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp


def entry_attachments(entry: Entry) -> list[Attachment]:
    """The entry's visible attachments, oldest first."""
    return list(db.session.scalars(_ENTRY_ATTACHMENTS, {"entry_id": entry.id}))


# Built once with the entry id bound (its cache key is memoized on the statement).
_ENTRY_ATTACHMENTS = (
    db.select(Attachment).where(Attachment.entry_id == db.bindparam("entry_id"), Attachment.is_deleted.is_(False))
    .order_by(Attachment.id))
