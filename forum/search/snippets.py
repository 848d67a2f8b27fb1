"""Highlighted snippets: escaped text around the matches, with only `<b>` marks.

Only real occurrences of the query's phrases are marked (not every stray bigram of them).
Whoosh's ContextFragmenter picks the passages from a stream of unit tokens; the formatter
joins touching marks so 备课组 becomes one `<b>备课组</b>`.
"""
from __future__ import annotations

from html import escape

from markupsafe import Markup
from whoosh import highlight

from whoosh.analysis import Token

from forum.search.analyzer import ParsedQuery, fold, tokens, units

SNIPPET_CHARS = 160


def _marked_units(text: str, query: ParsedQuery) -> tuple[list[Token], bool]:
    """One token per unit of `text`, `matched` where a phrase of the query occurs."""
    postings: dict[str, list[int]] = {}
    chars: dict[int, tuple[int, int]] = {}
    for term, pos, start, end in tokens(text):
        postings.setdefault(term, []).append(pos)
        chars[pos] = (start, end)
    spans: list[tuple[int, int]] = []
    for phrase in query.phrases:
        first, off0 = phrase.terms[0]
        rest = [(set(postings.get(t, ())), off) for t, off in phrase.terms[1:]]
        for p in postings.get(first, ()):
            base = p - off0
            if all(base + off in s for s, off in rest):
                spans.append((chars[p][0], chars[base + phrase.terms[-1][1]][1]))
    out: list[Token] = []
    marked = False
    for u in units(fold(text)):
        pos = 2 * u.slot
        hit = any(a <= u.start and u.end <= b for a, b in spans)
        marked = marked or hit
        t = Token(chars=True, positions=True)
        t.text, t.startchar, t.endchar, t.pos, t.matched, t.boost = u.text, u.start, u.end, pos, hit, 1.0
        out.append(t)
    return out, marked


def _highlight(text: str, query: ParsedQuery, fragmenter, top: int) -> str:
    toks, marked = _marked_units(text, query)
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
        html = _highlight(text, query, fragmenter, top=2)
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
