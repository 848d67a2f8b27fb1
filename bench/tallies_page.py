"""Benchmark: the tallies dashboard page in-process (CPU ms per request, page bytes, SQL statements).

    python bench/tallies_page.py --db /work/bench-scratch/full/jiaoyan.sqlite3 [--user bench_leader]
                                 [--runs 5] [--path /tallies/] [--profile]

Opens the SQLite database READ-ONLY (`mode=ro` URI), signs the user in by putting their id in the
test client's session (no login POST, nothing written), GETs the page once to warm up, then
`--runs` times, and prints the median CPU time (process time), wall time, response bytes and the
number of SQL statements per request. `--profile` prints a pyinstrument profile of one request.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", required=True, help="path of the SQLite database (opened read-only)")
    ap.add_argument("--user", default="bench_leader")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--path", action="append", help="page path(s); default /tallies/")
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()

    os.environ["JIAOYAN_DATA_DIR"] = tempfile.mkdtemp(prefix="tallies-bench-")
    os.environ["DATABASE_URL"] = f"sqlite:///file:{Path(args.db).resolve()}?mode=ro&uri=true"
    os.environ["SEARCH_INDEXER"] = "off"
    os.environ.setdefault("SEARCH_BACKEND", "none")

    from sqlalchemy import event, select

    from forum import create_app
    from forum.auth.models import User
    from forum.extensions import db

    app = create_app({"WTF_CSRF_ENABLED": False})
    statements = [0]
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a, **k: statements.__setitem__(0, statements[0] + 1))
        user = db.session.scalar(select(User).where(User.username == args.user))
        if user is None:
            sys.exit(f"no user {args.user!r}")
        session_id = user.get_id()
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = session_id
        sess["_fresh"] = True

    print(f"load average: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    for path in args.path or ["/tallies/"]:
        resp = client.get(path)
        if resp.status_code != 200:
            sys.exit(f"{path}: HTTP {resp.status_code}")
        cpu, wall, sizes, sqls = [], [], [], []
        for _ in range(max(args.runs, 1)):
            statements[0] = 0
            c0, w0 = time.process_time(), time.perf_counter()
            resp = client.get(path)
            cpu.append((time.process_time() - c0) * 1000)
            wall.append((time.perf_counter() - w0) * 1000)
            sizes.append(len(resp.data))
            sqls.append(statements[0])
        print(f"{path}: cpu median {statistics.median(cpu):.1f} ms (best {min(cpu):.1f}), "
              f"wall median {statistics.median(wall):.1f} ms, {sizes[-1]} bytes, {sqls[-1]} SQL statements, "
              f"{len(cpu)} runs")
        if os.environ.get("TALLIES_BENCH_SAVE"):
            Path(os.environ["TALLIES_BENCH_SAVE"]).write_bytes(resp.data)
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.001)
            profiler.start()
            client.get(path)
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
