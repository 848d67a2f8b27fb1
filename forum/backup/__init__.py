"""Backup and restore of an embedded site: `flask backup [PATH]`, `flask restore PATH`."""


def init_app(app) -> None:
    """Register the backup and restore commands."""
    from forum.backup.cli import backup_command, restore_command

    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
