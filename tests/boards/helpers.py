"""Shared setup for board tests: a group with a host, members and its board."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from forum.extensions import db
from tests.factories import make_group, make_user


def prep_group(n_members: int = 3, visibility: str = "public"):
    """(group, host, lead, members): lead is members[0]."""
    host = make_user(display_name="赵主任")
    names = ["王丽华", "李明", "张伟", "陈静", "刘洋", "杨帆"]
    members = [make_user(display_name=names[i % len(names)] + ("" if i < len(names) else str(i)))
               for i in range(n_members)]
    group = make_group(members=members, hosts=[host], visibility=visibility)
    return group, host, members[0], members


@contextmanager
def count_queries():
    """Count SQL statements run inside the block."""
    counter = {"n": 0, "sql": []}

    def _before(conn, cursor, statement, params, context, executemany):
        counter["n"] += 1
        counter["sql"].append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", _before)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", _before)


def build_big_thread(board, users, n_posts: int = 2000, top_level_every: int = 2, fast: bool = True):
    """A thread with `n_posts` replies through the reply service: every other one top-level,
    the rest nested under a recent post (trees up to a few levels deep). Commits once."""
    import random

    from forum.boards import services
    from tests.factories import make_thread

    rng = random.Random(7)
    thread = make_thread(board, users[0], title="2,000 楼的大讨论")
    if fast:
        return _bulk_thread(thread, users, n_posts, top_level_every, rng)
    recent: list = []
    for i in range(n_posts):
        author = users[i % len(users)]
        parent = None
        if i % top_level_every and recent:
            parent = rng.choice(recent[-6:])
        post = services.reply(thread, author, f"第 {i + 1} 楼：关于单元整体教学的意见。", parent_id=parent.id if parent else None,
                              commit=False)
        recent.append(post)
    db.session.commit()
    return thread


def _bulk_thread(thread, users, n_posts, top_level_every, rng):
    """The same shape as the reply service builds, written with explicit ids (fast)."""
    from sqlalchemy import func, insert, select, update

    from forum.boards.models import Post, Thread
    from forum.core import markup
    from forum.core.db import utcnow

    start = (db.session.scalar(select(func.max(Post.id))) or 0) + 1
    rows, recent, top = [], [], 0
    now = utcnow()
    for i in range(n_posts):
        pid = start + i
        parent = rng.choice(recent[-6:]) if (i % top_level_every and recent) else None
        body = f"第 {i + 1} 楼：关于单元整体教学的意见。"
        row = {"id": pid, "thread_id": thread.id, "author_id": users[i % len(users)].id, "body": body,
               "body_html": markup.render(body), "render_version": markup.RENDER_VERSION,
               "created_at": now, "updated_at": now}
        if parent is None:
            top += 1
            row.update(parent_id=None, root_id=pid, position=top, depth=0, path=f"{pid:010d}")
        else:
            row.update(parent_id=parent["id"], root_id=parent["root_id"], position=None,
                       depth=parent["depth"] + 1, path=f"{parent['path']}.{pid:010d}")
        rows.append(row)
        recent.append(row)
    db.session.execute(insert(Post), rows)
    db.session.execute(update(Thread).where(Thread.id == thread.id)
                       .values(reply_count=n_posts, top_level_count=top))
    db.session.commit()
    db.session.refresh(thread)
    return thread
