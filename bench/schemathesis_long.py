"""Long schemathesis run against a live, seeded site: `python bench/schemathesis_long.py [--examples N]`.

The bounded version runs in `make test` (tests/reliability/test_openapi.py); this one generates many
more cases per operation, as a teacher and as a host, and prints every distinct failure.
"""
from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=300, help="cases per operation and user (default 300)")
    parser.add_argument("--derandomize", action="store_true",
                        help="the same cases every run (make test); by default each run draws new ones")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    from tests.reliability.contract import run_contract
    from tests.reliability.live import start_live_site

    site = start_live_site(SEARCH_INDEXER="off")
    started = time.monotonic()
    failures: list[str] = []
    total = 0
    try:
        for who in ("api_teacher", "api_host"):
            found, calls = run_contract(site, who, max_examples=args.examples, derandomize=args.derandomize)
            failures += found
            total += calls
            print(f"{who}: {calls} requests, {len(found)} failing operations")
    finally:
        site.stop()
    elapsed = time.monotonic() - started
    print(f"{total} requests in {elapsed:.0f}s ({total / elapsed:.0f}/s); {len(failures)} failures")
    for failure in failures:
        print("\n" + failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
