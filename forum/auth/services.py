"""Accounts: creating users, signing in, passwords, sessions and API tokens."""
from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from forum.auth.models import ROLES, ApiToken, User
from forum.auth.passwords import password_problem
from forum.core.db import utcnow
from forum.extensions import db

# Zero-width, bidi controls and other invisible format characters (Unicode category Cf) are
# refused outright: they make look-alike usernames.
_USERNAME_OK = re.compile(r"^[\w.\-]+$")
_DUMMY_HASH: str | None = None


class AccountError(ValueError):
    """A user-facing problem with account data; `field` names the form field."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


def normalize_username(raw: str) -> str:
    """NFKC-normalise and lowercase a username; refuse invisible and control characters."""
    if raw is None:
        raise AccountError(_("请填写用户名。"), "username")
    for ch in raw:
        cat = unicodedata.category(ch)
        if cat in ("Cf", "Cc", "Cs", "Co", "Cn", "Zl", "Zp"):
            raise AccountError(_("用户名不能包含不可见字符或控制字符。"), "username")
    name = unicodedata.normalize("NFKC", raw).strip().lower()
    if not 2 <= len(name) <= 40:
        raise AccountError(_("用户名需要 2 到 40 个字符。"), "username")
    if not _USERNAME_OK.match(name):
        raise AccountError(_("用户名只能包含字母、数字、汉字、下划线、点和短横线。"), "username")
    if not all(ch.isascii() or _is_han(ch) for ch in name):
        # One clear rule against mixed-script look-alikes (Unicode TR39's confusables): besides
        # 汉字 only ASCII letters and digits, so a Cyrillic "а" or a Greek "ο" cannot pass for a
        # Latin letter in somebody else's name.
        raise AccountError(_("用户名只能使用英文字母 a–z、数字 0–9、汉字以及 _ . -，不能夹用其他文字"
                             "（如西里尔字母、希腊字母或带音调的字母），以免与别人的用户名看起来一样。"), "username")
    return name


def _is_han(ch: str) -> bool:
    """A CJK unified ideograph (汉字), in the basic block or an extension."""
    code = ord(ch)
    return (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0x20000 <= code <= 0x323AF
            or 0xF900 <= code <= 0xFAFF or code == 0x3007)


def normalize_display_name(raw: str) -> str:
    """Display names may be Chinese; invisible characters are refused."""
    raw = raw or ""
    if any(unicodedata.category(ch) in ("Cf", "Cc") for ch in raw):
        raise AccountError(_("姓名不能包含不可见字符或控制字符。"), "display_name")
    name = unicodedata.normalize("NFKC", raw).strip()
    if not 1 <= len(name) <= 40:
        raise AccountError(_("姓名需要 1 到 40 个字符。"), "display_name")
    return name


def hash_password(password: str) -> str:
    """werkzeug scrypt with N=2^17 (configurable upward)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def find_user(username: str) -> User | None:
    """The user with this (normalised) username, or None."""
    try:
        name = normalize_username(username)
    except AccountError:
        return None
    return db.session.scalar(select(User).where(User.username == name))


def create_user(username: str, password: str, *, role: str = "teacher", display_name: str | None = None,
                school=None, check_password: bool = True, password_hash: str | None = None) -> User:
    """Create a user with a personal blog (caller commits)."""
    from forum.blogs.services import ensure_personal_blog

    name = normalize_username(username)
    if role not in ROLES:
        raise AccountError(_("未知角色：%(role)s", role=role), "role")
    if check_password:
        problem = password_problem(password, name)
        if problem:
            raise AccountError(problem, "password")
    if db.session.scalar(select(func.count()).select_from(User).where(User.username == name)):
        raise AccountError(_("该用户名不可用，请换一个。"), "username")
    user = User(
        username=name,
        display_name=normalize_display_name(display_name or name),
        password_hash=password_hash or hash_password(password),
        role=role,
        school=school,
    )
    db.session.add(user)
    db.session.flush()
    ensure_personal_blog(user)
    return user


def authenticate(username: str, password: str) -> User | None:
    """The user if the password matches; the same work is done whether or not the user exists."""
    global _DUMMY_HASH
    user = find_user(username)
    if user is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password(secrets.token_hex(8))
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or ""):
        return None
    return user


def end_other_sessions(user: User) -> None:
    """Invalidate every session cookie issued before now (caller commits)."""
    user.session_version = (user.session_version or 1) + 1


def change_password(user: User, current: str, new: str) -> None:
    """Check the current password, set the new one, end the other sessions, commit."""
    if not check_password_hash(user.password_hash, current or ""):
        raise AccountError(_("当前密码不正确。"), "current_password")
    problem = password_problem(new, user.username)
    if problem:
        raise AccountError(problem, "new_password")
    user.password_hash = hash_password(new)
    end_other_sessions(user)
    db.session.commit()


def update_profile(user: User, *, display_name: str, bio: str, school=None, locale: str | None = None) -> None:
    """Save profile fields and commit."""
    user.display_name = normalize_display_name(display_name)
    user.bio = (bio or "")[:2000]
    if school is not None:
        user.school = school
    if locale is not None:
        user.locale = locale or None
    db.session.commit()


def issue_token(user: User, name: str = "", days: int | None = None) -> tuple[str, ApiToken]:
    """Create an API token; returns the raw token (shown once) and its row. Commits."""
    raw = "jy_" + secrets.token_urlsafe(32)
    days = days or current_app.config.get("API_TOKEN_DAYS", 90)
    token = ApiToken(
        user_id=user.id,
        name=(name or "")[:80],
        token_hash=ApiToken.digest(raw),
        prefix=raw[:10],
        expires_at=utcnow() + timedelta(days=days),
    )
    db.session.add(token)
    db.session.commit()
    return raw, token


def revoke_token(user: User, token_id: int) -> bool:
    """Revoke one of the user's tokens; False if it is not theirs. Commits."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        return False
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()
    return True


def user_for_token(raw: str) -> User | None:
    """The active user holding a usable token, or None."""
    if not raw or len(raw) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == ApiToken.digest(raw)))
    if token is None or not token.is_usable:
        return None
    user = token.user
    if user is None or user.is_suspended:
        return None
    return user


def load_session_user(user_id: str) -> User | None:
    """Flask-Login loader: "id:version"; a stale version or a suspension ends the session."""
    try:
        uid, version = (int(x) for x in str(user_id).split(":", 1))
    except ValueError:
        return None
    user = db.session.get(User, uid)
    if user is None or user.session_version != version or user.is_suspended:
        return None
    return user
