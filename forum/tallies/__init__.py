"""Monthly contribution tallies (月度统计), targets and bulletins (通报) for leaders."""
from __future__ import annotations


def init_app(app) -> None:
    """Register the blueprint, the `flask tally` commands, the API routes and the bulletin policy."""
    from forum.tallies import api, cli, permissions, views  # noqa: F401  (api and permissions register on import)

    from forum.core import panels

    app.register_blueprint(views.bp)
    cli.init_app(app)
    panels.register(app, "profile", 10, my_contributions_panel)
    app.config.setdefault("SUBSTANTIVE_MIN_CJK", 10)
    app.config.setdefault("SUBSTANTIVE_MIN_LATIN", 20)
    app.config.setdefault("DUPLICATE_WINDOW_DAYS", 7)
    app.config.setdefault("NEAR_DUPLICATE_SIMILARITY", 0.8)


def my_contributions_panel(**_context) -> str:
    """Profile: the signed-in user's own counts this month and over the last six months (the ledger's rule)."""
    from flask import render_template
    from flask_login import current_user

    from forum.core.timezones import current_month, format_month
    from forum.tallies import reports
    from forum.tallies.periods import add_months, month_range

    if not current_user.is_authenticated:
        return ""
    month = current_month()
    first = add_months(month, -5)
    counts = reports.ledger_counts("teacher", (month, month), [current_user.id]).get(current_user.id, {})
    series = reports.trend("teacher", month, first, [current_user.id]).get(current_user.id, {})
    months = month_range(first, month)
    trend = [(format_month(m), *series.get(m, (0, 0))) for m in months]
    return render_template("tallies/_panel_profile.html", month=format_month(month), counts=counts, trend=trend,
                           top=max([t[1] for t in trend] + [1]))
