"""Search benchmark: index N synthetic documents built from ../shared/corpus, then measure.

Prints, per backend: indexing docs/s (through the same rebuild path as `flask search rebuild`,
wall and per CPU-second), index size, query p50/p95 (wall and CPU) for selective and broad
queries under a visitor's visibility filter (relevance, newest, with the page's snippets, and
page 50), and recall/precision of all hits against a plain substring scan of the folded text;
then one compact table for the closing note.

    .venv/bin/python bench/search.py --n 100000 [--backend whoosh|postgres|both] [--procs 2]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432/jy_search_bench]
        [--index-dir DIR --reuse]   # keep/reuse the index to re-measure queries only

The PostgreSQL run creates the database named in --pg if needed and drops its table after
(unless --reuse).
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import re
import resource
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forum.search.analyzer import fold, parse_query  # noqa: E402
from forum.search.backends.base import Filters, SearchDoc  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
MIXED = ["QQ群", "PPT课件", "微信群", "Teaching research", "lesson plans", "iPad教学", "MP4录像课", "2024年"]
# Lesson titles (课题) made from a pool of characters: each occurs in about 1 document in 2,000,
# like the names, places and topics that make real searches selective.
POOL = "春夏秋冬山水花鸟风雨雪月星云桥船灯窗竹梅兰菊松柏燕雁鹤鹿龟鱼虾蟹"
SELECTIVE = ["PPT课件", "QQ群", "iPad教学", "lesson plans", "MP4录像课"]
BROAD = ["教", "学", "教学", "学校", "工作", "发展", "教育"]
GROUPS, BLOGS = 60, 300
_LATIN = re.compile("[A-Za-z0-9]")


def sentences() -> list[str]:
    """The corpus cut into sentences."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt")))
    parts = re.split(r"(?<=[。！？；\n])", text)
    return [s.strip() for s in parts if len(s.strip()) >= 6]


def lesson_titles(seed: int = 11, count: int = 2000) -> list[str]:
    """Distinct four-character lesson titles from POOL."""
    rnd = random.Random(seed)
    out: set[str] = set()
    while len(out) < count:
        out.add("《" + "".join(rnd.choice(POOL) for _ in range(4)) + "》")
    return sorted(out)


def make_docs(n: int, seed: int = 7) -> list[SearchDoc]:
    """N documents: 2–8 corpus sentences and a lesson title each, some mixed Latin terms, 3% traditional."""
    from opencc import OpenCC

    rnd = random.Random(seed)
    lessons = lesson_titles()
    sents = sentences()
    s2t = OpenCC("s2t")
    start = datetime(2023, 1, 1, tzinfo=timezone.utc)
    types = ["entry", "thread", "post", "comment"]
    docs = []
    for i in range(1, n + 1):
        body = rnd.choice(lessons) + "".join(rnd.choice(sents) for _ in range(rnd.randint(2, 8)))
        if rnd.random() < 0.05:  # a mixed term at a word boundary (Latin words match whole words)
            pos = rnd.randint(0, len(body))
            while 0 < pos < len(body) and (_LATIN.match(body[pos - 1]) or _LATIN.match(body[pos])):
                pos -= 1
            body = body[:pos] + rnd.choice(MIXED) + body[pos:]
        if rnd.random() < 0.03:
            body = s2t.convert(body)
        doc_type = types[i % 4]
        title = rnd.choice(sents)[:20] if doc_type in ("entry", "thread") else ""
        container = f"g{rnd.randint(1, GROUPS)}" if rnd.random() < 0.8 else f"b{rnd.randint(1, BLOGS)}"
        docs.append(SearchDoc(doc_type, i, title, body, rnd.randint(1, 500), "老师", rnd.randint(1, GROUPS),
                              rnd.randint(1, 10), "essay", [], start + timedelta(minutes=7 * i), container))
    return docs


def visitor_containers() -> frozenset[str]:
    """What a visitor may read: 3 groups in 4 and 9 personal blogs in 10."""
    return frozenset([f"g{i}" for i in range(1, GROUPS + 1) if i % 4] + [f"b{i}" for i in range(1, BLOGS + 1) if i % 10])


_FOLDED: dict[int, list[tuple[int, str]]] = {}


def reference(docs: list[SearchDoc], q: str) -> set[int]:
    """Documents whose folded title or body contains the folded query (the substring scan)."""
    folded = _FOLDED.get(id(docs))
    if folded is None:
        folded = _FOLDED[id(docs)] = [(d.doc_id, fold(d.title) + "\x00" + fold(d.body)) for d in docs]
    needle = fold(q)
    return {i for i, text in folded if needle in text}


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (writer processes)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of `values`."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(round(q * len(ordered))) - 1))]


def time_queries(backend, queries: list[str], filters: Filters, reps: int, sort: str = "relevance",
                 offset: int = 0, texts: dict[int, str] | None = None) -> dict:
    """p50/p95 wall and thread-CPU milliseconds of one page of hits (+ its snippets if `texts`)."""
    from forum.search.snippets import snippet

    wall, cpu, totals = [], [], []
    for _ in range(reps):
        for q in queries:
            parsed = parse_query(q)
            t0, c0 = time.perf_counter(), time.thread_time()
            page = backend.search(parsed, filters, sort, offset, 20)
            if texts is not None:
                for h in page.hits:
                    snippet(texts[h.doc_id], parsed)
            cpu.append((time.thread_time() - c0) * 1000)
            wall.append((time.perf_counter() - t0) * 1000)
            totals.append(page.total)
    return {"p50": pct(wall, 0.5), "p95": pct(wall, 0.95), "cpu_p50": pct(cpu, 0.5), "cpu_p95": pct(cpu, 0.95),
            "max_total": max(totals)}


def accuracy(backend, docs: list[SearchDoc], queries: list[str]) -> tuple[float, float]:
    """Recall and precision of every hit (newest first, no limit) against the substring scan."""
    tp = fp = fn = 0
    for q in queries:
        expected = reference(docs, q)
        page = backend.search(parse_query(q), Filters(), "newest", 0, len(docs))
        got = {h.doc_id for h in page.hits}
        tp += len(expected & got)
        fp += len(got - expected)
        fn += len(expected - got)
    return tp / max(1, tp + fn), tp / max(1, tp + fp)


def dir_size(path: str) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def build(target, docs: list[SearchDoc]) -> tuple[float, float]:
    """Feed `docs` to a rebuild target like `flask search rebuild` does; (wall s, CPU s)."""
    t0, c0 = time.perf_counter(), cpu_seconds()
    for i in range(0, len(docs), 1000):
        batch = docs[i:i + 1000]
        target.add(batch)
        target.checkpoint("post", batch[-1].doc_id)
    target.checkpoint("post", docs[-1].doc_id, final=True)
    target.finish()
    return time.perf_counter() - t0, cpu_seconds() - c0


def bench_whoosh(docs: list[SearchDoc], args) -> dict:
    from forum.search.backends.whoosh_backend import WhooshBackend, WhooshRebuild

    tmp = None
    if args.index_dir:
        path = args.index_dir
    else:
        tmp = tempfile.mkdtemp(prefix="jy-search-bench-")
        path = os.path.join(tmp, "index")
    backend = WhooshBackend(path)
    out: dict = {}
    if args.reuse and os.path.isdir(path) and backend.count() == len(docs):
        out.update(wall=None, cpu=None)
    else:
        wall, cpu = build(WhooshRebuild(backend, procs=args.procs), docs)
        out.update(wall=wall, cpu=cpu)
    out["size_mb"] = dir_size(path) / 1e6
    out.update(measure(backend, docs, args.reps))
    if tmp:
        shutil.rmtree(tmp)
    return out


def bench_postgres(docs: list[SearchDoc], args) -> dict:
    import sqlalchemy as sa

    from forum.search.backends.postgres_backend import T, PostgresBackend

    target = sa.make_url(args.pg)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}):
            conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    engine = sa.create_engine(target)
    backend = PostgresBackend(engine)
    out: dict = {}
    if args.reuse and sa.inspect(engine).has_table(T.name) and backend.count() == len(docs):
        out.update(wall=None, cpu=None)
    else:
        T.drop(engine, checkfirst=True)
        T.create(engine)
        wall, cpu = build(backend.begin_rebuild(), docs)
        out.update(wall=wall, cpu=cpu)
    with engine.begin() as conn:
        conn.execute(sa.text("ANALYZE search_documents"))
        out["size_mb"] = conn.scalar(sa.text("SELECT pg_total_relation_size('search_documents')")) / 1e6
    out.update(measure(backend, docs, args.reps))
    if not args.reuse:
        T.drop(engine)
    engine.dispose()
    return out


def measure(backend, docs: list[SearchDoc], reps: int) -> dict:
    visitor = Filters(containers=visitor_containers())
    texts = {d.doc_id: d.body for d in docs}
    selective = SELECTIVE + [t.strip("《》") for t in lesson_titles()[::200]]
    for q in BROAD:  # warm up (opens the searcher, fills the visibility cache, reads the postings)
        backend.search(parse_query(q), visitor, "relevance", 0, 20)
    out = {
        "selective": time_queries(backend, selective, visitor, reps),
        "broad": time_queries(backend, BROAD, visitor, reps),
        "broad_newest": time_queries(backend, BROAD, visitor, reps, sort="newest"),
        "broad_page": time_queries(backend, BROAD, visitor, reps, texts=texts),
        "broad_deep": time_queries(backend, BROAD, visitor, max(1, reps // 2), offset=980),
    }
    groups = {
        "one-char": ["课", "研", "教", "学"],
        "two-char": ["教学", "学校", "聯片", "备课"],
        "mixed": MIXED,
        "selective": selective,
        "longer": ["聯片教研", "集团化办学", "集体备课"],
    }
    out["accuracy"] = {name: accuracy(backend, docs, qs) for name, qs in groups.items()}
    out["recall"], out["precision"] = accuracy(backend, docs, [q for qs in groups.values() for q in qs])
    return out


def report(name: str, n: int, r: dict) -> list[str]:
    """Human-readable lines for one backend."""
    lines = [f"== {name} =="]
    if r["wall"] is not None:
        lines.append(f"index: {n / r['wall']:.0f} docs/s wall ({r['wall']:.0f} s), {n / r['cpu']:.0f} docs per CPU-second "
                     f"of this process and its writers ({r['cpu']:.0f} s); {r['size_mb']:.0f} MB")
    else:
        lines.append(f"index: reused ({r['size_mb']:.0f} MB)")
    for key, label in (("selective", "selective"), ("broad", "broad, relevance"), ("broad_newest", "broad, newest"),
                       ("broad_page", "broad + 20 snippets"), ("broad_deep", "broad, page 50")):
        t = r[key]
        lines.append(f"{label:22s} p50 {t['p50']:6.1f} ms  p95 {t['p95']:6.1f} ms wall | CPU p50 {t['cpu_p50']:6.1f} "
                     f"p95 {t['cpu_p95']:6.1f} ms | largest total {t['max_total']}")
    for group, (rec, prec) in r["accuracy"].items():
        lines.append(f"accuracy {group:10s} recall {rec:.4f} precision {prec:.4f}")
    return lines


def table(n: int, results: dict[str, dict]) -> list[str]:
    """The compact table for the closing note."""
    names = list(results)
    rows = [["", *names], ["---"] * (len(names) + 1)]

    def row(label, fn):
        rows.append([label, *[fn(results[k]) for k in names]])

    row("index docs/s (wall / per CPU-s)",
        lambda r: "reused" if r["wall"] is None else f"{n / r['wall']:.0f} / {n / r['cpu']:.0f}")
    row("index size", lambda r: f"{r['size_mb']:.0f} MB")
    for key, label in (("selective", "selective p50 / p95"), ("broad", "broad p50 / p95"),
                       ("broad_newest", "broad newest p50 / p95"), ("broad_page", "broad + snippets p50 / p95"),
                       ("broad_deep", "broad page 50 p50 / p95")):
        row(label + " (wall, CPU p95)",
            lambda r, key=key: f"{r[key]['p50']:.1f} / {r[key]['p95']:.1f} ms ({r[key]['cpu_p95']:.1f})")
    row("recall / precision", lambda r: f"{r['recall']:.4f} / {r['precision']:.4f}")
    return ["| " + " | ".join(cells) + " |" for cells in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--backend", choices=["whoosh", "postgres", "both"], default="both")
    parser.add_argument("--pg", default=os.environ.get("BENCH_DATABASE_URL",
                                                       "postgresql+psycopg://postgres@127.0.0.1:5432/jy_search_bench"))
    parser.add_argument("--procs", type=int, default=None, help="Whoosh writer processes (default: up to 2)")
    parser.add_argument("--reps", type=int, default=5, help="repetitions of each query list")
    parser.add_argument("--index-dir", default=None, help="keep the Whoosh index here (default: a temp dir)")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse an index of the same size (--index-dir, or the PostgreSQL table) and keep it")
    args = parser.parse_args()
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    docs = make_docs(args.n)
    chars = sum(len(d.title) + len(d.body) for d in docs)
    print(f"{len(docs)} documents, {chars / len(docs):.0f} characters on average "
          f"(built in {time.perf_counter() - t0:.1f}s)", flush=True)
    runs = ["whoosh", "postgres"] if args.backend == "both" else [args.backend]
    results: dict[str, dict] = {}
    for name in runs:
        try:
            r = bench_whoosh(docs, args) if name == "whoosh" else bench_postgres(docs, args)
        except Exception as exc:  # e.g. no PostgreSQL server: report and go on
            print(f"{name}: failed: {exc!r}")
            continue
        results[name] = r
        print("\n".join(report(name, len(docs), r)), flush=True)
    load = os.getloadavg()
    print(f"\nbench/search.py --n {args.n}: {started:%Y-%m-%d %H:%M} UTC, {platform.node()}, "
          f"{os.cpu_count()} CPUs, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at the end")
    print("\n".join(table(len(docs), results)))


if __name__ == "__main__":
    main()
