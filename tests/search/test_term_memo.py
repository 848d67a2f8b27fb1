"""Remembered term lookups (whoosh_schema._remember_term_lookups) answer as the stock lookups do."""
from __future__ import annotations

import pytest
from whoosh import fields, index
from whoosh.codec.whoosh3 import W3TermInfo
from whoosh.query import Term
from whoosh.reading import TermNotFound

import forum.search.backends.whoosh_schema  # noqa: F401  (applies the patch)


@pytest.fixture
def two_segments(tmp_path):
    ix = index.create_in(str(tmp_path), fields.Schema(key=fields.ID(stored=True), body=fields.TEXT))
    for batch in (["red green", "green blue"], ["blue blue blue", "red"]):
        w = ix.writer()
        for i, text in enumerate(batch):
            w.add_document(key=f"{text}-{i}", body=text)
        w.commit(merge=False)
    return ix


def _stock(terms_reader, fieldname, text):
    raw = terms_reader._tindex.get(terms_reader._keycoder(fieldname, text))
    return None if raw is None else W3TermInfo.from_bytes(raw)


def test_lookups_match_the_stock_ones_twice_over(two_segments):
    with two_segments.searcher() as s:
        leaves = [sub.reader() for sub, _ in s.leaf_searchers()]
        assert len(leaves) == 2
        for _ in range(2):  # the second round comes from the memo
            for r in leaves:
                for word in ("red", "green", "blue", "absent"):
                    stock = _stock(r._terms, "body", word.encode())
                    assert (("body", word) in r) is (stock is not None)
                    assert r.doc_frequency("body", word) == (stock.doc_frequency() if stock else 0)
                    assert r.frequency("body", word) == (stock.weight() if stock else 0)
                    if stock is None:
                        with pytest.raises(TermNotFound):
                            r.term_info("body", word)
                    else:
                        assert r.term_info("body", word).doc_frequency() == stock.doc_frequency()
        assert ("body", b"absent") in leaves[0]._terms._jy_terms  # remembered, misses included
        assert s.reader().field_length("body") == sum(r.field_length("body") for r in leaves) == 8
        assert s.reader().doc_frequency("body", "blue") == 2
        assert sorted(h["key"] for h in s.search(Term("body", "blue"))) == ["blue blue blue-0", "green blue-1"]


def test_a_commit_is_seen_by_the_next_reader(two_segments):
    with two_segments.searcher() as s:
        assert ("body", "yellow") not in s.reader() and s.reader().field_length("body") == 8
        w = two_segments.writer()
        w.add_document(key="y", body="yellow red")
        w.commit(merge=False)
    with two_segments.searcher() as s:
        assert ("body", "yellow") in s.reader() and s.reader().field_length("body") == 10
        assert [h["key"] for h in s.search(Term("body", "yellow"))] == ["y"]
