"""Highlighted snippets: escaped text around the matches, with only `<b>` marks.

Only real occurrences of the query's phrases are marked (not every stray bigram of them).
Whoosh's ContextFragmenter picks the passages from a stream of unit tokens; the formatter
joins touching marks so 备课组 becomes one `<b>备课组</b>`.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from itertools import accumulate
from operator import sub
from heapq import nlargest
from html import escape

from markupsafe import Markup
from whoosh import highlight

from forum.search.analyzer import _CJK_RUN_RE, RUN_RE, ParsedQuery, Phrase, fold, stem, tokens

SNIPPET_CHARS = 160
SCAN_CHARS = 2000  # a long text is searched for passages in its opening first


class _Unit:
    """What the fragmenter and the formatter read of a token (whoosh's Token is much dearer)."""

    __slots__ = ("text", "startchar", "endchar", "matched", "boost")

    def __init__(self, text: str, startchar: int, endchar: int, matched: bool):
        self.text, self.startchar, self.endchar, self.matched, self.boost = text, startchar, endchar, matched, 1.0

    def copy(self) -> "_Unit":
        return self  # never changed after it is made


def _literal(phrase: Phrase) -> str | None:
    """The folded characters of a phrase made of CJK characters only (else None).

    Such a phrase occurs exactly where its characters occur in the folded text: adjacent CJK
    characters are consecutive units, and folding keeps offsets.
    """
    terms = phrase.terms
    if len(terms) == 1:
        t = terms[0][0]
        return t if len(t) <= 2 and _CJK_RUN_RE.fullmatch(t) else None  # a character or a bigram
    out = [terms[0][0]]
    for k, (t, off) in enumerate(terms):
        if off != 2 * k or len(t) != 2 or not _CJK_RUN_RE.fullmatch(t) or (k and t[0] != terms[k - 1][0][1]):
            return None
        if k:
            out.append(t[1])
    return "".join(out)


def _marked_units(text: str, query: ParsedQuery, reach: int | None = None) -> tuple[list[_Unit], bool]:
    """One unit per unit of `text`, `matched` where a phrase of the query occurs.

    Linear in the length of the text (a 20 KB entry with hundreds of matches of a broad
    query costs a few milliseconds): units are the even-position tokens of `tokens()`, and
    matched characters are marked in one byte array. With `reach`, only the units within
    `reach` characters of a match are returned: the fragmenter never looks further (a
    passage ends `surround` after its last match and is at most `maxchars` long). Phrases of
    CJK characters only with the context fragmenter take `_literal_highlight` instead.
    """
    toks = tokens(text)
    wanted = query.terms()
    postings: dict[str, list[int]] = {}
    chars: dict[int, tuple[int, int]] = {}
    for term, pos, start, end in toks:
        if term in wanted:
            if term in postings:
                postings[term].append(pos)
            else:
                postings[term] = [pos]
            chars[pos] = (start, end)
    covered = bytearray(len(text) + 1)
    spans: list[tuple[int, int]] = []
    for phrase in query.phrases:
        first, off0 = phrase.terms[0]
        rest = [(set(postings.get(t, ())), off) for t, off in phrase.terms[1:]]
        for p in postings.get(first, ()):
            base = p - off0
            if all(base + off in s for s, off in rest):
                a, b = chars[p][0], chars[base + phrase.terms[-1][1]][1]
                covered[a:b] = b"\x01" * (b - a)
                spans.append((a, b))
    if not spans:
        return [], False
    near = None
    if reach is not None:
        near = bytearray(len(text) + 1)
        for a, b in spans:
            lo, hi = max(0, a - reach), min(len(text), b + reach)
            near[lo:hi] = b"\x01" * (hi - lo)
    out: list[_Unit] = []
    for term, pos, start, end in toks:
        if pos % 2 or (near is not None and not near[start]):
            continue  # a bigram (its characters are units of their own), or far from every match
        out.append(_Unit(term, start, end, bool(covered[start])))
    return out, True


def _literal_units(text: str, literals: list[str], reach: int):
    """(starts, ends, folded text, matched) of the units within `reach` of an occurrence of one of
    the literals in the folded text (the units of tokens(), without making its bigrams), or None
    if none occurs. A unit's text is `stem(folded[start:end])`; the matched units are the CJK
    characters of the occurrences (a literal is CJK characters only, each a unit of its own)."""
    folded = fold(text)
    spans: list[tuple[int, int]] = []
    for lit in literals:
        i = folded.find(lit)
        while i >= 0:
            spans.append((i, i + len(lit)))
            i = folded.find(lit, i + 1)
    if not spans:
        return None
    spans.sort()
    windows: list[list[int]] = []
    for a, b in spans:
        lo, hi = max(0, a - reach), min(len(text), b + reach)
        if windows and lo <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], hi)
        else:
            windows.append([lo, hi])
    starts: list[int] = []
    ends: list[int] = []
    for lo, hi in windows:
        for m in RUN_RE.finditer(folded, lo, hi):
            s, e = m.span()
            if m.group(1) is None:
                starts.append(s)
                ends.append(e)
            else:  # a CJK run: a unit per character
                starts.extend(range(s, e))
                ends.extend(range(s + 1, e + 1))
    matched = bytearray(len(starts))
    for a, b in spans:  # inside a window: its characters are consecutive units
        i, j = bisect_left(starts, a), bisect_left(starts, b)
        matched[i:j] = b"\x01" * (j - i)
    return starts, ends, folded, matched


def _literal_highlight(text: str, literals: list[str], reach: int, fragmenter, top: int) -> str:
    """What _highlight() makes of phrases of CJK characters with a ContextFragmenter, without a
    token object per character: the fragmenter's walk done on the unit lists (`_passages`), the
    fragments' scores (BasicFragmentScorer) from counts, and Fragment objects only for the
    passages shown. The tests compare both ways."""
    units = _literal_units(text, literals, reach)
    if units is None:
        return ""
    starts, ends, folded, matched = units
    frags = _passages(starts, ends, matched, fragmenter.maxchars, fragmenter.surround, fragmenter.charlimit)
    # top_fragments(…, BasicFragmentScorer(), FIRST): the score sums the matches' boosts (1.0)
    # times 100 per distinct matched text; ties go to the later passage (Fragment.__lt__).
    scored = []
    for first, endchar, tks in frags:
        start = (starts[tks[0]] if tks else 0) if first is None else first
        score = float(len(tks)) * ((len({stem(folded[starts[i]:ends[i]]) for i in tks}) * 100) or 1)
        scored.append((score, start, endchar, tks))
    best = sorted((f for f in nlargest(top, scored, key=lambda f: (f[0], f[1])) if f[0] >= 1), key=lambda f: f[1])
    return MergingFormatter.between.join(_format_passage(text, start, endchar, [(starts[i], ends[i]) for i in tks])
                                         for _score, start, endchar, tks in best)


def _format_passage(text: str, startchar: int, endchar: int, marks: list[tuple[int, int]]) -> str:
    """MergingFormatter.format_fragment of a passage whose matches are `marks`, (start, end) in
    order: escaped text, each run of overlapping or touching marks one `<b>…</b>`."""
    spans: list[list[int]] = []
    for a, b in marks:
        if spans and (a <= spans[-1][1] or not text[spans[-1][1]:a].strip()):
            if b > spans[-1][1]:
                spans[-1][1] = b
        else:
            spans.append([a, b])
    out = []
    index = startchar
    for a, b in spans:
        if a < startchar:
            a = startchar
        if b > endchar:
            b = endchar
        if a < index:
            continue
        out.append(escape(text[index:a]))
        out.append("<b>" + escape(text[a:b]) + "</b>")
        index = b
    out.append(escape(text[index:endchar]))
    return "".join(out)


def _passages(starts: list[int], ends: list[int], matched: bytearray, maxchars: int, surround: int,
              charlimit: int | None) -> list[tuple[int | None, int, list[int]]]:
    """(first char, end char, matched unit indexes) of each passage ContextFragmenter.fragment_tokens
    cuts from these units, computed per match rather than per unit.

    Whoosh's walk, unit by unit: outside a passage it keeps the start chars of the units that end
    within `surround` of the current one; a matched unit opens a passage (from the oldest of
    those, or with `surround` more to run) and restarts its countdown at `surround`; every unit of
    a passage adds its length and takes it off the countdown; the passage ends at the unit that
    runs the countdown out or would make it longer than `maxchars`; a unit ending past `charlimit`
    stops the walk. Units have a length of at least 1 and increasing offsets, so between two
    matches those are thresholds on the running length (`cum`, bisected), and the kept start
    chars are the units from the first one starting within `surround` of the match's previous
    unit's end. One step per match instead of one per unit.
    """
    n = len(ends)
    stop = n  # the unit that stops the walk (charlimit), if any
    if charlimit and n and ends[-1] > charlimit:
        stop = bisect_right(ends, charlimit)
    cum = list(accumulate(map(sub, ends, starts), initial=0))  # cum[k]: length of units before k
    frags: list[tuple[int | None, int, list[int]]] = []
    after = 0  # the first unit after the last passage (the kept start chars begin there at most)
    k = matched.find(1, 0, stop)  # the next matched unit
    while k >= 0:
        # Outside a passage, at matched unit k: open a passage.
        tlength = ends[k] - starts[k]
        tks: list[int] = []
        first = None
        if tlength > maxchars:  # too long for any passage: an empty one ends here
            frags.append((None, ends[k], tks))
            after = k + 1
            k = matched.find(1, after, stop)
            continue
        j = max(after, bisect_left(starts, ends[k - 1] - surround, 0, k)) if k > after else k
        if j < k:
            first, countdown = starts[j], surround
        else:
            first, countdown = starts[k], 2 * surround
        tks.append(k)
        length, countdown = tlength, countdown - tlength
        end = k  # the last unit walked
        while countdown > 0:
            # Inside the passage after unit `end`: the units up to the next match carry no mark.
            i = end + 1
            nxt = matched.find(1, i, stop)
            limit = stop if nxt < 0 else nxt  # the run of unmatched units is i … limit-1
            base = cum[i]
            # The first unit of the run that overflows maxchars, or runs the countdown out.
            over = bisect_right(cum, maxchars - length + base, i + 1) - 1
            out = bisect_left(cum, countdown + base, i + 1) - 1
            cut = min(over, out)
            if cut < limit:
                frags.append((first, ends[cut], tks))
                countdown = -1 if cut == over else countdown - (cum[cut + 1] - base)
                end = cut
                break
            length += cum[limit] - base
            countdown -= cum[limit] - base
            if nxt < 0:  # the walk ends inside the passage, at the last unit or the one that stops it
                frags.append((first, ends[stop] if stop < n else ends[-1], tks))
                return frags
            tlength = ends[nxt] - starts[nxt]
            end = nxt
            if length + tlength > maxchars:  # the match would overflow: the passage ends with it, unmarked
                frags.append((first, ends[nxt], tks))
                countdown = -1
                break
            tks.append(nxt)
            length, countdown = length + tlength, surround - tlength
            if countdown <= 0:
                frags.append((first, ends[nxt], tks))
        else:
            if not frags or frags[-1][2] is not tks:
                frags.append((first, ends[end], tks))
        after = end + 1
        if countdown == 0 and after < stop and not matched[after]:
            # Whoosh leaves a countdown that ran out exactly at 0, "inside": the next unit makes an
            # empty passage of its own (never shown), and the next passage's context starts after it.
            frags.append((None, ends[after], []))
            after += 1
        k = matched.find(1, after, stop)
    return frags


def _highlight(text: str, query: ParsedQuery, fragmenter, top: int, reach: int | None = None) -> str:
    if len(text) > SCAN_CHARS:  # long texts: passages from the opening if it matches (a prefix keeps offsets)
        html = _highlight(text[:SCAN_CHARS], query, fragmenter, top, reach)
        if html:
            return html
    if reach is not None and type(fragmenter) is highlight.ContextFragmenter:
        literals = [_literal(p) for p in query.phrases]
        if all(literals):
            return _literal_highlight(text, literals, reach, fragmenter, top)
    toks, marked = _marked_units(text, query, reach)
    if not marked:
        return ""
    fragments = fragmenter.fragment_tokens(text, iter(toks))
    fragments = highlight.top_fragments(fragments, top, highlight.BasicFragmentScorer(), highlight.FIRST)
    return MergingFormatter()(text, fragments)


class MergingFormatter(highlight.Formatter):
    """Escaped text; each run of overlapping or touching matches becomes one `<b>…</b>`."""

    between = " … "

    def format_fragment(self, fragment, replace=False):
        marks = sorted((t.startchar, t.endchar) for t in fragment.matches if t.startchar is not None)
        return _format_passage(fragment.text, fragment.startchar, fragment.endchar, marks)

    def format(self, fragments, replace=False):
        return self.between.join(self.format_fragment(f) for f in fragments)


def snippet(text: str, query: ParsedQuery, max_chars: int = SNIPPET_CHARS) -> Markup:
    """The best passage(s) of `text` with the query's terms marked; the opening if none match."""
    text = text or ""
    html = ""
    if query and text:
        fragmenter = highlight.ContextFragmenter(maxchars=max_chars // 2, surround=max_chars // 5)
        # A passage reaches `surround` characters before its first match and `surround`
        # characters of units after its last one: units further than three times that from
        # every match cannot change it (short of runs of dozens of punctuation marks, which the
        # fragmenter does not count), so they are left out.
        html = _highlight(text, query, fragmenter, top=2, reach=3 * (max_chars // 5))
    if not html:
        cut = text[:max_chars]
        html = escape(cut) + ("…" if len(text) > max_chars else "")
    return Markup(html)


def mark_title(title: str, query: ParsedQuery) -> Markup:
    """The whole title, escaped, with the query's terms marked."""
    if not title or not query:
        return Markup(escape(title or ""))
    html = _highlight(title, query, highlight.WholeFragmenter(), top=1)
    return Markup(html or escape(title))
