"""The Whoosh index's schema and documents, and the speed-ups its writer and scorer need."""
from __future__ import annotations

from array import array
from bisect import bisect_left
from datetime import timezone
from pickle import dumps as _dumps

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.formats import Positions
from whoosh.system import pack_uint as _pack_uint

from forum.search.analyzer import CJKTokenizer, term_positions, whoosh_analyzer
from forum.search.backends.base import SearchDoc
# Importing it installs the posting block layout (whoosh_postings._patch).
from forum.search.backends.whoosh_postings import enter_block, read_block_header

TITLE_BOOST = 2.0


class CJKPositions(Positions):
    """Whoosh's Positions format, fed straight from the analyzer's term positions.

    Same bytes as `Positions` (so readers decode it unchanged); it only skips the Token
    objects and the per-token bookkeeping of the generic path, the hot loop of indexing.
    """

    def word_values(self, value, analyzer, **kwargs):
        if not isinstance(analyzer, CJKTokenizer):
            yield from super().word_values(value, analyzer, **kwargs)
            return
        fb = self.field_boost
        for term, poslist in term_positions(value).items():
            deltas = [poslist[0]]
            deltas.extend(b - a for a, b in zip(poslist, poslist[1:]))
            yield term, len(poslist), len(poslist) * fb, _pack_uint(len(deltas)) + _dumps(deltas, 2)


def _text_field(analyzer, field_boost: float = 1.0) -> TEXT:
    field = TEXT(analyzer=analyzer, phrase=True, field_boost=field_boost)
    field.format = CJKPositions(field_boost=field_boost)
    return field


def make_schema() -> Schema:
    """The fields of the Whoosh index."""
    analyzer = whoosh_analyzer()
    return Schema(
        key=ID(unique=True, stored=True),
        doc_type=ID(stored=True),
        doc_id=STORED(),
        title=_text_field(analyzer, TITLE_BOOST),
        body=_text_field(analyzer),
        author=ID(),
        group=ID(),
        school=ID(),
        category=ID(),
        tags=KEYWORD(commas=True, lowercase=True),
        container=ID(),
        created=NUMERIC(int, bits=64, sortable=True),  # signed: whoosh mis-ranges unsigned
        month=ID(),  # YYYYMM of created (UTC): the recent window of broad queries
        stamp=STORED(),
    )


def fields_of(doc: SearchDoc) -> dict:
    """The stored and indexed fields of a document."""
    return {
        "key": doc.key,
        "doc_type": doc.doc_type,
        "doc_id": doc.doc_id,
        "title": doc.title,
        "body": doc.body,
        "author": str(doc.author_id),
        "group": str(doc.group_id or 0),
        "school": str(doc.school_id or 0),
        "category": doc.category or "",
        "tags": ",".join(doc.tags),
        "container": doc.container,
        "created": max(0, int(doc.created_at.timestamp())),
        "month": month_of(doc),
        "stamp": doc.stamp,
    }


def month_of(doc: SearchDoc) -> str:
    """The `month` term of a document: YYYYMM of its UTC creation time."""
    created = doc.created_at
    if created.tzinfo is not None:
        created = created.astimezone(timezone.utc)
    return f"{created.year:04d}{created.month:02d}"


def fields_for(schema, doc: SearchDoc) -> dict:
    """fields_of() limited to the fields of an index (one built before `month` existed lacks it)."""
    fields = fields_of(doc)
    if "month" not in schema:
        fields.pop("month")
    return fields


def _cache_missing_length_columns() -> None:
    """Make Whoosh read a segment's field lengths once, not once per posting.

    Whoosh asks for the field length of a document for every posting it writes (block
    statistics) and for every document it scores (BM25F). Stock whoosh-reloaded reads one byte
    from the column file each time and, for fields without lengths (ID fields), stats the disk
    each time: a third of the indexing time. A finished segment's columns never change, so the
    lengths (one byte per document) are read into memory once per segment reader.
    """
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3PerDocReader, _lenfield
    from whoosh.columns import NumericColumn
    from whoosh.util.numeric import byte_to_length

    if getattr(W3PerDocReader, "_jy_patched", False):
        return

    def _cached_reader(self, fieldname, column):
        try:
            return self._readers[fieldname]
        except KeyError:
            reader = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
            self._readers[fieldname] = reader
            return reader

    def _lengths(self, fieldname):
        cache = self.__dict__.setdefault("_jy_lengths", {})
        if fieldname not in cache:
            reader = self._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            if reader is None:
                cache[fieldname] = None
            elif isinstance(reader, NumericColumn.Reader) and reader._fixedlen == 1:
                raw = reader._dbfile.get(reader._basepos, reader._count) if reader._count else b""
                cache[fieldname] = (raw, reader._default)
            else:
                cache[fieldname] = reader
        return cache[fieldname]

    def doc_field_length(self, docnum, fieldname, default=0):
        if docnum > self._doccount:
            raise IndexError("Asked for docnum %r of %d" % (docnum, self._doccount))
        found = _lengths(self, fieldname)
        if found is None:
            return default
        if isinstance(found, tuple):
            raw, missing = found
            lbyte = raw[docnum] if docnum < len(raw) else missing
        else:
            lbyte = found[docnum]
        if lbyte:
            return byte_to_length(lbyte)
        return None

    W3PerDocReader._cached_reader = _cached_reader
    W3PerDocReader.doc_field_length = doc_field_length
    W3PerDocReader._jy_patched = True


_cache_missing_length_columns()


def _map_buffer_files_without_copying() -> None:
    """Keep Whoosh's memory-mapped segment files mapped instead of copied into each process.

    whoosh-reloaded's BufferFile (a sub-file of an mmapped compound segment) wraps its buffer in
    a BytesIO, which copies the whole sub-file: a searcher over a 174 MB index cost each worker
    ~180 MB of private memory (the postings, copied). Sequential reads now go to the mapped
    buffer through a small cursor, so the pages stay shared in the OS page cache.
    """
    from whoosh.filedb.structfile import BufferFile

    if getattr(BufferFile, "_jy_patched", False):
        return

    def __init__(self, buf, name=None, onclose=None):
        self._buf = buf
        self._name = name
        self.file = _MappedCursor(buf)
        self.onclose = onclose
        self.is_real = False
        self.is_closed = False

    BufferFile.__init__ = __init__
    BufferFile._jy_patched = True


PEEK_BYTES = 256  # a posting block's header is ~30 bytes; a longer pickle peeks again


class _MappedCursor:
    """A read-only file over a buffer (memoryview of an mmap) that copies only what is read."""

    __slots__ = ("_buf", "_pos")

    def __init__(self, buf):
        self._buf = buf
        self._pos = 0

    def read(self, n=-1):
        """The next n bytes (all the rest when n < 0)."""
        start, size = self._pos, len(self._buf)
        end = size if n is None or n < 0 else min(start + n, size)
        self._pos = max(end, start)
        return bytes(self._buf[start:self._pos])

    def readline(self, limit=-1):
        """Up to and including the next newline."""
        start, size = self._pos, len(self._buf)
        stop = size if limit is None or limit < 0 else min(start + limit, size)
        pos = start
        while pos < stop:
            chunk = bytes(self._buf[pos:min(pos + 256, stop)])
            found = chunk.find(b"\n")
            if found >= 0:
                pos += found + 1
                break
            pos += len(chunk)
        self._pos = pos
        return bytes(self._buf[start:pos])

    def peek(self, n=1):
        """Some bytes from the position on, without moving it. Unpickling a block's header
        (`read_pickle`) asks for them first and then reads what it used: two calls instead of
        one per opcode (skipping the blocks of a common term reads one header per block): 9.8 →
        2.9 µs a header; on the 1M index 教学's query 31–33 → 12 ms, 光合作用's 26–43 → 22–24 ms."""
        start = self._pos
        return bytes(self._buf[start:start + min(max(n, 1), PEEK_BYTES)])

    def __iter__(self):
        while line := self.readline():
            yield line

    def tell(self):
        """The current position."""
        return self._pos

    def seek(self, offset, whence=0):
        """Move the position like io.BytesIO.seek."""
        base = {0: 0, 1: self._pos, 2: len(self._buf)}[whence]
        self._pos = max(base + offset, 0)
        return self._pos

    def close(self):
        """Nothing to release: the mapping belongs to the compound storage."""


_map_buffer_files_without_copying()


def _bisect_within_blocks() -> None:
    """Make a posting list's skip_to() bisect inside a block instead of stepping through it.

    Intersecting a rare term with a common one (光合 with 作用) skips the common list to each
    candidate; stock whoosh-reloaded walks the block one posting at a time with two method
    calls per posting. Block ids are sorted. (光合作用 on `small`, 793 matches: 30.1 → 26.7 ms.)
    """
    from bisect import bisect_left

    from whoosh.codec.whoosh3 import W3LeafMatcher
    from whoosh.matching import ReadTooFar

    if getattr(W3LeafMatcher, "_jy_patched", False):
        return

    def skip_to(self, targetid):
        if not self.is_active():
            raise ReadTooFar
        if targetid <= self.id():
            return
        if targetid > self._maxid:
            _skip_blocks(self, targetid)
            if not self.is_active() or targetid <= self.id():
                return
        i = bisect_left(self._ids, targetid, self._i, self._blocklength)
        if i >= self._blocklength:  # not in this block (cannot happen after the block skip)
            self._i = self._blocklength - 1
            self.next()
            while self.is_active() and self.id() < targetid:
                self.next()
        else:
            self._i = i

    W3LeafMatcher._stock_skip_to = W3LeafMatcher.skip_to  # for A/B measurements
    W3LeafMatcher.skip_to = skip_to
    W3LeafMatcher._jy_patched = True


_bisect_within_blocks()


def _skip_blocks(matcher, targetid: int) -> None:
    """Move a posting list to its first block whose last id is at least `targetid` (or to its end),
    reading no block header twice.

    Stock Whoosh steps block by block, reading each header on the way (a seek and a pickle): a
    common term intersected with a rarer one (作用 under 光合) reads the same headers again on
    every query, in every segment, from the segment's first block (where a matcher starts). The
    headers read so far are kept per term (a prefix of its blocks: last ids, offsets, headers)
    on the segment's postings file: a skip inside the known prefix is one bisect and no read, a
    skip past it walks on from the prefix's end and extends it. The file belongs to a segment
    reader (a snapshot: a segment never changes), so the lists go when the reader does.
    """
    postfile = matcher._postfile
    skips = postfile.__dict__.get("_jy_skips")
    if skips is None or skips.blocks >= SKIP_BLOCKS_CAP:
        skips = postfile._jy_skips = _Skips()
    known = skips.get(matcher._startoffset)
    if known is None:
        known = skips[matcher._startoffset] = _KnownBlocks()
        skips.add(known, matcher._baseoffset, read_block_header(postfile, matcher._baseoffset))
    maxids = known.maxids
    if targetid <= maxids[-1]:
        j = bisect_left(maxids, targetid)
        _enter(matcher, known.offsets[j], known.headers[j])
        return
    offset, header = known.offsets[-1], known.headers[-1]
    while not header[2] and targetid > header[3][1]:  # (…, last block?, (count, last id, …))
        offset = header[0]
        header = read_block_header(postfile, offset)
        skips.add(known, offset, header)
    _enter(matcher, offset, header)
    if targetid > matcher._maxid:  # past the term's last id
        matcher._atend = True


def _enter(matcher, offset: int, header: tuple) -> None:
    matcher._lastblock = False  # entering a block only ever sets it (stock Whoosh moves forward only)
    enter_block(matcher, offset, header)


class _KnownBlocks:
    """The last ids, offsets and headers (`whoosh_postings.read_block_header`) of a term's first
    blocks, in order."""

    __slots__ = ("maxids", "offsets", "headers")

    def __init__(self):
        self.maxids = array("q")
        self.offsets = array("q")
        self.headers: list[tuple] = []


class _Skips(dict):
    """{term's start offset: _KnownBlocks} of one postings file, with the blocks held in all."""

    def __init__(self):
        super().__init__()
        self.blocks = 0

    def add(self, known: _KnownBlocks, offset: int, header: tuple) -> None:
        known.maxids.append(header[3][1])
        known.offsets.append(offset)
        known.headers.append(header)
        self.blocks += 1


SKIP_BLOCKS_CAP = 8_192  # known block headers per segment reader (~250 bytes each), then start over
TERM_MEMO_CAP = 20_000  # remembered lookups per segment reader (a few MB at most)


def _remember_term_lookups() -> None:
    """Look a term up once per segment reader, not four times per query and segment, and add up
    a field's length over the segments once per reader, not once per term and segment.

    A phrase query asks each segment about each of its terms for `in`, for the postings, for its
    scorer and for the intersection's size estimate: each an md5 of the key and a probe of the
    mapped hash file. The scorer also asks the whole index for the field's average length, a sum
    over every segment, for every term in every segment (O(segments²) per query). Readers are
    snapshots (a segment never changes; a commit gives a new reader), so both are remembered on
    the reader. On `small` with 39 segments, the index query of 勾股定理 (20 hits) went from
    4.4–4.9 to 2.6–3.1 ms of CPU, 教学 (broad) from ~4.1 to ~3.7 ms (interleaved runs); on the
    1M index (28 segments), with `_MappedCursor.peek`, 勾股定理 ~17–20 → 2.9 ms.
    """
    from whoosh.codec.whoosh3 import W3TermInfo, W3TermsReader
    from whoosh.reading import MultiReader, TermNotFound

    if getattr(W3TermsReader, "_jy_patched", False):
        return

    def _info(self, fieldname, tbytes):
        memo = self.__dict__.get("_jy_terms")
        if memo is None or len(memo) >= TERM_MEMO_CAP:
            memo = self._jy_terms = {}
        key = (fieldname, tbytes)
        if key not in memo:
            raw = self._tindex.get(self._keycoder(fieldname, tbytes))
            memo[key] = None if raw is None else W3TermInfo.from_bytes(raw)
        return memo[key]

    def term_info(self, fieldname, tbytes):
        info = _info(self, fieldname, tbytes)
        if info is None:
            raise TermNotFound("No term %s:%r" % (fieldname, tbytes))
        return info

    def contains(self, term):
        return _info(self, *term) is not None

    def _found(self, fieldname, tbytes):
        info = _info(self, fieldname, tbytes)
        if info is None:
            raise KeyError((fieldname, tbytes))  # as the stock methods: the segment reader says 0
        return info

    def frequency(self, fieldname, tbytes):
        return _found(self, fieldname, tbytes).weight()

    def doc_frequency(self, fieldname, tbytes):
        return _found(self, fieldname, tbytes).doc_frequency()

    W3TermsReader.term_info = term_info
    W3TermsReader.__contains__ = contains
    W3TermsReader.frequency = frequency
    W3TermsReader.doc_frequency = doc_frequency
    W3TermsReader._jy_patched = True

    stock_field_length = MultiReader.field_length

    def field_length(self, fieldname):
        lengths = self.__dict__.setdefault("_jy_field_lengths", {})
        if fieldname not in lengths:
            lengths[fieldname] = stock_field_length(self, fieldname)
        return lengths[fieldname]

    MultiReader.field_length = field_length


_remember_term_lookups()
