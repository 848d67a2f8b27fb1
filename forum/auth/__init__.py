"""Accounts: sign-in, registration, passwords, sessions, API tokens."""


def init_app(app) -> None:
    from flask_babel import lazy_gettext as _l

    from forum.auth import services, views
    from forum.extensions import login_manager

    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("请先登录。")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(services.load_session_user)
    app.register_blueprint(views.bp)
    from forum.auth import cli

    cli.init_app(app)
