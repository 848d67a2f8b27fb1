"""Query plans of every statement the main pages run, on SQLite or PostgreSQL.

    .venv/bin/python bench/explain.py --data-dir DIR [--as visitor,teacher,host] [--all] [--user U] [--deep 500]

Fetches each page of bench/profile_pages.py (plus a deep board page reached by its keyset cursor)
through the test client, records the SELECTs with their parameters, and prints each distinct
statement's plan (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL; DATABASE_URL is honoured).
A plan line that scans a whole table or sorts in a temporary B-tree is marked `!!`; the summary
lists them. --all prints every plan, not only the flagged ones.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

# A SCAN of a table (no index), a sort that needs a temporary B-tree, a PostgreSQL Seq Scan or Sort.
_BAD_SQLITE = re.compile(r"^SCAN (?!.*USING (COVERING )?INDEX)|USE TEMP B-TREE")
_BAD_PG = re.compile(r"Seq Scan on (?!(schools|clusters|groups|boards|blogs|tally_targets)\b)|Sort  \(")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--as", dest="audiences", default="visitor,teacher")
    parser.add_argument("--user", default="")
    parser.add_argument("--deep", type=int, default=500, help="board page to reach by cursor")
    parser.add_argument("--all", action="store_true")
    args = parser.parse_args()
    os.environ["JIAOYAN_DATA_DIR"] = args.data_dir
    os.environ.setdefault("SEARCH_INDEXER", "off")

    from sqlalchemy import event, text

    from forum import create_app
    from forum.extensions import db
    from profile_pages import pick_paths, signed_in_client

    app = create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    paths = pick_paths(app, deep=args.deep)
    with app.app_context():
        engine = db.engine
        dialect = engine.dialect.name
    seen: dict[str, tuple[str, object, set[str]]] = {}
    current = {"page": ""}

    def _record(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "EXPLAIN" not in statement:
            entry = seen.setdefault(statement, (statement, params, set()))
            entry[2].add(current["page"])

    event.listen(engine, "before_cursor_execute", _record)
    for audience in args.audiences.split(","):
        current["page"] = "(sign-in)"
        client = signed_in_client(app, audience, args.user)
        for name, path in paths.items():
            current["page"] = f"{name}/{audience}"
            status = client.get(path).status_code
            if status != 200:
                print(f"# {name} as {audience}: status {status} ({path})")
    event.remove(engine, "before_cursor_execute", _record)

    flagged = []
    with app.app_context():
        conn = db.session.connection()
        for statement, params, pages in seen.values():
            if dialect == "sqlite":
                rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
                plan = [r[-1] for r in rows]
                bad = [line for line in plan if _BAD_SQLITE.search(line)]
            else:
                rows = conn.exec_driver_sql("EXPLAIN " + statement, params).all()
                plan = [r[0] for r in rows]
                bad = [line for line in plan if _BAD_PG.search(line)]
            if bad:
                flagged.append((statement, pages, bad))
            if bad or args.all:
                print(("!! " if bad else "ok ") + " ".join(statement.split())[:300])
                print("   pages: " + ", ".join(sorted(pages)))
                for line in plan:
                    print(("   !! " if line in bad else "      ") + line)
        db.session.rollback()
    print(f"\n{len(seen)} distinct SELECTs on {dialect}; {len(flagged)} with a full scan or a sort:")
    for statement, pages, bad in flagged:
        print(f"  {' '.join(statement.split())[:120]} … [{'; '.join(bad)[:120]}] on {', '.join(sorted(pages))[:80]}")


if __name__ == "__main__":
    main()
