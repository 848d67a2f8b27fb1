"""Flask-Babel: Chinese by default, English on request, the choice remembered per user.

Message ids are the Chinese interface text; each feature keeps its English catalogue in
`forum/<feature>/translations/en/LC_MESSAGES/messages.po` (see scripts/i18n.py).
"""
from __future__ import annotations

from pathlib import Path

from flask import current_app, request, session
from flask_login import current_user

SUPPORTED = ("zh_CN", "en")


def translation_directories() -> str:
    """Every feature's translations folder, joined for BABEL_TRANSLATION_DIRECTORIES."""
    root = Path(__file__).resolve().parent.parent
    dirs = sorted(str(p) for p in root.glob("*/translations") if p.is_dir())
    return ";".join(dirs) if dirs else str(root / "main" / "translations")


def select_locale() -> str:
    """The user's saved choice, else this browser session's, else Chinese."""
    from flask import has_request_context

    if not has_request_context():
        return current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")
    user = current_user
    if user is not None and getattr(user, "is_authenticated", False) and getattr(user, "locale", None) in SUPPORTED:
        return user.locale
    chosen = session.get("locale")
    if chosen in SUPPORTED:
        return chosen
    chosen = request.cookies.get("locale")
    if chosen in SUPPORTED:
        return chosen
    return current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")


def select_timezone() -> str:
    return current_app.config.get("SITE_TIMEZONE", "Asia/Shanghai")


class _WtformsCatalog:
    """WTForms' own messages in the request's locale, parsed once per process and locale.

    Flask-WTF parses wtforms' .mo file again in every request that builds a form (it keeps the
    catalogue on `request`); it reads `request.wtforms_translations` first, so this stands in.
    """

    _loaded: dict[str, object] = {}

    def _catalog(self):
        from babel import support
        from flask_babel import get_locale
        from wtforms.i18n import messages_path

        locale = get_locale()
        key = str(locale)
        catalog = self._loaded.get(key)
        if catalog is None:
            catalog = self._loaded[key] = support.Translations.load(messages_path(), [locale], domain="wtforms")
        return catalog

    def ugettext(self, string):
        return self._catalog().ugettext(string)

    def ungettext(self, singular, plural, n):
        return self._catalog().ungettext(singular, plural, n)


def init_babel(app) -> None:
    from forum.extensions import babel

    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", translation_directories())
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config.get("SITE_TIMEZONE", "Asia/Shanghai")
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    catalog = _WtformsCatalog()

    @app.before_request
    def _wtforms_catalog():
        request.wtforms_translations = catalog


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext "no-op" marker
    """Mark a string for extraction without translating it here (it is translated where shown)."""
    return message
