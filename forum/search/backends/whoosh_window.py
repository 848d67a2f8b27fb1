"""A broad query's window ranked on the posting lists themselves, scores first, offsets last.

Whoosh ranks a window (`whoosh_queries.Window`) through its matcher tree: per candidate, a
window matcher, a union of the title and body phrases, per phrase a span wrapper over an
intersection of term matchers, and the collector — a few µs per candidate per layer — and it
checks every candidate's term offsets (decompressing the values of a block of the common term
for each one) before it knows whether the candidate can reach the page. Here:

1. per segment, the rarest term of each phrase leapfrogs the window's candidate lists and the
   phrase's other terms are skipped to its matches (the same patched `skip_to`, block headers
   known); each co-occurrence gets its BM25F score from the terms' weights and the document's
   field length, as Whoosh's scorer computes it;
2. the candidates go into one heap by that score (an upper bound: it assumes the offsets line
   up), and only the ones popped from the top have their offsets checked; a candidate whose
   phrase fails in one field goes back with the score of what did match, or out.

So the ~500 candidates of a window cost a leapfrog, a skip and a score each, and only the ~20
that make the page cost a decode of their positions. The order is Whoosh's (score descending,
then docnum), or for "newest" the creation time descending, then docnum descending; the tests
compare both ways hit by hit. Only what this handles comes here: the phrase clauses of
`phrase_query`, term filters, a visibility restriction folded into the candidate lists, BM25F;
anything else (a date range, another weighting) gets None and goes through Whoosh.
"""
from __future__ import annotations

from array import array
from bisect import bisect_left
from heapq import heapify, heappop, heappush

from whoosh.formats import Positions
from whoosh.matching import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.scoring import BM25F

from forum.search.backends.base import Filters
from forum.search.backends.whoosh_postings import _NO_OFFSETS, read_value
from forum.search.backends.whoosh_queries import filter_terms, nearest_listed

_POSITIONS = Positions()  # the fields' format (CJKPositions writes the same bytes): its decoder


class Clause:
    """One phrase in one field: its terms (rarest first, with their offsets) and boost."""

    __slots__ = ("fieldname", "terms", "boost", "tbytes")

    def __init__(self, fieldname: str, terms: tuple[tuple[str, int], ...], boost: float):
        self.fieldname = fieldname
        self.terms = terms
        self.boost = boost
        self.tbytes = [w.encode("utf-8") for w, _ in terms]  # a TEXT field's to_bytes


def term_filters(filters: Filters) -> list[tuple[str, str]] | None:
    """The filters as (field, value) terms, or None if one of them is not a term (a date range)."""
    if filters.since is not None or filters.until is not None:
        return None
    return filter_terms(filters)


def rank(searcher, phrases: list[tuple[Clause, ...]], candidates, filters: list[tuple[str, str]],
         segment_docs, sort: str, wanted: int) -> list[tuple[int, float]] | None:
    """The first `wanted` matches of the window as (docnum, score), in the page's order; None if
    the window holds fewer (the caller then searches everything); NotImplemented if the
    searcher's weighting is not BM25F.

    `phrases`: per phrase of the query, its clauses (a match in any one of them will do);
    `candidates(leaf searcher)`: that segment's sorted candidate docnum lists (readable ones only);
    `segment_docs(leaf searcher, values, fieldname)`: sorted docnums with one of the values.
    """
    weighting = searcher.weighting
    if not isinstance(weighting, BM25F):
        return NotImplemented
    newest = sort == "newest"
    scoring = _Scoring(searcher, weighting)
    # A filter is a term of an ID field in Whoosh's query: it adds its weight (1.0) to every match.
    extra = float(len(filters))
    heap: list = []
    for sub, base in searcher.leaf_searchers():
        lists = [docs for docs in candidates(sub) if len(docs)]
        if not lists:
            continue
        reader = sub.reader()
        found = _segment(reader, phrases, lists, scoring)
        if not found:
            continue
        for fieldname, value in filters:
            allowed = segment_docs(sub, frozenset((value,)), fieldname)
            found = {d: c for d, c in found.items() if _has(allowed, d)}
        created = reader.column_reader("created") if newest else None
        for d, clauses in found.items():
            if newest:
                heap.append((-created[d], -(base + d), 0.0, clauses))
            else:
                upper = _total(clauses) + extra
                heap.append((-upper, base + d, upper, clauses))
    heapify(heap)
    page: list[tuple[int, float]] = []
    while heap and len(page) < wanted:
        key, docnum, score, clauses = heappop(heap)
        checked = tuple(tuple(c for c in per_phrase if c[1] is None or _lines_up(c[1]))
                        for per_phrase in clauses)
        if not all(checked):
            continue  # a phrase lined up in no field: not a match after all
        if newest or checked == clauses:
            # Everything lined up (or was checked before): the key was the final one.
            page.append((-docnum if newest else docnum, score))
            continue
        settled = tuple(tuple((s, None) for s, _ in per_phrase) for per_phrase in checked)
        real = _total(settled) + extra  # less than the bound: back in, behind what may now beat it
        heappush(heap, (-real, docnum, real, settled))
    if len(page) < wanted:
        return None
    return page


def _has(docs, d: int) -> bool:
    i = bisect_left(docs, d)
    return i < len(docs) and docs[i] == d


def _total(clauses) -> float:
    """A candidate's score: per phrase the sum of its fields' scores, summed over the phrases."""
    total = 0.0
    for per_phrase in clauses:
        phrase = 0.0
        for score, _ in per_phrase:
            phrase += score
        total += phrase
    return total


class _Scoring:
    """BM25F as Whoosh's scorer computes it: idf and average field length from the whole index,
    per term weight and the document's field length from its segment."""

    def __init__(self, searcher, weighting: BM25F):
        self.searcher = searcher
        self.weighting = weighting
        self._params: dict = {}

    def params(self, fieldname: str, tbytes: bytes) -> tuple[float, float, float, float]:
        key = (fieldname, tbytes)
        found = self._params.get(key)
        if found is None:
            s, w = self.searcher, self.weighting
            found = (s.idf(fieldname, tbytes), s.avg_field_length(fieldname) or 1,
                     w._field_B.get(fieldname, w.B), w.K1)
            self._params[key] = found
        return found


def _segment(reader, phrases, lists, scoring) -> dict:
    """{docnum: per phrase, the (score, positions to check or None) of each clause that
    co-occurs} for the candidates of one segment that co-occur with every phrase."""
    found: dict | None = None
    for clauses in phrases:
        per_doc: dict[int, list] = {}
        # a later phrase: only the documents every earlier phrase matched
        among = lists if found is None else [array("I", sorted(found))]
        for clause in clauses:
            for d, entry in _clause(reader, clause, among, scoring):
                per_doc.setdefault(d, []).append(entry)
        if found is None:
            found = {d: (tuple(e),) for d, e in per_doc.items()}
        else:
            found = {d: prior + (tuple(per_doc[d]),) for d, prior in found.items() if d in per_doc}
        if not found:
            return {}
    return found or {}


def _matcher(reader, fieldname: str, tbytes: bytes):
    m = reader.postings(fieldname, tbytes)
    return m.child if isinstance(m, FilterMatcher) else m  # candidates are live documents already


def _clause(reader, clause: Clause, lists, scoring):
    """(docnum, (score, positions to check)) of the candidates where the clause's terms co-occur."""
    fieldname, tbytes = clause.fieldname, clause.tbytes
    try:
        first = _matcher(reader, fieldname, tbytes[0])
        hits = _leapfrog(first, lists)
        if not hits:
            return []
        rest = [_matcher(reader, fieldname, t) for t in tbytes[1:]]
    except TermNotFound:  # a term the segment does not have
        return []
    params = [scoring.params(fieldname, t) for t in tbytes]
    field_length = reader.doc_field_length
    boost = clause.boost
    offsets = [off for _, off in clause.terms]
    out = []
    if not rest:  # one term: nothing to line up
        for d, weight, _ref in hits:
            out.append((d, (_bm25(params[0], weight, field_length(d, fieldname, 1)) * boost, None)))
        return out
    for d, weight, ref in hits:
        refs = [ref]
        weights = [weight]
        for m in rest:
            if m.is_active() and m.id() < d:
                m.skip_to(d)
            if not m.is_active() or m.id() != d:
                break
            weights.append(m.weight())
            refs.append(_value_ref(m))
        else:
            fl = field_length(d, fieldname, 1)
            if len(weights) == 2:  # as an intersection of two matchers adds its children's scores
                score = _bm25(params[0], weights[0], fl) * boost + _bm25(params[1], weights[1], fl) * boost
            else:
                score = _tree_sum([_bm25(p, w, fl) * boost for p, w in zip(params, weights)])
            out.append((d, (score, (refs, offsets))))
            continue
        if not all(m.is_active() for m in rest):
            break  # a term's postings ended: no later candidate has it
    return out


def _leapfrog(m, lists) -> list[tuple[int, float, tuple]]:
    """(docnum, weight, value ref) of the postings of `m` that are in one of the sorted lists."""
    out = []
    at = [0] * len(lists)
    while m.is_active():
        d = m.id()
        nearest = nearest_listed(lists, at, d)
        if nearest is None:
            break
        if nearest == d:
            out.append((d, m.weight(), _value_ref(m)))
            m.next()
        else:
            m.skip_to(nearest)
    return out


def _bm25(params, tf: float, fl: float) -> float:
    idf, avgfl, B, K1 = params
    return idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl)))


def _tree_sum(scores: list[float]) -> float:
    """Summed as Whoosh's binary tree of intersections adds its children's scores."""
    if len(scores) == 1:
        return scores[0]
    half = len(scores) // 2
    return _tree_sum(scores[:half]) + _tree_sum(scores[half:])


def _value_ref(m):
    """Where the current posting's value (its positions) is, to be read only if needed: the block
    and the index in it for the split layout, else the value itself."""
    layout = getattr(m, "_jy_layout", None)
    if layout is None or layout[2] == _NO_OFFSETS:
        return m.value()
    return (m._postfile, m._dataoffset, m._nextoffset, layout, m._blocklength, m._compression, m._i)


def _positions(ref) -> list[int]:
    value = read_value(*ref) if isinstance(ref, tuple) else ref
    return _POSITIONS.decode_positions(value)


def _lines_up(check) -> bool:
    """Whether the terms occur at their offsets from the first one (ExactPhraseMatcher's rule)."""
    refs, offsets = check
    first_off = offsets[0]
    rest = [(set(_positions(r)), off - first_off) for r, off in zip(refs[1:], offsets[1:])]
    return any(all(p + off in s for s, off in rest) for p in _positions(refs[0]))
