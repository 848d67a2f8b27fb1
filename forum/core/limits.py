"""Named rate limits (posting, uploads, search, registration, token creation) and who they count.

Each limit is a Flask-Limiter string read from the config at request time, so an operator can
change it with an environment variable of the same name. Limits count per signed-in user (session
or bearer token) and otherwise per client address; behind a proxy, the address is the one the
configured number of trusted hops saw (ProxyFix in forum/core/security.py), so a forged
X-Forwarded-For does not make a new client. With RATELIMIT_STORAGE_URI=redis://… every worker and
host shares the counts; if Redis is down, Flask-Limiter swallows the error and counts in memory
(RATELIMIT_SWALLOW_ERRORS, RATELIMIT_IN_MEMORY_FALLBACK_ENABLED): posting keeps working.
"""
from __future__ import annotations

import logging
import os

from flask import current_app, request

from forum.extensions import limiter

log = logging.getLogger(__name__)

DEFAULTS = {
    "RATELIMIT_POSTING": "20 per minute;300 per hour",   # per user: threads, replies, entries, comments
    "RATELIMIT_UPLOADS": "30 per hour",                  # per user: attachment uploads
    "RATELIMIT_SEARCH": "60 per minute",                 # per user, or per address for visitors
    "RATELIMIT_REGISTRATION": "5 per hour",              # per address
    "RATELIMIT_TOKENS": "10 per hour",                   # per user (page) or address (API sign-in)
}

# Which endpoints each limit guards (POST only, except search). Endpoints a feature does not have
# (yet) are skipped, so the list can name what other packages are still building.
ENDPOINTS = {
    "RATELIMIT_POSTING": (
        "api.api_create_thread", "api.api_reply", "api.api_post_draft", "api.api_conclude",
        "api.create_blog_entry", "api.create_entry_comment",
        "boards.new_thread", "boards.reply", "boards.post_draft", "boards.conclude_prep",
        "blogs.new_entry", "blogs.add_comment", "blogs.add_guestbook_message",
    ),
    "RATELIMIT_UPLOADS": ("blogs.upload_attachment",),
    "RATELIMIT_SEARCH": ("search.search", "api.search"),
    "RATELIMIT_REGISTRATION": ("auth.register",),
    "RATELIMIT_TOKENS": ("api.create_token", "auth.create_token"),
}


def client_address() -> str:
    """The client's address: REMOTE_ADDR as rewritten by ProxyFix for TRUSTED_PROXY_HOPS hops only."""
    return request.remote_addr or "unknown"


def rate_limit_key() -> str:
    """`user:<id>` for a signed-in user (session or bearer token), else `addr:<client address>`."""
    if request.headers.get("Authorization"):
        from forum.api.auth import api_user
        from forum.core.errors import ApiError

        try:
            user = api_user()
        except ApiError:  # a bad token is answered 401 by the view; count it by address
            user = None
        if user is not None and user.is_authenticated:
            return f"user:{user.id}"
    else:
        from flask_login import current_user

        if current_user and current_user.is_authenticated:
            return f"user:{current_user.id}"
    return f"addr:{client_address()}"


def _provider(name: str):
    """A limit string read at request time (module-level, so every app shares one Limit object)."""
    return _PROVIDERS[name]


def _make_provider(name: str):
    def provider() -> str:
        return current_app.config[name]
    provider.__name__ = f"limit_{name.lower()}"
    return provider


_PROVIDERS = {name: _make_provider(name) for name in DEFAULTS}


def _limit_for(name: str):
    methods = None if name == "RATELIMIT_SEARCH" else ["POST"]
    # Registration always counts the address: a fresh account is signed in at once, and must not
    # open a new count for the next registration from the same place.
    key = client_address if name == "RATELIMIT_REGISTRATION" else rate_limit_key
    return limiter.limit(_provider(name), key_func=key, methods=methods)


def init_app(app) -> None:
    """Read the named limits (config, else environment, else default) and attach them to the views.

    Runs after every blueprint is registered: the views are wrapped by endpoint name.
    """
    for name, default in DEFAULTS.items():
        app.config.setdefault(name, os.environ.get(name) or default)
    for name, endpoints in ENDPOINTS.items():
        decorate = _limit_for(name)
        for endpoint in endpoints:
            view = app.view_functions.get(endpoint)
            if view is None:
                log.debug("rate limit %s: no endpoint %s", name, endpoint)
                continue
            app.view_functions[endpoint] = decorate(view)
