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
