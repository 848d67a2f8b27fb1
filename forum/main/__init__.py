"""Site-wide pages: home, language switch, health check."""


def init_app(app) -> None:
    from forum.main import views

    app.register_blueprint(views.bp)
    from forum.extensions import csrf

    csrf.exempt(views.set_language)  # checked in the view when signed in (a visitor has no session)
    app.jinja_env.globals["panels"] = __import__("forum.core.panels", fromlist=["render"]).render
