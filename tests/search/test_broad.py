"""Broad queries on Whoosh rank the matches of the latest months; pages stay correct."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from forum.search.analyzer import parse_query
from forum.search.backends import whoosh_backend
from forum.search.backends.base import Filters, SearchDoc
from forum.search.backends.whoosh_backend import WhooshBackend, WhooshRebuild

START = datetime(2024, 1, 1, tzinfo=timezone.utc)


def _doc(i: int, body: str, container: str = "g1") -> SearchDoc:
    # 120 documents over 12 months (one every 3 days); ids follow time
    return SearchDoc("post", i, "", body, 1, "老师", 1, 1, "", [], START + timedelta(days=3 * i), container)


@pytest.fixture
def backend(tmp_path):
    b = WhooshBackend(str(tmp_path / "index"))
    docs = [_doc(i, f"教学研讨第{i}次" + ("，书法" if i % 7 == 0 else ""), "g2" if i < 10 else "g1")
            for i in range(1, 121)]
    target = WhooshRebuild(b, procs=1)
    target.add(docs)
    target.checkpoint("post", 120, final=True)
    target.finish()
    return b


def _ids(page):
    return [h.doc_id for h in page.hits]


def test_broad_newest_pages_are_exact(backend, monkeypatch):
    q = parse_query("教学")
    monkeypatch.setattr(whoosh_backend, "BROAD_MATCHES", 10**9)
    full = [backend.search(q, Filters(), "newest", off, 10) for off in (0, 10, 30)]
    monkeypatch.setattr(whoosh_backend, "BROAD_MATCHES", 20)
    monkeypatch.setattr(whoosh_backend, "BROAD_CANDIDATES", 15)
    s = backend.searcher()
    assert backend._recent_window(s, q, 10) is not None  # the window is really used
    windowed = [backend.search(q, Filters(), "newest", off, 10) for off in (0, 10, 30)]
    assert [_ids(p) for p in windowed] == [_ids(p) for p in full]
    assert _ids(windowed[0]) == list(range(120, 110, -1))
    assert all(p.total == 120 for p in windowed)  # totals still count every match


def test_broad_relevance_ranks_recent_matches(backend, monkeypatch):
    monkeypatch.setattr(whoosh_backend, "BROAD_MATCHES", 20)
    monkeypatch.setattr(whoosh_backend, "BROAD_CANDIDATES", 15)
    page = backend.search(parse_query("教学"), Filters(), "relevance", 0, 10)
    assert len(page.hits) == 10 and page.total == 120
    assert min(_ids(page)) > 60  # candidates come from the latest months only
    # selective queries are not windowed: every match of 书法 is ranked
    rare = backend.search(parse_query("书法"), Filters(), "relevance", 0, 50)
    assert sorted(_ids(rare)) == [i for i in range(1, 121) if i % 7 == 0]


def test_narrow_visibility_falls_back_to_everything(backend, monkeypatch):
    monkeypatch.setattr(whoosh_backend, "BROAD_MATCHES", 20)
    monkeypatch.setattr(whoosh_backend, "BROAD_CANDIDATES", 15)
    old_only = Filters(containers=frozenset({"g2"}))  # readable: the 9 oldest documents only
    page = backend.search(parse_query("教学"), old_only, "relevance", 0, 20)
    assert sorted(_ids(page)) == list(range(1, 10)) and page.total == 9
    newest = backend.search(parse_query("教学"), old_only, "newest", 0, 5)
    assert _ids(newest) == [9, 8, 7, 6, 5]


def test_capped_count_is_kept_until_the_index_changes(backend, monkeypatch):
    monkeypatch.setattr(whoosh_backend, "BROAD_MATCHES", 20)
    monkeypatch.setattr(whoosh_backend, "BROAD_CANDIDATES", 15)
    walks = []
    real = whoosh_backend.docnums
    monkeypatch.setattr(whoosh_backend, "docnums", lambda s, q: walks.append(q) or real(s, q))
    q = parse_query("教学")
    assert backend.search(q, Filters(), "relevance", 0, 10).total == 120
    assert backend.search(q, Filters(), "relevance", 10, 10).total == 120  # page 2: counted once
    assert len(walks) == 1
    backend.apply([_doc(121, "教学研讨第121次")], [])
    assert backend.search(q, Filters(), "relevance", 0, 10).total == 121  # a new reader counts again
    assert len(walks) == 2


def test_broad_relevance_still_ranks_older_title_matches(tmp_path, monkeypatch):
    """An old lesson design named after the query is ranked with the recent body matches, and
    ranked first (the title boost); "newest" pages stay those of the window."""
    b = WhooshBackend(str(tmp_path / "index"))
    docs = [_doc(i, f"教学研讨第{i}次") for i in range(1, 121)]
    old_design = SearchDoc("entry", 500, "教学研讨", "教学研讨：教学目标与教学过程", 1, "老师", 1, 1, "", [],
                           START - timedelta(days=400), "g9")
    target = WhooshRebuild(b, procs=1)
    target.add([old_design, *docs])
    target.checkpoint("post", 120, final=True)
    target.finish()
    monkeypatch.setattr(whoosh_backend, "BROAD_MATCHES", 20)
    monkeypatch.setattr(whoosh_backend, "BROAD_CANDIDATES", 15)
    q = parse_query("教学")
    page = b.search(q, Filters(), "relevance", 0, 10)
    assert page.hits[0].doc_type == "entry" and page.hits[0].doc_id == 500
    assert min(h.doc_id for h in page.hits[1:]) > 60 and page.total == 121  # the rest: recent
    newest = b.search(q, Filters(), "newest", 0, 10)
    assert _ids(newest) == list(range(120, 110, -1))
    # a reader who may not read its group does not get it through the titles either
    hidden = b.search(q, Filters(containers=frozenset({"g1"})), "relevance", 0, 10)
    assert 500 not in _ids(hidden) and hidden.total == 120 and len(hidden.hits) == 10


def test_the_window_keeps_hidden_documents_out(tmp_path, monkeypatch):
    """Visibility folded into the window's lists: a hidden group's recent posts never show."""
    b = WhooshBackend(str(tmp_path / "index"))
    target = WhooshRebuild(b, procs=1)
    target.add([_doc(i, f"教学研讨第{i}次", "g3" if i % 5 == 0 else "g2" if i < 4 else "g1") for i in range(1, 121)])
    target.checkpoint("post", 120, final=True)
    target.finish()
    monkeypatch.setattr(whoosh_backend, "BROAD_MATCHES", 20)
    monkeypatch.setattr(whoosh_backend, "BROAD_CANDIDATES", 15)
    q = parse_query("教学")
    readable = Filters(containers=frozenset({"g1", "g2"}))
    assert b._visibility(b.searcher(), readable.containers)[0] == "mask"
    assert b._recent_window(b.searcher(), q, 10) is not None
    page = b.search(q, readable, "relevance", 0, 10)
    assert len(page.hits) == 10 and all(i % 5 for i in _ids(page)) and page.total == 96
    newest = b.search(q, readable, "newest", 0, 6)
    assert _ids(newest) == [119, 118, 117, 116, 114, 113]
    only_hidden = b.search(q, Filters(containers=frozenset({"g3"})), "newest", 0, 3)
    assert _ids(only_hidden) == [120, 115, 110] and only_hidden.total == 24


@pytest.mark.parametrize("ordered_from", [10_000, 1])  # each term looked up / the field's terms walked
def test_postings_union_equals_the_or_query_and_skips_deleted_documents(monkeypatch, ordered_from):
    """The per-segment visibility list read term by term is what the Or of the terms matches."""
    from whoosh import fields
    from whoosh.filedb.filestore import RamStorage
    from whoosh import query as wq

    from forum.search.backends import whoosh_backend
    from forum.search.backends.whoosh_backend import _postings_union

    monkeypatch.setattr(whoosh_backend, "ORDERED_UNION_MIN", ordered_from)
    # Fields on both sides of `container` in key order hold the same words: the walk stops at its field.
    ix = RamStorage().create_index(fields.Schema(key=fields.ID(stored=True, unique=True), container=fields.ID(),
                                                 aaa=fields.ID(), zzz=fields.ID()))
    w = ix.writer()
    for i in range(300):
        w.add_document(key=str(i), container=f"g{i % 7}", aaa=f"g{i % 5}", zzz=f"g{i % 3}")
    w.commit()
    w = ix.writer()
    w.delete_by_term("key", "14")  # container g0
    w.delete_by_term("key", "3")   # container g3
    w.commit(merge=False)
    values = frozenset({"g0", "g3", "g5", "b404"})  # b404: no such term
    with ix.searcher() as s:
        for leaf, _offset in s.leaf_searchers():
            expected = sorted(leaf.docs_for_query(wq.Or([wq.Term("container", v) for v in sorted(values)])))
            got = _postings_union(leaf.reader(), "container", values)
            assert got == expected
            assert len(got) == 43 + 43 + 43 - 2  # g0, g3, g5 (43 each of 300), less the two deleted


def test_the_visibility_mask_hides_each_segments_first_match(tmp_path):
    """A denied container's document that is the first match of its segment is masked too (Whoosh's
    AndNot matcher let the first match of each segment through unchecked)."""
    b = WhooshBackend(str(tmp_path / "index"))
    b.apply([_doc(1, "教学研讨甲", "g1"), _doc(2, "无关内容", "g2"), _doc(6, "无关", "g3"), _doc(7, "无关", "g4")],
            [])  # segment 1
    # segment 2: the denied list starts below the first match (a denied document without the words)
    b.apply([_doc(5, "无关", "g2"), _doc(3, "教学研讨乙", "g2"), _doc(4, "教学研讨丙", "g1")], [])
    s = b.searcher()
    assert len(list(s.leaf_searchers())) == 2
    readable = Filters(containers=frozenset({"g1", "g3", "g4", "g5"}))  # more granted than denied: a mask
    assert b._visibility(s, readable.containers)[0] == "mask"
    page = b.search(parse_query("教学研讨"), readable, "relevance", 0, 10)
    assert sorted(_ids(page)) == [1, 4] and page.total == 2
