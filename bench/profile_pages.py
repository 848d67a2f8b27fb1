"""Profile the main pages in-process: CPU time and SQL statements per request, and where the time goes.

    .venv/bin/python bench/profile_pages.py --data-dir DIR [--runs 50] [--as visitor,teacher,host]
                                            [--pages home,group,...,search_few,search_broad] [--profile [--flat]] [--sql] [--user U]

DIR is a filled JIAOYAN_DATA_DIR (`flask seed-demo`, or bench/data.py; DATABASE_URL is honoured).
Every page is fetched through the full Flask stack with the test client (no network, no gunicorn),
once to warm up, then --runs times. Prints, per page and audience: median wall and CPU time per
request, SQL statements per request and the response size. --profile adds a pyinstrument tree
(only frames above 2 % of the time) per page, which is where the per-request overhead shows.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def deep_board_path(app, board_path: str, pages: int) -> str:
    """The URL of page `pages` of a board (or of its last page, if it has fewer): the keyset cursor
    of the row that ends the page before."""
    from sqlalchemy import func, select

    from forum.boards.models import Thread
    from forum.extensions import db

    board_id = int(board_path.rsplit("/", 1)[1])
    with app.app_context():
        live = db.session.scalar(select(func.count()).select_from(Thread)
                                 .where(Thread.board_id == board_id, Thread.is_deleted.is_(False)))
        pages = max(1, min(pages, -(-live // 30)))
        if pages == 1:
            return board_path
        row = db.session.execute(
            select(Thread.is_pinned, Thread.last_post_at, Thread.id)
            .where(Thread.board_id == board_id, Thread.is_deleted.is_(False))
            .order_by(Thread.is_pinned.desc(), Thread.last_post_at.desc(), Thread.id.desc())
            .offset((pages - 1) * 30 - 1).limit(1)).first()
    if row is None:
        return board_path
    from urllib.parse import quote

    return f"{board_path}?before={quote(f'{int(row[0])}~{row[1].isoformat()}~{row[2]}')}"


def pick_paths(app, deep: int = 500) -> dict[str, str]:
    """One URL per page kind, chosen from what the database holds (public content, the biggest lists)."""
    from sqlalchemy import func, select

    from forum.blogs.models import Blog, Comment, Entry
    from forum.boards.models import Board, Thread
    from forum.extensions import db
    from forum.org.models import Group

    with app.app_context():
        group = db.session.scalar(select(Group).where(Group.visibility == "public").order_by(Group.id))
        board = db.session.scalar(select(Board).where(Board.group_id == group.id))
        public_boards = select(Board.id).join(Group, Group.id == Board.group_id).where(Group.visibility == "public")
        biggest_board = db.session.scalar(
            select(Thread.board_id).where(Thread.board_id.in_(public_boards))
            .group_by(Thread.board_id).order_by(func.count().desc()).limit(1)) or board.id
        thread = db.session.scalar(
            select(Thread).where(Thread.board_id.in_(public_boards), Thread.is_deleted.is_(False),
                                 Thread.top_level_count >= 1)
            .order_by(func.abs(Thread.reply_count - 20), Thread.id).limit(1))
        deep_thread = db.session.scalar(
            select(Thread).where(Thread.board_id.in_(public_boards), Thread.is_deleted.is_(False))
            .order_by(Thread.top_level_count.desc()).limit(1))
        public_blogs = select(Blog.id).join(Group, Group.id == Blog.group_id).where(Group.visibility == "public")
        entry_id = db.session.scalar(
            select(Entry.id).join(Comment, Comment.entry_id == Entry.id, isouter=True)
            .where(Entry.status == "published", Entry.is_deleted.is_(False), Entry.blog_id.in_(public_blogs))
            .group_by(Entry.id).order_by(func.count(Comment.id).desc(), func.length(Entry.body_html).desc())
            .limit(1))
        deep_page = max(1, -(-deep_thread.top_level_count // 20))
    board_path = f"/boards/{biggest_board}"
    return {
        "home": "/",
        "group": f"/groups/{group.id}",
        "board": board_path,
        "board_deep": deep_board_path(app, board_path, deep),
        "thread": f"/boards/threads/{thread.id}",
        "thread_deep": f"/boards/threads/{deep_thread.id}?page={min(deep_page, 40)}",
        "entry": f"/blogs/entries/{entry_id}",
        "tallies": "/tallies/",
        "hello": "/healthz",
        **search_paths(app),
    }


def search_paths(app) -> dict[str, str]:
    """The two searches of bench/pages.py (the manifest's planted words), if the data has a manifest."""
    import json
    from urllib.parse import quote

    manifest = Path(app.config["JIAOYAN_DATA_DIR"], "bench-manifest.json")
    if not manifest.exists():
        return {}
    search = json.loads(manifest.read_text("utf-8")).get("search", {})
    return {f"search_{kind}": f"/search?q={quote(search[kind]['q'])}" for kind in ("few", "broad") if kind in search}


def audience_user_id(app, audience: str, username: str = "") -> int | None:
    """The user to sign in as: `username`, else for "teacher" a plain member and for "host" a host
    of the first public group (the group pick_paths uses); None for "visitor"."""
    from sqlalchemy import select

    from forum.auth.models import User
    from forum.extensions import db
    from forum.org.models import Group, Membership

    if audience == "visitor":
        return None
    with app.app_context():
        if username:
            return db.session.scalar(select(User.id).where(User.username == username))
        group_id = db.session.scalar(select(Group.id).where(Group.visibility == "public").order_by(Group.id))
        return db.session.scalar(
            select(Membership.user_id).where(Membership.group_id == group_id,
                                             Membership.is_host.is_(audience == "host"))
            .order_by(Membership.user_id).limit(1))


def signed_in_client(app, audience: str, username: str = "", _password: str = ""):
    """A test client signed in as the audience's user (the Flask-Login session, no password needed)."""
    from forum.auth.models import User
    from forum.extensions import db

    client = app.test_client()
    uid = audience_user_id(app, audience, username)
    if uid is not None:
        with app.app_context():
            version = db.session.get(User, uid).session_version
        with client.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = f"{uid}:{version}", True
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--as", dest="audiences", default="visitor,teacher")
    parser.add_argument("--pages", default="")
    parser.add_argument("--user", default="", help="sign in as this username (default: a member / host of the group)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--flat", action="store_true", help="with --profile: a flat list of self time")
    parser.add_argument("--sql", action="store_true", help="print the statements of the last request")
    args = parser.parse_args()
    os.environ["JIAOYAN_DATA_DIR"] = args.data_dir
    os.environ.setdefault("SEARCH_INDEXER", "off")
    os.environ.setdefault("RATELIMIT_ENABLED", "0")

    from sqlalchemy import event

    from forum import create_app
    from forum.extensions import db

    app = create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    paths = pick_paths(app)
    if args.pages:
        paths = {k: v for k, v in paths.items() if k in args.pages.split(",")}
    with app.app_context():
        engine = db.engine
    statements = {"n": 0, "sql": []}

    def _count(conn, cursor, statement, *_a, **_k):
        statements["n"] += 1
        statements["sql"].append(statement)

    event.listen(engine, "before_cursor_execute", _count)
    os.system("uptime")
    print(f"{'page':<12} {'as':<8} {'wall ms':>8} {'cpu ms':>8} {'SQL':>5} {'KiB':>6}  path")
    for audience in args.audiences.split(","):
        client = signed_in_client(app, audience, args.user)
        for name, path in paths.items():
            r = client.get(path)
            if r.status_code != 200:
                print(f"{name:<12} {audience:<8} status {r.status_code}  {path}")
                continue
            walls, cpus, sqls = [], [], set()
            profiler = None
            if args.profile:
                from pyinstrument import Profiler

                profiler = Profiler(interval=0.0005)
                profiler.start()
            for _ in range(args.runs):
                statements["n"], statements["sql"] = 0, []
                w0, c0 = time.perf_counter(), time.process_time()
                r = client.get(path)
                cpus.append(time.process_time() - c0)
                walls.append(time.perf_counter() - w0)
                sqls.add(statements["n"])
            if profiler is not None:
                profiler.stop()
            print(f"{name:<12} {audience:<8} {statistics.median(walls) * 1000:8.2f} "
                  f"{statistics.median(cpus) * 1000:8.2f} {','.join(map(str, sorted(sqls))):>5} "
                  f"{len(r.data) / 1024:6.1f}  {path}")
            if args.sql:
                for statement in statements["sql"]:
                    print("    " + " ".join(statement.split())[:160])
            if profiler is not None:
                print(profiler.output_text(unicode=True, color=False, show_all=args.flat,
                                           flat=args.flat, time="percent_of_total"))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
