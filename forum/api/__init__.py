"""The JSON API under /api/v1 (bearer tokens; CSRF does not apply: no cookies are used)."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def init_app(app) -> None:
    from forum.api import core  # noqa: F401  (registers the foundation endpoints on bp)
    from forum.api import openapi  # noqa: F401  (GET /api/v1/openapi.json)
    from forum.extensions import csrf

    csrf.exempt(bp)
    # Feature packages add their endpoints to `bp` in their own init_app, which runs after this
    # one; the blueprint is registered once they have all done so (see register_api).
    app.extensions["jy_api_bp"] = bp


def register_api(app) -> None:
    """Register the API blueprint after every feature has added its routes."""
    if "api" not in app.blueprints:
        app.register_blueprint(bp)
