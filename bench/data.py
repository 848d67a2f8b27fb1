"""Fill a database with a district at scale for the page benchmarks (bench/pages.py).

    python bench/data.py --data-dir DIR [--db-url URL] [--preset full|small|tiny | --small | --tiny]
                         [--search whoosh|postgres|none] [--seed N] [--corpus DIR]

The schema comes from the app's own Alembic migrations (flask_migrate.upgrade), so a later
migration applies to the filled database. Rows go in with Core executemany in large batches
through the app's tables, with what the write path leaves behind: every content row carries its
sanitized `body_html` (each distinct body rendered once through forum/core/markup.py and
reused), one contribution-ledger row (month in the site time zone, fingerprint and substantive
flag by forum/ledger/substance.py, including the same author's near-duplicate rule) and its
search-outbox rows. Thread, board and entry counters, top-level positions, root ids and tree
paths are what boards/blogs services would have written. Text is recombined from the Chinese
teaching-research corpus (/work/shared/corpus by default).

Presets: full (50 schools, 500 groups, 5,000 teachers, 100,000 threads, 1,000,000 replies,
200,000 entries, 300,000 comments over 36 months), small (about FlaskBB's peer data: 2,000
threads of 20 posts in 20 groups, one 2,000-post thread, a few blog entries), tiny (a few hundred
rows, for tests). Benchmark targets always exist: one 2,000-post thread (tiny: 130), 20-post
threads, an entry with a 20 KB body and 10 comments, a deep board (full: 15,100 threads, i.e.
more than 500 pages of 30), public content, and two planted search words (few hits / thousands).
Their ids go to DATA_DIR/bench-manifest.json.

With --search whoosh|postgres the app's `flask search rebuild` runs at the end (timed apart);
it drains the outbox rows it covers. With --search none the outbox stays as the write path left it.

Pieces: bench/fill_text.py (corpus text, distinct bodies, fingerprints), bench/fill_rows.py (batched
inserts, the district generated thread by thread), bench/fill_finish.py (the near-duplicate rule over
the ledger, targets found in the data for --finish).

Not written: notifications, revisions, lesson preparations, themes, attachments (no benchmarked
page depends on them).
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fill_finish import apply_duplicate_rule, manifest_from_db  # noqa: E402
from fill_rows import Filler, Writer, _fill_engine, _log  # noqa: E402
from fill_text import Text, corpus_sentences  # noqa: E402

DEFAULT_CORPUS = Path("/work/shared/corpus")
PASSWORD = "bench-password-2026"
MANIFEST = "bench-manifest.json"


@dataclass
class Preset:
    """Sizes of one data set."""

    schools: int
    groups: int
    teachers: int
    threads: int
    posts: int
    entries: int
    comments: int
    months: int
    big_thread_posts: int = 2000  # opening + replies
    threads_of_20: int = 1000
    deep_board_threads: int = 0
    uniform_replies: int | None = None  # every ordinary thread gets exactly this many replies
    few_hits: int = 20
    broad_hits: int = 3000
    pools: tuple[int, int, int, int] = (40_000, 12_000, 8_000, 12_000)  # post, thread, entry, comment bodies
    batch: int = 20_000


PRESETS = {
    "full": Preset(schools=50, groups=500, teachers=5000, threads=100_000, posts=1_000_000, entries=200_000,
                   comments=300_000, months=36, deep_board_threads=15_100),
    "small": Preset(schools=4, groups=20, teachers=40, threads=2000, posts=39_980, entries=400, comments=800,
                    months=12, threads_of_20=0, uniform_replies=19, broad_hits=800,
                    pools=(8000, 2000, 400, 800), batch=10_000),
    "tiny": Preset(schools=2, groups=4, teachers=12, threads=40, posts=300, entries=24, comments=40, months=3,
                   big_thread_posts=130, threads_of_20=3, deep_board_threads=20, few_hits=3, broad_hits=8,
                   pools=(120, 40, 20, 30), batch=200),
}


def make_app(data_dir: str, db_url: str | None, search: str):
    from forum import create_app

    cfg = {"JIAOYAN_DATA_DIR": os.path.abspath(data_dir), "SEARCH_INDEXER": "off"}
    if db_url:
        cfg["SQLALCHEMY_DATABASE_URI"] = db_url
    if search == "postgres":
        cfg["SEARCH_BACKEND"] = "postgres"
    return create_app(cfg)


def fill(data_dir: str, preset: Preset, *, db_url: str | None = None, search: str = "none", seed: int = 20261201,
         corpus: Path = DEFAULT_CORPUS, preset_name: str = "") -> dict:
    """Migrate, fill and (optionally) index; returns the manifest (also written to DATA_DIR)."""
    import flask_migrate
    from sqlalchemy import func, select

    from forum.auth.services import hash_password
    from forum.extensions import db

    timings: dict[str, float] = {}
    app = make_app(data_dir, db_url, search)
    t0 = time.perf_counter()
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        url = db.engine.url.render_as_string(hide_password=False)
        if db.session.scalar(select(func.count()).select_from(db.metadata.tables["users"])):
            raise SystemExit(f"{url}: the database already has users; bench/data.py fills an empty one")
        pw_hash = hash_password(PASSWORD)
        db.session.remove()
        db.engine.dispose()
    timings["migrate"] = time.perf_counter() - t0
    _log(f"schema by migrations in {timings['migrate']:.1f}s ({url.split('@')[-1]})")
    rng = random.Random(seed)
    sentences = corpus_sentences(corpus)
    engine = _fill_engine(url)
    writer = Writer(engine, preset.batch)
    with app.app_context():
        filler = Filler(app, preset, Text(sentences, rng), rng, writer)
        t1 = time.perf_counter()
        filler.organisation(pw_hash)
        filler.boards_and_posts()
        filler.board_counters()
        filler.blogs()
        timings["fill"] = time.perf_counter() - t1
    total_rows = sum(writer.count.values())
    print(f"\n{'table':<16} {'rows':>10} {'insert s':>9} {'rows/s':>9}")
    for name in Writer.ORDER:
        n, sec = writer.count.get(name, 0), writer.seconds.get(name, 0.0)
        print(f"{name:<16} {n:>10} {sec:>9.1f} {(n / sec if sec else 0):>9.0f}")
    print(f"{'total':<16} {total_rows:>10} {timings['fill']:>9.1f} {total_rows / timings['fill']:>9.0f}"
          "  (wall, generation included)", flush=True)
    manifest = filler.manifest
    manifest.update(preset=preset_name, seed=seed, rows=dict(writer.count))
    return finish(data_dir, db_url=db_url, search=search, engine=engine, manifest=manifest, timings=timings)


def rebuild_mb() -> int:
    """The writers' memory for the fill's search rebuild: half the machine's memory, at most 12,000 MB
    (the app's own default is a quarter, at most 8,192: a rebuild beside a running site), so the
    full data's index has few segments (~30), as the earlier runs in the README had."""
    from forum.search.backends.whoosh_rebuild import machine_mb

    return max(1024, min(12_000, machine_mb() // 2))


def finish(data_dir: str, *, db_url: str | None = None, search: str = "none", engine=None, manifest=None,
           timings=None) -> dict:
    """After the inserts: the near-duplicate rule, ANALYZE, WAL again, the search rebuild, the manifest.

    Also the `--finish` step for a fill interrupted after its inserts (targets are then found in the data).
    """
    timings = timings if timings is not None else {}
    app = make_app(data_dir, db_url, search)
    if engine is None:
        with app.app_context():
            from forum.extensions import db

            url = db.engine.url.render_as_string(hide_password=False)
            db.engine.dispose()
        engine = _fill_engine(url, journal=False)
    url = engine.url.render_as_string(hide_password=False)
    if manifest is None:
        manifest = manifest_from_db(engine)
        old = Path(data_dir, MANIFEST)
        if old.exists():
            manifest["preset"] = json.loads(old.read_text("utf-8")).get("preset", "")
    t2 = time.perf_counter()
    with app.app_context():
        flipped = apply_duplicate_rule(engine, app.config)
    timings["duplicate_rule"] = time.perf_counter() - t2
    _log(f"near-duplicate rule: {flipped} ledger rows not substantive ({timings['duplicate_rule']:.1f}s)")
    t3 = time.perf_counter()
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()  # outside any transaction: ANALYZE commits, WAL can be set again
        try:
            raw.driver_connection.isolation_level = None
            raw.driver_connection.execute("ANALYZE")
            mode = raw.driver_connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        finally:
            raw.close()
        if mode.lower() != "wal":
            raise SystemExit(f"could not switch {url} back to WAL (journal_mode={mode})")
    else:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    timings["analyze"] = time.perf_counter() - t3
    _log(f"ANALYZE {timings['analyze']:.1f}s")
    engine.dispose()
    if search != "none":
        t4 = time.perf_counter()
        env = dict(os.environ, JIAOYAN_DATA_DIR=os.path.abspath(data_dir), SEARCH_INDEXER="off")
        if db_url:
            env["DATABASE_URL"] = db_url
        env["SEARCH_BACKEND"] = search
        env.setdefault("SEARCH_REBUILD_MB", str(rebuild_mb()))
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "search", "rebuild"], cwd=ROOT, env=env,
                       check=True, timeout=6 * 3600)
        timings["search_rebuild"] = time.perf_counter() - t4
        segments = len(glob.glob(os.path.join(data_dir, "search-index", "*.seg")))
        if search == "whoosh":
            manifest["search_segments"] = segments
        _log(f"search rebuild ({search}, SEARCH_REBUILD_MB={env['SEARCH_REBUILD_MB']}) "
             f"{timings['search_rebuild']:.1f}s" + (f", {segments} segments" if search == "whoosh" else ""))
    manifest.update(db=url.split("@")[-1] if "@" in url else url, search_backend=search,
                    created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    timings={k: round(v, 1) for k, v in timings.items()},
                    accounts=dict(leader="bench_leader", admin="bench_admin", password=PASSWORD))
    Path(data_dir, MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), "utf-8")
    _log(f"manifest: {Path(data_dir, MANIFEST)}")
    return manifest


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", required=True, help="JIAOYAN_DATA_DIR to fill (SQLite file, index, manifest)")
    ap.add_argument("--db-url", help="e.g. postgresql://postgres@127.0.0.1:5432/bench (default: SQLite in data dir)")
    ap.add_argument("--preset", choices=sorted(PRESETS), default="full")
    ap.add_argument("--small", action="store_const", const="small", dest="preset")
    ap.add_argument("--tiny", action="store_const", const="tiny", dest="preset")
    ap.add_argument("--search", choices=["whoosh", "postgres", "none"], default="none")
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--finish", action="store_true",
                    help="only the steps after the inserts (near-duplicate rule, ANALYZE, search, manifest), "
                         "for a fill that was interrupted after its inserts")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS if DEFAULT_CORPUS.exists()
                    else ROOT / "forum" / "demo" / "corpus")
    args = ap.parse_args(argv)
    t0, c0 = time.perf_counter(), time.process_time()
    if args.finish:
        _log(f"finishing {args.data_dir}; load average {os.getloadavg()}")
        finish(args.data_dir, db_url=args.db_url, search=args.search)
    else:
        _log(f"preset {args.preset}: {PRESETS[args.preset]}; load average {os.getloadavg()}")
        fill(args.data_dir, PRESETS[args.preset], db_url=args.db_url, search=args.search, seed=args.seed,
             corpus=args.corpus, preset_name=args.preset)
    _log(f"done in {time.perf_counter() - t0:.1f}s wall, {time.process_time() - c0:.1f}s CPU (this process); "
         f"load average {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
