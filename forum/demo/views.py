"""Demo view counts: what a term of reading leaves on threads and entries (浏览/阅读次数).

Real counts come from page views (forum/core/viewcounts.py); the demo district has had no readers
yet, so each thread and entry gets a plausible count: more replies or comments, more readers, and
older content has had longer to be read. Set by one UPDATE per table (updated_at kept): no revision,
ledger or outbox row.
"""
from __future__ import annotations

from sqlalchemy import bindparam, select, update

from forum.blogs.models import Entry
from forum.boards.models import Thread
from forum.extensions import db


def seed(ctx) -> None:
    rng = ctx.rng
    now = ctx.now
    for model, replies, created in ((Thread, Thread.reply_count, Thread.created_at),
                                    (Entry, Entry.comment_count, Entry.published_at)):
        rows = db.session.execute(select(model.id, replies, created)).all()
        values = []
        for row_id, n, at in rows:
            age_days = max(0.0, (now - at).total_seconds() / 86400) if at is not None else 0.0
            views = int(n * rng.uniform(4, 12) + rng.uniform(6, 30) + min(age_days, 120) * rng.uniform(0.2, 0.8))
            values.append({"row_id": row_id, "n": views})
        if values:
            table = model.__table__
            extra = {"updated_at": table.c.updated_at} if "updated_at" in table.c else {}
            db.session.execute(update(table).where(table.c.id == bindparam("row_id"))
                               .values(view_count=bindparam("n"), **extra), values)
    db.session.commit()
