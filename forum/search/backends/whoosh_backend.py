"""The embedded backend: a Whoosh index on local disk (whoosh-reloaded)."""
from __future__ import annotations

import heapq
import json
import os
from bisect import bisect_left
import shutil
import threading
from datetime import timezone
from itertools import islice
from typing import Iterable, Iterator

from whoosh import index as whoosh_index
from whoosh import query as wq
from pickle import dumps as _dumps

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.formats import Positions
from whoosh.system import pack_uint as _pack_uint
from whoosh.matching import ListMatcher, NullMatcher, ReadTooFar
from whoosh.query.spans import SpanWrappingMatcher
from whoosh.util import make_binary_tree
from whoosh.matching import IntersectionMatcher
from whoosh.query.spans import Span

from forum.search.analyzer import CJKTokenizer, ParsedQuery, Phrase, term_positions, whoosh_analyzer
from forum.search.backends.base import Filters, Hit, HitPage, SearchDoc

TITLE_BOOST = 2.0
COUNT_CAP = 1000
BROAD_MATCHES = 5_000  # a query whose rarest term is in more documents is "broad"
BROAD_CANDIDATES = 2_000  # … and ranks about this many of its newest matches
WRITER_MB = int(os.environ.get("SEARCH_REBUILD_MB", "1024"))  # rebuild memory, shared by its writer processes
# Whoosh budgets ~170 bytes per posting and a document has ~1.3 postings per character; a rebuild
# commits before its writers' pools would spill to disk (a spilled pool costs 40 % more CPU).
BYTES_PER_CHAR = 220
BATCHSIZE = 500  # documents handed to a writer process at a time


class CJKPositions(Positions):
    """Whoosh's Positions format, fed straight from the analyzer's term positions.

    Same bytes as `Positions` (so readers decode it unchanged); it only skips the Token
    objects and the per-token bookkeeping of the generic path, the hot loop of indexing.
    """

    def word_values(self, value, analyzer, **kwargs):
        if not isinstance(analyzer, CJKTokenizer):
            yield from super().word_values(value, analyzer, **kwargs)
            return
        fb = self.field_boost
        for term, poslist in term_positions(value).items():
            deltas = [poslist[0]]
            deltas.extend(b - a for a, b in zip(poslist, poslist[1:]))
            yield term, len(poslist), len(poslist) * fb, _pack_uint(len(deltas)) + _dumps(deltas, 2)


def _text_field(analyzer, field_boost: float = 1.0) -> TEXT:
    field = TEXT(analyzer=analyzer, phrase=True, field_boost=field_boost)
    field.format = CJKPositions(field_boost=field_boost)
    return field


def make_schema() -> Schema:
    """The fields of the Whoosh index."""
    analyzer = whoosh_analyzer()
    return Schema(
        key=ID(unique=True, stored=True),
        doc_type=ID(stored=True),
        doc_id=STORED(),
        title=_text_field(analyzer, TITLE_BOOST),
        body=_text_field(analyzer),
        author=ID(),
        group=ID(),
        school=ID(),
        category=ID(),
        tags=KEYWORD(commas=True, lowercase=True),
        container=ID(),
        created=NUMERIC(int, bits=64, sortable=True),  # signed: whoosh mis-ranges unsigned
        month=ID(),  # YYYYMM of created (UTC): the recent window of broad queries
        stamp=STORED(),
    )


class ExactPhrase(wq.Query):
    """Documents where every term occurs at its exact offset from the first one."""

    def __init__(self, fieldname: str, terms: tuple[tuple[str, int], ...], boost: float = 1.0):
        self.fieldname = fieldname
        self.pterms = terms
        self.boost = boost

    def __eq__(self, other):
        return (isinstance(other, ExactPhrase) and self.fieldname == other.fieldname
                and self.pterms == other.pterms)

    def __hash__(self):
        return hash((self.fieldname, self.pterms))

    def __repr__(self):
        return f"ExactPhrase({self.fieldname!r}, {self.pterms!r})"

    def has_terms(self):
        return True

    def terms(self, phrases=False):
        for word, _ in self.pterms:
            yield self.fieldname, word

    def _and_query(self):
        return wq.And([wq.Term(self.fieldname, w) for w, _ in self.pterms])

    def estimate_size(self, ixreader):
        return self._and_query().estimate_size(ixreader)

    def estimate_min_size(self, ixreader):
        return self._and_query().estimate_min_size(ixreader)

    def matcher(self, searcher, context=None):
        reader = searcher.reader()
        for word, _ in self.pterms:
            if (self.fieldname, word) not in reader:
                return NullMatcher()
        ms = [wq.Term(self.fieldname, w, boost=self.boost).matcher(searcher, context) for w, _ in self.pterms]
        offsets = [off for _, off in self.pterms]
        return ExactPhraseMatcher(ms, offsets)


class ExactPhraseMatcher(SpanWrappingMatcher):
    """Intersects the terms' postings, then keeps documents where the offsets line up."""

    def __init__(self, ms, offsets):
        self.ms = ms
        self.offsets = offsets
        child = make_binary_tree(IntersectionMatcher, ms) if len(ms) > 1 else ms[0]
        super().__init__(child)

    def copy(self):
        return self.__class__([m.copy() for m in self.ms], self.offsets)

    def supports_block_quality(self):
        # Skipping by block quality would land on documents without checking the offsets.
        return False

    def replace(self, minquality=0):
        return self if self.is_active() else NullMatcher()

    def _get_spans(self):
        if len(self.ms) == 1:
            return self.ms[0].spans()
        first = [s.start for s in self.ms[0].spans()]
        rest = [({s.start for s in m.spans()}, off) for m, off in zip(self.ms[1:], self.offsets[1:])]
        last = self.offsets[-1]
        return [Span(p, p + last) for p in first if all(p + off in s for s, off in rest)]


def phrase_query(fieldname: str, phrase: Phrase, boost: float = 1.0) -> wq.Query:
    """A Whoosh query for one phrase in one field."""
    if len(phrase.terms) == 1:
        return wq.Term(fieldname, phrase.terms[0][0], boost=boost)
    return ExactPhrase(fieldname, phrase.terms, boost=boost)


class WhooshBackend:
    """Whoosh index in `path`; searchers are kept per thread and refreshed on each search."""

    name = "whoosh"

    def __init__(self, path: str):
        self.path = path
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
                writer.update_document(**_fields_for(writer.schema, doc))
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
        if not query:
            return HitPage(0)
        s = self.searcher()
        clauses: list[wq.Query] = [
            wq.Or([phrase_query("title", p, TITLE_BOOST), phrase_query("body", p)]) for p in query.phrases
        ]
        clauses.extend(_filter_clauses(filters))
        q: wq.Query = wq.And(clauses) if len(clauses) > 1 else clauses[0]
        if filters.containers is not None:
            restriction = self._visibility(s, filters.containers)
            if restriction is None:
                return HitPage(0)
            if restriction:
                kind, docs = restriction
                # Not wq.Require: its skip_to_quality trips an assertion in whoosh's intersection.
                q = wq.And([q, docs]) if kind == "filter" else wq.AndNot(q, docs)
        window = self._recent_window(s, query, offset + limit)
        page = self._page(s, q, window, sort, offset, limit)
        if page is None:  # too few readable matches in the window (narrow filters): search everything
            page = self._page(s, q, None, sort, offset, limit)
        hits, counted = page
        if counted is not None:
            total, exact = counted, True  # every match was visited: exact
        else:
            # Exact up to COUNT_CAP (50 pages), like the PostgreSQL backend; broad queries stop there.
            total = sum(1 for _ in islice(_docnums(s, q), COUNT_CAP))
            exact = total < COUNT_CAP
        return HitPage(total, hits, exact=exact)

    def _page(self, s, q: wq.Query, window: wq.Query | None, sort: str, offset: int,
              limit: int) -> tuple[list[Hit], int | None] | None:
        """(hits of the page, number of matches if every one was visited, else None).

        None instead if `window` had too few matches for the page. Without a window (not a
        broad query: at most ~BROAD_MATCHES matches) every match is visited once, which gives
        the exact total in the same pass; with one, the caller counts (capped).
        """
        wanted = offset + limit
        if window is not None:
            q = wq.And([q, window])
        if sort == "newest":
            # Whoosh's sorted search takes `all_ids()`, which for an intersection builds the full
            # sets of both sides; walk the matcher instead and keep the newest `wanted`.
            matches = list(_created_docnums(s, q))
            if window is not None and len(matches) < wanted:
                return None
            newest = heapq.nlargest(wanted, matches)
            docs = [(d, 0.0) for _c, d in newest[offset:]]
            counted = None if window is not None else len(matches)
        else:
            # optimize=False: no block-quality skipping, so the collector counts every match.
            results = s.search(q, limit=wanted, terms=False, optimize=window is not None)
            scored = results.scored_length()
            if window is not None and scored < wanted:
                return None
            docs = [(results.docnum(i), float(results.score(i) or 0.0)) for i in range(offset, min(wanted, scored))]
            counted = None if window is not None else len(results)
        hits = []
        for docnum, score in docs:
            stored = s.stored_fields(docnum)
            hits.append(Hit(stored["doc_type"], int(stored["doc_id"]), score))
        return hits, counted

    def _recent_window(self, searcher, query: ParsedQuery, wanted: int) -> wq.Query | None:
        """For a broad query, `month` terms covering about BROAD_CANDIDATES of its newest matches.

        A query is broad when its rarest phrase term occurs in more than BROAD_MATCHES documents
        (a one-character query can match half the site). Scoring every match costs ~5 µs each
        (a second at a million documents), so such queries rank the matches of the latest
        months only: for "newest" that gives exactly the same pages; for relevance it ranks
        recent candidates, like the PostgreSQL backend. None: search everything.
        """
        reader = searcher.reader()
        if "month" not in searcher.schema:
            return None
        estimate = min(min(reader.doc_frequency("title", t) + reader.doc_frequency("body", t) for t, _ in p.terms)
                       for p in query.phrases)
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
        return wq.Or([wq.Term("month", m) for m in picked]) if len(picked) > 1 else wq.Term("month", picked[0])

    def _months(self, reader) -> list[tuple[str, int]]:
        """[(month, documents)] newest first, cached per reader."""
        cache = self._local.__dict__.setdefault("months", {})
        if cache.get("reader") is not reader:
            cache.clear()
            cache["reader"] = reader
            cache["months"] = sorted(((t.decode("utf-8"), reader.doc_frequency("month", t))
                                      for t in reader.lexicon("month")), reverse=True)
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
        present = cache["present"]
        granted = present & allowed
        if not granted:
            return None
        denied = present - allowed
        if not denied:
            return {}
        if len(granted) <= len(denied):
            return "filter", SegmentDocs(self, tuple(sorted(granted)))
        return "mask", SegmentDocs(self, tuple(sorted(denied)))

    def segment_docs(self, searcher, containers: tuple[str, ...]) -> list[int]:
        """Sorted segment-local docnums of `containers` in a leaf searcher's segment (cached)."""
        reader = searcher.reader()
        segment = getattr(reader, "segment", None)
        if segment is None:
            return []
        cache = self._local.__dict__.setdefault("segdocs", {})
        key = (segment().segment_id(), containers)
        docs = cache.get(key)
        if docs is None:
            docs = sorted(searcher.docs_for_query(wq.Or([wq.Term("container", c) for c in containers])))
            if len(cache) > 256:
                cache.clear()
            cache[key] = docs
        return docs


class SegmentDocs(wq.Query):
    """The documents of some containers, per segment (the visibility clause of a search)."""

    def __init__(self, backend: "WhooshBackend", containers: tuple[str, ...]):
        self.backend = backend
        self.containers = containers

    def __eq__(self, other):
        return isinstance(other, SegmentDocs) and self.containers == other.containers

    def __hash__(self):
        return hash(self.containers)

    def __repr__(self):
        return f"SegmentDocs({len(self.containers)} containers)"

    def estimate_size(self, ixreader):
        return ixreader.doc_count_all()

    def matcher(self, searcher, context=None):
        docs = self.backend.segment_docs(searcher, self.containers)
        return _SortedIdsMatcher(docs) if docs else NullMatcher()


class _SortedIdsMatcher(ListMatcher):
    """A ListMatcher that adds nothing to the score and whose skip_to bisects (the lists hold
    up to a segment's documents)."""

    def weight(self):
        return 0.0

    def score(self):
        return 0.0

    def supports_block_quality(self):
        return False

    def skip_to(self, id):
        if not self.is_active():
            raise ReadTooFar
        if id > self._ids[self._i]:
            self._i = bisect_left(self._ids, id, self._i)


def _docnums(searcher, q: wq.Query) -> Iterator[int]:
    """Matching docnums, walking the matcher (not `all_ids()`, which materialises intersections)."""
    from whoosh.query.qcore import TermNotFound

    for sub, offset in searcher.leaf_searchers():
        try:
            m = q.matcher(sub, sub.boolean_context())
        except TermNotFound:
            continue
        while m.is_active():
            yield offset + m.id()
            m.next()


def _created_docnums(searcher, q: wq.Query) -> Iterator[tuple[int, int]]:
    """(created, docnum) of every match."""
    from whoosh.query.qcore import TermNotFound

    for sub, offset in searcher.leaf_searchers():
        try:
            m = q.matcher(sub, sub.boolean_context())
        except TermNotFound:
            continue
        if not m.is_active():
            continue
        created = sub.reader().column_reader("created")
        while m.is_active():
            d = m.id()
            yield created[d], offset + d
            m.next()


def _filter_clauses(filters: Filters) -> list[wq.Query]:
    out: list[wq.Query] = []
    for name, value in (("doc_type", filters.doc_type), ("group", filters.group_id),
                        ("school", filters.school_id), ("author", filters.author_id),
                        ("category", filters.category)):
        if value is not None and value != "":
            out.append(wq.Term(name, str(value)))
    if filters.since is not None or filters.until is not None:
        start = int(filters.since.timestamp()) if filters.since else None
        end = int(filters.until.timestamp()) if filters.until else None
        out.append(wq.NumericRange("created", start, end))
    return out


def _fields(doc: SearchDoc) -> dict:
    return {
        "key": doc.key,
        "doc_type": doc.doc_type,
        "doc_id": doc.doc_id,
        "title": doc.title,
        "body": doc.body,
        "author": str(doc.author_id),
        "group": str(doc.group_id or 0),
        "school": str(doc.school_id or 0),
        "category": doc.category or "",
        "tags": ",".join(doc.tags),
        "container": doc.container,
        "created": max(0, int(doc.created_at.timestamp())),
        "month": month_of(doc),
        "stamp": doc.stamp,
    }


def month_of(doc: SearchDoc) -> str:
    """The `month` term of a document: YYYYMM of its UTC creation time."""
    created = doc.created_at
    if created.tzinfo is not None:
        created = created.astimezone(timezone.utc)
    return f"{created.year:04d}{created.month:02d}"


def _fields_for(schema, doc: SearchDoc) -> dict:
    """_fields() limited to the fields of an index (one built before `month` existed lacks it)."""
    fields = _fields(doc)
    if "month" not in schema:
        fields.pop("month")
    return fields


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


class WhooshRebuild:
    """A new index built beside the live one (`<path>.rebuild`), then swapped in by rename.

    Documents go through a multi-process writer (`procs` segments at a time, no merge into one)
    and are committed whenever the writers' memory (WRITER_MB) would be full and at the end of
    each document type; only committed work is recorded in the progress file, so an interrupted
    run resumes there.
    """

    def __init__(self, backend: WhooshBackend, procs: int | None = None):
        self.backend = backend
        self.procs = procs if procs is not None else default_procs()
        self.path = backend.path + ".rebuild"
        self.progress_file = os.path.join(self.path, "rebuild-progress.json")
        if not (os.path.isdir(self.path) and os.path.exists(self.progress_file)):
            if os.path.isdir(self.path):
                shutil.rmtree(self.path)
            os.makedirs(self.path)
            whoosh_index.create_in(self.path, make_schema())
            self._save({})
        self.ix = whoosh_index.open_dir(self.path)
        self.writer = None
        self.pending = 0  # characters added since the last commit
        self.progress = self.done_upto()

    def _save(self, progress: dict) -> None:
        tmp = self.progress_file + ".tmp"
        with open(tmp, "w") as fh:
            json.dump(progress, fh)
        os.replace(tmp, self.progress_file)

    def done_upto(self) -> dict[str, int]:
        with open(self.progress_file) as fh:
            return json.load(fh)

    def _writer(self, bulk: bool = True):
        if self.writer is not None and bulk != self._bulk:
            self._commit()
        if self.writer is None:
            self._bulk = bulk
            if bulk and self.procs > 1:
                self.writer = self.ix.writer(procs=self.procs, multisegment=True, limitmb=WRITER_MB // self.procs,
                                             batchsize=BATCHSIZE)
            else:
                self.writer = self.ix.writer(limitmb=WRITER_MB)
        return self.writer

    def _commit(self) -> None:
        if self.writer is not None:
            self.writer.commit(merge=False)  # segments stay as written; no rewrite of the big ones
            self.writer = None
        self.pending = 0
        self._save(self.progress)

    def replace(self, docs: list[SearchDoc]) -> None:
        w = self._writer(bulk=False)
        for doc in docs:
            w.update_document(**_fields_for(w.schema, doc))

    def add(self, docs: list[SearchDoc]) -> None:
        w = self._writer()
        for doc in docs:  # a fresh index, and uncommitted batches vanish on a crash: no duplicates
            w.add_document(**_fields(doc))
            self.pending += len(doc.title) + len(doc.body)

    def remove(self, keys: Iterable[str]) -> None:
        w = self._writer(bulk=False)
        for key in keys:
            w.delete_by_term("key", key)

    def checkpoint(self, doc_type: str, last_id: int, final: bool = False) -> None:
        self.progress[doc_type] = last_id
        if final or self.pending * BYTES_PER_CHAR >= 0.8 * WRITER_MB * 1_000_000:
            self._commit()

    def finish(self) -> None:
        self._commit()
        os.remove(self.progress_file)
        old = self.backend.path + ".old"
        if os.path.isdir(old):
            shutil.rmtree(old)
        if os.path.isdir(self.backend.path):
            os.rename(self.backend.path, old)
        os.rename(self.path, self.backend.path)
        shutil.rmtree(old, ignore_errors=True)


def default_procs() -> int:
    """Writer processes for a rebuild: SEARCH_REBUILD_PROCS, else one per core up to 2."""
    raw = os.environ.get("SEARCH_REBUILD_PROCS", "")
    if raw.strip().isdigit():
        return max(1, int(raw))
    return max(1, min(2, os.cpu_count() or 1))


def _cache_missing_length_columns() -> None:
    """Make Whoosh read a segment's field lengths once, not once per posting.

    Whoosh asks for the field length of a document for every posting it writes (block
    statistics) and for every document it scores (BM25F). Stock whoosh-reloaded reads one byte
    from the column file each time and, for fields without lengths (ID fields), stats the disk
    each time: a third of the indexing time. A finished segment's columns never change, so the
    lengths (one byte per document) are read into memory once per segment reader.
    """
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3PerDocReader, _lenfield
    from whoosh.columns import NumericColumn
    from whoosh.util.numeric import byte_to_length

    if getattr(W3PerDocReader, "_jy_patched", False):
        return

    def _cached_reader(self, fieldname, column):
        try:
            return self._readers[fieldname]
        except KeyError:
            reader = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
            self._readers[fieldname] = reader
            return reader

    def _lengths(self, fieldname):
        cache = self.__dict__.setdefault("_jy_lengths", {})
        if fieldname not in cache:
            reader = self._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            if reader is None:
                cache[fieldname] = None
            elif isinstance(reader, NumericColumn.Reader) and reader._fixedlen == 1:
                raw = reader._dbfile.get(reader._basepos, reader._count) if reader._count else b""
                cache[fieldname] = (raw, reader._default)
            else:
                cache[fieldname] = reader
        return cache[fieldname]

    def doc_field_length(self, docnum, fieldname, default=0):
        if docnum > self._doccount:
            raise IndexError("Asked for docnum %r of %d" % (docnum, self._doccount))
        found = _lengths(self, fieldname)
        if found is None:
            return default
        if isinstance(found, tuple):
            raw, missing = found
            lbyte = raw[docnum] if docnum < len(raw) else missing
        else:
            lbyte = found[docnum]
        if lbyte:
            return byte_to_length(lbyte)
        return None

    W3PerDocReader._cached_reader = _cached_reader
    W3PerDocReader.doc_field_length = doc_field_length
    W3PerDocReader._jy_patched = True


_cache_missing_length_columns()
