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

    from forum.search.index import SearchUnavailable

    @app.errorhandler(SearchUnavailable)
    def _search_unavailable(exc: SearchUnavailable):
        from flask_babel import gettext as _

        from forum.core.errors import unavailable

        message = (_("搜索索引正在重建，搜索暂时不可用，请稍后再试。发帖和回复不受影响。") if exc.rebuilding
                   else _("搜索暂时不可用，请稍后再试。发帖和回复不受影响。"))
        return unavailable(message, "search_unavailable", retry_after=30)
