"""The scale-out backend: a `search_documents` table with a tsvector of the analyzer's tokens.

The tsvector is built in Python from the same uni+bigram tokens as Whoosh (positions + 1,
title weighted A, body after a gap), so PostgreSQL needs no Chinese parser: the 'simple'
configuration and a GIN index serve `@@`; phrases use the `<N>` distance operator.
Limits of tsvector: positions above 16383 are clamped and a lexeme keeps at most 256 positions,
so phrase matches deep inside very long documents can be missed.
"""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import Engine, String, and_, any_, bindparam, case, delete, func, literal_column, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert

from forum.search.analyzer import ParsedQuery, Phrase, term_positions
from forum.search.backends.base import Filters, Hit, HitPage, SearchDoc
from forum.search.models import SearchDocument

MAX_POS = 16383
RANK_CANDIDATES = 500
COUNT_CAP = 1000  # totals are exact up to here (50 pages of 20); beyond, "1000+"
BODY_GAP = 8
T = SearchDocument.__table__


def tsvector_literal(title: str, body: str) -> str:
    """The tsvector text of a document: 'term':pos[A] …"""
    postings: dict[str, list[str]] = {}
    title_terms = term_positions(title, base=1)
    last = 0
    for term, ps in title_terms.items():
        postings.setdefault(term, []).extend(f"{min(p, MAX_POS)}A" for p in ps)
        last = max(last, max(ps))
    for term, ps in term_positions(body, base=last + BODY_GAP if title_terms else 1).items():
        postings.setdefault(term, []).extend(str(min(p, MAX_POS)) for p in ps)
    return " ".join(f"{_quote(term)}:{','.join(ps[:256])}" for term, ps in postings.items())


def _quote(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def tsquery_text(query: ParsedQuery) -> str:
    """The tsquery of an AND of exact phrases."""
    return " & ".join(f"({_phrase(p)})" for p in query.phrases)


def _phrase(p: Phrase) -> str:
    out = _quote(p.terms[0][0])
    prev = p.terms[0][1]
    for term, off in p.terms[1:]:
        out += f" <{off - prev}> {_quote(term)}"
        prev = off
    return out


def _row(doc: SearchDoc) -> dict:
    return {
        "key": doc.key, "doc_type": doc.doc_type, "doc_id": doc.doc_id, "container": doc.container,
        "group_id": doc.group_id, "school_id": doc.school_id, "author_id": doc.author_id,
        "category": doc.category or "", "tags": ",".join(doc.tags), "created_at": doc.created_at,
        "stamp": doc.stamp, "tsv": tsvector_literal(doc.title, doc.body),
    }


class PostgresBackend:
    """Documents in the site's PostgreSQL database, shared by every web node."""

    name = "postgres"

    def __init__(self, engine: Engine):
        self.engine = engine

    def _upsert(self, conn, docs: list[SearchDoc]) -> None:
        if not docs:
            return
        rows = {}
        for d in docs:
            rows[d.key] = _row(d)
        stmt = pg_insert(T).values(list(rows.values()))
        stmt = stmt.on_conflict_do_update(
            index_elements=[T.c.key],
            set_={c: stmt.excluded[c] for c in ("doc_type", "doc_id", "container", "group_id", "school_id",
                                                 "author_id", "category", "tags", "created_at", "stamp", "tsv")},
        )
        conn.execute(stmt)

    def apply(self, upserts: Iterable[SearchDoc], deletes: Iterable[str]) -> None:
        upserts, deletes = list(upserts), list(deletes)
        with self.engine.begin() as conn:
            if deletes:
                conn.execute(delete(T).where(T.c.key.in_(deletes)))
            for i in range(0, len(upserts), 500):
                self._upsert(conn, upserts[i:i + 500])

    def clear(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(T))

    def begin_rebuild(self) -> "PostgresRebuild":
        return PostgresRebuild(self)

    def count(self) -> int:
        with self.engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(T)) or 0

    def stamps(self) -> dict[str, str]:
        with self.engine.connect() as conn:
            return {k: s for k, s in conn.execute(select(T.c.key, T.c.stamp))}

    def search(self, query: ParsedQuery, filters: Filters, sort: str, offset: int, limit: int) -> HitPage:
        if not query:
            return HitPage(0)
        if filters.containers is not None and not filters.containers:
            return HitPage(0)
        q = text("CAST(:tsq AS tsquery)").bindparams(tsq=tsquery_text(query))
        conds = [T.c.tsv.op("@@")(q)]
        for col, value in ((T.c.doc_type, filters.doc_type), (T.c.group_id, filters.group_id),
                           (T.c.school_id, filters.school_id), (T.c.author_id, filters.author_id),
                           (T.c.category, filters.category)):
            if value is not None and value != "":
                conds.append(col == value)
        if filters.since is not None:
            conds.append(T.c.created_at >= filters.since)
        if filters.until is not None:
            conds.append(T.c.created_at <= filters.until)
        if filters.containers is not None:
            conds.append(T.c.container == any_(bindparam("containers", sorted(filters.containers),
                                                             type_=ARRAY(String))))
        where = and_(*conds)
        if sort == "newest":
            stmt = (select(T.c.doc_type, T.c.doc_id, literal_column("0.0").label("score")).where(where)
                    .order_by(T.c.created_at.desc(), T.c.id.desc()))
        else:
            # Rank the newest RANK_CANDIDATES matches: exact for selective queries, and a bounded
            # cost (ts_rank reads every tsvector) for one-character queries matching half the site.
            # Deeper pages continue with the other matches, newest first: one fixed order for all pages.
            newest = (select(T.c.id, T.c.doc_type, T.c.doc_id, T.c.tsv, T.c.created_at).where(where)
                      .order_by(T.c.created_at.desc(), T.c.id.desc())
                      .limit(max(RANK_CANDIDATES, offset + limit)).subquery())
            rn = func.row_number().over(order_by=(newest.c.created_at.desc(), newest.c.id.desc()))
            cand = select(newest.c.id, newest.c.doc_type, newest.c.doc_id, newest.c.tsv, rn.label("rn")).subquery()
            ranked = cand.c.rn <= RANK_CANDIDATES
            score = case((ranked, func.ts_rank(cand.c.tsv, q)), else_=literal_column("0.0"))
            stmt = (select(cand.c.doc_type, cand.c.doc_id, score.label("score"))
                    .order_by(case((ranked, 0), else_=1), score.desc(), cand.c.rn))
        stmt = stmt.limit(limit).offset(offset)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
            if offset == 0 and len(rows) < limit:
                total, exact = len(rows), True
            else:
                capped = select(T.c.id).where(where).limit(COUNT_CAP).subquery()
                total = conn.scalar(select(func.count()).select_from(capped)) or 0
                exact = total < COUNT_CAP
        return HitPage(total, [Hit(r.doc_type, r.doc_id, float(r.score or 0)) for r in rows], exact=exact)


_COLUMNS = ("key", "doc_type", "doc_id", "container", "group_id", "school_id", "author_id", "category", "tags",
            "created_at", "stamp", "tsv")
_STAGE = ("CREATE TEMP TABLE IF NOT EXISTS search_stage (key text, doc_type text, doc_id int, container text, "
          "group_id int, school_id int, author_id int, category text, tags text, created_at timestamptz, "
          "stamp text, tsv text) ON COMMIT DELETE ROWS")
_MERGE = (f"INSERT INTO search_documents ({', '.join(_COLUMNS)}) "
          f"SELECT {', '.join(_COLUMNS[:-1])}, tsv::tsvector FROM search_stage "
          f"ON CONFLICT (key) DO UPDATE SET "
          + ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS[1:]))
GIN_INDEX = "ix_search_documents_tsv"


class PostgresRebuild:
    """Rebuild in place: COPY every document (upserted through a staging table), then drop
    what the database no longer has.

    Searches keep working meanwhile; an interrupted run is resumed by running it again
    (upserts are idempotent), so there is no temporary copy to swap. When the table starts
    empty (a new site, `bench/data.py`) the GIN index is dropped for the load and built once
    at the end, which is several times faster than maintaining it row by row.
    """

    def __init__(self, backend: PostgresBackend):
        self.backend = backend
        self.seen: set[str] = set()
        self.fresh = backend.count() == 0
        if self.fresh:
            with backend.engine.begin() as conn:
                conn.execute(text(f"DROP INDEX IF EXISTS {GIN_INDEX}"))

    def done_upto(self) -> dict[str, int]:
        return {}

    def add(self, docs: list[SearchDoc]) -> None:
        rows = {d.key: d for d in docs}
        self.seen.update(rows)
        if not rows:
            return
        with self.backend.engine.begin() as conn:
            cur = conn.connection.driver_connection.cursor()
            try:
                cur.execute(_STAGE)
                with cur.copy(f"COPY search_stage ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
                    for d in rows.values():
                        r = _row(d)
                        copy.write_row([r[c] for c in _COLUMNS])
                cur.execute(_MERGE)
            finally:
                cur.close()

    replace = add

    def remove(self, keys: Iterable[str]) -> None:
        self.backend.apply([], keys)

    def checkpoint(self, doc_type: str, last_id: int, final: bool = False) -> None:
        return None

    def finish(self) -> None:
        with self.backend.engine.begin() as conn:
            conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
            conn.execute(text(f"CREATE INDEX IF NOT EXISTS {GIN_INDEX} ON search_documents USING gin (tsv)"))
        if self.fresh:
            return  # nothing was there before the build but what the indexer added meanwhile
        extra = set(self.backend.stamps()) - self.seen
        extra_list = sorted(extra)
        for i in range(0, len(extra_list), 1000):
            self.backend.apply([], extra_list[i:i + 1000])
