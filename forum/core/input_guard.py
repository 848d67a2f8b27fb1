"""Refuse text that is not text: NUL bytes and invalid UTF-8 in query strings and form bodies (400).

Werkzeug decodes bad bytes to U+FFFD and lets NUL through; stored, they corrupt content, and
PostgreSQL refuses NUL outright (a 500). One check here, before any view, answers a clear 400.
"""
from __future__ import annotations

from urllib.parse import unquote_to_bytes

from flask import request
from flask_babel import gettext as _

from forum.core.errors import fail


def MESSAGE() -> str:  # noqa: N802 - one message, translated at request time
    return _("内容含有非法字符（空字符或无效的 UTF-8 编码），请检查后重新提交。")


def _bad(raw: bytes) -> bool:
    """True when percent-decoded `raw` (k=v&k=v) holds a NUL or is not UTF-8."""
    for pair in raw.split(b"&"):
        if not pair:
            continue
        decoded = unquote_to_bytes(pair.replace(b"+", b" "))
        if b"\x00" in decoded:
            return True
        try:
            decoded.decode("utf-8")
        except UnicodeDecodeError:
            return True
    return False


def check_request() -> None:
    """before_request: 400 for a malformed query string or form body."""
    if request.query_string and _bad(request.query_string):
        fail(400, MESSAGE(), "invalid_encoding")
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return
    if request.mimetype == "application/x-www-form-urlencoded":
        if _bad(request.get_data(cache=True)):  # cached: the form is parsed from the same bytes
            fail(400, MESSAGE(), "invalid_encoding")
    elif request.mimetype == "multipart/form-data":
        for values in request.form.listvalues():
            if any("\x00" in v for v in values):
                fail(400, MESSAGE(), "invalid_encoding")


def init_app(app) -> None:
    """Run the check before every request."""
    app.before_request(check_request)
