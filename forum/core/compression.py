"""gzip for text responses (HTML, JSON, CSS, JS, SVG, feeds) when the client accepts it.

Level 1 by default, as nginx's `gzip_comp_level`. The fast levels (1–3) go through ISA-L's igzip
(the `isal` package) when it is installed, which it is by default: it writes the same gzip format
several times faster. On the 22 KB thread page (2026-12-04, the same machine, best of 5 × 400):
stdlib zlib level 1 197 µs → 8,077 bytes; igzip level 2 52 µs → 8,230 bytes (so `GZIP_LEVEL=1`
uses igzip's level 2: zlib level 1's size in a quarter of the time, 4–5 % of the rendered page);
zlib level 6 392 µs → 7,348 bytes. Levels 4–9 use the stdlib's zlib, for whoever wants its
ratios. Set GZIP_LEVEL=0 when a reverse proxy compresses instead. Static files (small,
immutable) are compressed once per file version and kept in memory.
"""
from __future__ import annotations

import gzip

from flask import request

COMPRESSIBLE = frozenset({
    "text/html", "text/css", "text/plain", "text/csv", "text/javascript", "application/javascript",
    "application/json", "application/problem+json", "image/svg+xml", "application/atom+xml",
    "application/xml", "text/xml",
})
MIN_SIZE = 1024
STATIC_MAX = 512 * 1024  # larger static files are sent as they are


def _accepts_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0


# GZIP_LEVEL (zlib's scale) → igzip's level: 1 → 2 (zlib 1's size, see above), 2–3 → 3.
_IGZIP_LEVELS = {1: 2, 2: 3, 3: 3}


def compressor(level: int):
    """`data -> gzip bytes` at `level` (1–9): ISA-L's igzip for 1–3 when installed, else zlib."""
    if level in _IGZIP_LEVELS:
        try:
            from isal import igzip
        except ImportError:  # a platform without a wheel: the stdlib's zlib does the same job, slower
            pass
        else:
            fast = _IGZIP_LEVELS[level]
            return lambda data: igzip.compress(data, fast, mtime=0)
    return lambda data: gzip.compress(data, level, mtime=0)


def init_app(app) -> None:
    level = int(app.config.get("GZIP_LEVEL", 1) or 0)
    if level <= 0:
        return
    compress = compressor(level)
    static_cache: dict[tuple[str, str], bytes] = {}

    @app.after_request
    def _compress(resp):
        if resp.mimetype not in COMPRESSIBLE:
            return resp
        resp.vary.add("Accept-Encoding")
        if (resp.status_code != 200 or "Content-Encoding" in resp.headers or request.method == "HEAD"
                or not _accepts_gzip()):
            return resp
        if resp.direct_passthrough:  # a file (send_file); only the small static ones are compressed
            size = resp.content_length if resp.content_length is not None else STATIC_MAX + 1
            if request.endpoint != "static" or not MIN_SIZE <= size <= STATIC_MAX:
                return resp
            etag, _weak = resp.get_etag()
            key = ((request.view_args or {}).get("filename", ""), etag or "")
            body = static_cache.get(key) if etag else None
            if body is None:
                resp.direct_passthrough = False
                body = compress(resp.get_data())
                if etag:
                    static_cache[key] = body
            else:
                close = getattr(resp.response, "close", None)
                if close is not None:
                    close()  # the open file is not read: its compressed bytes are cached
        elif resp.is_streamed:
            return resp
        else:
            data = resp.get_data()
            if len(data) < MIN_SIZE:
                return resp
            body = compress(data)
        resp.set_data(body)
        resp.headers["Content-Encoding"] = "gzip"
        etag, weak = resp.get_etag()
        if etag and not weak:
            # The bytes differ from the identity representation: only a weak validator still holds.
            resp.set_etag(etag, weak=True)
        return resp
