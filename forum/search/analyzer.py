"""Text analysis for search: folding, CJK unigram + bigram tokens, and the user query language.

Every backend indexes the same tokens at the same positions, so a query means the same thing
on Whoosh and on PostgreSQL:

* Text is *folded* first: NFKC (full-width ＱＱ → qq), lower case, traditional → simplified
  (OpenCC t2s). Folding never changes the length of the text, so character offsets in the
  folded text are offsets in the original (snippets highlight the original text).
* The folded text is cut into *units*: one CJK character, or one run of letters/digits
  (a Latin "word", stemmed for English). Units get consecutive *slots*; any gap between two
  units (space, punctuation) costs one extra slot, so tokens that were apart stay apart.
* A unit in slot k is indexed at position 2k; the bigram of two adjacent CJK characters in
  slots k, k+1 at position 2k+1. Consecutive bigrams are therefore 2 positions apart.

A query chunk (text between spaces or punctuation) becomes a *phrase*: the bigram chain of its
CJK runs, a unigram for a lone CJK character, the stemmed words, each at its exact relative
position. Chunks are ANDed; `"quoted text"` is one phrase across spaces. Nothing else is
syntax (no fields, wildcards or operators), so no query is ever an error.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from whoosh.analysis import Token, Tokenizer
from whoosh.lang.porter import stem as porter_stem

MAX_QUERY_CHARS = 200
MAX_CLAUSES = 16

_CJK = (
    "\u3040-\u30ff"  # kana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs
    "\uac00-\ud7af"  # hangul
    "\U00020000-\U0002ffff"
)
_WORD = "0-9a-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff"
UNIT_RE = re.compile(f"([{_CJK}])|([{_WORD}]+)")
RUN_RE = re.compile(f"([{_CJK}]+)|([{_WORD}]+)")  # a CJK run is a run of adjacent units
_CJK_RUN_RE = re.compile(f"[{_CJK}]+")
_ALPHA_RE = re.compile("[a-z]+")


# --- folding -----------------------------------------------------------------------------------

class _CharFold(dict):
    """str.translate table: NFKC + lower case per character, only when it stays one character."""

    def __missing__(self, code: int) -> int:
        ch = chr(code)
        folded = unicodedata.normalize("NFKC", ch).lower()
        if len(folded) != 1:
            folded = ch.lower() if len(ch.lower()) == 1 else ch
        self[code] = ord(folded)
        return self[code]


_char_fold = _CharFold()


@lru_cache(maxsize=1)
def _t2s():
    """The OpenCC converter, its one-character table and the set of characters it may change."""
    from opencc import OpenCC

    import opencc as opencc_pkg

    converter = OpenCC("t2s")
    table: dict[int, str] = {}
    path = Path(opencc_pkg.__file__).parent / "dictionary" / "TSCharacters.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and len(parts[0]) == 1:
            first = parts[1].split(" ")[0]
            if len(first) == 1 and first != parts[0]:
                table[ord(parts[0])] = first
    return converter, table, frozenset(chr(c) for c in table)


def _to_simplified(run: str) -> str:
    converter, table, _trad = _t2s()
    converted = converter.convert(run)
    if len(converted) != len(run):  # keep offsets: fall back to character by character
        converted = run.translate(table)
    return converted


def fold(text: str) -> str:
    """NFKC, lower case, traditional → simplified; the result has the same length as `text`."""
    text = text.translate(_char_fold)
    trad = _t2s()[2]
    if trad.isdisjoint(text):  # a set test in C: ten times faster than a regex character class
        return text
    return _CJK_RUN_RE.sub(lambda m: m.group() if trad.isdisjoint(m.group()) else _to_simplified(m.group()),
                           text)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """English stem of a lower-case word; words with digits or non-ASCII letters stay as they are."""
    if len(word) > 3 and _ALPHA_RE.fullmatch(word):
        return porter_stem(word)
    return word


# --- units and tokens --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Unit:
    """One CJK character or one word of the folded text, in its slot."""

    text: str
    is_cjk: bool
    slot: int
    start: int
    end: int


def units(folded: str) -> Iterator[Unit]:
    """The units of already folded text with their slots (a gap costs one extra slot)."""
    slot = -1
    prev_end = 0
    for m in UNIT_RE.finditer(folded):
        slot += 2 if (m.start() > prev_end and slot >= 0) else 1
        prev_end = m.end()
        cjk = m.group(1)
        if cjk is not None:
            yield Unit(cjk, True, slot, m.start(), m.end())
        else:
            yield Unit(m.group(2), False, slot, m.start(), m.end())


def tokens(text: str, base: int = 0) -> list[tuple[str, int, int, int]]:
    """(term, position, startchar, endchar) for every index token of `text`.

    `base` is added to every position (used to keep title and body apart in one tsvector).
    Same slots as `units()`, computed per CJK run rather than per character (the hot path of
    indexing): a run of n characters gives n unigrams and n - 1 bigrams.
    """
    out: list[tuple[str, int, int, int]] = []
    append = out.append
    slot = -1
    prev_end = 0
    for m in RUN_RE.finditer(fold(text)):
        s, e = m.span()
        slot += 2 if (s > prev_end and slot >= 0) else 1
        prev_end = e
        run = m.group(1)
        if run is None:
            append((stem(m.group(2)), base + 2 * slot, s, e))
            continue
        p = base + 2 * slot
        append((run[0], p, s, s + 1))
        for k in range(1, len(run)):
            append((run[k], p + 2 * k, s + k, s + k + 1))
            append((run[k - 1:k + 1], p + 2 * k - 1, s + k - 1, s + k + 1))
        slot += len(run) - 1
    return out


def term_positions(text: str, base: int = 0) -> dict[str, list[int]]:
    """{term: [positions]} of `text`, for backends that build their own postings."""
    out: dict[str, list[int]] = {}
    for term, pos, _s, _e in tokens(text, base):
        if term in out:
            out[term].append(pos)
        else:
            out[term] = [pos]
    return out


class CJKTokenizer(Tokenizer):
    """Whoosh tokenizer emitting the uni+bigram tokens of `tokens()`."""

    def __eq__(self, other):
        return other is not None and other.__class__ is self.__class__

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        t.boost = 1.0
        t.stopped = False
        if not (keeporiginal or chars):  # what indexing asks for: terms and positions
            for term, pos, _start, _end in tokens(value):
                t.text = term
                t.pos = start_pos + pos
                yield t
            return
        for term, pos, start, end in tokens(value):
            t.text = term
            if keeporiginal:
                t.original = value[start:end]
            if positions:
                t.pos = start_pos + pos
            if chars:
                t.startchar = start_char + start
                t.endchar = start_char + end
            yield t


def whoosh_analyzer() -> CJKTokenizer:
    """The analyzer stored in the Whoosh schema."""
    return CJKTokenizer()


# --- queries -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Phrase:
    """Terms that must occur at these relative positions (offsets start at 0)."""

    terms: tuple[tuple[str, int], ...]

    @property
    def words(self) -> list[str]:
        return [t for t, _ in self.terms]


@dataclass
class ParsedQuery:
    """An AND of phrases; empty when the text had nothing searchable."""

    phrases: list[Phrase] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.phrases)

    def terms(self) -> set[str]:
        """Every term of the query (for highlighting)."""
        return {t for p in self.phrases for t, _ in p.terms}


def phrase_of(text: str) -> Phrase | None:
    """The exact-position phrase matching `text` as a substring (None if nothing searchable)."""
    us = list(units(fold(text)))
    found: list[tuple[str, int]] = []
    i = 0
    while i < len(us):
        u = us[i]
        if not u.is_cjk:
            found.append((stem(u.text), 2 * u.slot))
            i += 1
            continue
        j = i
        while j + 1 < len(us) and us[j + 1].is_cjk and us[j + 1].slot == us[j].slot + 1:
            j += 1
        if j == i:
            found.append((u.text, 2 * u.slot))
        else:
            for k in range(i, j):
                found.append((us[k].text + us[k + 1].text, 2 * us[k].slot + 1))
        i = j + 1
    if not found:
        return None
    base = found[0][1]
    return Phrase(tuple((t, p - base) for t, p in found))


_QUOTED_RE = re.compile(r'"([^"]*)"?|“([^”]*)”?')
_CHUNK_SPLIT_RE = re.compile(f"[^{_CJK}{_WORD}]+")


def parse_query(text: str | None) -> ParsedQuery:
    """Parse what a user typed. Never raises; unsearchable input gives an empty query."""
    text = (text or "")[:MAX_QUERY_CHARS]
    phrases: list[Phrase] = []
    pieces: list[str] = []
    last = 0
    for m in _QUOTED_RE.finditer(text):
        pieces.extend(_CHUNK_SPLIT_RE.split(fold(text[last:m.start()])))
        inner = m.group(1) if m.group(1) is not None else (m.group(2) or "")
        p = phrase_of(inner)
        if p is not None:
            phrases.append(p)
        last = m.end()
    pieces.extend(_CHUNK_SPLIT_RE.split(fold(text[last:])))
    for chunk in pieces:
        p = phrase_of(chunk) if chunk else None
        if p is not None:
            phrases.append(p)
    unique: list[Phrase] = []
    for p in phrases:
        if p not in unique:
            unique.append(p)
    return ParsedQuery(unique[:MAX_CLAUSES])


def matches_text(query: ParsedQuery, text: str) -> bool:
    """True if every phrase occurs in `text` (the reference used by tests and the benchmark)."""
    if not query:
        return False
    postings = term_positions(text)
    return all(_phrase_in(p, postings) for p in query.phrases)


def _phrase_in(phrase: Phrase, postings: dict[str, list[int]]) -> bool:
    first, off0 = phrase.terms[0]
    rest = [(set(postings.get(t, ())), off) for t, off in phrase.terms[1:]]
    return any(all(p - off0 + off in s for s, off in rest) for p in postings.get(first, ()))
