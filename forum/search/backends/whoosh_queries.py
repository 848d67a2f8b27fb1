"""Whoosh queries of the search backend: exact phrases, per-segment visibility, match walks."""
from __future__ import annotations

from bisect import bisect_left
from typing import Iterator

from whoosh import query as wq
from whoosh.matching import IntersectionMatcher, ListMatcher, NullMatcher, ReadTooFar
from whoosh.query.spans import Span, SpanWrappingMatcher
from whoosh.reading import TermNotFound
from whoosh.util import make_binary_tree

from forum.search.analyzer import Phrase
from forum.search.backends.base import Filters


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


class SegmentDocs(wq.Query):
    """The documents of some containers, per segment (the visibility clause of a search)."""

    def __init__(self, backend, containers: tuple[str, ...]):
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


def docnums(searcher, q: wq.Query) -> Iterator[int]:
    """Matching docnums, walking the matcher (not `all_ids()`, which materialises intersections)."""
    for sub, offset in searcher.leaf_searchers():
        try:
            m = q.matcher(sub, sub.boolean_context())
        except TermNotFound:
            continue
        while m.is_active():
            yield offset + m.id()
            m.next()


def created_docnums(searcher, q: wq.Query) -> Iterator[tuple[int, int]]:
    """(created, docnum) of every match."""
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


def filter_clauses(filters: Filters) -> list[wq.Query]:
    """Term and range clauses for the user's filters."""
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
