"""A posting block layout whose ids, weights and values are read apart.

Whoosh 3's writer pickles a block's ids, weights and values (positions) together and compresses
the pickle, so reading one id of a block (an intersection skipping a common term to a candidate)
decompresses and unpickles the whole block: ~100 µs for 128 postings of 作用, about half of the
index query of a broad phrase (光合作用). Blocks written here keep Whoosh's header (count, last
id, max weight, lengths: what block skipping and block quality read) and add a layout code; the
data behind it is

    ids      the gaps after the first id (which the layout field holds), an array of the smallest
             of B / H / I that holds them
    weights  array B (whole numbers below 256) or f; nothing when every weight is 1.0
    values   offsets (array H or I, one more than postings) then the values' bytes, zlib-compressed
             together when the block's compression level says so and it is worth it

(arrays little-endian), so an id costs an array decode (~3 µs a block), a weight another, and
the positions of a match one decompression of the values only, never an unpickle. The values' bytes are the format's own
(`Positions`: pack_uint(n) + the pickled deltas), so formats decode them unchanged.

A block with Whoosh's six-field header is read the stock way: an index written before keeps
working, and segments of both layouts mix (a merge rewrites blocks in this layout).
"""
from __future__ import annotations

import sys
import zlib
from array import array
from itertools import accumulate
from pickle import dumps

from whoosh.codec.whoosh3 import _INT_SIZE
from whoosh.util.numeric import byte_to_length

LAYOUT_FIELDS = 7  # Whoosh's header has six; the seventh is (layout code, first id)
MIN_COMPRESS = 64  # values shorter than this are stored as they are
_NO_WEIGHTS = "-"  # every weight is 1.0
_NO_OFFSETS = "-"  # fixed-size values (or none): no offsets stored


_SWAP = sys.byteorder != "little"
_FLOAT_OF_BYTE = [float(i) for i in range(256)].__getitem__  # a "B" weight as the float it stands for


def _typecode(largest: int) -> str:
    return "B" if largest < 1 << 8 else "H" if largest < 1 << 16 else "I"


def _to_bytes(code: str, items) -> bytes:
    a = array(code, items)
    if _SWAP:
        a.byteswap()
    return a.tobytes()


def _from_bytes(code: str, raw: bytes) -> array:
    a = array(code, raw)
    if _SWAP:
        a.byteswap()
    return a


def encode_block(ids, weights, values, fixedsize, level: int) -> tuple[str, int, bytes]:
    """(layout code, values compressed?, data bytes) of one block (ids ascending)."""
    gaps = [b - a for a, b in zip(ids, ids[1:])]
    idcode = _typecode(max(gaps, default=0))
    parts = [_to_bytes(idcode, gaps)]

    if all(w == 1.0 for w in weights):
        wcode = _NO_WEIGHTS
    elif all(w.is_integer() and 0 <= w < 256 for w in weights):
        wcode = "B"
        parts.append(bytes(int(w) for w in weights))
    else:
        wcode = "f"
        parts.append(_to_bytes("f", weights))

    if fixedsize is None or fixedsize < 0:
        body = b"".join(values)
        offsets = [0]
        offsets.extend(accumulate(len(v) for v in values))
        ocode = "H" if len(body) < 1 << 16 else "I"
        vbytes = _to_bytes(ocode, offsets) + body
    else:
        ocode = _NO_OFFSETS
        vbytes = b"".join(values) if fixedsize else b""
    compressed = 0
    if level and len(vbytes) >= MIN_COMPRESS:
        packed = zlib.compress(vbytes, level)
        if len(packed) < len(vbytes):
            vbytes, compressed = packed, 1
    parts.append(vbytes)
    return idcode + wcode + ocode, compressed, b"".join(parts)


class BlockValues:
    """The values of a block, sliced out of the (decompressed) values region on demand."""

    __slots__ = ("_buf", "_offsets")

    def __init__(self, buf: bytes, offsets: array):
        self._buf = buf
        self._offsets = offsets

    def __len__(self):
        return len(self._offsets) - 1

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        offsets = self._offsets
        if i < 0:
            i += len(offsets) - 1
        return self._buf[offsets[i]:offsets[i + 1]]

    def __iter__(self):
        offsets, buf = self._offsets, self._buf
        return (buf[a:b] for a, b in zip(offsets, offsets[1:]))


def block_regions(dataoffset: int, nextoffset: int, layout: str, n: int) -> tuple[tuple[int, int], ...]:
    """(start, end) in the postings file of a split-layout block's ids, weights and values."""
    ids_end = dataoffset + (n - 1) * array(layout[0]).itemsize
    w_end = ids_end if layout[1] == _NO_WEIGHTS else ids_end + n * array(layout[1]).itemsize
    return (dataoffset, ids_end), (ids_end, w_end), (w_end, nextoffset)


def _values_region(postfile, start: int, end: int, compression) -> bytes:
    raw = postfile.get(start, end - start) if end > start else b""
    return zlib.decompress(raw) if compression else raw


def read_value(postfile, dataoffset: int, nextoffset: int, layout: str, n: int, compression, i: int) -> bytes:
    """The value of posting `i` of a split-layout block whose values have offsets, read alone
    (a matcher's `_read_values` slices them all out of the same region)."""
    start, end = block_regions(dataoffset, nextoffset, layout, n)[2]
    raw = _values_region(postfile, start, end, compression)
    width = array(layout[2]).itemsize
    offsets = _from_bytes(layout[2], raw[i * width:(i + 2) * width])
    head = width * (n + 1)
    return raw[head + offsets[0]:head + offsets[1]]


def read_block_header(postfile, position: int) -> tuple:
    """(next block's offset, data offset, whether it is the last block, header fields) of the
    posting block at `position`."""
    postfile.seek(position)
    length = postfile.read_int()
    info = postfile.read_pickle()
    return position + _INT_SIZE + abs(length), postfile.tell(), length < 0, info


def enter_block(matcher, position: int, header: tuple) -> None:
    """Make the block at `position` (with its `read_block_header`) the matcher's current block."""
    matcher._data = matcher._ids = matcher._weights = matcher._values = None
    matcher._i = 0
    nextoffset, matcher._dataoffset, last, info = header
    if last:
        matcher._lastblock = True
    matcher._nextoffset = nextoffset
    if len(info) == LAYOUT_FIELDS:
        (matcher._blocklength, matcher._maxid, matcher._maxweight, matcher._compression,
         mnlen, mxlen, (matcher._jy_layout, matcher._jy_first)) = info
    else:
        (matcher._blocklength, matcher._maxid, matcher._maxweight, matcher._compression,
         mnlen, mxlen) = info
        matcher._jy_layout = None
    matcher._minlength = byte_to_length(mnlen)
    matcher._maxlength = byte_to_length(mxlen)


def _patch() -> None:
    from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3LeafMatcher, W3PostingsWriter
    from whoosh.util.numeric import length_to_byte

    if getattr(W3PostingsWriter, "_jy_layout", False):
        return

    stock_write_block = W3PostingsWriter._write_block
    stock = {name: getattr(W3LeafMatcher, name)
             for name in ("_read_ids", "_read_weights", "_read_values")}

    def _write_block(self, last=False):
        if self._byteids or getattr(self, "_jy_stock", False):  # term vectors; A/B measurements
            return stock_write_block(self, last)
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        ids = self._ids
        layout, compressed, data = encode_block(
            ids, self._weights, self._values, self._format.fixed_value_size(), self._compression)
        info = dumps((len(ids), ids[-1], self._maxweight, compressed,
                      length_to_byte(self._minlength), length_to_byte(self._maxlength),
                      (layout, ids[0])), 2)
        length = len(info) + len(data)
        self._postfile.write_int(-length if last else length)
        self._postfile.write(info)
        self._postfile.write(data)
        self._blockcount += 1
        self._new_block()

    def _goto(self, position):
        enter_block(self, position, read_block_header(self._postfile, position))

    def _region(self, which):
        """(start, end) in the postings file of a new-layout block's ids, weights or values."""
        return block_regions(self._dataoffset, self._nextoffset, self._jy_layout, self._blocklength)[which]

    def _read_ids(self):
        if self._jy_layout is None:
            return stock["_read_ids"](self)
        start, end = _region(self, 0)
        gaps = _from_bytes(self._jy_layout[0], self._postfile.get(start, end - start))
        self._ids = list(accumulate(gaps, initial=self._jy_first))

    def _read_weights(self):
        if self._jy_layout is None:
            return stock["_read_weights"](self)
        code = self._jy_layout[1]
        if code == _NO_WEIGHTS:
            self._weights = array("f", [1.0]) * self._blocklength
            return
        start, end = _region(self, 1)
        raw = self._postfile.get(start, end - start)
        if code == "B":  # floats from a table: array("f", <array B>) costs 16 µs a block, this 3
            self._weights = list(map(_FLOAT_OF_BYTE, raw))
        else:
            self._weights = _from_bytes(code, raw)

    def _read_values(self):
        if self._jy_layout is None:
            return stock["_read_values"](self)
        n, fixedsize = self._blocklength, self._fixedsize
        if fixedsize == 0:
            self._values = (None,) * n
            return
        start, end = _region(self, 2)
        raw = _values_region(self._postfile, start, end, self._compression)
        ocode = self._jy_layout[2]
        if ocode == _NO_OFFSETS:
            self._values = tuple(raw[i:i + fixedsize] for i in range(0, len(raw), fixedsize))
            return
        width = array(ocode).itemsize * (n + 1)
        self._values = BlockValues(raw[width:], _from_bytes(ocode, raw[:width]))

    W3PostingsWriter._write_block = _write_block
    W3PostingsWriter._jy_layout = True
    W3LeafMatcher._goto = _goto
    W3LeafMatcher._read_ids = _read_ids
    W3LeafMatcher._read_weights = _read_weights
    W3LeafMatcher._read_values = _read_values


_patch()
