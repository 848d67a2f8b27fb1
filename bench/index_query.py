"""The search index query alone (no rows, snippets or page), as a visitor, on a filled data dir.

    JIAOYAN_DATA_DIR=/srv/bench/full .venv/bin/python bench/index_query.py 光合作用 教学 勾股定理 [--runs 30] [--ab]

Prints, per query, the CPU time of the first search (it builds the per-segment visibility lists)
and the median and p90 of the next runs, with the total and the hits of page 1. --ab runs each
query both ways, a broad window ranked on the posting lists (whoosh_window, the default) and
through Whoosh's matchers, alternating, and says whether the pages are the same.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("queries", nargs="+")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--sort", default="relevance", choices=["relevance", "newest"])
    ap.add_argument("--ab", action="store_true", help="also through Whoosh's matchers, alternating")
    args = ap.parse_args(argv)
    if not os.environ.get("JIAOYAN_DATA_DIR"):
        ap.error("set JIAOYAN_DATA_DIR to a data dir filled by bench/data.py --search whoosh")
    os.environ.setdefault("SEARCH_INDEXER", "off")

    from flask_login import AnonymousUserMixin

    from forum.search import index
    from forum.search.analyzer import parse_query
    from forum.search.backends.base import Filters
    from forum.search.service import readable_containers
    from wsgi import app

    with app.test_request_context():
        backend = index.backend(app)
        filters = Filters(containers=readable_containers(AnonymousUserMixin()))
        ways = [("direct", True), ("whoosh", False)] if args.ab else [("", backend.direct_windows)]
        for text in args.queries:
            query = parse_query(text)
            times: dict[str, list[float]] = {name: [] for name, _ in ways}
            pages = {}
            for name, direct in ways:
                backend.direct_windows = direct
                t0 = time.process_time()
                pages[name] = index.search(app, query, filters, args.sort, 0, 20)
                first = time.process_time() - t0
                print(f"{text}{' ' + name if name else ''}: first {first * 1000:.0f} ms")
            for _ in range(args.runs):
                for name, direct in ways:
                    backend.direct_windows = direct
                    t0 = time.process_time()
                    index.search(app, query, filters, args.sort, 0, 20)
                    times[name].append(time.process_time() - t0)
            for name, _direct in ways:
                ts, page = sorted(times[name]), pages[name]
                print(f"{text}{' ' + name if name else ''}: median {statistics.median(ts) * 1000:.2f} ms, "
                      f"p90 {ts[int(0.9 * (len(ts) - 1))] * 1000:.2f} ms of CPU; "
                      f"total {page.total}{'' if page.exact else '+'}, {len(page.hits)} hits on page 1")
            if args.ab:
                same = [(h.doc_type, h.doc_id) for h in pages["direct"].hits] == \
                       [(h.doc_type, h.doc_id) for h in pages["whoosh"].hits]
                print(f"{text}: the same page both ways: {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
