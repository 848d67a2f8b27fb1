"""Search benchmark: index N synthetic documents built from ../shared/corpus, then measure.

Prints, per backend: indexing docs/s, index size, query p50/p95 for selective and broad
queries (with a visibility filter like a visitor's), and recall/precision of the results
against a plain substring scan of the folded text.

    .venv/bin/python bench/search.py --n 100000 [--backend whoosh|postgres|both]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432/jy_search_bench]

The PostgreSQL run creates the database named in --pg if needed and drops its table after.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
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
        if rnd.random() < 0.05:
            pos = rnd.randint(0, len(body))
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


def time_queries(backend, queries: list[str], filters: Filters, reps: int) -> tuple[float, float]:
    times = []
    for _ in range(reps):
        for q in queries:
            parsed = parse_query(q)
            t0 = time.perf_counter()
            backend.search(parsed, filters, "relevance", 0, 20)
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def accuracy(backend, docs: list[SearchDoc], queries: list[str]) -> tuple[float, float]:
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


def bench_whoosh(docs: list[SearchDoc]) -> dict:
    from forum.search.backends.whoosh_backend import WhooshBackend, _fields

    tmp = tempfile.mkdtemp(prefix="jy-search-bench-")
    backend = WhooshBackend(os.path.join(tmp, "index"))
    t0 = time.perf_counter()
    ix = backend._index()
    writer = ix.writer(limitmb=512)
    for d in docs:
        writer.add_document(**_fields(d))
    writer.commit()
    elapsed = time.perf_counter() - t0
    out = {"docs_per_s": len(docs) / elapsed, "size_mb": dir_size(backend.path) / 1e6}
    out.update(measure(backend, docs))
    shutil.rmtree(tmp)
    return out


def bench_postgres(docs: list[SearchDoc], url: str) -> dict:
    import sqlalchemy as sa

    from forum.search.backends.postgres_backend import T, PostgresBackend

    target = sa.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}):
            conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    engine = sa.create_engine(target)
    T.drop(engine, checkfirst=True)
    T.create(engine)
    backend = PostgresBackend(engine)
    t0 = time.perf_counter()
    for i in range(0, len(docs), 2000):
        backend.apply(docs[i:i + 2000], [])
    with engine.begin() as conn:
        conn.execute(sa.text("ANALYZE search_documents"))
    elapsed = time.perf_counter() - t0
    with engine.connect() as conn:
        size = conn.scalar(sa.text("SELECT pg_total_relation_size('search_documents')"))
    out = {"docs_per_s": len(docs) / elapsed, "size_mb": size / 1e6}
    out.update(measure(backend, docs))
    T.drop(engine)
    engine.dispose()
    return out


def measure(backend, docs: list[SearchDoc]) -> dict:
    visitor = Filters(containers=visitor_containers())
    selective = SELECTIVE + [t.strip("《》") for t in lesson_titles()[::200]]
    backend.search(parse_query("教学"), visitor, "relevance", 0, 20)  # warm up
    sel = time_queries(backend, selective, visitor, reps=5)
    broad = time_queries(backend, BROAD, visitor, reps=5)
    recall, precision = accuracy(backend, docs, selective + BROAD[:4] + ["聯片教研", "集团化办学", "课", "研"])
    return {"selective_p50": sel[0], "selective_p95": sel[1], "broad_p50": broad[0], "broad_p95": broad[1],
            "recall": recall, "precision": precision}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--backend", choices=["whoosh", "postgres", "both"], default="both")
    parser.add_argument("--pg", default=os.environ.get("BENCH_DATABASE_URL",
                                                       "postgresql+psycopg://postgres@127.0.0.1:5432/jy_search_bench"))
    args = parser.parse_args()
    t0 = time.perf_counter()
    docs = make_docs(args.n)
    chars = sum(len(d.title) + len(d.body) for d in docs)
    print(f"{len(docs)} documents, {chars / len(docs):.0f} characters on average "
          f"(built in {time.perf_counter() - t0:.1f}s)")
    runs = ["whoosh", "postgres"] if args.backend == "both" else [args.backend]
    for name in runs:
        try:
            r = bench_whoosh(docs) if name == "whoosh" else bench_postgres(docs, args.pg)
        except Exception as exc:  # e.g. no PostgreSQL server: report and go on
            print(f"{name}: failed: {exc}")
            continue
        print(f"{name:8s} index {r['docs_per_s']:.0f} docs/s, {r['size_mb']:.1f} MB | "
              f"selective p50 {r['selective_p50']:.1f} ms p95 {r['selective_p95']:.1f} ms | "
              f"broad p50 {r['broad_p50']:.1f} ms p95 {r['broad_p95']:.1f} ms | "
              f"recall {r['recall']:.4f} precision {r['precision']:.4f}")


if __name__ == "__main__":
    main()
