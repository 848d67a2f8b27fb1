"""Benchmark: one month's tally by teacher, group and school as history grows from 100k to 1M ledger rows.

    python bench/tallies.py [--backends sqlite,postgres] [--rows 1000000] [--small 100000]
                            [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

A district of 50 schools, 500 groups (10 per school) and 5,000 teachers (10 per group) writes
ledger rows over 36 months. Two databases are built per backend, one with 100,000 rows and one
with 1,000,000; the measured month (the last one) holds the same rows in both — rows / 36, i.e.
27,777 — and the other 35 months hold the rest of history, so the comparison shows whether a
month's report costs its own activity (the goal) or the size of history. Rows are bulk loaded
in time order (executemany on SQLite, COPY on PostgreSQL; indexes rebuilt after the load) into
scratch databases dropped at the end. Each report is the real `forum.tallies.reports.tally()`
(ledger aggregate plus names and sizes), run once to warm up, then timed N times alternating
between the two databases; the best and the median are printed.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

SCHOOLS, GROUPS, TEACHERS, MONTHS = 50, 500, 5000, 36
LAST_MONTH = 202611
KINDS = (("reply", 40), ("comment", 20), ("entry", 12), ("thread", 10), ("guestbook", 5), ("prep_lead", 3),
         ("prep_conclusion", 3), ("adoption", 4), ("featured", 3))
COLUMNS = ("user_id", "group_id", "school_id", "kind", "created_at", "month", "is_substantive", "is_deleted",
           "source_type", "source_id", "fingerprint")
SHANGHAI = timezone(timedelta(hours=8))


def months() -> list[int]:
    """The 36 month keys ending with LAST_MONTH."""
    out, y, m = [], LAST_MONTH // 100, LAST_MONTH % 100
    for _ in range(MONTHS):
        out.append(y * 100 + m)
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out[::-1]


def generate(count: int, month_keys: list[int], rng: random.Random, start_id: int):
    """Ledger rows spread over `month_keys`, with busier and quieter schools and groups."""
    kinds = [k for k, w in KINDS for _ in range(w)]
    # Activity differs: some teachers write a lot, many a little (a skewed choice).
    weights = [1.0 / (1 + (i % 97) / 8) for i in range(TEACHERS)]
    teachers = rng.choices(range(TEACHERS), weights=weights, k=count)
    per_month = -(-count // len(month_keys))
    # Ledger rows arrive in time order, month after month, as they do on a live site.
    for i, t in enumerate(teachers):
        month = month_keys[min(i // per_month, len(month_keys) - 1)]
        y, m = divmod(month, 100)
        local = datetime(y, m, 1 + (i % per_month) * 27 // per_month, rng.randint(7, 22), rng.randint(0, 59),
                         tzinfo=SHANGHAI)
        group = t // 10
        yield (t + 1, group + 1, group // 10 + 1, rng.choice(kinds), local.astimezone(timezone.utc), month,
               rng.random() < 0.65, rng.random() < 0.03, "post", start_id + i, "")


def create_database(backend: str, pg_url: str, workdir: Path, suffix: str = "") -> tuple[str, callable]:
    """A scratch database URL and a function that drops it."""
    if backend == "sqlite":
        path = workdir / f"bench-tallies-{suffix}.sqlite3"
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    name = f"jiaoyan_bench_tallies_{os.getpid()}_{suffix}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return sa.make_url(pg_url).set(database=name).render_as_string(hide_password=False), drop


def seed_org(db) -> None:
    """Schools, groups, teachers and memberships (bulk, no password hashing)."""
    from forum.auth.models import User
    from forum.org.models import Group, Membership, School

    now = datetime.now(timezone.utc)
    db.session.execute(sa.insert(School), [{"id": i + 1, "name": f"第{i + 1}小学"} for i in range(SCHOOLS)])
    db.session.execute(sa.insert(Group), [
        {"id": g + 1, "name": f"教研组{g + 1}", "school_id": g // 10 + 1, "visibility": "public", "created_at": now}
        for g in range(GROUPS)])
    db.session.execute(sa.insert(User), [
        {"id": t + 1, "username": f"t{t + 1}", "display_name": f"教师{t + 1}", "password_hash": "x",
         "role": "teacher", "school_id": (t // 10) // 10 + 1, "created_at": now} for t in range(TEACHERS)])
    db.session.execute(sa.insert(Membership), [
        {"user_id": t + 1, "group_id": t // 10 + 1, "is_host": t % 10 == 0, "joined_at": now}
        for t in range(TEACHERS)])
    db.session.commit()


def bulk_insert(db, rows) -> int:
    """Insert ledger rows as fast as the backend allows; returns the count."""
    engine = db.engine
    n = 0
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            with raw.cursor() as cur:
                with cur.copy(f"COPY contributions ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        n += 1
            raw.commit()
        finally:
            raw.close()
        return n
    sql = f"INSERT INTO contributions ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        batch = []
        cur.execute("BEGIN")
        for row in rows:
            batch.append(row[:4] + (row[4].strftime("%Y-%m-%d %H:%M:%S.%f"),) + row[5:])
            if len(batch) == 50_000:
                cur.executemany(sql, batch)
                n += len(batch)
                batch = []
        if batch:
            cur.executemany(sql, batch)
            n += len(batch)
        cur.execute("COMMIT")
    finally:
        raw.close()
    return n


def analyze(db) -> None:
    """Fresh planner statistics (and, on PostgreSQL, a visibility map for index-only scans)."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE contributions"))
    else:
        # Fold the bulk load's write-ahead log into the database file, as SQLite's automatic
        # checkpoints do on a live site; reads through a huge WAL measure the load, not the report.
        db.session.remove()
        engine.dispose()
        raw = engine.raw_connection()  # autocommit: pysqlite's own transactions are off
        try:
            cur = raw.cursor()
            cur.execute("ANALYZE")
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cur.close()
        finally:
            raw.close()


def time_reports(apps: dict, repeat: int) -> dict[int, dict[str, float]]:
    """Best and median milliseconds of the month's report by teacher, group and school, per size.

    The sizes are timed in alternation (small, large, small, large …), so a change in the
    machine's load affects both alike; the 1M/100k ratio is the median of the ratios of those
    back-to-back pairs. The time verdict uses the best run (as timeit recommends); the median
    is printed next to it, and the CPU time this process
    spent (the whole report on SQLite; the client side on PostgreSQL), which does not grow
    when the machine is shared and the report waits for a CPU.
    """
    from forum.extensions import db
    from forum.tallies import reports

    samples: dict[int, dict[str, list[float]]] = {size: {} for size in apps}
    cpu: dict[int, dict[str, list[float]]] = {size: {} for size in apps}
    counts: dict[int, dict[str, int]] = {size: {} for size in apps}
    for by in ("teacher", "group", "school"):
        for size, app in apps.items():
            with app.app_context():
                reports.tally(by, (LAST_MONTH, LAST_MONTH))  # warm-up
                db.session.remove()
        for _ in range(repeat):
            for size, app in apps.items():
                with app.app_context():
                    c0, t0 = time.process_time(), time.perf_counter()
                    rows = reports.tally(by, (LAST_MONTH, LAST_MONTH))
                    samples[size].setdefault(by, []).append((time.perf_counter() - t0) * 1000)
                    cpu[size].setdefault(by, []).append((time.process_time() - c0) * 1000)
                    counts[size][by] = len(rows)
                    db.session.remove()
    out: dict[int, dict[str, float]] = {}
    small, large = list(apps)[0], list(apps)[-1]
    for size in apps:
        out[size] = {}
        for by, values in samples[size].items():
            out[size][by] = min(values)
            out[size][f"{by}_median"] = statistics.median(values)
            out[size][f"{by}_cpu"] = statistics.median(cpu[size][by])
            out[size][f"{by}_rows"] = counts[size][by]
            pairs = zip(samples[small][by], samples[large][by])
            out[size][f"{by}_ratio"] = statistics.median(b / a for a, b in pairs if a > 0)
    return out


def build(backend: str, size: int, args, workdir: Path):
    """A scratch database holding `size` ledger rows; returns (app, load seconds, drop)."""
    from forum import create_app
    from forum.extensions import db
    from forum.ledger.models import Contribution

    url, drop = create_database(backend, args.pg_url, workdir, f"{size}")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "JIAOYAN_DATA_DIR": str(workdir / "data"),
                      "SECRET_KEY": "bench", "TESTING": True, "SEARCH_INDEXER": "off"})
    with app.app_context():
        db.create_all()
        seed_org(db)
        rng = random.Random(7)
        keys = months()
        per_month = args.rows // MONTHS
        t0 = time.perf_counter()
        # A bulk load: indexes off, rows in time order (history, then the measured month), indexes on.
        indexes = list(Contribution.__table__.indexes)
        for index in indexes:
            index.drop(db.engine)
        bulk_insert(db, generate(size - per_month, keys[:-1], rng, 10_000_000))
        bulk_insert(db, generate(per_month, [LAST_MONTH], random.Random(11), 1))
        for index in indexes:
            index.create(db.engine)
        analyze(db)
        load = time.perf_counter() - t0
        db.session.remove()
    return app, load, drop


def run(backend: str, args, workdir: Path) -> list[tuple]:
    """Both sizes on one backend, timed in alternation; returns result lines."""
    from forum.extensions import db

    apps, loads, drops = {}, {}, []
    try:
        for size in (args.small, args.rows):
            app, loads[size], drop = build(backend, size, args, workdir)
            apps[size] = app
            drops.append(drop)
        timings = time_reports(apps, args.repeat)
        return [(backend, size, loads[size], timings[size]) for size in apps]
    finally:
        for app in apps.values():
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        for drop in drops:
            drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL",
                                                           "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    print(f"tallies benchmark: {SCHOOLS} schools, {GROUPS} groups, {TEACHERS} teachers, {MONTHS} months; "
          f"measured month {LAST_MONTH} holds {args.rows // MONTHS:,} rows in every run")
    print(f"report times in ms: best of {args.repeat} (median) [median CPU time of this process]; "
          f"load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'backend':<9} {'rows':>10} {'load s':>7} {'teacher ms':>24} {'group ms':>24} {'school ms':>24}")
    all_results = []
    with tempfile.TemporaryDirectory(prefix="jy-bench-") as tmp:
        for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
            try:
                results = run(backend, args, Path(tmp))
            except sa.exc.OperationalError as exc:
                print(f"{backend:<9} skipped: {exc.orig if hasattr(exc, 'orig') else exc}")
                continue
            for backend_name, rows, load, t in results:
                cells = " ".join(f"{t[by]:>7.1f} ({t[by + '_median']:>6.1f}) [{t[by + '_cpu']:>5.1f}]"
                                 for by in ("teacher", "group", "school"))
                print(f"{backend_name:<9} {rows:>10,} {load:>7.1f} {cells}")
            all_results.append(results)
    print()
    ok = True
    for results in all_results:
        (backend, _n, _l, small), (_b, _n2, _l2, large) = results
        for by in ("teacher", "group", "school"):
            ratio = large[f"{by}_ratio"]
            verdict = "ok" if large[by] < 100 and ratio <= 1.5 else "MISSED"
            ok = ok and verdict == "ok"
            cpu_ratio = large[f"{by}_cpu"] / small[f"{by}_cpu"] if small[f"{by}_cpu"] else float("inf")
            print(f"{backend:<9} by {by:<8} 1M/100k = {ratio:.2f}× (paired runs; CPU {cpu_ratio:.2f}×), "
                  f"1M best {large[by]:.1f} ms ({large[f'{by}_rows']} rows)  {verdict}")
    print("goal (each < 100 ms, 1M within 1.5× of 100k):", "met" if ok else "MISSED",
          f"· load average at end {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
