"""Demo moderation: reasoned deletes (one restored), a featured thread, a pinned entry, open flags, an audit trail.

Runs after the blog and board seeders and goes through the moderation services, so every step
lands in the audit log, the ledger and the search outbox exactly as a host's clicks would.
"""
from __future__ import annotations

from sqlalchemy import select

from forum.blogs.models import Comment, Entry
from forum.boards.models import Post, Thread
from forum.core.errors import ApiError
from forum.extensions import db
from forum.moderation import flags, services

NOTES = {
    "ethics": "评论中有贬低学生的言辞，违背教师职业道德。",
    "spam": "含与教研无关的推广链接。",
    "duplicate": "与楼上内容重复。",
    "offtopic": "与本次研讨主题无关。",
    "other": "涉及学生个人信息，已删除以保护隐私。",
}


def _comments(group, host, limit: int):
    """Live comments on the group blog written by someone other than the host."""
    if group.blog is None:
        return []
    return db.session.scalars(
        select(Comment).join(Entry, Entry.id == Comment.entry_id)
        .where(Entry.blog_id == group.blog.id, Comment.is_deleted.is_(False), Entry.is_deleted.is_(False),
               Comment.author_id != host.id)
        .order_by(Comment.id).limit(limit)).all()


def _posts(group, host, limit: int):
    """Live replies on the group board written by someone other than the host."""
    if group.board is None:
        return []
    return db.session.scalars(
        select(Post).join(Thread, Thread.id == Post.thread_id)
        .where(Thread.board_id == group.board.id, Post.is_deleted.is_(False), Thread.is_deleted.is_(False),
               Post.author_id != host.id)
        .order_by(Post.id).limit(limit)).all()


def _try(fn, *args, **kwargs):
    """Demo data is best effort: an action the policy refuses is simply skipped."""
    try:
        return fn(*args, **kwargs)
    except ApiError:
        db.session.rollback()
        return None


def seed(ctx) -> None:
    """A few moderated groups: deletes with reasons, one restore, featured/pinned content, open flags."""
    rng = ctx.rng
    reasons = list(NOTES)
    moderated = [g for g in ctx.groups if g.id in ctx.hosts][:4]
    for i, group in enumerate(moderated):
        host = ctx.hosts[group.id]
        comments = _comments(group, host, 6)
        for j, comment in enumerate(comments[:2]):
            reason = reasons[(i * 2 + j) % len(reasons)]
            _try(services.delete_content, comment, host, reason, NOTES[reason])
        if i == 0 and comments:
            _try(services.restore_content, comments[0], host)  # a mistaken delete, undone
        posts = _posts(group, host, 6)
        if posts:
            _try(services.delete_content, posts[-1], host, "duplicate", NOTES["duplicate"])
        thread = db.session.scalar(select(Thread).where(Thread.board_id == group.board.id,
                                                        Thread.is_deleted.is_(False)).order_by(Thread.id))
        if thread is not None:
            _try(services.set_toggle, thread, host, "feature", True)
        entry = db.session.scalar(select(Entry).where(Entry.blog_id == group.blog.id, Entry.is_deleted.is_(False),
                                                      Entry.status == "published").order_by(Entry.id.desc()))
        if entry is not None:
            _try(services.set_toggle, entry, host, "pin", True)
        # Open flags from group members for the host's queue; the first group also has a dismissed one.
        members = [m for m in ctx.members.get(group.id, []) if m.id != host.id]
        targets = [c for c in comments[2:] if not c.is_deleted] + [p for p in posts[:3] if not p.is_deleted]
        for k, target in enumerate(targets[:3]):
            reporters = [m for m in members if m.id != target.author_id]
            if not reporters:
                continue
            reason = ("spam", "offtopic", "ethics")[k % 3]
            flag = _try(flags.flag_content, rng.choice(reporters), target, reason, "请主持人看一下。")
            if flag is not None and i == 0 and k == 0:
                _try(flags.resolve_flag, flag, host, "dismiss")
    if ctx.leader is not None and moderated:
        # A leader's move between two boards of the same school, for the audit trail.
        first = moderated[0]
        sibling = next((g for g in ctx.groups if g.school_id == first.school_id and g.id != first.id), None)
        thread = db.session.scalar(select(Thread).where(Thread.board_id == first.board.id,
                                                        Thread.is_deleted.is_(False), Thread.kind == "discussion")
                                   .order_by(Thread.id.desc()))
        if sibling is not None and sibling.board is not None and thread is not None:
            _try(services.move_thread, thread, ctx.leader, sibling.board, "更适合在该组研讨")
    db.session.commit()
