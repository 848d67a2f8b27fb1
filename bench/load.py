"""Concurrent writers against gunicorn (4 workers), then a consistency audit of what was acknowledged.

    python bench/load.py [--db sqlite,postgres] [--writers 50] [--seconds 60] [--workers 4] [--readers 4]
                         [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--cpu-hogs N]

Each writer has its own teacher account and bearer token and, for `--seconds`, posts replies, blog
entries and comments and soft-deletes some of its own replies through the JSON API. Every body
carries a unique marker. Afterwards the database is audited: zero 5xx; every write answered 201 is
present exactly once (by id and by marker) with exactly one ledger row (contributions) and at least
one search outbox row; every write answered with an error left no content, ledger or outbox row
behind. Prints writes/s, p50/p99 latency, the server's CPU time and the consistency figures;
exits 1 on any violation. Meanwhile `--readers` visitors read the blog page and the home page
with the page cache on (as in production): a read that started after an entry was acknowledged and
does not show it (nor anything newer) is a stale read, and any stale read is a violation too. `--cpu-hogs N` runs N busy loops beside the server for the run, to see
how writes behave on a loaded machine (where a lock holder waits for a CPU while others queue).
"""
from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children so far (Linux /proc; 0 elsewhere)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
        except (OSError, ValueError, IndexError):
            continue
    return total


def prepare(url: str, data_dir: str, writers: int) -> dict:
    """Schema, one school and group, a teacher and a token per writer, a few threads to reply to."""
    from forum import create_app
    from forum.auth.services import issue_token
    from forum.extensions import db
    from tests.factories import make_group, make_school, make_thread, make_user

    app = create_app({"JIAOYAN_DATA_DIR": data_dir, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "load",
                      "PASSWORD_HASH_METHOD": "scrypt:1024:8:1", "SEARCH_INDEXER": "off", "TESTING": True})
    with app.app_context():
        db.metadata.create_all(db.engine)
        if db.engine.dialect.name == "sqlite":
            with db.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA journal_mode = WAL")
        school = make_school("压测小学")
        users = [make_user(f"load{i}", school=school, display_name=f"压测老师{i}") for i in range(writers)]
        group = make_group("压测语文组", school=school, members=users)
        threads = [make_thread(group.board, users[0], title=f"压测讨论 {i}").id for i in range(5)]
        tokens = []
        for user in users:
            raw, _token = issue_token(user, "load")
            tokens.append(raw)
        db.session.commit()
        seeded = {"blog": group.blog.id, "threads": threads, "tokens": tokens}
        db.session.remove()
        db.engine.dispose()
    return seeded


class Writer(threading.Thread):
    """One user writing as fast as the server answers."""

    def __init__(self, n: int, base: str, token: str, seeded: dict, until: float, seed: int):
        super().__init__(daemon=True)
        self.n, self.base, self.seeded, self.until = n, base, seeded, until
        self.headers = {"Authorization": f"Bearer {token}"}
        self.rng = random.Random(seed)
        self.log: list[tuple] = []  # (kind, status, id, marker, latency)
        self.mine: dict[str, list[int]] = {"post": [], "entry": []}
        # (monotonic time of the 201, entry id, its published_at as the API answered it)
        self.entry_acks: list[tuple[float, int, str]] = []

    def run(self) -> None:
        import requests

        session = requests.Session()
        i = 0
        while time.monotonic() < self.until:
            i += 1
            marker = f"LOADMARK-{self.n}-{i}-"
            roll = self.rng.random()
            if roll < 0.45:
                kind, method = "post", "POST"
                url = f"/api/v1/threads/{self.rng.choice(self.seeded['threads'])}/posts"
                body = {"body": f"{marker} 我同意这个观点，补充一点课堂实践。"}
            elif roll < 0.65:
                kind, method = "entry", "POST"
                url = f"/api/v1/blogs/{self.seeded['blog']}/entries"
                body = {"title": f"教学反思 {marker}", "body": f"{marker} 本节课的反思。", "category": "reflection"}
            elif roll < 0.85 and self.mine["entry"]:
                kind, method = "comment", "POST"
                url = f"/api/v1/entries/{self.rng.choice(self.mine['entry'])}/comments"
                body = {"body": f"{marker} 学习了。"}
            elif self.mine["post"]:
                kind, method = "delete", "DELETE"
                target = self.mine["post"].pop()
                url, body, marker = f"/api/v1/posts/{target}", None, str(target)
            else:
                continue
            started = time.perf_counter()
            try:
                resp = session.request(method, self.base + url, json=body, headers=self.headers, timeout=60)
                status = resp.status_code
                answer = resp.json() if status == 201 else {}
                new_id = answer.get("id")
            except Exception:  # noqa: BLE001 - a dropped connection counts as a failed write
                status, new_id = 599, None
            latency = time.perf_counter() - started
            if status == 201 and kind in self.mine:
                self.mine[kind].append(new_id)
            if status == 201 and kind == "entry":
                self.entry_acks.append((time.monotonic(), new_id, answer.get("published_at") or ""))
            self.log.append((kind, status, new_id, marker, latency))


class Reader(threading.Thread):
    """A visitor reading the blog page and the home page as fast as the server answers (with the
    page cache on, as in production): each read notes when it started and the entries it shows."""

    def __init__(self, n: int, base: str, seeded: dict, until: float):
        super().__init__(daemon=True)
        self.base, self.until = base, until
        self.paths = [f"/blogs/{seeded['blog']}", "/"]
        # (started, entry ids shown, X-Page-Cache, status)
        self.reads: list[tuple[float, set[int], str | None, int]] = []
        self.n = n

    def run(self) -> None:
        import requests

        session = requests.Session()
        i = self.n
        while time.monotonic() < self.until:
            i += 1
            started = time.monotonic()
            try:
                resp = session.get(self.base + self.paths[i % 2], timeout=60)
            except Exception:  # noqa: BLE001
                continue
            ids = {int(x) for x in re.findall(r"/blogs/entries/(\d+)", resp.text)}
            self.reads.append((started, ids, resp.headers.get("X-Page-Cache"), resp.status_code))


def stale_reads(readers: list[Reader], writers: list[Writer]) -> tuple[int, int, int]:
    """(reads, reads answered from the cache, stale reads): a read is stale when it started after an
    entry was acknowledged and shows no entry at least that new.

    "New" is the pages' own order, (published_at, id) descending. Not the id alone: an entry's time
    is taken when its request starts and its id when it gets the write lock, so under contention a
    higher id can carry an earlier time and rightly sit below entries committed while it waited.
    Entries seeded before the run are older than any written in it.
    """
    import bisect
    from datetime import datetime

    oldest = (datetime.min, 0)

    def when(published: str) -> datetime:  # every time is UTC: compared without the zone
        return datetime.fromisoformat(published).replace(tzinfo=None) if published else datetime.min

    acks = sorted((t, (when(published), entry_id)) for w in writers for t, entry_id, published in w.entry_acks)
    order = {key[1]: key for _t, key in acks}
    times = [t for t, _key in acks]
    newest_by = []  # newest acknowledged entry, in page order, up to each ack time
    top = oldest
    for _t, key in acks:
        top = max(top, key)
        newest_by.append(top)
    reads = [r for reader in readers for r in reader.reads if r[3] == 200]
    stale = 0
    for started, shown, _cache, _status in reads:
        k = bisect.bisect_left(times, started)  # acks strictly before the read started
        if k and max((order.get(i, oldest) for i in shown), default=oldest) < newest_by[k - 1]:
            stale += 1
    return len(reads), sum(1 for r in reads if r[2] == "hit"), stale


def audit(url: str, logs: list[tuple]) -> dict:
    """Check every acknowledged write against content, ledger and outbox; and every refused one."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    tables = {"post": ("posts", "post", "body"), "entry": ("entries", "entry", "body"),
              "comment": ("comments", "comment", "body")}
    problems: list[str] = []
    counts = {"acknowledged": 0, "present_once": 0, "ledger_once": 0, "outbox": 0, "refused_clean": 0,
              "deleted_flagged": 0}
    with engine.connect() as conn:
        for kind, status, new_id, marker, _lat in logs:
            if kind == "delete":
                if status in (200, 204):
                    row = conn.execute(sa.text("SELECT is_deleted FROM posts WHERE id = :i"), {"i": int(marker)}).first()
                    ok = row is not None and bool(row[0])
                    counts["deleted_flagged"] += ok
                    if not ok:
                        problems.append(f"delete of post {marker} acknowledged but not flagged")
                continue
            table, doc_type, column = tables[kind]
            by_marker = conn.execute(sa.text(f"SELECT id FROM {table} WHERE {column} LIKE :m"),
                                     {"m": f"%{marker}%"}).all()
            if status == 201:
                counts["acknowledged"] += 1
                if [r[0] for r in by_marker] == [new_id]:
                    counts["present_once"] += 1
                else:
                    problems.append(f"{kind} {new_id} ({marker}): rows by marker {by_marker}")
                ledger = conn.execute(sa.text("SELECT COUNT(*) FROM contributions WHERE source_type = :t "
                                              "AND source_id = :i"), {"t": doc_type, "i": new_id}).scalar()
                counts["ledger_once"] += ledger == 1
                if ledger != 1:
                    problems.append(f"{kind} {new_id}: {ledger} ledger rows")
                outbox = conn.execute(sa.text("SELECT COUNT(*) FROM search_outbox WHERE doc_type = :t "
                                              "AND doc_id = :i"), {"t": doc_type, "i": new_id}).scalar()
                counts["outbox"] += outbox >= 1
                if outbox < 1:
                    problems.append(f"{kind} {new_id}: no search outbox row")
            else:
                if by_marker:
                    problems.append(f"{kind} answered {status} but {len(by_marker)} rows hold {marker}")
                else:
                    counts["refused_clean"] += 1
    engine.dispose()
    counts["problems"] = problems
    return counts


def run(db: str, args) -> bool:
    """One database: prepare, serve with gunicorn, drive the writers, audit, print."""
    tmp = tempfile.mkdtemp(prefix=f"jiaoyan-load-{db}-")
    pg_name = None
    if db == "sqlite":
        url = f"sqlite:///{tmp}/load.sqlite3"
    else:
        import sqlalchemy as sa

        admin = sa.create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
        pg_name = f"jiaoyan_load_{os.getpid()}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{pg_name}"'))
        url = sa.make_url(args.pg_url).set(database=pg_name).render_as_string(hide_password=False)
    seeded = prepare(url, tmp, args.writers)
    port = _free_port()
    env = {**os.environ, "JIAOYAN_DATA_DIR": tmp, "DATABASE_URL": url, "SECRET_KEY": "load",
           "RATELIMIT_ENABLED": "0", "SEARCH_INDEXER": "off", "PYTHONPATH": str(ROOT)}
    gunicorn = [sys.executable, "-m", "gunicorn", "--workers", str(args.workers), "--threads", "4",
                "--bind", f"127.0.0.1:{port}", "--timeout", "120", "--graceful-timeout", "5", "--log-level", "warning", "wsgi:app"]
    server = subprocess.Popen(gunicorn, cwd=ROOT, env=env)
    hogs: list[subprocess.Popen] = []
    ok, server_cpu = False, 0.0
    try:
        import requests

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                requests.get(f"http://127.0.0.1:{port}/api/v1/groups", timeout=10)
                break
            except requests.RequestException:
                time.sleep(0.2)
        hogs = [subprocess.Popen([sys.executable, "-c", "import time\nend = time.monotonic() + %f\n"
                                  "while time.monotonic() < end: pass" % (args.seconds + 30)])
                for _ in range(args.cpu_hogs)]
        until = time.monotonic() + args.seconds
        writers = [Writer(i, f"http://127.0.0.1:{port}", seeded["tokens"][i], seeded, until, seed=i)
                   for i in range(args.writers)]
        readers = [Reader(i, f"http://127.0.0.1:{port}", seeded, until) for i in range(args.readers)]
        started = time.monotonic()
        for w in writers + readers:
            w.start()
        for w in writers + readers:
            w.join()
        elapsed = time.monotonic() - started
        server_cpu = _tree_cpu_seconds(server.pid)
    finally:
        for hog in hogs:
            hog.kill()
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        for hog in hogs:
            hog.wait()
    logs = [entry for w in writers for entry in w.log]
    statuses: dict[int, int] = {}
    for entry in logs:
        statuses[entry[1]] = statuses.get(entry[1], 0) + 1
    latencies = sorted(entry[4] for entry in logs)
    five = sum(n for s, n in statuses.items() if s >= 500)
    result = audit(url, logs)
    n_reads, n_hits, n_stale = stale_reads(readers, writers)
    p = (lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000) if latencies else (lambda q: 0)
    print(f"== {db}: {args.writers} writers, {args.seconds}s, gunicorn {args.workers} workers"
          f"{f', {args.cpu_hogs} CPU hogs' if args.cpu_hogs else ''}; load average {os.getloadavg()[0]:.2f} ==")
    print(f"  requests {len(logs)} in {elapsed:.1f}s = {len(logs) / elapsed:.1f} writes/s; "
          f"p50 {p(0.5):.0f} ms, p99 {p(0.99):.0f} ms, max {p(1.0):.0f} ms; "
          f"server CPU {server_cpu:.1f} s (gunicorn master and workers)")
    print(f"  statuses {dict(sorted(statuses.items()))}; 5xx: {five}")
    print(f"  acknowledged {result['acknowledged']}: present once {result['present_once']}, "
          f"one ledger row {result['ledger_once']}, outbox row {result['outbox']}; "
          f"deletes flagged {result['deleted_flagged']}; refused and clean {result['refused_clean']}")
    print(f"  visitor reads {n_reads} ({n_hits} from the page cache); stale: {n_stale}")
    for problem in result["problems"][:20]:
        print("  PROBLEM:", problem)
    ok = five == 0 and not result["problems"] and result["acknowledged"] > 0 and n_stale == 0
    print("  consistent" if ok else "  NOT CONSISTENT")
    shutil.rmtree(tmp, ignore_errors=True)
    if pg_name:
        import sqlalchemy as sa

        with sa.create_engine(args.pg_url, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description="Concurrent writers against gunicorn, then an audit.")
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--writers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--readers", type=int, default=4, help="visitors reading the blog and home pages meanwhile "
                        "(the page cache on); a read that misses an entry acknowledged before it started is stale")
    parser.add_argument("--cpu-hogs", type=int, default=0, help="busy loops beside the server (a loaded machine)")
    parser.add_argument("--pg-url", default=os.environ.get("TEST_DATABASE_URL")
                        or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    for plain in ("postgresql://", "postgres://"):
        if args.pg_url.startswith(plain):
            args.pg_url = "postgresql+psycopg://" + args.pg_url[len(plain):]
    ok = True
    for db in [d.strip() for d in args.db.split(",") if d.strip()]:
        if db == "postgres":
            try:
                import sqlalchemy as sa

                sa.create_engine(args.pg_url).connect().close()
            except Exception as exc:  # noqa: BLE001
                print(f"== postgres skipped: {exc.__class__.__name__}: {str(exc)[:120]} ==")
                continue
        ok &= run(db, args)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
