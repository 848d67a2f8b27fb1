"""Whoosh sub-files of an mmapped segment are read in place, not copied into each process."""
from __future__ import annotations

import io
import pickle
import tracemalloc

import forum.search.backends.whoosh_schema  # noqa: F401  (applies the patch)
from whoosh.filedb.structfile import BufferFile


def test_buffer_file_reads_like_bytesio():
    data = b"first line\nsecond\n" + pickle.dumps({"k": [1, 2, 3]}) + b"tail"
    ours, ref = BufferFile(memoryview(data)), io.BytesIO(data)
    assert ours.readline() == ref.readline()
    assert ours.read(3) == ref.read(3) and ours.tell() == ref.tell()
    assert ours.seek(2, 1) == ref.seek(2, 1)
    assert ours.read(-1) == ref.read(-1) and ours.read(5) == ref.read(5) == b""
    ours.seek(18), ref.seek(18)
    assert pickle.load(ours.file) == pickle.load(ref) == {"k": [1, 2, 3]}
    assert ours.seek(-4, 2) == ref.seek(-4, 2) and ours.read() == b"tail"
    ours.seek(0)
    assert list(ours.file) == io.BytesIO(data).readlines()
    assert ours.get(6, 4) == b"line"  # positional reads still go to the buffer


def test_opening_a_large_sub_file_allocates_nothing_like_its_size():
    big = memoryview(bytes(20 * 2**20))
    tracemalloc.start()
    try:
        f = BufferFile(big, name="postings")
        f.seek(10 * 2**20)
        assert f.read(4) == b"\0\0\0\0"
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2**20  # a BytesIO copy of the sub-file would be 20 MB


def test_pickles_load_from_the_cursor_with_peek():
    """pickle.load reads through peek() and then consumes exactly what it used."""
    from forum.search.backends.whoosh_schema import PEEK_BYTES, _MappedCursor

    big = {"k": "教" * PEEK_BYTES}  # longer than one peek
    objs = [(128, 123456, 1.5, 3, 12, 40), big, ("tail",)]
    data = b"".join(pickle.dumps(o, 2) for o in objs) + b"rest"
    cur = _MappedCursor(memoryview(data))
    assert cur.peek(4) == data[:4] and cur.tell() == 0
    assert [pickle.load(cur) for _ in objs] == objs
    assert cur.read() == b"rest" and cur.peek() == b""


def _status_kib(field: str) -> int:
    import re
    from pathlib import Path

    return int(re.search(rf"{field}:\s+(\d+)", Path("/proc/self/status").read_text()).group(1))


def test_a_search_over_budget_unmaps_the_index_pages_and_the_next_search_still_reads_them(tmp_path):
    """Past SEARCH_MAPPED_MB a search ends by dropping the worker's mappings of the index pages
    (RssFile goes down; the pages stay in the kernel's cache); searches answer the same after."""
    import os
    from datetime import datetime, timedelta, timezone

    import pytest

    from forum.search.analyzer import parse_query
    from forum.search.backends import whoosh_memory
    from forum.search.backends.base import Filters, SearchDoc
    from forum.search.backends.whoosh_backend import WhooshBackend, WhooshRebuild

    if not os.path.exists("/proc/self/statm"):
        pytest.skip("needs /proc")
    def live(storage) -> bool:
        source = getattr(storage, "_source", None)  # a closed storage has none
        return source is not None and not source.closed

    earlier = whoosh_memory._tracked_storages()  # other tests' indexes, closed or not
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    words = "教学设计课堂观察作业分层单元整体集体备课听课评课光合作用勾股定理"
    docs = [SearchDoc("post", i, "", "".join(words[(i * 7 + k) % len(words)] for k in range(400)), 1, "老师", 1,
                      1, "", [], start + timedelta(hours=i), "g1") for i in range(1, 3001)]
    unlimited = WhooshBackend(str(tmp_path / "index"))
    target = WhooshRebuild(unlimited, procs=1)
    target.add(docs)
    target.checkpoint("post", 3000, final=True)
    target.finish()
    queries = [parse_query(q) for q in ("教学", "光合作用", "课堂观察", "勾股")]

    def answers(backend):
        return [[(h.doc_id, round(h.score, 4)) for h in backend.search(q, Filters(), "relevance", 0, 20).hits]
                for q in queries]

    expected = answers(unlimited)
    assert all(expected)
    # Touch every page of the mapped files still open, then measure what a trim gives back.
    ours = [st for st in whoosh_memory._tracked_storages() if live(st) and all(st is not e for e in earlier)]
    assert ours  # this test's index is mapped and tracked
    opened = [st for st in whoosh_memory._tracked_storages() if live(st)]
    for storage in opened:
        source = storage._source
        sum(source[i] for i in range(0, len(source), 4096))
    before = _status_kib("RssFile")
    assert whoosh_memory.keep_within(0) is False  # 0: no limit
    assert whoosh_memory.unmap_index_pages() >= len(ours)
    after = _status_kib("RssFile")
    mapped = sum(len(st._source) for st in opened) // 1024
    assert before - after >= mapped // 2, (before, after, mapped)

    limited = WhooshBackend(str(tmp_path / "index"), mapped_mb=1)  # below any process's libraries
    assert answers(limited) == expected
    assert whoosh_memory.keep_within(1024) is True
    assert answers(limited) == expected


def test_unmapping_while_another_thread_opens_segments_does_not_fail():
    """The in-process indexer opens segments while a request's search ends with a trim: iterating
    the tracked storages must not see the set change size (a RuntimeError would fail the search)."""
    import threading

    from forum.search.backends import whoosh_memory

    class Closed:
        _source = None  # what a closed storage looks like to the trim

    stop = threading.Event()

    def open_segments():
        held = []
        while not stop.is_set():
            held.append(Closed())
            whoosh_memory._remember(held[-1])
            if len(held) > 500:
                held.clear()  # weakly held: they leave the set again

    opener = threading.Thread(target=open_segments)
    opener.start()
    try:
        for _ in range(20_000):
            whoosh_memory.unmap_index_pages()
    finally:
        stop.set()
        opener.join()
