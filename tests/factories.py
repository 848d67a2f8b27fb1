"""Plain factory functions for tests: build rows through the same services and write path."""
from __future__ import annotations

import itertools

from forum.extensions import db

PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)


def _n() -> int:
    return next(_seq)


def make_cluster(name: str | None = None):
    from forum.org.services import get_or_create_cluster

    cluster = get_or_create_cluster(name or f"片区{_n()}")
    db.session.commit()
    return cluster


def make_school(name: str | None = None, cluster=None):
    from forum.org.services import get_or_create_school

    school = get_or_create_school(name or f"实验小学{_n()}", cluster)
    db.session.commit()
    return school


def make_user(username: str | None = None, *, role: str = "teacher", school=None, display_name: str | None = None,
              password: str = PASSWORD, scope_school=None, scope_cluster=None):
    from forum.auth.services import create_user

    user = create_user(username or f"teacher{_n()}", password, role=role, school=school,
                       display_name=display_name)
    if scope_school is not None:
        user.scope_school_id = scope_school.id
    if scope_cluster is not None:
        user.scope_cluster_id = scope_cluster.id
    db.session.commit()
    return user


def make_group(name: str | None = None, *, school=None, visibility: str = "public", subject: str = "语文",
               members=(), hosts=(), cluster=None):
    from forum.org.services import add_member, create_group

    if school is None and cluster is None:
        school = make_school()
    group = create_group(name or f"语文组{_n()}", school=school, cluster=cluster, subject=subject,
                         visibility=visibility)
    for user in members:
        add_member(group, user)
    for user in hosts:
        add_member(group, user, host=True)
    db.session.commit()
    return group


def add_member(group, user, host: bool = False):
    from forum.org.services import add_member as _add

    _add(group, user, host=host)
    db.session.commit()


def make_entry(blog, author, *, title: str = "《秋天的雨》教学反思", body: str = "本节课我尝试让学生在朗读中体会秋天的美。",
               category: str = "reflection", status: str = "published"):
    """An entry written straight through the write path (feature tests use the services)."""
    from forum.blogs.models import Entry
    from forum.core.db import utcnow
    from forum.core.writepath import Credit, record

    entry = Entry(blog_id=blog.id, author_id=author.id, title=title, category=category, status=status,
                  published_at=utcnow() if status == "published" else None)
    entry.set_body(body)
    group = blog.group
    record(entry, Credit("entry", author.id, group.id if group else None,
                         (group.school_id if group else author.school_id), body)
           if status == "published" else None)
    db.session.commit()
    return entry


def make_thread(board, author, *, title: str = "关于单元整体教学的讨论", body: str = "大家在单元整体教学中遇到了哪些困难？",
                kind: str = "discussion"):
    """A thread written straight through the write path."""
    from forum.boards.models import Thread
    from forum.core.writepath import Credit, record

    thread = Thread(board_id=board.id, author_id=author.id, title=title, kind=kind, last_poster_id=author.id)
    thread.set_body(body)
    group = board.group
    record(thread, Credit("thread", author.id, group.id if group else None,
                          group.school_id if group else author.school_id, body))
    db.session.commit()
    return thread
