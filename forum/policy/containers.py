"""Containers: who may read, write in and moderate a blog or a board."""
from __future__ import annotations

from forum.blogs.models import Blog
from forum.boards.models import Board
from forum.org.models import Group
from forum.policy.identity import (
    can_read_group, is_admin, is_member, leader_covers_school, moderates_group, signed_in)
from forum.policy.registry import rule


def can_read_blog(user, blog: Blog) -> bool:
    if blog.group_id:
        return can_read_group(user, blog.group)
    owner = blog.owner
    if blog.visibility == "public":
        return True
    if not signed_in(user):
        return False
    if user.id == blog.owner_id or is_admin(user):
        return True
    if blog.visibility == "school":
        return (owner is not None and owner.school_id is not None
                and (user.school_id == owner.school_id or leader_covers_school(user, owner.school_id)))
    return False


def moderates_blog(user, blog: Blog) -> bool:
    if blog.group_id:
        return moderates_group(user, blog.group)
    if not signed_in(user):
        return False
    owner = blog.owner
    return (is_admin(user) or user.id == blog.owner_id
            or (owner is not None and leader_covers_school(user, owner.school_id)))


def can_write_blog(user, blog: Blog) -> bool:
    if not signed_in(user):
        return False
    if blog.group_id:
        return is_member(user, blog.group) or is_admin(user)
    return user.id == blog.owner_id


def can_read_board(user, board: Board) -> bool:
    if board.group_id:
        return can_read_group(user, board.group)
    if board.visibility == "public":
        return True
    if not signed_in(user):
        return False
    if is_admin(user) or leader_covers_school(user, None, board.cluster_id):
        return True
    return user.school is not None and user.school.cluster_id == board.cluster_id


def moderates_board(user, board: Board) -> bool:
    if board.group_id:
        return moderates_group(user, board.group)
    return is_admin(user) or (signed_in(user) and user.role == "leader"
                              and leader_covers_school(user, None, board.cluster_id))


def can_post_in_board(user, board: Board) -> bool:
    if not signed_in(user):
        return False
    if board.group_id:
        return is_member(user, board.group) or moderates_group(user, board.group)
    return can_read_board(user, board) and (user.school is not None and user.school.cluster_id == board.cluster_id
                                            or moderates_board(user, board))


rule("read", Group)(can_read_group)
rule("moderate", Group)(moderates_group)
rule("read", Blog)(can_read_blog)
rule("moderate", Blog)(moderates_blog)
rule("write", Blog)(can_write_blog)
rule("guestbook", Blog)(lambda u, b: signed_in(u) and can_read_blog(u, b))
rule("read", Board)(can_read_board)
rule("moderate", Board)(moderates_board)
rule("write", Board)(can_post_in_board)
