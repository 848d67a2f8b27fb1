"""The embedded backend: a Whoosh index on local disk (whoosh-reloaded).

Schema and documents: whoosh_schema; queries: whoosh_queries; rebuild: whoosh_rebuild.
"""
from __future__ import annotations

import heapq
import os
import shutil
import threading
from array import array
from bisect import bisect_left
from itertools import islice
from typing import Iterable

from whoosh import index as whoosh_index
from whoosh import query as wq

from forum.search.analyzer import ParsedQuery
from forum.search.backends import whoosh_memory, whoosh_window
from forum.search.backends.base import Filters, Hit, HitPage, SearchDoc
from forum.search.backends.whoosh_queries import (  # noqa: F401  (ExactPhrase: re-exported)
    ExactPhrase, SegmentDocs, Window, cover, created_docnums, docnums, filter_clauses, phrase_query)
from forum.search.backends.whoosh_rebuild import WhooshRebuild  # noqa: F401  (re-exported)
from forum.search.backends.whoosh_schema import (  # noqa: F401  (CJKPositions: pickled schemas)
    TITLE_BOOST, CJKPositions, fields_for, make_schema)

COUNT_CAP = 1000
BROAD_MATCHES = 1_000  # a query whose rarest term is in more documents is "broad"
BROAD_CANDIDATES = 500  # … and ranks about this many of its newest matches (and its title matches)
SEGMENT_DOCS_CAP = 4_000_000  # cached docnums per thread (visibility and windows), 16 MB


class WhooshBackend:
    """Whoosh index in `path`; searchers are kept per thread and refreshed on each search."""

    name = "whoosh"
    direct_windows = True  # rank broad windows with whoosh_window (False: Whoosh's matchers, to compare)

    def __init__(self, path: str, mapped_mb: int = 0):
        self.path = path
        self.mapped_kib = max(0, mapped_mb) * 1024  # whoosh_memory.keep_within after each search
        self._local = threading.local()
        self._ix = None
        self._ix_ino: int | None = None
        self._open_lock = threading.Lock()

    # --- opening ---------------------------------------------------------------------------

    def _index(self):
        ino = _inode(self.path)
        if self._ix is None or ino != self._ix_ino:
            with self._open_lock:
                ino = _inode(self.path)
                if self._ix is None or ino != self._ix_ino:
                    self._ix = _open_or_create(self.path)
                    self._ix_ino = _inode(self.path)
        return self._ix

    def searcher(self):
        """This thread's searcher, refreshed if the index changed (or was swapped)."""
        ix = self._index()
        s = getattr(self._local, "searcher", None)
        if s is None or getattr(self._local, "ix", None) is not ix:
            if s is not None:
                s.close()
            s = ix.searcher()
            self._local.ix = ix
        elif not s.up_to_date():
            # Not s.refresh(): it reuses segment readers with their old deletion sets, so deleted
            # documents would stay visible (and it fails outright on an empty index).
            s.close()
            s = ix.searcher()
        self._local.searcher = s
        return s

    # --- writing -----------------------------------------------------------------------------

    def apply(self, upserts: Iterable[SearchDoc], deletes: Iterable[str]) -> None:
        writer = self._index().writer(timeout=30)
        try:
            for key in deletes:
                writer.delete_by_term("key", key)
            for doc in upserts:
                writer.update_document(**fields_for(writer.schema, doc))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def clear(self) -> None:
        if os.path.isdir(self.path):
            shutil.rmtree(self.path)
        self._ix = None
        _open_or_create(self.path)

    def begin_rebuild(self) -> "WhooshRebuild":
        return WhooshRebuild(self)

    # --- reading -----------------------------------------------------------------------------

    def count(self) -> int:
        return self.searcher().doc_count()

    def stamps(self) -> dict[str, str]:
        s = self.searcher()
        return {f["key"]: f.get("stamp", "") for f in s.all_stored_fields()}

    def search(self, query: ParsedQuery, filters: Filters, sort: str, offset: int, limit: int) -> HitPage:
        try:
            return self._search(query, filters, sort, offset, limit)
        finally:
            whoosh_memory.keep_within(self.mapped_kib)

    def _search(self, query: ParsedQuery, filters: Filters, sort: str, offset: int, limit: int) -> HitPage:
        if not query:
            return HitPage(0)
        s = self.searcher()
        df = self._frequencies(s.reader())

        def frequency(term: str) -> int:
            # Both fields keep the same terms (from their combined frequency), so a title match
            # and a body match are scored over the same terms and the title boost keeps its weight.
            return df("title", term) + df("body", term)

        clauses: list[wq.Query] = [
            wq.Or([phrase_query("title", p, TITLE_BOOST, frequency), phrase_query("body", p, 1.0, frequency)])
            for p in query.phrases
        ]
        clauses.extend(filter_clauses(filters))
        base: wq.Query = wq.And(clauses) if len(clauses) > 1 else clauses[0]
        q, restriction = base, None
        if filters.containers is not None:
            visibility = self._visibility(s, filters.containers)
            if visibility is None:
                return HitPage(0)
            if visibility:
                kind, docs = visibility
                restriction = kind, docs.values
                # Not wq.Require: its skip_to_quality trips an assertion in whoosh's intersection.
                q = wq.And([base, docs]) if kind == "filter" else wq.AndNot(base, docs)
        page = None
        months = self._recent_window(s, query, offset + limit)
        if months is not None:
            # The months' readable documents per segment in one cached list: one filter in place
            # of an And with the months and an AndNot with the hidden containers.
            titles = self._titles(s, query, frequency) if sort != "newest" else None
            window = Window(base, self, months, restriction, titles)
            page = self._ranked(s, query, frequency, filters, window, sort, offset, limit)
            if page is NotImplemented:
                page = self._page(s, window, True, sort, offset, limit)
        if page is None:  # not broad, or too few readable matches in the window: search everything
            page = self._page(s, q, False, sort, offset, limit)
        hits, counted = page
        if counted is not None:
            total, exact = counted, True  # every match was visited: exact
        else:
            # Exact up to COUNT_CAP (50 pages), like the PostgreSQL backend; broad queries stop there.
            total = self._count(s, q)
            exact = total < COUNT_CAP
        return HitPage(total, hits, exact=exact)

    def _page(self, s, q: wq.Query, window: bool, sort: str, offset: int,
              limit: int) -> tuple[list[Hit], int | None] | None:
        """(hits of the page, number of matches if every one was visited, else None).

        With `window` (q is limited to a broad query's recent window), None if it had too few
        matches for the page. Without (not a broad query: at most ~BROAD_MATCHES matches) every
        match is visited once, which gives the exact total in the same pass; with one, the
        caller counts (capped).
        """
        wanted = offset + limit
        if sort == "newest":
            # Whoosh's sorted search takes `all_ids()`, which for an intersection builds the full
            # sets of both sides; walk the matcher instead and keep the newest `wanted`.
            matches = list(created_docnums(s, q))
            if window and len(matches) < wanted:
                return None
            newest = heapq.nlargest(wanted, matches)
            docs = [(d, 0.0) for _c, d in newest[offset:]]
            counted = None if window else len(matches)
        else:
            # optimize=False: no block-quality skipping, so the collector counts every match.
            results = s.search(q, limit=wanted, terms=False, optimize=window)
            scored = results.scored_length()
            if window and scored < wanted:
                return None
            docs = [(results.docnum(i), float(results.score(i) or 0.0)) for i in range(offset, min(wanted, scored))]
            counted = None if window else len(results)
        hits = []
        for docnum, score in docs:
            stored = s.stored_fields(docnum)
            hits.append(Hit(stored["doc_type"], int(stored["doc_id"]), score))
        return hits, counted

    def _ranked(self, s, query: ParsedQuery, frequency, filters: Filters, window: Window, sort: str,
                offset: int, limit: int):
        """`_page` of a window, ranked on the posting lists (whoosh_window), scores before
        offsets; NotImplemented where that does not apply (a date range, another weighting)."""
        terms = whoosh_window.term_filters(filters)
        if terms is None or not self.direct_windows:
            return NotImplemented
        phrases = [tuple(whoosh_window.Clause(field, _leading_rarest(p, frequency), boost)
                         for field, boost in (("title", TITLE_BOOST), ("body", 1.0)))
                   for p in query.phrases]
        if all(len(clauses[0].terms) == 1 for clauses in phrases):
            # Single terms have no offsets to check, and Whoosh's block qualities skip the
            # blocks of a common term that cannot reach the page: its matchers are faster there.
            return NotImplemented
        ranked = whoosh_window.rank(s, phrases, window.lists, terms, self.segment_docs, sort, offset + limit)
        if ranked is NotImplemented:
            return NotImplemented
        if ranked is None:
            return None
        hits = []
        for docnum, score in ranked[offset:]:
            stored = s.stored_fields(docnum)
            hits.append(Hit(stored["doc_type"], int(stored["doc_id"]), score))
        return hits, None

    def _recent_window(self, searcher, query: ParsedQuery, wanted: int) -> frozenset[str] | None:
        """For a broad query, the months (`month` terms) covering about BROAD_CANDIDATES of its
        newest matches.

        A query is broad when its rarest phrase term occurs in more than BROAD_MATCHES documents
        (a one-character query can match half the site). Scoring every match costs 5–30 µs
        each (seconds at a million documents), so such queries rank the matches of the latest
        months only: for "newest" that gives exactly the same pages; for relevance it ranks
        recent candidates, like the PostgreSQL backend. None: search everything.
        """
        reader = searcher.reader()
        if "month" not in searcher.schema:
            return None
        df = self._frequencies(reader)
        estimate = min(min(df("title", t) + df("body", t) for t, _ in p.terms) for p in query.phrases)
        if estimate <= BROAD_MATCHES:
            return None
        months = self._months(reader)
        total_docs = max(1, reader.doc_count_all())
        need = max(BROAD_CANDIDATES, 2 * wanted) * total_docs / estimate
        picked, covered = [], 0
        for month, freq in months:
            picked.append(month)
            covered += freq
            if covered >= need:
                break
        if covered >= 0.8 * total_docs:
            return None  # the window would be (nearly) everything
        return frozenset(picked)

    def _titles(self, searcher, query: ParsedQuery, frequency) -> wq.Query | None:
        """The title query that widens a relevance window, if its matches are few (at most
        BROAD_CANDIDATES by the rarest terms' counts): every readable document with a phrase of
        the query in its title is then a candidate too.

        A relevance ranking of recent candidates alone would miss an older lesson design named
        after the query: titles are what the ranking boosts most, and only threads and entries
        have one, so their matches are a small set even when the body matches are many. Not for
        "newest", whose pages come exactly from the window.
        """
        df = self._frequencies(searcher.reader())
        titled = sum(min(df("title", t) for t, _ in p.terms) for p in query.phrases)
        if titled == 0 or titled > BROAD_CANDIDATES:
            return None
        titles = [phrase_query("title", p, 1.0, frequency) for p in query.phrases]
        return titles[0] if len(titles) == 1 else wq.Or(titles)

    def _count(self, searcher, q: wq.Query) -> int:
        """Matches of `q`, counted up to COUNT_CAP; remembered per reader and thread, so the next
        pages of a broad query (and the same query by others) do not walk its matches again."""
        reader = searcher.reader()
        cache = self._local.__dict__.setdefault("counts", {})
        if cache.get("reader") is not reader or len(cache) > 512:
            cache.clear()
            cache["reader"] = reader
        if q not in cache:
            cache[q] = sum(1 for _ in islice(docnums(searcher, q), COUNT_CAP))
        return cache[q]

    def _frequencies(self, reader):
        """reader.doc_frequency (a sum over every segment), remembered per reader and thread."""
        cache = self._local.__dict__.setdefault("df", {})
        if cache.get("reader") is not reader or len(cache) > 4096:
            cache.clear()
            cache["reader"] = reader

        def df(fieldname: str, term: str) -> int:
            key = (fieldname, term)
            if key not in cache:
                cache[key] = reader.doc_frequency(fieldname, term)
            return cache[key]

        return df

    def _months(self, reader) -> list[tuple[str, int]]:
        """[(month, documents)] newest first, cached per reader."""
        cache = self._local.__dict__.setdefault("months", {})
        if cache.get("reader") is not reader:
            cache.clear()
            cache["reader"] = reader
            # Each segment's month terms with their infos, read in one walk of its terms, not a
            # lookup per month and segment (each probing the terms file's hash table: pages all
            # over it, which stay in the worker's RSS).
            counts: dict[str, int] = {}
            for leaf, _base in reader.leaf_readers():
                for t, info in leaf.iter_field("month"):
                    month = t.decode("utf-8")
                    counts[month] = counts.get(month, 0) + info.doc_frequency()
            cache["months"] = sorted(counts.items(), reverse=True)
        return cache["months"]

    def _visibility(self, searcher, allowed: frozenset[str]) -> tuple[str, "SegmentDocs"] | dict | None:
        """("filter" | "mask", docs) for the readable containers; {}: all readable; None: nothing.

        The restriction is part of the index query (`And` / `AndNot` with the documents of the
        granted or the denied containers, whichever are fewer), so totals and pages agree. Each
        segment's documents per container set are cached by segment id: segments never change,
        so a commit of the indexer only costs the new (small) segment, not the whole index.
        """
        reader = searcher.reader()
        cache = self._local.__dict__.setdefault("vis", {})  # per thread, like the searcher
        if cache.get("reader") is not reader:
            cache["reader"] = reader
            cache["present"] = frozenset(t.decode("utf-8") for t in reader.lexicon("container"))
            cache["answers"] = {}
        # The same reader set (a visitor's, a teacher's) comes back request after request: its
        # answer is kept, so thousands of containers are not intersected and hashed every time.
        answers = cache["answers"]
        if allowed in answers:
            return answers[allowed]
        present = cache["present"]
        granted = present & allowed
        denied = present - allowed
        if not granted:
            answer = None
        elif not denied:
            answer = {}
        elif len(granted) <= len(denied):
            answer = "filter", SegmentDocs(self, granted)
        else:
            answer = "mask", SegmentDocs(self, denied)
        if len(answers) >= 64:
            answers.clear()
        answers[allowed] = answer
        return answer

    def segment_docs(self, searcher, values: frozenset[str], fieldname: str = "container",
                     restriction: tuple[str, frozenset[str]] | None = None) -> array:
        """Sorted segment-local docnums with one of `values` in `fieldname` in a leaf searcher's
        segment, and with `restriction` ("filter" | "mask", containers) only the readable ones;
        cached by segment id (segments never change)."""
        reader = searcher.reader()
        segment = getattr(reader, "segment", None)
        if segment is None:
            return array("I")
        cache = self._local.__dict__.setdefault("segdocs", {})
        key = (segment().segment_id(), fieldname, values, restriction)
        docs = cache.get(key)
        if docs is None:
            found = _postings_union(reader, fieldname, values)
            # 4 bytes a document (bisect works on arrays): a month window over a million
            # documents stays a few MB; the cache is dropped past SEGMENT_DOCS_CAP of them.
            docs = array("I", self.readable(searcher, found, restriction))
            held = self._local.__dict__.get("segdocs_held", 0) + len(docs)
            if held > SEGMENT_DOCS_CAP:
                cache.clear()
                held = len(docs)
            self._local.segdocs_held = held
            cache[key] = docs
        return docs

    def readable(self, searcher, docnums: list[int], restriction: tuple[str, frozenset[str]] | None) -> list[int]:
        """The docnums of a leaf searcher's segment that `restriction` lets through."""
        if restriction is None:
            return docnums
        kind, containers = restriction
        listed = self.segment_docs(searcher, containers)
        keep = kind == "filter"
        if len(docnums) * 16 < len(listed):  # a few title matches: bisect, no set of the whole list
            def listed_has(d, n=len(listed)):
                i = bisect_left(listed, d)
                return i < n and listed[i] == d
            return [d for d in docnums if listed_has(d) is keep]
        members = set(listed)
        return [d for d in docnums if (d in members) is keep]


def _leading_rarest(phrase, frequency) -> tuple[tuple[str, int], ...]:
    """The terms `phrase_query` searches a phrase by, its rarest first (it leads the leapfrog)."""
    terms = phrase.terms if len(phrase.terms) == 1 else cover(phrase.terms, frequency)
    return tuple(sorted(terms, key=lambda t: frequency(t[0])))


ORDERED_UNION_MIN = 64  # from this many values on, walk the field's terms in order
WALKED_FIELDS = frozenset({"month"})  # few terms (36 in three years): always walked


def _postings_union(reader, fieldname: str, values: frozenset[str]) -> list[int]:
    """Sorted live docnums of a segment with one of `values` in `fieldname`, read term by term.

    Not `docs_for_query(Or(terms))`: a union matcher of a visitor's ~4,600 containers pays a
    heap step per document; on the 1M index that made each worker's first search take 18 s of
    CPU. Each term's postings read on their own and sorted once: ~1 s. Many values are found by
    walking the field's terms in key order (one stretch of the terms file) rather than looking
    each up in its hash table: thousands of lookups touch pages all over the segment's terms
    file, and each page touched stays in the worker's RSS (with the kernel's fault-around, 64 KB
    a lookup). Deleted documents are left out, as by the reader's own postings.
    """
    from whoosh.reading import TermNotFound

    terms = getattr(reader, "_terms", None)
    found: list[int] = []
    walk = len(values) >= ORDERED_UNION_MIN or fieldname in WALKED_FIELDS
    if walk and hasattr(terms, "items_from") and fieldname in reader.schema:
        wanted = {reader._text_to_bytes(fieldname, v) for v in values}  # as reader.postings() does
        fmt = reader.schema[fieldname].format
        for (name, tbytes), info in terms.items_from(fieldname, b""):
            if name != fieldname:
                break
            if tbytes in wanted:
                m = terms._codec.postings_reader(terms._postfile, info, fmt, term=(fieldname, tbytes))
                found.extend(m.all_ids())
        deleted = reader.deleted_docs_set if reader.has_deletions() else None
        if deleted:
            found = [d for d in found if d not in deleted]
        return sorted(set(found))
    for value in values:
        try:
            found.extend(reader.postings(fieldname, value).all_ids())
        except TermNotFound:
            continue
    return sorted(set(found))


def _inode(path: str) -> int | None:
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return None


def _open_or_create(path: str):
    if whoosh_index.exists_in(path):
        return whoosh_index.open_dir(path)
    os.makedirs(path, exist_ok=True)
    return whoosh_index.create_in(path, make_schema())
