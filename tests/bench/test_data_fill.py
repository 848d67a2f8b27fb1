"""bench/data.py --tiny: a fresh database filled through the migrations, with every invariant the services keep."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections import defaultdict, deque
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("TEST_DATABASE_URL", "").strip()


def _utc(v):
    if isinstance(v, str):  # SQLite through plain SQL: the stored UTC text
        v = datetime.fromisoformat(v)
    return v.replace(tzinfo=timezone.utc) if v.tzinfo is None else v.astimezone(timezone.utc)


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """Run the real script once per module: SQLite by default, PostgreSQL when TEST_DATABASE_URL is set."""
    data_dir = tmp_path_factory.mktemp("bench") / "data"
    args = [sys.executable, "bench/data.py", "--tiny", "--data-dir", str(data_dir)]
    admin = name = None
    if PG_URL:
        base = sa.make_url(PG_URL).set(drivername="postgresql+psycopg")
        name = f"jiaoyan_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = base.set(database=name).render_as_string(hide_password=False)
        args += ["--db-url", url]
    else:
        url = f"sqlite:///{data_dir / 'jiaoyan.sqlite3'}"
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    engine = sa.create_engine(url)
    yield engine, data_dir, proc.stdout, url
    engine.dispose()
    if admin is not None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def rows(engine, sql: str):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).mappings().all()


def test_schema_comes_from_the_migrations_and_rows_are_counted(filled):
    engine, data_dir, out, _url = filled
    versions = [r["version_num"] for r in rows(engine, "SELECT version_num FROM alembic_version")]
    from alembic.script import ScriptDirectory

    assert versions == ScriptDirectory(str(ROOT / "migrations")).get_heads()  # filled at the head revision
    manifest = json.loads((data_dir / "bench-manifest.json").read_text("utf-8"))
    for table in ("threads", "posts", "entries", "comments", "contributions", "search_outbox"):
        n = rows(engine, f"SELECT count(*) AS n FROM {table}")[0]["n"]
        assert n == manifest["rows"][table] > 0
        assert f"\n{table} " in out  # rows/s per table printed
    assert manifest["rows"]["posts"] == 300 and manifest["rows"]["threads"] == 40


def test_thread_and_board_counters_match_their_rows(filled):
    engine = filled[0]
    threads = {r["id"]: r for r in rows(engine, "SELECT * FROM threads")}
    posts = rows(engine, "SELECT * FROM posts ORDER BY id")
    by_id = {p["id"]: p for p in posts}
    per_thread = defaultdict(list)
    for p in posts:
        per_thread[p["thread_id"]].append(p)
    for tid, t in threads.items():
        mine = per_thread.get(tid, [])
        assert t["reply_count"] == sum(1 for p in mine if not p["is_deleted"])
        top = [p for p in mine if p["parent_id"] is None]
        assert t["top_level_count"] == len(top)
        assert sorted(p["position"] for p in top) == list(range(1, len(top) + 1))
        last = max(mine, key=lambda p: (_utc(p["created_at"]), p["id"])) if mine else None
        assert _utc(t["last_post_at"]) == (_utc(last["created_at"]) if last else _utc(t["created_at"]))
        assert t["last_poster_id"] == (last["author_id"] if last else t["author_id"])
    for p in posts:
        if p["parent_id"] is None:
            assert p["root_id"] == p["id"] and p["depth"] == 0 and p["path"] == f"{p['id']:010d}"
        else:
            parent = by_id[p["parent_id"]]
            assert parent["thread_id"] == p["thread_id"] and p["position"] is None
            assert p["root_id"] == parent["root_id"] and p["depth"] == parent["depth"] + 1
            assert p["path"] == f"{parent['path']}.{p['id']:010d}"
            assert _utc(p["created_at"]) >= _utc(parent["created_at"])
    for b in rows(engine, "SELECT * FROM boards"):
        mine = [t for t in threads.values() if t["board_id"] == b["id"]]
        assert b["thread_count"] == sum(1 for t in mine if not t["is_deleted"])
        assert b["post_count"] == sum(len(per_thread.get(t["id"], [])) for t in mine)
    entries = rows(engine, "SELECT id, comment_count FROM entries")
    live = defaultdict(int)
    for c in rows(engine, "SELECT entry_id, is_deleted FROM comments"):
        live[c["entry_id"]] += 0 if c["is_deleted"] else 1
    assert all(e["comment_count"] == live[e["id"]] for e in entries)


def test_every_content_row_has_its_ledger_row_outbox_rows_and_rendered_html(filled):
    engine, _d, _o, url = filled
    from forum import create_app
    from forum.core import markup
    from forum.core.timezones import month_key
    from forum.ledger import substance

    app = create_app({"JIAOYAN_DATA_DIR": str(filled[1]), "SQLALCHEMY_DATABASE_URI": url, "SEARCH_INDEXER": "off"})
    ledger = defaultdict(list)
    contributions = rows(engine, "SELECT * FROM contributions")
    for c in contributions:
        ledger[(c["source_type"], c["source_id"], c["kind"])].append(c)
    outbox = defaultdict(list)
    for o in rows(engine, "SELECT doc_type, doc_id, op FROM search_outbox"):
        outbox[(o["doc_type"], o["doc_id"])].append(o["op"])
    sources = {
        "thread": ("thread", "SELECT id, author_id, title, body, body_html, is_deleted, created_at FROM threads"),
        "post": ("reply", "SELECT id, author_id, body, body_html, is_deleted, created_at FROM posts"),
        "entry": ("entry", "SELECT id, author_id, title, body, body_html, is_deleted, created_at, status FROM entries"),
        "comment": ("comment", "SELECT id, author_id, body, body_html, is_deleted, created_at FROM comments"),
    }
    seen = 0
    with app.app_context():
        for doc_type, (kind, sql) in sources.items():
            for r in rows(engine, sql):
                assert r["body_html"] == markup.render(r["body"])
                assert outbox[(doc_type, r["id"])] == (["upsert", "delete"] if r["is_deleted"] else ["upsert"])
                mine = ledger.pop((doc_type, r["id"], kind), [])
                if r.get("status") == "draft":
                    assert mine == []
                    continue
                assert len(mine) == 1, (doc_type, r["id"])
                c = mine[0]
                text = f"{r['title']}\n{r['body']}" if "title" in r else r["body"]
                assert c["user_id"] == r["author_id"] and bool(c["is_deleted"]) == bool(r["is_deleted"])
                assert _utc(c["created_at"]) == _utc(r["created_at"])
                assert c["month"] == month_key(_utc(r["created_at"]))
                assert c["fingerprint"] == substance.fingerprint(text)
                seen += 1
    # What is left is the 精华 credit of featured threads only.
    assert all(k[2] == "featured" for k in ledger)
    assert seen == len(contributions) - sum(len(v) for v in ledger.values())


def test_the_tallies_rollup_agrees_with_the_filled_ledger(filled):
    """The bulk inserts and the near-duplicate rule's UPDATEs went through the rollup's triggers."""
    from forum.ledger import rollup

    engine = filled[0]
    with engine.connect() as conn:
        assert rollup.differences(conn) == []
        counted = conn.execute(sa.text("SELECT SUM(total) FROM contribution_months")).scalar()
        live = conn.execute(sa.text("SELECT COUNT(*) FROM contributions WHERE NOT is_deleted")).scalar()
    assert counted == live > 0


def test_substantive_flags_follow_the_rule_including_same_author_near_duplicates(filled):
    engine, _d, _o, url = filled
    from forum import create_app
    from forum.ledger import substance

    app = create_app({"JIAOYAN_DATA_DIR": str(filled[1]), "SQLALCHEMY_DATABASE_URI": url, "SEARCH_INDEXER": "off"})
    texts = {}
    deleted_at = {}
    for st, sql in (("thread", "SELECT id, title || char(10) || body AS t, deleted_at FROM threads"),
                    ("post", "SELECT id, body AS t, deleted_at FROM posts"),
                    ("entry", "SELECT id, title || char(10) || body AS t, deleted_at FROM entries"),
                    ("comment", "SELECT id, body AS t, deleted_at FROM comments")):
        if engine.dialect.name == "postgresql":
            sql = sql.replace("|| char(10) ||", "|| chr(10) ||")
        for r in rows(engine, sql):
            texts[(st, r["id"])] = r["t"]
            if r["deleted_at"] is not None:
                deleted_at[(st, r["id"])] = _utc(r["deleted_at"])
    titles = {r["id"]: r["title"] for r in rows(engine, "SELECT id, title FROM threads")}
    flips = 0
    with app.app_context():
        window = timedelta(days=app.config.get("DUPLICATE_WINDOW_DAYS", 7))
        recent: dict[int, deque] = defaultdict(deque)
        for c in rows(engine, "SELECT * FROM contributions ORDER BY user_id, created_at, id"):
            when = _utc(c["created_at"])
            text = titles[c["source_id"]] if c["kind"] == "featured" else texts[(c["source_type"], c["source_id"])]
            core = substance.meaningful_text(text)
            expected = substance.has_enough_text(core) and not substance.is_bump(core)
            if expected:
                for at, fp, key in recent[c["user_id"]]:
                    gone = deleted_at.get(key)
                    if when - window <= at <= when and not (gone and gone <= when) and \
                            substance.near_duplicate(c["fingerprint"], fp):
                        expected = False
                        flips += 1
                        break
            assert bool(c["is_substantive"]) == expected, dict(c)
            if c["fingerprint"]:
                recent[c["user_id"]].append((when, c["fingerprint"], (c["source_type"], c["source_id"])))
    assert flips > 0  # the tiny preset reuses bodies often enough for the rule to bite


def test_benchmark_targets_exist_and_the_pages_answer(filled):
    engine, data_dir, _o, url = filled
    manifest = json.loads((data_dir / "bench-manifest.json").read_text("utf-8"))
    t = manifest["targets"]
    big = rows(engine, f"SELECT * FROM threads WHERE id = {t['thread_big']['id']}")[0]
    n_posts = rows(engine, f"SELECT count(*) AS n FROM posts WHERE thread_id = {big['id']}")[0]["n"]
    assert n_posts + 1 == t["thread_big"]["posts"] == 130 and t["thread_big"]["pages"] >= 2
    assert rows(engine, f"SELECT reply_count FROM threads WHERE id = {t['thread_20']['id']}")[0]["reply_count"] == 19
    entry = rows(engine, f"SELECT * FROM entries WHERE id = {t['entry_big']['id']}")[0]
    assert len(entry["body"].encode("utf-8")) >= 20_000 and entry["comment_count"] == 10
    few = manifest["search"]["few"]
    assert rows(engine, f"SELECT count(*) AS n FROM posts WHERE body LIKE '%{few['q']}%'")[0]["n"] == few["planted"] > 0
    visibilities = {r["visibility"] for r in rows(engine, "SELECT visibility FROM groups")}
    assert "public" in visibilities
    from forum import create_app

    app = create_app({"JIAOYAN_DATA_DIR": str(data_dir), "SQLALCHEMY_DATABASE_URI": url, "SEARCH_INDEXER": "off",
                      "TESTING": True, "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    for path in ("/", f"/groups/{t['group']['id']}", f"/boards/{t['board_deep']['id']}",
                 f"/boards/threads/{big['id']}?page={t['thread_big']['pages']}",
                 f"/boards/threads/{t['thread_20']['id']}", f"/blogs/entries/{entry['id']}"):
        resp = client.get(path)
        assert resp.status_code == 200, path
    page = client.get(f"/boards/threads/{big['id']}?page=2").get_data(as_text=True)
    assert "回复" in page or "reply" in page.lower()
    resp = client.post("/auth/login", data={"username": manifest["accounts"]["leader"],
                                            "password": manifest["accounts"]["password"]})
    assert resp.status_code == 302
    assert client.get("/tallies/").status_code == 200
    with app.app_context():
        from forum.extensions import db

        db.engine.dispose()


def test_finish_is_idempotent_and_finds_the_same_targets_in_the_data(filled):
    """--finish (for an interrupted fill) re-applies the duplicate rule without change and rebuilds the manifest."""
    engine, data_dir, _o, url = filled
    before = json.loads((data_dir / "bench-manifest.json").read_text("utf-8"))
    flags = [(r["id"], r["is_substantive"]) for r in rows(engine, "SELECT id, is_substantive FROM contributions")]
    engine.dispose()
    args = [sys.executable, "bench/data.py", "--finish", "--data-dir", str(data_dir)]
    if engine.dialect.name == "postgresql":
        args += ["--db-url", url]
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "near-duplicate rule: 0 ledger rows" in proc.stdout
    after = json.loads((data_dir / "bench-manifest.json").read_text("utf-8"))
    assert after["targets"] == before["targets"] and after["search"] == before["search"]
    assert after["rows"] == before["rows"] and after["preset"] == "tiny"
    assert [(r["id"], r["is_substantive"]) for r in rows(engine, "SELECT id, is_substantive FROM contributions")] \
        == flags
