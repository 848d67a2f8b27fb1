"""`flask boards …` commands."""
import click
from flask.cli import AppGroup

boards_cli = AppGroup("boards", help="Boards and collective lesson preparations.")


@boards_cli.command("remind")
def remind() -> None:
    """Notify participants who have not replied when a preparation's deadline is within 24 hours."""
    from forum.boards.prep import remind_deadlines

    click.echo(f"{remind_deadlines()} reminders sent")
