"""After the inserts of bench/data.py: the near-duplicate rule over the ledger, and targets found in the data."""
from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta, timezone

from fill_rows import Writer
from fill_text import BROAD_SENTENCE, BROAD_WORD, FEW_SENTENCE, FEW_WORD


def apply_duplicate_rule(engine, config) -> int:
    """Apply substance's near-duplicate rule in time order per author; returns rows made non-substantive.

    At write time a contribution is not substantive when the same author wrote the same or nearly
    the same text in the DUPLICATE_WINDOW_DAYS before it (content deleted by then does not count).
    Idempotent: a second run finds the same rows.
    """
    from sqlalchemy import text as sql

    from forum.ledger.substance import SKETCH_SIZE, _parse_sketch, near_duplicate

    threshold = config.get("NEAR_DUPLICATE_SIMILARITY", 0.8)
    window = timedelta(days=config.get("DUPLICATE_WINDOW_DAYS", 7))
    sketches: dict[str, frozenset] = {}

    def sketch(fp: str) -> frozenset:
        got = sketches.get(fp)
        if got is None:
            got = sketches[fp] = frozenset(_parse_sketch(fp))
        return got

    parse_ts = _ts_parser(engine.dialect.name)
    deleted_at: dict[tuple[str, int], datetime] = {}
    # One sequential scan, sorted here: walking the (user_id, created_at) index instead reads the
    # table in random order, which is many times slower on a 1.6M-row ledger.
    with engine.connect() as conn:
        for doc_type, table in (("thread", "threads"), ("post", "posts"), ("entry", "entries"),
                                ("comment", "comments")):
            for i, at in conn.execute(sql(f"SELECT id, deleted_at FROM {table} WHERE deleted_at IS NOT NULL")):
                deleted_at[(doc_type, i)] = parse_ts(at)
        ledger = conn.execute(sql(
            "SELECT id, user_id, created_at, fingerprint, is_substantive, source_type, source_id "
            "FROM contributions")).all()
    ledger = [(uid, parse_ts(created), cid, fp, subst, st, sid) for cid, uid, created, fp, subst, st, sid in ledger]
    ledger.sort(key=lambda r: (r[0], r[1], r[2]))
    flips: list[int] = []
    user, recent = None, deque()
    for uid, created, cid, fp, subst, st, sid in ledger:
        if uid != user:
            user, recent = uid, deque()
        while recent and recent[0][0] < created - window:
            recent.popleft()
        if subst and fp:
            mine = sketch(fp)
            for _at, other, key in recent:
                gone = deleted_at.get(key)
                if gone is not None and gone <= created:
                    continue
                # Cheap bound first: the similarity cannot reach the threshold with fewer shared
                # hashes than this; only candidates go to the rule's own near_duplicate().
                theirs = sketch(other)
                if fp[:16] != other[:16] and len(mine & theirs) < threshold * min(SKETCH_SIZE, len(mine | theirs)):
                    continue
                if near_duplicate(fp, other):
                    flips.append(cid)
                    break
        if fp:
            recent.append((created, fp, (st, sid)))
    with engine.begin() as conn:
        for i in range(0, len(flips), 5000):
            conn.execute(sql("UPDATE contributions SET is_substantive = :f WHERE id = :id"),
                         [{"f": False, "id": x} for x in flips[i:i + 5000]])
    return len(flips)


def manifest_from_db(engine) -> dict:
    """The benchmark targets found in a filled database (for --finish after an interrupted fill)."""
    from sqlalchemy import text as sql

    with engine.connect() as conn:
        one = lambda q, **kw: conn.execute(sql(q), kw).mappings().first()  # noqa: E731
        big = one("SELECT id, top_level_count FROM threads WHERE title LIKE :t ORDER BY id LIMIT 1", t="【长帖】%")
        big_posts = one("SELECT count(*) AS n FROM posts WHERE thread_id = :i", i=big["id"])["n"]
        t20 = one("SELECT t.id FROM threads t JOIN boards b ON b.id = t.board_id JOIN groups g ON g.id = b.group_id "
                  "WHERE g.visibility = 'public' AND t.is_deleted = :f AND t.reply_count = 19 "
                  "AND (SELECT count(*) FROM posts p WHERE p.thread_id = t.id) = 19 ORDER BY t.id LIMIT 1", f=False)
        entry = one("SELECT id, body, comment_count FROM entries ORDER BY length(body) DESC LIMIT 1")
        board = one("SELECT id, group_id, thread_count FROM boards ORDER BY thread_count DESC LIMIT 1")
        few = one("SELECT count(*) AS n FROM posts WHERE body LIKE :w", w=f"%{FEW_SENTENCE}%")["n"]
        broad = one("SELECT count(*) AS n FROM posts WHERE body LIKE :w", w=f"%{BROAD_SENTENCE}%")["n"]
        rows = {t: conn.execute(sql(f"SELECT count(*) FROM {t}")).scalar() for t in Writer.ORDER}
    return {
        "targets": {
            "thread_big": dict(id=big["id"], posts=big_posts + 1, top_level=big["top_level_count"],
                               pages=-(-big["top_level_count"] // 20)),
            "thread_20": dict(id=t20["id"], posts=20),
            "board_deep": dict(id=board["id"], group_id=board["group_id"], threads=board["thread_count"]),
            "group": dict(id=board["group_id"]),
            "entry_big": dict(id=entry["id"], body_bytes=len(entry["body"].encode("utf-8")),
                              comments=entry["comment_count"]),
        },
        "search": dict(few=dict(q=FEW_WORD, planted=few), broad=dict(q=BROAD_WORD, planted=broad)),
        "rows": rows,
    }


def _ts_parser(dialect: str):
    if dialect != "sqlite":
        return lambda v: v if v.tzinfo else v.replace(tzinfo=timezone.utc)

    def parse(v):
        if isinstance(v, datetime):
            return v.replace(tzinfo=timezone.utc)
        return datetime.fromisoformat(v).replace(tzinfo=timezone.utc)
    return parse
