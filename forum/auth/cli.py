"""`flask users …` commands."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from forum.auth import services
from forum.extensions import db

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create")
@click.argument("username")
@click.option("--password", required=True, help="Initial password.")
@click.option("--role", type=click.Choice(["teacher", "leader", "admin"]), default="teacher", show_default=True)
@click.option("--school", "school_name", default=None, help="School name (created if missing).")
@click.option("--display-name", default=None, help="Display name, e.g. 王老师.")
def create_user_command(username, password, role, school_name, display_name):
    """Create a user (and their school if it does not exist yet)."""
    from forum.org.services import get_or_create_school

    school = get_or_create_school(school_name) if school_name else None
    try:
        user = services.create_user(username, password, role=role, display_name=display_name, school=school)
    except services.AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"created {user.role} {user.username} (id {user.id})")


def init_app(app) -> None:
    app.cli.add_command(users_cli)
