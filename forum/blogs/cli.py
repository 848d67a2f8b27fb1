"""`flask blogs ...`: maintenance commands for blog content."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select, update

blogs_cli = AppGroup("blogs", help="Blog maintenance.")


@blogs_cli.command("rerender")
@click.option("--batch", default=500, show_default=True, help="Rows per transaction.")
def rerender(batch: int) -> None:
    """Store fresh HTML for every entry, comment, guestbook message, thread and post rendered by an
    older RENDER_VERSION (pages already re-render such rows on read; this makes it permanent)."""
    from forum.core import markup
    from forum.core.content import MarkdownMixin
    from forum.extensions import db

    models = sorted({m.class_ for m in db.Model.registry.mappers if issubclass(m.class_, MarkdownMixin)},
                    key=lambda c: c.__name__)
    for model in models:
        done = 0
        last_id = 0
        while True:
            rows = db.session.execute(
                select(model.id, model.body).where(model.render_version != markup.RENDER_VERSION, model.id > last_id)
                .order_by(model.id).limit(batch)).all()
            if not rows:
                break
            # Only the stored rendering changes: no revision, ledger or outbox row, and updated_at is kept.
            keep = {"updated_at": model.updated_at} if hasattr(model, "updated_at") else {}
            for row_id, body in rows:
                db.session.execute(update(model).where(model.id == row_id).values(
                    body_html=markup.render(body), render_version=markup.RENDER_VERSION, **keep))
            last_id = rows[-1][0]
            done += len(rows)
            db.session.commit()
        click.echo(f"{model.__name__}: {done} re-rendered")


@blogs_cli.command("purge-pending")
@click.option("--days", default=30, show_default=True, help="Remove uploads waiting longer than this.")
def purge_pending(days: int) -> None:
    """Remove files uploaded in the editor for an entry that was never saved (and their stored files)."""
    from datetime import timedelta

    from forum.blogs.attachments import path_of
    from forum.blogs.models import Attachment
    from forum.core.db import utcnow
    from forum.extensions import db

    cutoff = utcnow() - timedelta(days=max(days, 1))
    rows = db.session.scalars(select(Attachment).where(Attachment.entry_id.is_(None),
                                                       Attachment.created_at < cutoff)).all()
    for att in rows:
        path = path_of(att)
        db.session.delete(att)
        db.session.commit()  # the row goes first: a file without a row is harmless, the reverse is a 404
        path.unlink(missing_ok=True)
    click.echo(f"{len(rows)} pending uploads removed")
