"""Highlighted snippets: escaped text around the matches, with only `<b>` marks.

Only real occurrences of the query's phrases are marked (not every stray bigram of them).
Whoosh's ContextFragmenter picks the passages from a stream of unit tokens; the formatter
joins touching marks so 备课组 becomes one `<b>备课组</b>`.
"""
from __future__ import annotations

from bisect import bisect_left
from collections import deque
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
    """(starts, ends, texts, matched) of the units within `reach` of an occurrence of one of the
    literals in the folded text (the units of tokens(), without making its bigrams), or None if
    none occurs."""
    folded = fold(text)
    covered = bytearray(len(text) + 1)
    spans: list[tuple[int, int]] = []
    for lit in literals:
        i = folded.find(lit)
        while i >= 0:
            covered[i:i + len(lit)] = b"\x01" * len(lit)
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
    texts: list[str] = []
    matched = bytearray()
    for lo, hi in windows:
        for m in RUN_RE.finditer(folded, lo, hi):
            s, e = m.span()
            if m.group(1) is None:
                starts.append(s)
                ends.append(e)
                texts.append(stem(m.group(2)))
                matched.append(covered[s])
            else:  # a CJK run: a unit per character
                starts.extend(range(s, e))
                ends.extend(range(s + 1, e + 1))
                texts.extend(folded[s:e])
                matched += covered[s:e]
    return starts, ends, texts, matched


def _literal_highlight(text: str, literals: list[str], reach: int, fragmenter, top: int) -> str:
    """What _highlight() makes of phrases of CJK characters with a ContextFragmenter, without a
    token object per character: the fragmenter's walk over the units as plain lists, the
    fragments' scores (BasicFragmentScorer) from counts, and Fragment objects only for the
    passages shown. ~90 → ~25 µs a snippet; the tests compare both ways."""
    units = _literal_units(text, literals, reach)
    if units is None:
        return ""
    starts, ends, texts, matched = units
    maxchars, surround, charlimit = fragmenter.maxchars, fragmenter.surround, fragmenter.charlimit
    # ContextFragmenter.fragment_tokens, step for step
    frags: list[tuple[int, int, list[int]]] = []
    first = None
    firsts: deque[int] = deque()
    countdown = -1
    tks: list[int] = []
    endchar = None
    currentlen = 0
    n = len(starts)
    if charlimit and ends and ends[-1] > charlimit:
        n = next(k for k, e in enumerate(ends) if e > charlimit) + 1  # the walk breaks there
    hits = [k for k in range(n) if matched[k]]
    h = 0  # hits[h]: the next matched unit
    i = 0
    while i < n:
        if countdown < 0:
            # Outside a passage only the units within `surround` before the next match count
            # (the deque keeps no other); jump there, or stop if no match is left.
            while h < len(hits) and hits[h] < i:
                h += 1
            if h == len(hits):
                break
            nxt = hits[h]
            if nxt > i:
                edge = ends[nxt - 1] - surround
                j = bisect_left(starts, edge, i, nxt)
                if j > i:
                    firsts.clear()
                    i = j
        startchar = starts[i]
        endchar = ends[i]
        tlength = endchar - startchar
        if charlimit and endchar > charlimit:
            break
        if countdown < 0 and not matched[i]:
            firsts.append(startchar)
            while firsts and endchar - firsts[0] > surround:
                firsts.popleft()
        elif currentlen + tlength > maxchars:
            countdown = 0
        elif matched[i]:
            countdown = surround
            if first is None:
                if firsts:
                    first = firsts[0]
                else:
                    first = startchar
                    countdown += surround
            tks.append(i)
        if countdown >= 0:
            currentlen += tlength
            countdown -= tlength
            if countdown <= 0:
                frags.append((first, endchar, tks))
                tks = []
                firsts = deque()
                first = None
                currentlen = 0
        i += 1
    if tks:
        frags.append((first, endchar, tks))
    # top_fragments(…, BasicFragmentScorer(), FIRST): the score sums the matches' boosts (1.0)
    # times 100 per distinct matched text; ties go to the later passage (Fragment.__lt__).
    scored = []
    for first, endchar, tks in frags:
        start = (starts[tks[0]] if tks else 0) if first is None else first
        score = float(len(tks)) * ((len({texts[i] for i in tks}) * 100) or 1)
        scored.append((score, start, endchar, tks))
    best = sorted((f for f in nlargest(top, scored, key=lambda f: (f[0], f[1])) if f[0] >= 1), key=lambda f: f[1])
    fragments = [highlight.Fragment(text, [_Unit(texts[i], starts[i], ends[i], True) for i in tks], start, endchar)
                 for _score, start, endchar, tks in best]
    return MergingFormatter().format(fragments)


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
        text = fragment.text
        spans: list[list[int]] = []
        for t in sorted(fragment.matches, key=lambda t: (t.startchar, t.endchar)):
            if t.startchar is None:
                continue
            if spans and (t.startchar <= spans[-1][1] or not text[spans[-1][1]:t.startchar].strip()):
                spans[-1][1] = max(spans[-1][1], t.endchar)
            else:
                spans.append([t.startchar, t.endchar])
        out = []
        index = fragment.startchar
        for start, end in spans:
            start, end = max(start, fragment.startchar), min(end, fragment.endchar)
            if start < index:
                continue
            out.append(escape(text[index:start]))
            out.append("<b>" + escape(text[start:end]) + "</b>")
            index = end
        out.append(escape(text[index:fragment.endchar]))
        return "".join(out)

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
