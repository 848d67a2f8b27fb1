"""Boards: threaded discussion, collective lesson preparation (集体备课) and monthly themes."""


def init_app(app) -> None:
    """Register the board pages, API endpoints, page panels and the `flask boards` commands."""
    from forum.boards import api, panels, views  # noqa: F401  (api adds its routes to the API blueprint)
    from forum.boards.cli import boards_cli

    app.register_blueprint(views.bp)
    panels.register_panels(app)
    app.cli.add_command(boards_cli)
