"""The boards demo seeder: every thread kind, deep trees, concluded and open preparations, themes."""
import random
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import func, select

from forum.boards.models import LessonPrep, Post, Theme, Thread
from forum.core.db import utcnow
from forum.notifications.models import Notification
from tests.boards.helpers import prep_group


def test_seed_builds_boards_content(app, db):
    from forum.demo import boards

    group, host, lead, members = prep_group(4)
    now = utcnow()
    ctx = SimpleNamespace(groups=[group], teachers=members, hosts={group.id: host}, rng=random.Random(3),
                          corpus=["集体备课要聚焦真实问题。", "单元整体教学需要大概念统领。"],
                          months=[now - timedelta(days=31 * i) for i in (1, 0)])
    boards.seed(ctx)
    kinds = set(db.session.scalars(select(Thread.kind).distinct()))
    assert kinds == {"discussion", "prep", "research", "question"}
    states = set(db.session.scalars(select(LessonPrep.state).distinct()))
    assert {"concluded", "discussing", "drafting"} <= states
    assert db.session.scalar(select(func.max(Post.depth))) >= 5
    assert db.session.scalar(select(func.count()).select_from(Theme)) == 2
    assert db.session.scalar(select(func.count()).select_from(Notification).where(Notification.read_at.is_(None))) > 0
    assert db.session.scalar(select(func.max(Thread.created_at))) <= utcnow()
    # Conversations between colleagues: nobody answers their own reply, and a 集体备课 under
    # discussion hears more than one voice (the lead speaker answers the questions).
    from sqlalchemy.orm import aliased

    parent = aliased(Post)
    assert db.session.scalar(select(func.count()).select_from(Post).join(parent, parent.id == Post.parent_id)
                             .where(parent.author_id == Post.author_id)) == 0
    voices = db.session.execute(select(Post.thread_id, func.count(Post.author_id.distinct())).join(Thread)
                                .where(Thread.kind == "prep").group_by(Post.thread_id)).all()
    assert voices and all(n >= 2 for _tid, n in voices)
