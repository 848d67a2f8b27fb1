"""Benchmark: the thread page of a 2,000-post thread, page 1 against page 40.

    .venv/bin/python bench/thread_page.py [--posts 2000] [--runs 30] [--top-every 2]

Builds a scratch SQLite database (deleted afterwards) with one group, its members and one thread
of --posts replies: every --top-every-th reply is top level, the others answer a recent reply, so
the thread has 1,000 top-level replies (50 pages of 20) with trees up to a dozen levels deep.
Rows go in through one bulk INSERT with the same positions/paths the reply service writes (the
service itself is exercised by the tests). Each page is fetched through the full Flask stack (test
client, signed in as a member, templates rendered), once to warm up, then --runs times
alternating between page 1 and page 40; min / median / p95 and SQL statements per request are
printed.
"""
from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from forum import create_app  # noqa: E402
from forum.extensions import db  # noqa: E402

PASSWORD = "bench-password-1"


def build(n_posts: int, top_every: int):
    """A group with six members and one thread of `n_posts` replies; returns (thread_id, member)."""
    from sqlalchemy import insert, update

    from forum.auth.services import create_user
    from forum.boards.models import Post, Thread
    from forum.boards.services import start_thread
    from forum.core import markup
    from forum.core.db import utcnow
    from forum.org.services import add_member, create_group, get_or_create_school

    school = get_or_create_school("城关第一小学", None)
    names = ["王丽华", "李明", "张伟", "陈静", "刘洋", "杨帆"]
    users = [create_user(f"bench{i}", PASSWORD, role="teacher", school=school, display_name=n)
             for i, n in enumerate(names)]
    group = create_group("语文组", school=school, subject="语文", visibility="public")
    for u in users:
        add_member(group, u)
    db.session.commit()
    thread = start_thread(group.board, users[0], "2,000 楼的大讨论：单元整体教学",
                          "大家在单元整体教学中遇到了哪些困难？请结合课例谈谈。")
    rng = random.Random(2026)
    corpus_dir = ROOT.parent / "shared" / "corpus"
    paras = [p.strip() for f in sorted(corpus_dir.glob("*.txt")) for p in f.read_text("utf-8").split("\n")
             if len(p.strip()) > 40][:400] or ["关于单元整体教学的意见：先明确大概念，再设计学习任务。"]
    start = 1  # the scratch database has no posts yet
    rows, recent, top, now = [], [], 0, utcnow()
    for i in range(n_posts):
        pid = start + i
        parent = rng.choice(recent[-6:]) if (i % top_every and recent) else None
        body = paras[i % len(paras)][:600]
        row = {"id": pid, "thread_id": thread.id, "author_id": users[i % len(users)].id, "body": body,
               "body_html": markup.render(body), "render_version": markup.RENDER_VERSION,
               "created_at": now, "updated_at": now}
        if parent is None:
            top += 1
            row.update(parent_id=None, root_id=pid, position=top, depth=0, path=f"{pid:010d}")
        else:
            row.update(parent_id=parent["id"], root_id=parent["root_id"], position=None,
                       depth=parent["depth"] + 1, path=f"{parent['path']}.{pid:010d}")
        rows.append(row)
        recent.append(row)
    db.session.execute(insert(Post), rows)
    db.session.execute(update(Thread).where(Thread.id == thread.id).values(reply_count=n_posts, top_level_count=top))
    db.session.commit()
    return thread.id, users[1], top


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--top-every", type=int, default=2)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="jy-bench-thread-"))
    try:
        app = create_app({
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.sqlite3'}", "JIAOYAN_DATA_DIR": str(tmp),
            "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
            "PASSWORD_HASH_METHOD": "scrypt:1024:8:1", "SEARCH_INDEXER": "off",
        })
        with app.app_context():
            db.create_all()
            thread_id, member, top = build(args.posts, args.top_every)
            username = member.username
            db.session.remove()
        from forum.boards.services import PAGE_SIZE

        pages = -(-top // PAGE_SIZE)
        target = min(40, pages)
        client = app.test_client()
        resp = client.post("/auth/login", data={"username": username, "password": PASSWORD})
        assert resp.status_code == 302, resp.status_code

        statements = {"n": 0}

        def _count(*_a, **_k):
            statements["n"] += 1

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", _count)
        times: dict[int, list[float]] = {1: [], target: []}
        queries: dict[int, set[int]] = {1: set(), target: set()}
        sizes: dict[int, int] = {}
        for page in (1, target):  # warm-up
            client.get(f"/boards/threads/{thread_id}?page={page}")
        for _ in range(args.runs):
            for page in (1, target):
                statements["n"] = 0
                t0 = time.perf_counter()
                r = client.get(f"/boards/threads/{thread_id}?page={page}")
                times[page].append(time.perf_counter() - t0)
                assert r.status_code == 200, r.status_code
                queries[page].add(statements["n"])
                sizes[page] = len(r.data)
        print(f"thread of {args.posts} posts, {top} top-level replies, {pages} pages of {PAGE_SIZE} "
              f"top-level replies with their subtrees; {args.runs} runs each, alternating")
        for page in (1, target):
            ts = sorted(times[page])
            p95 = ts[min(len(ts) - 1, int(round(0.95 * (len(ts) - 1))))]
            print(f"page {page:>3}: min {ts[0] * 1000:7.2f} ms  median {statistics.median(ts) * 1000:7.2f} ms  "
                  f"p95 {p95 * 1000:7.2f} ms  SQL statements/request {sorted(queries[page])}  "
                  f"html {sizes[page] // 1024} KiB")
        ratio = statistics.median(times[target]) / statistics.median(times[1])
        print(f"median page {target} / page 1 = {ratio:.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
