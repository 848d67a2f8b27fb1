"""The policy's SQL forms: the same visibility rule as `can()`, for lists, feeds, search and the API.

A test (tests/foundation/test_policy.py) checks that these and `can(user, "read", …)` agree.
"""
from __future__ import annotations

from sqlalchemy import or_, select, true

from forum.blogs.models import Blog
from forum.boards.models import Board
from forum.org.models import Group, School
from forum.policy import _membership_map, is_admin, signed_in


def readable_group_ids(user):
    """A SELECT of the ids of groups `user` may read, or None when every group is readable."""
    if is_admin(user):
        return None
    if signed_in(user) and user.role == "leader" and user.scope_school_id is None and user.scope_cluster_id is None:
        return None
    conds = [Group.visibility == "public"]
    if signed_in(user):
        member_ids = list(_membership_map(user))
        if member_ids:
            conds.append(Group.id.in_(member_ids))
        if user.school_id is not None:
            conds.append((Group.visibility == "school") & (Group.school_id == user.school_id))
            if user.school is not None and user.school.cluster_id is not None:
                conds.append((Group.visibility == "school") & Group.school_id.is_(None)
                             & (Group.cluster_id == user.school.cluster_id))
        if user.role == "leader":
            if user.scope_school_id is not None:
                conds.append(Group.school_id == user.scope_school_id)
            elif user.scope_cluster_id is not None:
                conds.append(Group.cluster_id == user.scope_cluster_id)
                conds.append(Group.school_id.in_(
                    select(School.id).where(School.cluster_id == user.scope_cluster_id)))
    return select(Group.id).where(or_(*conds))


def readable_blogs_clause(user, blog_id_col):
    """SQL condition: the blog with id `blog_id_col` is readable by `user`."""
    gids = readable_group_ids(user)
    group_part = true() if gids is None else Blog.group_id.in_(gids)
    personal = [Blog.visibility == "public"]
    if signed_in(user):
        personal.append(Blog.owner_id == user.id)
        if is_admin(user):
            personal.append(true())
        if user.school_id is not None:
            from forum.auth.models import User as _U
            personal.append((Blog.visibility == "school") & Blog.owner_id.in_(
                select(_U.id).where(_U.school_id == user.school_id)))
    blogs = select(Blog.id).where(or_(
        Blog.group_id.is_not(None) & group_part,
        Blog.group_id.is_(None) & or_(*personal),
    ))
    return blog_id_col.in_(blogs)


def readable_boards_clause(user, board_id_col):
    """SQL condition: the board with id `board_id_col` is readable by `user`."""
    gids = readable_group_ids(user)
    group_part = true() if gids is None else Board.group_id.in_(gids)
    cluster_conds = [Board.visibility == "public"]
    if signed_in(user):
        if is_admin(user) or (user.role == "leader" and user.scope_school_id is None and user.scope_cluster_id is None):
            cluster_conds.append(true())
        if user.school is not None and user.school.cluster_id is not None:
            cluster_conds.append(Board.cluster_id == user.school.cluster_id)
        if user.role == "leader" and user.scope_cluster_id is not None:
            cluster_conds.append(Board.cluster_id == user.scope_cluster_id)
    boards = select(Board.id).where(or_(
        Board.group_id.is_not(None) & group_part,
        Board.group_id.is_(None) & or_(*cluster_conds),
    ))
    return board_id_col.in_(boards)


def visible_groups_clause(user):
    """SQL condition on Group for lists of groups."""
    gids = readable_group_ids(user)
    return true() if gids is None else Group.id.in_(gids)
