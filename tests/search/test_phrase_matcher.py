"""ExactPhraseMatcher finds exactly the documents where every term sits at its offset, however it
is moved (next, skip_to, block-quality skipping), compared with a scan of the tokens."""
from __future__ import annotations

import random

import pytest
from whoosh import index
from whoosh.fields import ID, TEXT, Schema

from forum.search.backends.whoosh_queries import ExactPhrase

VOCAB = [f"t{i}" for i in range(12)]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    rng = random.Random(42)
    docs = []
    for _ in range(4000):
        words = rng.choices(VOCAB, weights=range(len(VOCAB), 0, -1), k=rng.randint(1, 50))
        docs.append(words)
    folder = tmp_path_factory.mktemp("phrases")
    ix = index.create_in(str(folder), Schema(body=TEXT(phrase=True), n=ID(stored=True)))
    for part in range(0, len(docs), 1000):  # several segments
        w = ix.writer()
        for i in range(part, part + 1000):
            w.add_document(body=" ".join(docs[i]), n=str(i))
        w.commit(merge=False)
    return ix, docs


def _expected(docs, terms):
    out = set()
    for i, words in enumerate(docs):
        for p in range(len(words)):
            if all(0 <= p + off < len(words) and words[p + off] == w for w, off in terms):
                out.add(i)
                break
    return out


PHRASES = [
    (("t0", 0), ("t1", 1)),
    (("t5", 0), ("t0", 1), ("t0", 2)),
    (("t3", 0), ("t7", 2)),  # a gap
    (("t2", 1), ("t1", 0)),  # the first term need not be the leftmost
    (("t1", 0), ("t2", 1), ("t0", 2), ("t3", 3)),
    (("t0", 0), ("t0", 1)),
]


@pytest.mark.parametrize("terms", PHRASES)
def test_every_match_and_only_matches(corpus, terms):
    ix, docs = corpus
    with ix.searcher() as s:
        found = {int(s.stored_fields(d)["n"]) for d in s.docs_for_query(ExactPhrase("body", terms))}
    assert found == _expected(docs, terms)


@pytest.mark.parametrize("terms", PHRASES)
def test_quality_skipping_keeps_the_top_hits(corpus, terms):
    ix, _ = corpus
    q = ExactPhrase("body", terms)
    with ix.searcher() as s:
        full = s.search(q, limit=10, optimize=False)
        fast = s.search(q, limit=10, optimize=True)
        assert len(full) > 0
        assert [round(h.score, 6) for h in fast] == [round(h.score, 6) for h in full]


def test_skip_to_lands_on_the_next_match(corpus):
    ix, docs = corpus
    terms = PHRASES[1]
    rng = random.Random(3)
    with ix.searcher() as s:
        assert len(s.leaf_searchers()) == 4
        for sub, offset in s.leaf_searchers():
            size = sub.reader().doc_count_all()
            expected = sorted(i - offset for i in _expected(docs, terms) if offset <= i < offset + size)
            m = ExactPhrase("body", terms).matcher(sub)
            seen = []
            while m.is_active():
                seen.append(m.id())
                m.next()
            assert seen == expected
            for target in sorted(rng.sample(range(size), 30)):
                m = ExactPhrase("body", terms).matcher(sub)
                if m.is_active() and target > m.id():
                    m.skip_to(target)
                landing = next((d for d in expected if d >= target), None)
                assert (m.id() if m.is_active() else None) == landing
