"""Snippets of CJK phrases: the list-based walk (`_literal_highlight`) makes exactly what Whoosh's
ContextFragmenter makes of the same units, on real teaching-research text."""
from __future__ import annotations

import random
from pathlib import Path

import pytest
from whoosh import highlight

from forum.search import snippets
from forum.search.analyzer import parse_query, stem

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
WORDS = ["光合作用", "教学", "课堂", "学生", "教师", "的", "合作学习", "阅读", "教學", "不存在的词语"]


def _texts(word: str):
    docs = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))]
    if not docs:  # the corpus ships beside the repository; without it, text of our own
        docs = ["光合作用是植物的重要过程。课堂教学中，学生分组讨论，教师巡视指导。" * 40]
    rnd = random.Random(3)
    out = []
    for doc in docs:
        for _ in range(25):
            start = rnd.randrange(len(doc))
            text = doc[start:start + rnd.choice([40, 160, 600, 2500])]
            for _ in range(rnd.choice([0, 1, 3])):  # the word planted here and there, some of it folded
                at = rnd.randrange(len(text) + 1)
                text = text[:at] + (word if rnd.random() < 0.8 else word.replace("学", "學")) + text[at:]
            out.append(text)
    out.append("教学" * 3 + "x" * 200 + "教学")  # a long Latin word between two matches
    out.append("，。" * 60 + "教学")  # punctuation is no unit
    return out


def _whoosh_way(text, query, max_chars=snippets.SNIPPET_CHARS):
    """_highlight() as it was: unit objects through Whoosh's ContextFragmenter and scorer."""
    fragmenter = highlight.ContextFragmenter(maxchars=max_chars // 2, surround=max_chars // 5)
    literals = [snippets._literal(p) for p in query.phrases]
    found = snippets._literal_units(text, literals, 3 * (max_chars // 5))
    if found is None:
        return ""
    starts, ends, folded, matched = found
    units = [snippets._Unit(stem(folded[s:e]), s, e, bool(m)) for s, e, m in zip(starts, ends, matched)]
    fragments = fragmenter.fragment_tokens(text, iter(units))
    fragments = highlight.top_fragments(fragments, 2, highlight.BasicFragmentScorer(), highlight.FIRST)
    return snippets.MergingFormatter()(text, fragments)


@pytest.mark.parametrize("word", WORDS)
def test_literal_snippets_equal_whooshs(word):
    query = parse_query(word)
    literals = [snippets._literal(p) for p in query.phrases]
    assert all(literals)
    fragmenter = highlight.ContextFragmenter(maxchars=80, surround=32)
    marked = 0
    for text in _texts(word):
        found = snippets._literal_units(text, literals, 96)
        if found is not None:  # matched: exactly the units inside an occurrence of the word
            starts, ends, folded, matched = found
            inside = set()
            for lit in literals:
                inside.update(k for a in range(len(folded)) if folded.startswith(lit, a) for k in range(a, a + len(lit)))
            assert [bool(m) for m in matched] == [s in inside for s in starts]
        got = snippets._literal_highlight(text, literals, 96, fragmenter, 2)
        assert got == _whoosh_way(text, query), text[:80]
        marked += "<b>" in got
    if word != "不存在的词语":
        assert marked  # the texts do contain the word: passages were really compared


def test_snippet_marks_the_phrase_and_escapes():
    html = snippets.snippet("<script>x</script>前言……" + "光合作用的条件" + "……后记" * 50, parse_query("光合作用"))
    assert "<b>光合作用</b>" in html and "<script>" not in html and "&lt;/script&gt;" in html


def _fragmenter_passages(starts, ends, matched, maxchars, surround, charlimit):
    """Whoosh's ContextFragmenter over the same units: (first char, end char, matched unit indexes)."""
    units = [snippets._Unit(str(k), s, e, bool(m)) for k, (s, e, m) in enumerate(zip(starts, ends, matched))]
    fragmenter = highlight.ContextFragmenter(maxchars=maxchars, surround=surround, charlimit=charlimit)
    text = "x" * ((ends[-1] if ends else 0) + 1)
    return [(f.startchar, f.endchar, [int(t.text) for t in f.matches])
            for f in fragmenter.fragment_tokens(text, iter(units))]


@pytest.mark.parametrize("seed", range(4))
def test_passages_equal_the_fragmenters_walk(seed):
    """_passages() cuts the passages Whoosh's walk cuts, unit streams with gaps, long words,
    dense and sparse matches, small and large passage sizes, and a charlimit that stops the walk
    (a countdown that runs out exactly at 0 leaves an empty passage behind, as Whoosh's does)."""
    rnd = random.Random(seed)
    empty_passages = 0
    for _ in range(3000):
        starts, ends, at = [], [], 0
        for _ in range(rnd.randrange(60)):
            at += rnd.choice([0, 0, 0, 1, 3])
            length = rnd.choice([1, 1, 1, 2, 5, 40])
            starts.append(at)
            ends.append(at + length)
            at += length
        density = rnd.choice([0.05, 0.15, 0.5])
        matched = bytearray(rnd.random() < density for _ in starts)
        maxchars, surround = rnd.choice([(80, 32), (10, 4), (20, 8), (5, 5), (3, 1), (7, 2), (2, 6)])
        charlimit = rnd.choice([None, 2 ** 15, 30, 60])
        want = _fragmenter_passages(starts, ends, matched, maxchars, surround, charlimit)
        got = snippets._passages(starts, ends, matched, maxchars, surround, charlimit)
        # Whoosh's Fragment turns a passage without a first char into 0 when it has no match
        assert [(0 if first is None and not tks else first, end, tks) for first, end, tks in got] == want
        empty_passages += sum(1 for _f, _e, tks in got if not tks)
    assert empty_passages  # the empty-passage cases were really reached
