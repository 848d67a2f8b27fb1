"""What every template can use: the policy, the locale, time formatting, navigation counts."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from flask import g, request
from flask_babel import get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

from forum.core.timezones import local


def format_datetime(dt: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC datetime shown in the site time zone."""
    return local(dt).strftime(fmt) if dt else ""


def _locale_code() -> str:
    """'zh_CN' or 'en' (Babel may spell Chinese as zh_Hans_CN)."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh_CN"


def url_with(**changes) -> str:
    """The current URL with some query parameters changed (None removes one)."""
    args = request.args.to_dict(flat=True)
    for k, v in changes.items():
        if v is None:
            args.pop(k, None)
        else:
            args[k] = v
    query = urlencode(args)
    return request.path + ("?" + query if query else "")


# --- gettext in templates ---------------------------------------------------------------------
# Flask-Babel's template `_` looks up the request's domain, context, locale and catalogue on every
# call (~13 µs, several LocalProxy hops and a locale-to-string); a thread page calls it about a
# hundred times. The catalogue of a locale does not change while the process runs, so templates
# get a `_` bound to the request's catalogue once per render (a context processor), which keeps
# each message's final Markup. The result is the same as Jinja's newstyle gettext: translated,
# Markup when autoescaping, then `% variables` (so variables are escaped, `%%` is a percent sign).

_MEMO_LIMIT = 5000  # messages per catalogue; past this (dynamic message ids?) nothing more is kept
_gettext_by_catalog: dict[int, tuple[object, object]] = {}


def _template_gettext(translations):
    """The template `_` for one catalogue (a Babel Translations object), made once per catalogue."""
    cached = _gettext_by_catalog.get(id(translations))
    if cached is not None and cached[0] is translations:
        return cached[1]
    plain: dict[tuple[str, bool], str] = {}  # final text of messages used without variables
    translated: dict[tuple[str, bool], str] = {}  # translated (and Markup) text, before `% variables`
    ugettext = translations.ugettext

    @pass_context
    def gettext(__context, __string, **variables):
        key = (__string, __context.eval_ctx.autoescape)
        if not variables:
            rv = plain.get(key)
            if rv is None:
                rv = ugettext(__string)
                if key[1]:
                    rv = Markup(rv)
                rv = rv % variables
                if len(plain) < _MEMO_LIMIT:
                    plain[key] = rv
            return rv
        rv = translated.get(key)
        if rv is None:
            rv = ugettext(__string)
            if key[1]:
                rv = Markup(rv)
            if len(translated) < _MEMO_LIMIT:
                translated[key] = rv
        return rv % variables

    _gettext_by_catalog[id(translations)] = (translations, gettext)
    return gettext


def init_app(app) -> None:
    from forum import policy
    from forum.core import assets, compression

    # Registered first, so it runs last among after_request hooks: it compresses the final body.
    compression.init_app(app)
    assets.init_app(app)

    app.jinja_env.filters["dt"] = format_datetime
    app.jinja_env.filters["date"] = lambda dt: format_datetime(dt, "%Y-%m-%d")
    app.jinja_env.globals["url_with"] = url_with
    # Endpoint names, so shared templates link to optional features only when they exist.
    app.jinja_env.globals["url_rules"] = app.view_functions
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.before_request
    def _fresh_request_state():
        # g lives on the app context, which tests (and CLI code) may keep across requests;
        # per-request caches must not leak from one request into the next.
        for key in ("_login_user", "api_user", "jy_nav_counts", "csp_nonce"):
            g.pop(key, None)

    @app.context_processor
    def _globals():
        gettext = _template_gettext(get_translations())
        return {
            # Flask-Babel's `_`/`gettext` stay the globals (macros imported without context use them).
            "_": gettext,
            "gettext": gettext,
            "can": lambda action, obj=None: policy.can(current_user, action, obj),
            "current_locale": _locale_code(),
            "site_name": app.config.get("SITE_NAME", "教研网"),
            "nav_counts": _nav_counts,
        }

    def _nav_counts() -> dict:
        """Unread notifications and open flags, computed once per request."""
        if "jy_nav_counts" in g:
            return g.jy_nav_counts
        counts = {"notifications": 0, "flags": 0}
        if current_user.is_authenticated:
            for provider in app.extensions.get("jy_nav_counters", []):
                counts.update(provider(current_user))
        g.jy_nav_counts = counts
        return counts

    app.extensions.setdefault("jy_nav_counters", [])


def safe_html(html: str) -> Markup:
    """Mark HTML that came out of forum.core.markup as safe (never a raw user string)."""
    return Markup(html)
