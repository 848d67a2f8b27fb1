"""Posting blocks in the split layout read back exactly as Whoosh's own, and old blocks still read."""
from __future__ import annotations

import pickle
import random

import pytest
from whoosh import index
from whoosh.codec.whoosh3 import W3PostingsWriter
from whoosh.fields import ID, NUMERIC, TEXT, Schema
from whoosh.query import Phrase, Term

from forum.search.backends import whoosh_postings
from forum.search.backends.whoosh_postings import BlockValues, encode_block

WORDS = [f"w{i}" for i in range(40)]


def _fill(folder, stock: bool, seed: int = 7, docs: int = 3000, commits: int = 2):
    """An index of random documents, written in Whoosh's layout (`stock`) or the split one."""
    rng = random.Random(seed)
    schema = Schema(body=TEXT(phrase=True), field_boosted=TEXT(field_boost=2.5),
                    kind=ID(stored=True), n=NUMERIC(int))
    folder.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(folder), schema)
    W3PostingsWriter._jy_stock = stock
    try:
        for c in range(commits):
            with ix.writer() as w:
                for i in range(docs // commits):
                    vocab = WORDS[: rng.randint(1, len(WORDS))]
                    body = " ".join(rng.choice(vocab) for _ in range(rng.randint(1, 60)))
                    w.add_document(body=body, field_boosted=body[:20], kind=f"k{i % 5}",
                                   n=c * docs + i * rng.randint(1, 900))
    finally:
        W3PostingsWriter._jy_stock = False
    return ix


def _postings(ix):
    out = {}
    with ix.searcher() as s:
        for sub, _ in s.leaf_searchers():
            r = sub.reader()
            for field in ("body", "field_boosted", "kind", "n"):
                for term in r.lexicon(field):
                    m = r.postings(field, term)
                    rows = []
                    while m.is_active():
                        rows.append((m.id(), m.weight(), m.value()))
                        m.next()
                    out[(id(sub), field, term)] = rows
    return list(out.values())


def _first_block_info(ix, field="body", term=b"w0"):
    with ix.searcher() as s:
        sub = s.leaf_searchers()[0][0]
        m = sub.reader().postings(field, term)
        return m._jy_layout, m._blocklength


def test_split_blocks_read_back_what_whoosh_blocks_hold(tmp_path):
    stock = _fill(tmp_path / "stock", stock=True)
    split = _fill(tmp_path / "split", stock=False)
    assert _first_block_info(stock)[0] is None  # the stock writer really wrote the old layout
    layout, count = _first_block_info(split)
    assert layout is not None and count > 1
    a, b = _postings(stock), _postings(split)
    assert sum(map(len, a)) > 50_000
    assert a == b


def test_skip_to_and_phrases_agree_across_layouts(tmp_path):
    stock = _fill(tmp_path / "stock", stock=True, seed=11)
    split = _fill(tmp_path / "split", stock=False, seed=11)
    rng = random.Random(5)
    with stock.searcher() as sa, split.searcher() as sb:
        ra, rb = sa.reader(), sb.reader()
        for word in WORDS[::7]:
            term = word.encode()
            for target in sorted(rng.sample(range(3000), 40)):
                ma, mb = ra.postings("body", term), rb.postings("body", term)
                ma.skip_to(target)
                mb.skip_to(target)
                assert ma.is_active() == mb.is_active()
                if mb.is_active():
                    assert (ma.id(), ma.weight(), ma.value_as("positions")) == \
                        (mb.id(), mb.weight(), mb.value_as("positions"))
        for q in (Phrase("body", ["w0", "w1"]), Term("body", "w3"), Term("kind", "k2")):
            hits_a = [(h.docnum, round(h.score, 5)) for h in sa.search(q, limit=None)]
            hits_b = [(h.docnum, round(h.score, 5)) for h in sb.search(q, limit=None)]
            assert hits_a and hits_a == hits_b


def test_merging_old_segments_rewrites_them_in_the_split_layout(tmp_path):
    ix = _fill(tmp_path / "ix", stock=True, commits=3)
    queries = [Phrase("body", ["w0", "w1"]), Term("body", "w5"), Term("kind", "k2")]

    def hits():
        with ix.searcher() as s:
            return [sorted(h["kind"] for h in s.search(q, limit=None)) for q in queries]

    before = hits()
    assert _first_block_info(ix)[0] is None
    ix.optimize()
    assert len(ix.reader().leaf_readers()) == 1
    assert _first_block_info(ix)[0] is not None
    assert hits() == before and all(before)


@pytest.mark.parametrize("weights, code", [
    ([1.0] * 5, "-"), ([1.0, 3.0, 2.0, 255.0, 1.0], "B"), ([1.0, 2.5, 1.0, 1.0, 300.0], "f"),
])
def test_weights_take_the_smallest_form_that_holds_them(weights, code):
    ids = [3, 9, 10, 70_000, 70_001]
    values = [pickle.dumps([i]) for i in range(5)]
    layout, _, data = encode_block(ids, weights, values, None, 0)
    assert layout == "I" + code + "H"  # one gap is ≥ 65,536: four bytes each
    assert layout[1] == code


def test_values_are_compressed_only_when_it_pays():
    ids = list(range(0, 256, 2))
    same = [b"\x00\x00\x00\x01" + pickle.dumps([5], 2)] * len(ids)
    _, compressed, data = encode_block(ids, [1.0] * len(ids), same, None, 3)
    assert compressed == 1 and len(data) < len(b"".join(same)) // 3
    short = [b"ab", b"c"]
    _, compressed, _ = encode_block([1, 2], [1.0, 1.0], short, None, 3)
    assert compressed == 0  # below MIN_COMPRESS


def test_block_values_slice_like_a_tuple():
    from array import array

    vals = BlockValues(b"abcdef", array("H", [0, 1, 3, 3, 6]))
    assert len(vals) == 4 and vals[1] == b"bc" and vals[2] == b"" and vals[-1] == b"def"
    assert list(vals) == [b"a", b"bc", b"", b"def"] and vals[1:3] == [b"bc", b""]


def test_the_patch_applies_once():
    before = W3PostingsWriter._write_block
    whoosh_postings._patch()
    assert W3PostingsWriter._write_block is before


def _walk(m, steps, skip):
    """Where a matcher is after each step: ('skip', target) or ('next', _)."""
    seen = []
    for op, target in steps:
        if not m.is_active():
            break
        if op == "skip":
            skip(m, target)
        else:
            m.next()
        seen.append((m.id(), m.value_as("positions")) if m.is_active() else None)
    return seen


def test_skips_over_known_blocks_land_where_stepping_through_them_does(tmp_path):
    """The block lists kept per term (skip_to's block skip) give the same positions as Whoosh's
    block-by-block walk, for matchers that start fresh, share a list another matcher began, move
    with next() past the known blocks, or skip past the end; and a known block is not read again."""
    from whoosh.codec.whoosh3 import W3LeafMatcher

    from forum.search.backends import whoosh_schema  # noqa: F401  (installs the skip_to)

    assert W3LeafMatcher.skip_to is not W3LeafMatcher._stock_skip_to
    ix = _fill(tmp_path / "ix", stock=False, seed=3, docs=6000, commits=1)
    rng = random.Random(9)
    with ix.searcher() as s:
        r = s.reader()
        for word in ("w0", "w1", "w20"):
            blocks = 0
            for _ in range(12):
                steps, target = [], 0
                for _ in range(rng.randint(1, 30)):
                    if rng.random() < 0.3:
                        steps.append(("next", 0))
                    else:
                        target += rng.randint(1, 900)
                        steps.append(("skip", target))
                new = _walk(r.postings("body", word.encode()), steps, W3LeafMatcher.skip_to)
                old = _walk(r.postings("body", word.encode()), steps, W3LeafMatcher._stock_skip_to)
                assert new == old
                blocks = max(blocks, len(r.postings("body", word.encode())._postfile._jy_skips))
            assert blocks >= 1
        # A skip to the last id, then past it, on a list that is already fully known.
        m = r.postings("body", b"w0")
        last = max(r.postings("body", b"w0").all_ids())
        m.skip_to(last)
        assert m.is_active() and m.id() == last
        m.skip_to(last + 1)
        assert not m.is_active()

        # Known blocks are bisected, not read again: count header reads of a second long skip.
        from forum.search.backends import whoosh_postings as wp

        reads = []
        m = r.postings("body", b"w0")
        stock_read = wp.read_block_header
        counting = lambda f, pos: (reads.append(pos), stock_read(f, pos))[1]  # noqa: E731
        whoosh_schema.read_block_header = wp.read_block_header = counting  # skips and _goto
        try:
            m.skip_to(last)
        finally:
            whoosh_schema.read_block_header = wp.read_block_header = stock_read
        assert m.id() == last and reads == []
