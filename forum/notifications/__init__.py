"""In-app notifications."""


def init_app(app) -> None:
    """Register the notification pages and the unread counter shown in the navigation."""
    from forum.notifications import services, views

    app.register_blueprint(views.bp)
    app.extensions.setdefault("jy_nav_counters", []).append(
        lambda user: {"notifications": services.unread_count(user)})
