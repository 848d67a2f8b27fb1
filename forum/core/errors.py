"""Errors: JSON `{"error": {"code", "message"}}` under /api, friendly pages elsewhere; never a 500 page for bad input."""
from __future__ import annotations

import logging

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from forum.core.ids import MAX_ID

log = logging.getLogger(__name__)

CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
    422: "invalid", 429: "rate_limited", 500: "server_error", 503: "unavailable",
}


class ApiError(Exception):
    """An error with a status, a machine code and a human message (and optionally a field)."""

    def __init__(self, status: int, message: str, code: str | None = None, field: str | None = None,
                 headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or CODES.get(status, "error")
        self.field = field
        self.headers = headers or {}


def wants_json() -> bool:
    """API paths, and requests that ask for JSON only."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def json_error(status: int, message: str, code: str | None = None, field: str | None = None, headers=None):
    body = {"error": {"code": code or CODES.get(status, "error"), "message": message}}
    if field:
        body["error"]["field"] = field
    resp = jsonify(body)
    resp.status_code = status
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def _default_message(status: int) -> str:
    return {
        400: _("请求无法处理，请检查输入。"),
        401: _("请先登录。"),
        403: _("你没有权限执行此操作。"),
        404: _("页面不存在或已被删除。"),
        405: _("不支持该请求方式。"),
        409: _("操作与当前状态冲突。"),
        413: _("上传的内容太大。"),
        415: _("不支持的内容类型。"),
        422: _("提交的内容无效。"),
        429: _("操作太频繁，请稍后再试。"),
        503: _("服务暂时不可用，请稍后再试。"),
    }.get(status, _("出错了。"))


def error_response(status: int, message: str | None = None, code: str | None = None, field=None, headers=None):
    """Answer an error in the form the client expects."""
    message = message or _default_message(status)
    if wants_json():
        return json_error(status, message, code, field, headers)
    resp = render_template("errors/error.html", status=status, message=message), status
    return resp if not headers else (resp[0], status, headers)


# Form fields whose text is the user's work: shown back on a 503 page so nothing typed is lost.
DRAFT_FIELDS = ("title", "body", "summary", "content", "description", "note", "tags")


def submitted_draft() -> list[tuple[str, str, str]]:
    """(name, label, text) of the submitted form's text fields (never passwords or tokens)."""
    if request.method not in ("POST", "PUT") or not request.form:
        return []
    labels = {"title": _("标题"), "body": _("正文"), "summary": _("纪要"), "content": _("内容"),
              "description": _("说明"), "note": _("备注"), "tags": _("标签")}
    return [(name, labels[name], request.form[name]) for name in DRAFT_FIELDS
            if (request.form.get(name) or "").strip()]


def unavailable(message: str, code: str = "unavailable", retry_after: int = 5):
    """503 with Retry-After; a page shows the submitted text again so the user can resubmit it."""
    headers = {"Retry-After": str(retry_after)}
    if wants_json():
        return json_error(503, message, code, headers=headers)
    return render_template("errors/error.html", status=503, message=message, draft=submitted_draft()), 503, headers


class IdConverter(IntegerConverter):
    """`<int:…>` ids beyond a database integer are not found (404), not an overflow 500."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        return number if number <= MAX_ID else 0  # 0 matches no row, so 404


def init_app(app) -> None:
    # Before any blueprint is registered: rules bind their converters when they are added.
    app.url_map.converters["int"] = IdConverter

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return error_response(exc.status, exc.message, exc.code, exc.field, exc.headers)

    @app.errorhandler(CSRFError)
    def _csrf(exc):
        return error_response(400, _("表单已失效（CSRF 校验失败），请返回刷新后重新提交；你输入的内容已在浏览器中保存。"),
                              "csrf_failed")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        headers = {}
        if status == 429:
            retry = getattr(exc, "retry_after", None)
            headers["Retry-After"] = str(retry or 60)
            message = _("操作太频繁，请稍后再试。")
        elif status == 413:
            mb = app.config.get("MAX_UPLOAD_MB", 50)
            message = _("上传的内容太大：单个文件不能超过 %(mb)s MB。", mb=mb)
        elif status == 405:
            headers["Allow"] = ", ".join(exc.valid_methods or [])
            message = None
        else:
            desc = getattr(exc, "description", None)
            message = desc if isinstance(desc, str) and getattr(exc, "jy_message", False) else None
        return error_response(status, message, headers={k: v for k, v in headers.items() if v})

    @app.errorhandler(OperationalError)
    def _db_busy(exc):
        from forum.extensions import db

        db.session.rollback()
        text = str(exc.orig) if getattr(exc, "orig", None) else str(exc)
        log.warning("database operational error: %s", text)
        lowered = text.lower()
        if "database or disk is full" in lowered or "no space left" in lowered:  # SQLITE_FULL; ENOSPC
            message, code = _("服务器磁盘已满，这次提交没有保存；你的内容在下面，请复制保存，稍后再提交。"), "disk_full"
        else:
            message, code = _("数据库繁忙，这次提交没有保存；你的内容在下面，请稍后重新提交。"), "database_busy"
        return unavailable(message, code)

    @app.errorhandler(500)
    def _server_error(exc):
        return error_response(500, _("服务器出错了，我们会尽快修复。"))


def fail(status: int, message: str | None = None, code: str | None = None, field: str | None = None):
    """Stop the request with an error (JSON under /api, a page elsewhere)."""
    raise ApiError(status, message or _default_message(status), code, field)
