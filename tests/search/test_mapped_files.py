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
