"""Full-text search (Chinese uni+bigram analyzer, Whoosh or PostgreSQL backend, outbox indexer).

`init_app` registers the /search page, the `flask search` commands, `GET /api/v1/search`
and the indexer hooks. See docs/search.md.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the blueprint, the CLI group, the API route and the indexer."""
    from forum.search import api  # noqa: F401  (adds GET /api/v1/search to the API blueprint)
    from forum.search import indexer
    from forum.search.cli import search_cli
    from forum.search.views import bp

    app.register_blueprint(bp)
    app.cli.add_command(search_cli)
    indexer.init_app(app)
