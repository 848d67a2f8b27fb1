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

from forum.search.analyzer import ParsedQuery, tokens

SNIPPET_CHARS = 160
SCAN_CHARS = 2000  # a long text is searched for passages in its opening first


def _marked_units(text: str, query: ParsedQuery) -> tuple[list[Token], bool]:
    """One token per unit of `text`, `matched` where a phrase of the query occurs.

    Linear in the length of the text (a 20 KB entry with hundreds of matches of a broad
    query costs a few milliseconds): units are the even-position tokens of `tokens()`, and
    matched characters are marked in one byte array.
    """
    toks = tokens(text)
    postings: dict[str, list[int]] = {}
    chars: dict[int, tuple[int, int]] = {}
    for term, pos, start, end in toks:
        if term in postings:
            postings[term].append(pos)
        else:
            postings[term] = [pos]
        chars[pos] = (start, end)
    covered = bytearray(len(text) + 1)
    marked = False
    for phrase in query.phrases:
        first, off0 = phrase.terms[0]
        rest = [(set(postings.get(t, ())), off) for t, off in phrase.terms[1:]]
        for p in postings.get(first, ()):
            base = p - off0
            if all(base + off in s for s, off in rest):
                a, b = chars[p][0], chars[base + phrase.terms[-1][1]][1]
                covered[a:b] = b"\x01" * (b - a)
                marked = True
    out: list[Token] = []
    for term, pos, start, end in toks:
        if pos % 2:
            continue  # a bigram: its characters are units of their own
        t = Token(chars=True, positions=True)
        t.text, t.startchar, t.endchar, t.pos, t.matched, t.boost = term, start, end, pos, bool(covered[start]), 1.0
        out.append(t)
    return out, marked


def _highlight(text: str, query: ParsedQuery, fragmenter, top: int) -> str:
    if len(text) > SCAN_CHARS:  # long texts: passages from the opening if it matches (a prefix keeps offsets)
        html = _highlight(text[:SCAN_CHARS], query, fragmenter, top)
        if html:
            return html
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
