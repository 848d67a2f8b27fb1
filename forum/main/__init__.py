"""Site-wide pages: home, language switch, health check."""


def init_app(app) -> None:
    from forum.main import views

    app.register_blueprint(views.bp)
    app.jinja_env.globals["panels"] = __import__("forum.core.panels", fromlist=["render"]).render
