"""`flask seed-demo`: a realistic Chinese demo district built from the bundled corpus."""
from __future__ import annotations

import importlib
import random

import click

# Feature seeders run in this order; each module defines seed(ctx).
SEEDERS = ("blogs", "boards", "moderation", "tallies", "views")


def district_exists() -> bool:
    from sqlalchemy import func, select

    from forum.auth.models import User
    from forum.extensions import db

    return bool(db.session.scalar(select(func.count()).select_from(User)))


def reset_database() -> None:
    """Delete every row (children first), keeping the schema."""
    from forum.extensions import db

    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


def seed(seed_value: int = 2026, echo=print):
    """Build the district, then let each feature add its content."""
    from forum.demo import district

    rng = random.Random(seed_value)
    ctx = district.build(rng)
    echo(f"组织：{len(ctx.groups)} 个教研组，{len(ctx.teachers)} 位教师")
    for name in SEEDERS:
        try:
            module = importlib.import_module(f"forum.demo.{name}")
        except ModuleNotFoundError:
            continue
        module.seed(ctx)
        echo(f"已生成：{name}")
    return ctx


def init_app(app) -> None:
    @app.cli.command("seed-demo")
    @click.option("--reset", is_flag=True, help="Delete everything and rebuild the district.")
    @click.option("--if-empty", is_flag=True, help="Only seed when the database has no users.")
    @click.option("--seed", "seed_value", default=2026, show_default=True, help="Random seed.")
    def seed_demo(reset: bool, if_empty: bool, seed_value: int):
        """Build the demo district (schools, groups, teachers, content over six months)."""
        from forum.demo import district

        # Index once at the end instead of racing an indexer thread commit by commit.
        app.config["SEARCH_INDEXER"] = "off"
        _fast_sqlite_writes()
        if district_exists():
            if not reset:
                click.echo("演示学区已存在（demo district exists）；用 --reset 重建。")
                return
            reset_database()
        elif if_empty is False and reset:
            pass
        ctx = seed(seed_value, click.echo)
        _after_seed(app)
        click.echo("")
        click.echo(f"演示账号（密码均为 {district.PASSWORD}）：")
        for username, who, role in district.accounts(ctx):
            click.echo(f"  {username:<14} {who}  [{role}]")
        click.echo("打开 http://127.0.0.1:5000/ 开始使用。")


def _fast_sqlite_writes() -> None:
    """Demo data can be rebuilt: skip the per-commit fsync while seeding SQLite."""
    from sqlalchemy import event

    from forum.extensions import db

    if db.engine.dialect.name == "sqlite":
        @event.listens_for(db.engine, "connect")
        def _no_fsync(dbapi_conn, _record):
            dbapi_conn.execute("PRAGMA synchronous = OFF")

        db.session.remove()
        db.engine.dispose()


def _after_seed(app) -> None:
    """Index the seeded district once, then drop the outbox rows that index already covers.

    Nothing else writes while seeding, so every outbox row queued so far is reflected in the
    freshly built index; leaving them would make the indexer redo all of it on first request.
    """
    from sqlalchemy import delete, func, select

    from forum.extensions import db
    from forum.search import index, indexer
    from forum.search.models import SearchOutbox

    covered = db.session.scalar(select(func.max(SearchOutbox.id))) or 0
    db.session.commit()
    session = index.session_for(app)
    try:
        written = index.rebuild(app, session, lock=lambda: indexer.indexer_lock(app, blocking=True, timeout=300))
    finally:
        session.close()
    db.session.execute(delete(SearchOutbox).where(SearchOutbox.id <= covered))
    db.session.commit()
    click.echo(f"搜索索引：{written} 篇")
