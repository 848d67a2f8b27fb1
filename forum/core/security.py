"""Security headers, set in one place, and trusted-proxy handling."""
from __future__ import annotations

import secrets

from flask import g
from werkzeug.middleware.proxy_fix import ProxyFix


def csp_nonce() -> str:
    """A per-request nonce for the rare inline script (none today)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def init_app(app) -> None:
    hops = int(app.config.get("TRUSTED_PROXY_HOPS", 0) or 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    from forum.core import input_guard, limits

    input_guard.init_app(app)
    limits.init_app(app)

    @app.after_request
    def _headers(resp):
        csp = ("default-src 'self'; img-src 'self' data: http: https:; media-src 'self'; "
               "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
        if "csp_nonce" in g:
            csp += f"; script-src 'self' 'nonce-{g.csp_nonce}'"
        resp.headers.setdefault("Content-Security-Policy", csp)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        if app.config.get("PRODUCTION"):
            resp.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return resp
