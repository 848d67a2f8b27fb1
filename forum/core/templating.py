"""What every template can use: the policy, the locale, time formatting, navigation counts."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from flask import g, request
from flask_babel import get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

from forum.core.timezones import local, zone_named


def format_datetime(dt: datetime | None, fmt: str = "%Y-%m-%d %H:%M", zone=None) -> str:
    """A UTC datetime shown in the site time zone (`zone`, else the app's)."""
    return format_local(local(dt, zone), fmt) if dt else ""


def format_local(d: datetime, fmt: str) -> str:
    """`d.strftime(fmt)`; the two formats pages show on every row through isoformat, which
    writes the same characters in half the time (strftime goes through the C library's)."""
    if d.year >= 1000:  # strftime does not pad a year below 1000 to four digits; isoformat does
        if fmt == "%Y-%m-%d %H:%M":
            return d.isoformat(" ", "minutes")[:16]
        if fmt == "%Y-%m-%d":
            return d.date().isoformat()
    return d.strftime(fmt)


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


class UrlPattern:
    """A URL that differs only by one int for many ints, built once: prefix + str(int) + suffix.

    `make(value)` builds the URL for one value (url_for, url_with); it is called once with a
    sentinel, and again for every value if the sentinel is not found exactly once (say, a query
    string that happens to hold it). Ids' URL converters and urlencode write an int as str(int).
    """

    __slots__ = ("prefix", "suffix", "make")
    _SENTINEL = "918273645546372819"

    def __init__(self, make):
        url = make(int(self._SENTINEL))
        if url.count(self._SENTINEL) == 1:
            self.prefix, _, self.suffix = url.partition(self._SENTINEL)
            self.make = None
        else:
            self.make = make

    def __call__(self, value: int) -> str:
        if self.make is not None:
            return self.make(int(value))
        return f"{self.prefix}{int(value)}{self.suffix}"


def url_pattern(endpoint: str, key: str, **values) -> UrlPattern:
    """`url_for(endpoint, key=<id>, **values)` for many ids."""
    from flask import url_for

    return UrlPattern(lambda v: url_for(endpoint, **{key: v}, **values))


class RowUrls:
    """`url_for` for the rows of a list, `urls(endpoint, key, id, **values)`: one UrlPattern per
    endpoint, key and other values, so a list of 30 rows builds each kind of link once."""

    __slots__ = ("_patterns",)

    def __init__(self):
        self._patterns: dict[tuple, UrlPattern] = {}

    def __call__(self, endpoint: str, key: str, value: int, **values) -> str:
        k = (endpoint, key, tuple(sorted(values.items())) if values else ())
        pattern = self._patterns.get(k)
        if pattern is None:
            pattern = self._patterns[k] = url_pattern(endpoint, key, **values)
        return pattern(value)


def url_with_pattern(key: str) -> UrlPattern:
    """`url_with(key=<id>)` for many ids: the current URL with one query parameter set."""
    return UrlPattern(lambda v: url_with(**{key: v}))


URL_MEMO_MAX = 4096  # distinct (endpoint, values) remembered per process; cleared when full


def memoized_url_for(app):
    """The templates' `url_for`, remembering what it built for the same endpoint and values.

    A page's navigation, stylesheet and script links are the same on every request; building
    one through Werkzeug's URL map costs ~6 µs, and the layout builds 16 of them per page. A
    relative URL depends only on the endpoint, its values and the script root, so it is kept
    under those. Not remembered: external URLs (host and scheme), blueprint-relative endpoints
    (`.name`), anything outside a request, and everything in debug (the static fingerprints
    follow file edits there). The app's `url_defaults` (the static fingerprint) are the same
    for the same values, so what they add is part of what is kept.
    """
    build = app.url_for
    if app.debug or app.config.get("TEMPLATES_AUTO_RELOAD"):
        return build
    memo: dict[tuple, str] = {}

    def url_for(endpoint: str, **values) -> str:
        if endpoint[:1] == "." or "_external" in values or "_scheme" in values or not request:
            return build(endpoint, **values)
        # With each value's type: 1, 1.0 and True are equal keys but build different URLs.
        key = (request.script_root, endpoint, *[(k, v.__class__, v) for k, v in values.items()])
        try:
            url = memo.get(key)
        except TypeError:  # an unhashable value (a list of tags): build it every time
            return build(endpoint, **values)
        if url is None:
            url = build(endpoint, **values)
            if len(memo) >= URL_MEMO_MAX:
                memo.clear()
            memo[key] = url
        return url

    return url_for


_catalog_by_locale: dict[tuple, object] = {}


def request_catalog():
    """The request's Babel catalogue, found by the request's locale (Flask-Babel caches the Locale
    object per request) without Flask-Babel's per-call domain lookup and locale-to-string."""
    locale = get_locale()
    if locale is None:
        return get_translations()
    key = (locale.language, locale.territory, locale.script, locale.variant, getattr(locale, "modifier", None))
    translations = _catalog_by_locale.get(key)
    if translations is None:
        translations = _catalog_by_locale[key] = get_translations()
    return translations


def per_catalog(fn):
    """Cache what a no-argument function of translated labels returns, per catalogue (a copy per
    call, so callers may change it); `fn` still translates with `_`, where extraction finds it."""
    cache: dict[int, tuple[object, object]] = {}

    def wrapper():
        if get_locale() is None:  # outside a request: nothing to key on
            return fn()
        translations = request_catalog()
        hit = cache.get(id(translations))
        if hit is None or hit[0] is not translations:
            hit = cache[id(translations)] = (translations, fn())  # a handful of catalogues
        return hit[1].copy()
    wrapper.__doc__, wrapper.__name__ = fn.__doc__, fn.__name__
    return wrapper


@pass_context
def _global_gettext(__context, __string, **variables):
    """The template `_` where the context processor's is not seen (macros imported without
    context): the request's catalogue, then the same memoized gettext."""
    return _template_gettext(request_catalog())(__context, __string, **variables)


def init_app(app) -> None:
    from forum import policy
    from forum.core import assets, compression

    # Registered first, so it runs last among after_request hooks: it compresses the final body.
    compression.init_app(app)
    assets.init_app(app)

    def zone():  # the app's own config: no current_app lookup per row
        return zone_named(app.config.get("SITE_TIMEZONE", "Asia/Shanghai"))

    app.jinja_env.filters["dt"] = lambda dt, fmt="%Y-%m-%d %H:%M": format_datetime(dt, fmt, zone())
    app.jinja_env.filters["date"] = lambda dt: format_datetime(dt, "%Y-%m-%d", zone())
    app.jinja_env.globals["url_with"] = url_with
    app.jinja_env.globals["url_for"] = memoized_url_for(app)
    # Replaces Flask-Babel's (installed by init_babel, which runs first); ngettext and the rest stay.
    app.jinja_env.globals["_"] = app.jinja_env.globals["gettext"] = _global_gettext
    app.jinja_env.globals["url_with_pattern"] = url_with_pattern
    app.jinja_env.globals["row_urls"] = RowUrls
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
        gettext = _template_gettext(request_catalog())
        return {
            # Bound once per render; the globals' `_` (macros imported without context) finds the
            # catalogue on each call.
            "_": gettext,
            "gettext": gettext,
            # Bound to the user object (not the current_user proxy) and remembering its answers
            # for this render: a list asks the same question of the same object once per row.
            "can": policy.asker(current_user._get_current_object()),
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
