"""Monthly contribution tallies (月度统计), targets and bulletins (通报) for leaders."""
from __future__ import annotations


def init_app(app) -> None:
    """Register the blueprint, the `flask tally` commands, the API routes and the bulletin policy."""
    from forum.tallies import api, cli, permissions, views  # noqa: F401  (api and permissions register on import)

    app.register_blueprint(views.bp)
    cli.init_app(app)
    app.config.setdefault("SUBSTANTIVE_MIN_CJK", 10)
    app.config.setdefault("SUBSTANTIVE_MIN_LATIN", 20)
    app.config.setdefault("DUPLICATE_WINDOW_DAYS", 7)
    app.config.setdefault("NEAR_DUPLICATE_SIMILARITY", 0.8)
