"""Panels on the home and group pages: the group's board and theme, my preparations, latest threads."""
from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from forum.boards import prep as prep_service
from forum.boards import themes
from forum.boards.models import Thread
from forum.core import panels
from forum.extensions import db
from forum.policy import can


# Built once with the board id bound: its cache key (loader options included) is memoized on it.
_GROUP_BOARD_THREADS = (
    select(Thread).where(Thread.board_id == bindparam("board_id"), Thread.is_deleted.is_(False))
    .options(joinedload(Thread.last_poster), joinedload(Thread.prep))
    .order_by(Thread.is_pinned.desc(), Thread.last_post_at.desc()).limit(10))


def group_board(group) -> str:
    """The group's latest threads and open preparations."""
    board = group.board
    if board is None or not can(current_user, "read", board):
        return ""
    threads = db.session.scalars(_GROUP_BOARD_THREADS, {"board_id": board.id}).unique().all()
    return render_template("boards/_panel_group_board.html", board=board, threads=threads, group=group,
                           state_labels=prep_service.state_labels())


def group_theme(group) -> str:
    """This month's theme with what was contributed under it."""
    theme = themes.theme_for(group)
    threads, entries = themes.contributions(theme, current_user) if theme else ([], [])
    if theme is None and not can(current_user, "set_theme", group):
        return ""
    return render_template("boards/_panel_theme.html", group=group, theme=theme, threads=threads, entries=entries)


def home_preps(my_groups=None) -> str:
    """Preparations the signed-in teacher is expected in."""
    if not current_user.is_authenticated:
        return ""
    preps = prep_service.expected_preps(current_user)
    if not preps:
        return ""
    return render_template("boards/_panel_my_preps.html", preps=preps, state_labels=prep_service.state_labels(),
                           is_overdue=prep_service.is_overdue)


def home_latest(my_groups=None) -> str:
    """Latest active threads the visitor may read."""
    from forum.boards.services import latest_threads

    threads = latest_threads(current_user)
    if not threads:
        return ""
    return render_template("boards/_panel_latest.html", threads=threads)


def register_panels(app) -> None:
    panels.register(app, "group", 20, group_board)
    panels.register(app, "group_side", 10, group_theme)
    panels.register(app, "home", 10, home_preps)
    panels.register(app, "home", 30, home_latest)
