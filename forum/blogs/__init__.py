"""Personal and group blogs: entries, comments, guestbook, attachments, feeds."""


def init_app(app) -> None:
    """Registered by create_app (views are added by the blogs feature)."""
