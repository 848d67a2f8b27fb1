"""`flask groups …` and `flask org import` commands."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from forum.extensions import db

groups_cli = AppGroup("groups", help="Manage groups (学科组/年级组).")
org_cli = AppGroup("org", help="Organisation: roster import.")


@groups_cli.command("create")
@click.argument("name")
@click.option("--school", "school_name", required=True, help="School name (created if missing).")
@click.option("--subject", default="", help="Subject, e.g. 语文.")
@click.option("--grade", default="", help="Grade, e.g. 一年级.")
@click.option("--visibility", type=click.Choice(["public", "school", "group"]), default="public", show_default=True)
def create_group_command(name, school_name, subject, grade, visibility):
    """Create a group with its blog and board."""
    from forum.org.services import OrgError, create_group, get_or_create_school

    try:
        school = get_or_create_school(school_name)
        group = create_group(name, school=school, subject=subject, grade=grade, visibility=visibility)
    except OrgError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"created group {group.name} (id {group.id}, blog {group.blog.id}, board {group.board.id})")


@groups_cli.command("add-member")
@click.argument("group_ref")
@click.argument("username")
@click.option("--host", is_flag=True, help="Make the member a host (主持人).")
def add_member_command(group_ref, username, host):
    """Add USERNAME to GROUP (a name, 'School/Group' or an id)."""
    from forum.auth.services import find_user
    from forum.org.services import OrgError, add_member, find_group

    user = find_user(username)
    if user is None:
        raise click.ClickException(f"no such user: {username}")
    try:
        group = find_group(group_ref)
    except OrgError as exc:
        raise click.ClickException(str(exc)) from exc
    add_member(group, user, host=host)
    db.session.commit()
    click.echo(f"{user.username} is now {'host' if host else 'member'} of {group.label}")


@org_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_command(path):
    """Import a roster (CSV or XLSX: school, group, username, display name, role, host)."""
    from forum.org.roster import RosterError, import_file

    try:
        result = import_file(path)
    except RosterError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        raise click.ClickException("nothing was imported") from exc
    click.echo(f"imported {result.memberships} memberships, {len(result.created_users)} new users, "
               f"{result.groups_created} new groups")
    for username, password in result.created_users:
        click.echo(f"  {username}\t{password}")


def init_app(app) -> None:
    app.cli.add_command(groups_cli)
    app.cli.add_command(org_cli)
