"""`flask search …`: rebuild, verify, status, query, worker."""
from __future__ import annotations

import json
import time

import click
from flask import current_app
from flask.cli import AppGroup
from flask_login import AnonymousUserMixin

from forum.search import index, indexer

search_cli = AppGroup("search", help="Full-text search: rebuild, verify, status, query, worker.")


@search_cli.command("rebuild")
@click.option("--keep-outbox", is_flag=True,
              help="Leave the outbox rows the build covers (default: delete them; re-applying is harmless).")
def rebuild_command(keep_outbox: bool):
    """Rebuild the index from the database (into a temporary copy, then swapped in; resumable)."""
    app = current_app._get_current_object()
    indexer.release_callers_lock(app)
    session = index.session_for(app)
    try:
        total = index.documents.count_rows(session)
        started = time.monotonic()
        with click.progressbar(length=total, label="indexing", show_pos=True) as bar:
            written = index.rebuild(app, session, progress=bar.update,
                                    lock=lambda: indexer.indexer_lock(app, blocking=True, timeout=300),
                                    drain_outbox=not keep_outbox)
    finally:
        session.close()
    elapsed = time.monotonic() - started
    click.echo(f"indexed {written} documents in {elapsed:.1f}s ({index.backend(app).name})")


@search_cli.command("verify")
@click.option("--fix", is_flag=True, help="Re-index missing and stale documents, drop extra ones.")
def verify_command(fix: bool):
    """Compare the index with the database: missing, stale and extra documents."""
    app = current_app._get_current_object()
    indexer.release_callers_lock(app)
    session = index.session_for(app)
    try:
        if fix:
            with indexer.indexer_lock(app, blocking=True, timeout=300):
                result = index.verify(app, session, fix=True)
        else:
            result = index.verify(app, session)
    except Exception as exc:  # noqa: BLE001 - a damaged index: say so, and how to repair it
        from sqlalchemy.exc import SQLAlchemyError

        if isinstance(exc, SQLAlchemyError):
            raise
        click.echo(f"index unreadable ({exc.__class__.__name__}: {exc}); run `flask search rebuild`")
        raise SystemExit(2)
    finally:
        session.close()
    for label, keys in (("missing", result.missing), ("stale", result.stale), ("extra", result.extra)):
        click.echo(f"{label}: {len(keys)}")
        for key in keys[:50]:
            click.echo(f"  {key}")
        if len(keys) > 50:
            click.echo(f"  … and {len(keys) - 50} more")
    click.echo(f"checked {result.checked} documents: " + ("ok" if result.ok else ("fixed" if fix else "differences")))
    if not result.ok and not fix:
        raise SystemExit(1)


@search_cli.command("status")
def status_command():
    """Backend, documents in the index, and the outbox lag."""
    app = current_app._get_current_object()
    indexer.release_callers_lock(app)
    pending, age = indexer.pending(app)
    click.echo(f"backend: {index.backend(app).name}")
    try:
        click.echo(f"documents: {index.backend(app).count()}")
    except Exception as exc:  # noqa: BLE001 - a damaged index is a status, not a traceback
        click.echo(f"documents: index unreadable ({exc.__class__.__name__}); run `flask search rebuild`")
    if index.rebuild_running(app):
        click.echo("rebuild: running, or interrupted (run `flask search rebuild` to resume it)")
    click.echo(f"outbox pending: {pending}")
    click.echo("outbox lag: " + (f"{age:.1f}s" if age is not None else "none"))
    click.echo(f"indexer mode: {app.config.get('SEARCH_INDEXER', 'thread')}")


@search_cli.command("query")
@click.argument("text")
@click.option("--json", "as_json", is_flag=True, help="Print JSON like the API.")
@click.option("--as-user", "username", default=None, help="Search as this user (default: a visitor).")
@click.option("--page", default=1, type=int)
def query_command(text: str, as_json: bool, username: str | None, page: int):
    """Search as a visitor (or --as-user) and print the results."""
    from sqlalchemy import select

    from forum.auth.models import User
    from forum.extensions import db
    from forum.search import service

    user = AnonymousUserMixin()
    if username:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            raise click.BadParameter(f"no user {username!r}", param_hint="--as-user")
    started = time.perf_counter()
    result = service.run(user, service.SearchRequest(q=text, page=max(1, page)))
    ms = (time.perf_counter() - started) * 1000
    if as_json:
        click.echo(json.dumps({
            "total": result.total,
            "results": [{"type": r.doc_type, "id": r.doc_id, "title": r.title, "snippet": str(r.snippet),
                         "url": r.url} for r in result.results],
        }, ensure_ascii=False))
        return
    click.echo(f"{result.total} results ({ms:.0f} ms)")
    for r in result.results:
        click.echo(f"[{r.doc_type} {r.doc_id}] {r.title}  {r.url}")
        click.echo(f"    {r.snippet}")


@search_cli.command("worker")
def worker_command():
    """Drain the outbox forever (run one of these when SEARCH_INDEXER=off)."""
    app = current_app._get_current_object()
    click.echo(f"search worker: {index.backend(app).name}, lock {indexer.lock_path(app)}")
    try:
        indexer.run_worker(app)
    except KeyboardInterrupt:
        pass
