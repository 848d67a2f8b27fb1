"""`flask backup [PATH]` and `flask restore PATH`."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from forum.backup.archive import BackupError, create_backup, restore_backup


@click.command("backup")
@click.argument("path", required=False, type=click.Path(dir_okay=True, file_okay=True))
@with_appcontext
def backup_command(path: str | None):
    """Write one consistent archive of the site (database snapshot, uploads, settings) to PATH."""
    try:
        result = create_backup(current_app._get_current_object(), path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    rows = sum(result.tables.values())
    click.echo(f"backup written: {result.path}")
    click.echo(f"  database: {result.dialect}, {len(result.tables)} tables, {rows} rows; "
               f"uploads: {result.uploads} files; search index: not included (rebuilt on restore)")
    for note in result.notes:
        click.echo(f"  note: {note}")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--no-reindex", is_flag=True, help="Skip rebuilding the search index.")
@with_appcontext
def restore_command(path: str, no_reindex: bool):
    """Restore an archive written by `flask backup` into an empty data dir, then rebuild the index."""
    app = current_app._get_current_object()
    try:
        result = restore_backup(app, path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored {result.path} into {app.config['JIAOYAN_DATA_DIR']}: "
               f"{len(result.tables)} tables, {sum(result.tables.values())} rows, {result.uploads} uploads")
    for note in result.notes:
        click.echo(f"  note: {note}")
    if no_reindex:
        click.echo("search index not rebuilt: run `flask search rebuild`")
        return
    rebuild = _search_rebuild_command()
    if rebuild is None:
        click.echo("note: search is not installed here; run `flask search rebuild` when it is")
        return
    click.get_current_context().invoke(rebuild)


def _search_rebuild_command():
    """The `flask search rebuild` command, if the search feature is present."""
    try:
        from forum.search.cli import search_cli
    except ImportError:
        return None
    return search_cli.commands.get("rebuild")
