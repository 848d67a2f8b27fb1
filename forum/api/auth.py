"""Bearer-token authentication and JSON body parsing for the API."""
from __future__ import annotations

import json
from functools import wraps

from flask import g, request
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin

from forum.core.errors import fail


def api_user():
    """The user behind `Authorization: Bearer …`, or an anonymous user; 401 for a bad token."""
    if "api_user" in g:
        return g.api_user
    header = request.headers.get("Authorization", "")
    user = AnonymousUserMixin()
    if header:
        scheme, _sep, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            fail(401, _("Authorization 头应为 Bearer 令牌。"), "invalid_token")
        from forum.auth.services import user_for_token

        found = user_for_token(raw.strip())
        if found is None:
            fail(401, _("令牌无效、已过期、已撤销，或账号已停用。"), "invalid_token")
        user = found
    g.api_user = user
    return user


def require_user(view):
    """401 unless a valid bearer token was given."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        user = api_user()
        if not user.is_authenticated:
            fail(401, _("需要登录：请使用 Bearer 令牌。"), "unauthorized")
        return view(*args, **kwargs)
    return wrapper


def json_body(max_fields: int = 50) -> dict:
    """The request's JSON object; 415 if not JSON, 400 if malformed, 422 if not an object."""
    if not request.mimetype or request.mimetype != "application/json":
        fail(415, _("请求体必须是 JSON（Content-Type: application/json）。"))
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # absurdly nested JSON: silent=True only swallows ValueError
        data = None
    if data is None:
        fail(400, _("JSON 格式错误。"), "invalid_json")
    try:  # "\ud800" is valid JSON but not storable text (UnicodeEncodeError later, a 500)
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, RecursionError):
        fail(400, _("JSON 格式错误。"), "invalid_json")
    if not isinstance(data, dict) or len(data) > max_fields:
        fail(422, _("请求体必须是 JSON 对象。"))
    return data


def text_field(data: dict, name: str, *, required: bool = True, max_len: int = 100_000, default: str = "") -> str:
    """A string field of the body: 422 naming the field if missing, not a string, or too long."""
    value = data.get(name, None)
    if value is None:
        if required:
            fail(422, _("缺少字段：%(name)s", name=name), field=name)
        return default
    if not isinstance(value, str):
        fail(422, _("字段 %(name)s 必须是字符串。", name=name), field=name)
    if "\x00" in value:
        fail(422, _("字段 %(name)s 含有非法字符。", name=name), field=name)
    if required and not value.strip():
        fail(422, _("字段 %(name)s 不能为空。", name=name), field=name)
    if len(value) > max_len:
        fail(422, _("字段 %(name)s 太长（最多 %(n)s 个字符）。", name=name, n=max_len), field=name)
    return value
