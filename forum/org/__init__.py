"""Organisation: clusters, schools, groups, memberships, roster import, admin pages."""


def init_app(app) -> None:
    from forum.org import cli, views

    app.register_blueprint(views.bp)
    app.register_blueprint(views.admin_bp)
    cli.init_app(app)
