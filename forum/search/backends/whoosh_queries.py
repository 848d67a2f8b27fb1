"""Whoosh queries of the search backend: exact phrases, per-segment visibility, match walks."""
from __future__ import annotations

from array import array
from bisect import bisect_left
from typing import Iterator

from whoosh import query as wq
from whoosh.matching import IntersectionMatcher, ListMatcher, NullMatcher, ReadTooFar, WrappingMatcher
from whoosh.query.spans import Span, SpanWrappingMatcher
from whoosh.reading import TermNotFound
from whoosh.util import make_binary_tree

from forum.search.analyzer import _CJK_RUN_RE, Phrase
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

    # What And([Term…]) estimates, without building it: a union asks each of its phrases in every
    # segment to order its tree (a quarter of a few-hit search's index query on 268 segments).
    def _frequencies(self, ixreader) -> list[int]:
        if self.fieldname not in ixreader.schema:
            return [0]
        to_bytes = ixreader.schema[self.fieldname].to_bytes
        return [ixreader.doc_frequency(self.fieldname, to_bytes(w)) for w, _ in self.pterms]

    def estimate_size(self, ixreader):
        return min(self._frequencies(ixreader))

    def estimate_min_size(self, ixreader):
        return min((n for n in self._frequencies(ixreader) if n > 0), default=0)

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

    # The score is the terms' (the intersection's), so their block qualities bound it: skipping
    # by quality is exact as long as where it lands is checked for the offsets too.
    def supports_block_quality(self):
        return self.child.supports_block_quality()

    def skip_to_quality(self, minquality):
        skipped = self.child.skip_to_quality(minquality)
        self._find_next()
        return skipped

    def next(self):
        # True when a new block may have begun: the collector then checks the quality again.
        moved = self.child.next()
        return self._find_next() or moved

    def replace(self, minquality=0):
        return self if self.is_active() else NullMatcher()

    def _get_spans(self):
        if len(self.ms) == 1:
            return self.ms[0].spans()
        # Decoded positions, not a Span object per occurrence of every term of every candidate;
        # only the matches become Spans (光合作用 on `small`: index query ~15 → 12–13 ms CPU).
        first_off = self.offsets[0]  # the first term need not be the phrase's first (see cover())
        rest = [(set(m.value_as("positions")), off - first_off) for m, off in zip(self.ms[1:], self.offsets[1:])]
        last = max(self.offsets)
        return [Span(p - first_off, p - first_off + last)
                for p in self.ms[0].value_as("positions") if all(p + off in s for s, off in rest)]


def _mask_the_first_match_too() -> None:
    """Make Whoosh's AndNot matcher check its first match against the excluded list.

    whoosh-reloaded's `AndNotMatcher._find_first` only compares the two current ids; when the
    excluded list starts below the first match, it is not skipped there, so the first match of
    each segment passed even when excluded. The visibility mask is an AndNot: a visitor's search
    counted one hidden document per segment (the page's re-check kept it off the page, but the
    total showed it). `_find_next` skips the excluded list to the match first.
    """
    from whoosh.matching import AndNotMatcher

    if getattr(AndNotMatcher, "_jy_patched", False):
        return

    def _find_first(self):
        if self.a.is_active() and self.b.is_active():
            self._find_next()

    AndNotMatcher._find_first = _find_first
    AndNotMatcher._jy_patched = True


_mask_the_first_match_too()


def _is_bigram(term: str, _offset: int = 0) -> bool:
    return len(term) == 2 and bool(_CJK_RUN_RE.fullmatch(term))  # a CJK unit is one character


def cover(terms: tuple[tuple[str, int], ...], frequency) -> tuple[tuple[str, int], ...]:
    """The terms of a phrase that imply all the others, its rarest bigram first.

    A bigram at position o stands for the characters at o - 1 and o + 1 (units are 2 apart);
    two characters at consecutive unit positions are adjacent, so a bigram whose two
    characters are both given by other terms adds nothing: 光合作用 is 光合 at 0 and 作用 at
    4 (合作 at 2 is implied). Fewer terms means fewer postings to intersect and fewer positions
    to decode per match; the rarest one leads the intersection. `frequency(term)` ranks them.
    """
    if len(terms) < 3:
        return terms
    # Positions as in tokens() (bigrams odd, units even): the first term is at offset 0.
    base = terms[0][1] - (1 if _is_bigram(terms[0][0]) else 0)
    pos = [(t, o - base) for t, o in terms]
    bigrams = [(t, o) for t, o in pos if _is_bigram(t, o)]
    if len(bigrams) < 2:
        return terms
    keep = [(t, o) for t, o in pos if not _is_bigram(t, o)]
    needed: set[int] = set()
    covered: set[int] = set()
    for t, o in pos:
        units = (o - 1, o + 1) if _is_bigram(t, o) else (o,)
        needed.update(units)
        if not _is_bigram(t, o):
            covered.update(units)
    rarest = min(bigrams, key=lambda b: (frequency(b[0]), b[1]))
    chosen = [rarest]
    covered.update((rarest[1] - 1, rarest[1] + 1))
    by_pos = {o: (t, o) for t, o in bigrams}
    for u in sorted(needed):  # leftmost uncovered unit: the bigram reaching furthest right
        if u in covered:
            continue
        b = by_pos.get(u + 1) or by_pos.get(u - 1)
        if b is None:  # cannot happen for a phrase from the analyzer: keep everything
            return terms
        chosen.append(b)
        covered.update((b[1] - 1, b[1] + 1))
    if needed - covered:
        return terms
    rest = sorted(keep + chosen[1:], key=lambda x: x[1])
    return tuple((t, o + base) for t, o in [rarest] + rest)


def phrase_query(fieldname: str, phrase: Phrase, boost: float = 1.0, frequency=None) -> wq.Query:
    """A Whoosh query for one phrase in one field (with `frequency`, only the terms it needs)."""
    if len(phrase.terms) == 1:
        return wq.Term(fieldname, phrase.terms[0][0], boost=boost)
    terms = cover(phrase.terms, frequency) if frequency is not None else phrase.terms
    return ExactPhrase(fieldname, terms, boost=boost)


class _Keyed(wq.Query):
    """A query equal to another of its class with the same `_key()` (the count cache's key)."""

    def _key(self):
        raise NotImplementedError

    def __eq__(self, other):
        return type(other) is type(self) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())


class SegmentDocs(_Keyed):
    """The documents of some containers, per segment, adding nothing to the score (the visibility
    clause of a search)."""

    def __init__(self, backend, values: frozenset[str]):
        self.backend = backend
        self.values = values  # container names; a frozenset hashes once

    def _key(self):
        return self.values

    def __repr__(self):
        return f"SegmentDocs({len(self.values)} containers)"

    def estimate_size(self, ixreader):
        return ixreader.doc_count_all()

    def matcher(self, searcher, context=None):
        docs = self.backend.segment_docs(searcher, self.values)
        return _SortedIdsMatcher(docs) if docs else NullMatcher()


class Window(_Keyed):
    """`child` limited to a broad query's candidates: the readable documents of some months and,
    with `titles`, the readable matches of that (selective) title query.

    The candidates only filter, so the child keeps its own scores and its block qualities, with
    which Whoosh skips postings blocks that cannot reach the top of the page (single terms such as
    `教学`); an `And` with a docnum list would support no quality, and every match would be scored.
    """

    def __init__(self, child, backend, months: frozenset[str], restriction=None, titles=None):
        self.child = child
        self.backend = backend
        self.months = months
        self.restriction = restriction
        self.titles = titles

    def _key(self):
        return self.child, self.months, self.restriction, self.titles

    def __repr__(self):
        return f"Window({self.child!r}, {len(self.months)} months, titles={self.titles!r})"

    def estimate_size(self, ixreader):
        return self.child.estimate_size(ixreader)

    def lists(self, searcher) -> list[array]:
        """A leaf searcher's candidates: sorted readable docnums of the months and of the title
        matches (the non-empty lists)."""
        lists = [self.backend.segment_docs(searcher, self.months, "month", self.restriction)]
        if self.titles is not None:
            t = self.titles.matcher(searcher, searcher.boolean_context())
            if t.is_active():
                lists.append(array("I", self.backend.readable(searcher, list(t.all_ids()), self.restriction)))
        return [docs for docs in lists if len(docs)]

    def matcher(self, searcher, context=None):
        # The lists first: a segment without candidates (an old one) builds no matcher of the query.
        lists = self.lists(searcher)
        if not lists:
            return NullMatcher()
        m = self.child.matcher(searcher, context)
        if not m.is_active():
            return NullMatcher()
        window = WindowMatcher(m, lists)
        return window if window.is_active() else NullMatcher()


def nearest_listed(lists, at: list[int], docnum: int) -> int | None:
    """The smallest docnum at least `docnum` in any of the sorted lists (None: past them all);
    `at` holds where each list's search starts and is moved on."""
    nearest = None
    for k, docs in enumerate(lists):
        i = at[k] = bisect_left(docs, docnum, at[k])
        if i < len(docs) and (nearest is None or docs[i] < nearest):
            nearest = docs[i]
    return nearest


class WindowMatcher(WrappingMatcher):
    """The child's matches that are in one of some sorted docnum lists (a leapfrog: the child
    skips to the next listed docnum, the lists bisect to the child's)."""

    def __init__(self, child, lists, boost=1.0):
        super().__init__(child, boost)
        self.lists = lists
        self._at = [0] * len(lists)
        self._done = False
        self._sync()

    def _sync(self) -> bool:
        """Move to the next listed match; True if the child skipped (it may be in a new block)."""
        child, lists, at = self.child, self.lists, self._at
        skipped = False
        while child.is_active():
            docnum = child.id()
            nearest = nearest_listed(lists, at, docnum)
            if nearest is None:
                self._done = True
                return skipped
            if nearest == docnum:
                return skipped
            child.skip_to(nearest)
            skipped = True
        return skipped

    def copy(self):
        return self.__class__(self.child.copy(), self.lists, self.boost)

    def _replacement(self, newchild):
        return self.__class__(newchild, self.lists, self.boost)

    def replace(self, minquality=0):
        if not self.is_active():
            return NullMatcher()
        return super().replace(minquality)

    def is_active(self):
        return not self._done and self.child.is_active()

    def all_ids(self):
        while self.is_active():
            yield self.id()
            self.next()

    def next(self):
        moved = self.child.next()
        return self._sync() or moved

    def skip_to(self, id):
        if not self.is_active():
            raise ReadTooFar
        if id > self.child.id():
            self.child.skip_to(id)
            self._sync()

    def skip_to_quality(self, minquality):
        skipped = self.child.skip_to_quality(minquality)
        self._sync()
        return skipped


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


def filter_terms(filters: Filters) -> list[tuple[str, str]]:
    """(field, value) of the user's filters that are terms (all but the date range)."""
    out = []
    for name, value in (("doc_type", filters.doc_type), ("group", filters.group_id),
                        ("school", filters.school_id), ("author", filters.author_id),
                        ("category", filters.category)):
        if value is not None and value != "":
            out.append((name, str(value)))
    return out


def filter_clauses(filters: Filters) -> list[wq.Query]:
    """Term and range clauses for the user's filters."""
    out: list[wq.Query] = [wq.Term(name, value) for name, value in filter_terms(filters)]
    if filters.since is not None or filters.until is not None:
        start = int(filters.since.timestamp()) if filters.since else None
        end = int(filters.until.timestamp()) if filters.until else None
        out.append(wq.NumericRange("created", start, end))
    return out
