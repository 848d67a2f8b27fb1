"""A broad phrase's window ranked on the posting lists (whoosh_window) gives Whoosh's pages: the
same hits in the same order with the same scores, for every sort, page, filter and reader."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from forum.search.analyzer import parse_query
from forum.search.backends import whoosh_backend, whoosh_window
from forum.search.backends.base import Filters, SearchDoc
from forum.search.backends.whoosh_backend import WhooshBackend, WhooshRebuild

START = datetime(2024, 1, 1, tzinfo=timezone.utc)

# Bodies where the phrase's terms line up, and where they occur apart (they must not match).
LINED_UP = ["光合作用是绿色植物的重要生理过程。", "本节课探究光合作用的条件与产物，光合作用需要光。",
            "复习光合作用和呼吸作用的联系，课堂教学以实验为主。"]
APART = ["光合细胞里的叶绿体起什么作用？", "作用于光合色素的因素有哪些", "课堂上的教学活动要有作用。"]
FILLER = ["同学们分组讨论，教师巡视指导。", "板书设计要简洁明了。", "作业分层布置，照顾不同学生。"]


def _docs(n: int, seed: int = 7) -> list[SearchDoc]:
    rnd = random.Random(seed)
    docs = []
    for i in range(1, n + 1):
        parts = [rnd.choice(FILLER) for _ in range(rnd.randint(0, 4))]
        parts += [rnd.choice(LINED_UP) for _ in range(rnd.randint(0, 2))]
        parts += [rnd.choice(APART) for _ in range(rnd.randint(0, 2))]
        rnd.shuffle(parts)
        kind = "entry" if i % 9 == 0 else "post"
        title = rnd.choice(["光合作用教学设计", "光合与作用", "课堂教学反思", ""]) if kind == "entry" else ""
        container = "g2" if i % 11 == 0 else "b5" if i % 13 == 0 else "g1"
        docs.append(SearchDoc(kind, i, title, "".join(parts) or "空", 1 + i % 4, "老师", 1, 1, "", [],
                              START + timedelta(hours=20 * i), container))
    return docs


@pytest.fixture(scope="module", params=["split", "stock"])
def backend(request, tmp_path_factory):
    """Three segments and a small fourth with deletions in the others; posting blocks in the
    split layout, or in Whoosh's own (positions read eagerly), as an index written before it."""
    from whoosh.codec.whoosh3 import W3PostingsWriter

    b = WhooshBackend(str(tmp_path_factory.mktemp("direct") / "index"))
    docs = _docs(900)
    W3PostingsWriter._jy_stock = request.param == "stock"
    try:
        target = WhooshRebuild(b, procs=1)
        for start in range(0, 900, 300):  # three segments
            target.add(docs[start:start + 300])
            target.checkpoint("post", start + 300, final=start == 600)
        target.finish()
    finally:
        W3PostingsWriter._jy_stock = False
    # later writes: a new segment, and deletions in the old ones (updated documents)
    b.apply([SearchDoc("post", i, "", "光合作用的暗反应在叶绿体基质中进行。", 2, "老师", 1, 1, "", [],
                       START + timedelta(hours=20 * i), "g1") for i in (850, 880, 899)], [])
    return b


def _page(b, text, filters, sort, offset, limit, direct):
    b.direct_windows = direct
    try:
        return b.search(parse_query(text), filters, sort, offset, limit)
    finally:
        b.direct_windows = True


@pytest.fixture
def broad(monkeypatch):
    monkeypatch.setattr(whoosh_backend, "BROAD_MATCHES", 20)
    monkeypatch.setattr(whoosh_backend, "BROAD_CANDIDATES", 40)


READERS = {
    "everything": Filters(),
    "filter": Filters(containers=frozenset({"g2", "b5"})),   # fewer granted than denied
    "mask": Filters(containers=frozenset({"g1", "g2"})),     # fewer denied than granted
    "entries": Filters(doc_type="entry"),
    "author": Filters(author_id=2, containers=frozenset({"g1", "b5"})),
}


@pytest.mark.parametrize("text", ["光合作用", "光合作用 课堂教学", "\"作用 光合\"", "光合作用和呼吸作用"])
@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("sort", ["relevance", "newest"])
def test_direct_ranking_equals_whoosh(backend, broad, monkeypatch, text, reader, sort):
    filters = READERS[reader]
    assert backend._recent_window(backend.searcher(), parse_query(text), 20) is not None or text == "\"作用 光合\""
    calls = []
    real = whoosh_window.rank
    monkeypatch.setattr(whoosh_window, "rank", lambda *a, **k: calls.append(1) or real(*a, **k))
    for offset, limit in ((0, 10), (10, 10), (0, 25), (37, 5)):
        want = _page(backend, text, filters, sort, offset, limit, direct=False)
        got = _page(backend, text, filters, sort, offset, limit, direct=True)
        assert [(h.doc_type, h.doc_id) for h in got.hits] == [(h.doc_type, h.doc_id) for h in want.hits]
        assert [h.score for h in got.hits] == pytest.approx([h.score for h in want.hits], rel=1e-12)
        assert (got.total, got.exact) == (want.total, want.exact)
    if backend._recent_window(backend.searcher(), parse_query(text), 20) is not None:
        assert calls  # the direct path really ranked the window


def test_terms_apart_are_not_matches(backend, broad):
    """光合 and 作用 in the same document but not side by side: never a hit of 光合作用."""
    page = _page(backend, "光合作用", Filters(), "relevance", 0, 200, direct=True)
    s = backend.searcher()
    bodies = {int(s.stored_fields(d)["doc_id"]): d for d in range(s.doc_count_all())
              if not s.reader().is_deleted(d)}
    assert page.hits
    by_id = {d.doc_id: d for d in _docs(900)}
    for h in page.hits:
        doc = by_id[h.doc_id]
        if h.doc_id not in (850, 880, 899):
            assert "光合作用" in doc.body or "光合作用" in doc.title
    assert bodies  # the index holds what was written


def test_offsets_are_checked_for_the_page_only(backend, broad, monkeypatch):
    """Candidates are scored first; only those popped for the page have their positions decoded."""
    checked = []
    real = whoosh_window._lines_up
    monkeypatch.setattr(whoosh_window, "_lines_up", lambda c: checked.append(1) or real(c))
    q = parse_query("光合作用")
    s = backend.searcher()
    months = backend._recent_window(s, q, 10)
    candidates = sum(len(backend.segment_docs(sub, months, "month")) for sub, _ in s.leaf_searchers())
    page = _page(backend, "光合作用", Filters(), "relevance", 0, 10, direct=True)
    assert len(page.hits) == 10
    # Each doc can have a title and a body clause to check; a few fail (terms apart) and are re-ranked.
    assert 10 <= len(checked) < min(60, candidates)


def test_too_few_in_the_window_searches_everything(backend, broad):
    """A reader who may read only old documents: the window has too few; every match is ranked."""
    old = Filters(containers=frozenset({"g9"}))
    assert _page(backend, "光合作用", old, "relevance", 0, 10, direct=True).hits == []
    narrow = Filters(containers=frozenset({"b5"}))  # 1 in 13 documents
    want = _page(backend, "光合作用", narrow, "relevance", 0, 30, direct=False)
    got = _page(backend, "光合作用", narrow, "relevance", 0, 30, direct=True)
    assert [h.doc_id for h in got.hits] == [h.doc_id for h in want.hits] and got.hits


def test_date_ranges_go_through_whoosh(backend, broad, monkeypatch):
    calls = []
    monkeypatch.setattr(whoosh_window, "rank", lambda *a, **k: calls.append(1))
    since = Filters(since=START + timedelta(days=300))
    page = _page(backend, "光合作用", since, "relevance", 0, 10, direct=True)
    assert not calls and page.hits
    assert all(h.doc_id * 20 >= 300 * 24 for h in page.hits)


@pytest.mark.parametrize("terms", [(("光合", 0), ("作用", 4)), (("光合", 0), ("无此", 2)), (("无此", 0), ("没有", 2))])
def test_phrase_size_estimates_are_those_of_an_and_of_its_terms(backend, terms):
    """ExactPhrase estimates its size as And([Term…]) would (Whoosh orders its trees by it)."""
    from whoosh import query as wq

    from forum.search.backends.whoosh_queries import ExactPhrase

    phrase = ExactPhrase("body", terms)
    conj = wq.And([wq.Term("body", w) for w, _ in terms])
    s = backend.searcher()
    for reader in [s.reader()] + [sub.reader() for sub, _ in s.leaf_searchers()]:
        assert phrase.estimate_size(reader) == conj.estimate_size(reader)
        assert phrase.estimate_min_size(reader) == conj.estimate_min_size(reader)
    assert ExactPhrase("nosuchfield", terms).estimate_size(s.reader()) == 0
