"""`flask tally show --month YYYY-MM --by teacher|group|school [--json]`."""
from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from forum.core.timezones import current_month, format_month, parse_month
from forum.tallies import reports
from forum.tallies.periods import month_period

tally_cli = AppGroup("tally", help="Monthly contribution tallies (月度统计).")

_HEADERS = ("id", "name", "entries", "threads", "replies", "comments", "preps", "total", "substantive")


@tally_cli.command("show")
@click.option("--month", "month_text", default=None, help="YYYY-MM (default: this month, site time zone)")
@click.option("--by", type=click.Choice(reports.BY), default="teacher", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON like GET /api/v1/tallies.")
def show(month_text: str | None, by: str, as_json: bool) -> None:
    """Print one month's tally by teacher, group or school (every row: this is an operator's tool)."""
    try:
        month = parse_month(month_text) if month_text else current_month()
    except ValueError as exc:
        raise click.BadParameter("month must be YYYY-MM, e.g. 2026-11", param_hint="--month") from exc
    period = month_period(month)
    rows = reports.tally(by, (period.first, period.last))
    if as_json:
        click.echo(json.dumps({"month": format_month(month), "by": by, "rows": [r.api_dict() for r in rows]},
                              ensure_ascii=False, indent=2))
        return
    widths = [max(len(h), 6) for h in _HEADERS]
    widths[1] = max([len(h) for h in ("name",)] + [_width(r.name) for r in rows] + [4])
    click.echo(f"{format_month(month)} · by {by} · {len(rows)} rows")
    click.echo("  ".join(h.ljust(w) for h, w in zip(_HEADERS, widths)))
    for r in rows:
        values = r.api_dict()
        cells = []
        for h, w in zip(_HEADERS, widths):
            text = str(values[h])
            cells.append(text + " " * max(w - _width(text), 0))
        click.echo("  ".join(cells))


@tally_cli.command("rollup")
@click.option("--fix", is_flag=True, help="Rebuild the rollup from the ledger if it disagrees.")
def rollup_command(fix: bool) -> None:
    """Check the monthly rollup (contribution_months) against the ledger; --fix rebuilds it."""
    from forum.extensions import db
    from forum.ledger import rollup

    with db.engine.begin() as conn:
        wrong = rollup.differences(conn)
        if not wrong:
            click.echo("rollup agrees with the ledger")
            return
        for month, school, group, kind, (total, subst), (l_total, l_subst) in wrong:
            click.echo(f"{month} school={school} group={group} {kind}: rollup {total}/{subst}, "
                       f"ledger {l_total}/{l_subst} (total/substantive)")
        if not fix:
            raise SystemExit(1)
        rows = rollup.rebuild(conn)
    click.echo(f"rebuilt from the ledger: {rows} rollup rows")


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def init_app(app) -> None:
    """Add the `tally` command group."""
    app.cli.add_command(tally_cli)
