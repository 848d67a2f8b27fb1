"""A page cache for visitors: a signed-out GET of a page is answered from memory while nothing changed.

Everyone who is not signed in sees the same page for the same URL and language: the visibility
rule gives every visitor the same audience (public groups only). So a visitor's page can be kept
and handed to the next visitor, as long as no write happened since it was rendered.

**The generation.** Every committed write (any session commit that flushed or executed an INSERT,
UPDATE or DELETE on a table a visitor's page can show) moves a generation value that all workers read
at the start of each request: the size and time of `DATA_DIR/pagecache.generation`, a byte
appended per write (one `stat` to read, on one host), or a Redis counter for several hosts (`PAGE_CACHE_GENERATION=redis://…`, or
by default the Redis of `RATELIMIT_STORAGE_URI` when the rate limits use one).
A page is stored with the generation read *before* its first database read, and served only while
the generation is unchanged, so a page can never show data older than the last write:
- a write committed before the generation was read is in the rendered data;
- a write committed after it moves the generation, and the stored page is no longer served.
Between a commit and the bump (microseconds) a worker killed with -9 would leave the stored pages
unchanged: `PAGE_CACHE_TTL` (seconds, default 30) bounds that, and the time-dependent bits of a page
(an overdue 集体备课, "this month" on the tallies).

**What is never stored.** Anything but a 200 `text/html` or Atom response to a GET; a signed-in
user (session or remember cookie), an `Authorization` header; a page that put anything in the
session (a flashed message, a CSRF token: a form's token is personal), that made a CSP nonce or a
submission key, that set a cookie or said `Cache-Control: private`/`no-store`. A request whose
session carries flashed messages is never answered from the cache.

**Derived data.** `remember(name, key, compute)` keeps small values computed from the database
(what a visitor may read, as the search filter needs it) under the same rule: stored with the
generation read at the start of the request, before its first database read, and used only while
that generation and the TTL hold. Values must be plain data (no ORM objects), the same for every
request with that key. `DERIVED_CACHE=0` turns it off, apart from `PAGE_CACHE` (both off under
TESTING unless a test turns them on); `DERIVED_CACHE_ENTRIES` (default 32) bounds it: a reader's
containers on the 1 M-post district are ~4,600 names, ~0.4 MB, and every visitor shares one entry.

**Memory.** Each worker keeps its own least-recently-used map, at most `PAGE_CACHE_MAX_BYTES`
(default 32 MB) of response bodies. `PAGE_CACHE=0` turns it off (it is off under TESTING unless a
test turns it on).
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from pathlib import Path

from flask import current_app, g, has_app_context, has_request_context, request, session

log = logging.getLogger(__name__)

CACHEABLE_TYPES = frozenset({"text/html", "application/atom+xml"})
# Response headers that are kept with the body; the others are set again on every response.
KEPT_HEADERS = ("Content-Type", "Content-Encoding", "Content-Language", "Vary", "Last-Modified")
# Per-request markers of personal content (see forum.core.security and forum.core.submissions).
PERSONAL_G_KEYS = ("csrf_token", "csp_nonce", "jy_personal")
_PENDING = "jiaoyan.pagecache"
# Flask-WTF's token and Flask-Babel's locale are cached on g, which is per request in production.
_REQUEST_STATE = ("jy_personal", "csrf_token", "_flask_babel", "jy_views", "jy_generation")


class FileGeneration:
    """The size and modification time of one file: one stat to read, one appended byte to move.

    An append (O_APPEND) is atomic between processes and always grows the file, so two commits
    bumping at once, or a file system with coarse timestamps, still give a value no reader saw.
    The file grows by a byte per write that bumps (a million writes: 1 MB).
    """

    def __init__(self, path: Path):
        self.path = Path(path)  # made at the first read or write, not when the app is built
        self.source = str(self.path)  # (an app is built to restore into an empty data dir)

    def read(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:  # the first request: a new file, a value no page was stored under
            try:
                self.path.touch()
                st = os.stat(self.path)
            except OSError:
                return None
        except OSError:
            return None
        return st.st_size, st.st_mtime_ns

    def bump(self) -> None:
        try:
            with open(self.path, "ab") as fh:
                fh.write(b".")
        except OSError:
            log.exception("page cache: could not move the generation")


class RedisGeneration:
    """A Redis counter, for several hosts. Unreachable Redis: nothing is served from the cache."""

    KEY = "jiaoyan:pagecache:generation"

    def __init__(self, url: str):
        import redis

        self.source = url
        self.client = redis.Redis.from_url(url, socket_timeout=0.2, socket_connect_timeout=0.2)

    def read(self) -> int | None:
        try:
            value = self.client.get(self.KEY)
            if value is None:
                # A new (or restarted, flushed) Redis: start from the clock, never from 0 again, so
                # no number a stored page carries comes back; serve nothing until then.
                self.client.set(self.KEY, time.time_ns(), nx=True)
                return None
        except Exception:  # noqa: BLE001 - a cache must never fail a request
            return None
        return int(value)

    def bump(self) -> None:
        try:
            self.client.incr(self.KEY)
        except Exception:  # noqa: BLE001
            log.warning("page cache: Redis unreachable, generation not moved; pages expire by TTL")


class PageCache:
    """Stored responses by key, least recently used out first, bounded in bytes; one lock, for
    threaded workers."""

    def __init__(self, generation, max_bytes: int, ttl: float):
        self.generation = generation
        self.max_bytes = max_bytes
        self.ttl = ttl
        self.entries: OrderedDict[tuple, tuple] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def get(self, key: tuple, generation: int):
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                return None
            gen, stored_at, status, headers, body, views = entry
            if gen != generation or time.monotonic() - stored_at > self.ttl:
                self._drop(key)
                return None
            self.entries.move_to_end(key)
            return status, headers, body, views

    def put(self, key: tuple, generation: int, status: int, headers: list, body: bytes,
            views: tuple = ()) -> None:
        if len(body) > self.max_bytes // 8:
            return
        with self.lock:
            self._drop(key)
            self.entries[key] = (generation, time.monotonic(), status, headers, body, views)
            self.size += len(body)
            while self.size > self.max_bytes and self.entries:
                self._drop(next(iter(self.entries)))

    def _drop(self, key: tuple) -> None:
        entry = self.entries.pop(key, None)
        if entry is not None:
            self.size -= len(entry[4])


class DerivedCache:
    """Plain values by (name, key) with the generation they were computed under; least recently
    used out first, at most `max_entries`."""

    def __init__(self, max_entries: int, ttl: float):
        self.max_entries = max_entries
        self.ttl = ttl
        self.entries: OrderedDict[tuple, tuple] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple, generation):
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                return _MISSING
            gen, stored_at, value = entry
            if gen != generation or time.monotonic() - stored_at > self.ttl:
                del self.entries[key]
                return _MISSING
            self.entries.move_to_end(key)
            return value

    def put(self, key: tuple, generation, value) -> None:
        with self.lock:
            self.entries.pop(key, None)
            self.entries[key] = (generation, time.monotonic(), value)
            while len(self.entries) > self.max_entries:
                self.entries.popitem(last=False)


_MISSING = object()


def remember(name: str, key, compute):
    """`compute()`, or its value from an earlier request of this worker if nothing was written
    since (see "Derived data" above); always `compute()` when the cache is off or the generation
    could not be read."""
    cache = current_app.extensions.get("jy_derived")
    generation = g.get("jy_generation") if cache is not None and has_request_context() else None
    if generation is None:
        return compute()
    full_key = (name, key)
    value = cache.get(full_key, generation)
    if value is _MISSING:
        value = compute()
        cache.put(full_key, generation, value)
    return value


def _generation_source(app):
    """PAGE_CACHE_GENERATION if set; else the rate limits' Redis when there is one (several hosts
    share it already); else the file in the data dir (one host)."""
    limits = str(app.config.get("RATELIMIT_STORAGE_URI") or "")
    spec = str(app.config.get("PAGE_CACHE_GENERATION")
               or (limits if limits.startswith(("redis://", "rediss://")) else "file"))
    if spec.startswith(("redis://", "rediss://", "unix://")):
        return RedisGeneration(spec)
    return FileGeneration(Path(app.config["JIAOYAN_DATA_DIR"]) / "pagecache.generation")


def _visitor_request() -> bool:
    """A GET from someone who is not signed in, with nothing personal waiting in the session."""
    if request.method != "GET" or "Authorization" in request.headers:
        return False
    remember_cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    if remember_cookie in request.cookies:
        return False
    if session.get("_user_id") is not None or session.get("_flashes"):
        return False
    return True


def _key() -> tuple:
    """What a visitor's page depends on: scheme and host (feeds link absolutely), path and query,
    language, and the encoding sent."""
    from forum.core.i18n import select_locale

    gz = request.accept_encodings["gzip"] > 0
    return (request.scheme, request.host, request.full_path, select_locale(), gz)


# Tables whose rows no visitor's page shows: a write to these alone moves nothing.
PRIVATE_TABLES = frozenset({"entry_autosaves", "submissions", "notifications", "api_tokens"})
# Every app's generation in this process, by source (one per data dir or Redis URL).
_GENERATIONS: dict[str, object] = {}
_hooks_installed = False


def _table_of(obj) -> str | None:
    return getattr(obj, "__tablename__", None)


def install_write_hooks() -> None:
    """Bump after every commit that wrote a visitor-visible table, through the ORM or a DML
    statement run on a session (services, the search indexer, CLI commands)."""
    global _hooks_installed
    if _hooks_installed:
        return
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    def _flushed(session_, _ctx):
        if session_.info.get("jy_wrote"):
            return
        for obj in (*session_.new, *session_.dirty, *session_.deleted):
            if _table_of(obj) not in PRIVATE_TABLES:
                session_.info["jy_wrote"] = True
                return

    def _executed(orm_state):
        if orm_state.is_insert or orm_state.is_update or orm_state.is_delete:
            table = getattr(getattr(orm_state.statement, "table", None), "name", None)
            if table not in PRIVATE_TABLES:
                orm_state.session.info["jy_wrote"] = True

    def _committed(session_):
        if not session_.info.pop("jy_wrote", False):
            return
        mine = current_app.extensions.get("jy_pagecache_generation") if has_app_context() else None
        for generation in [mine] if mine is not None else list(_GENERATIONS.values()):
            generation.bump()

    def _rolled_back(session_):
        session_.info.pop("jy_wrote", None)

    event.listen(Session, "after_flush", _flushed)
    event.listen(Session, "do_orm_execute", _executed)
    event.listen(Session, "after_commit", _committed)
    event.listen(Session, "after_rollback", _rolled_back)
    _hooks_installed = True


def init_app(app) -> None:
    # Writes move the generation even where this process serves nothing from the cache (a CLI
    # command, the indexer, a worker with PAGE_CACHE=0): the web workers that do must see them.
    source = _generation_source(app)
    generation = _GENERATIONS.setdefault(source.source, source)
    app.extensions["jy_pagecache_generation"] = generation
    install_write_hooks()
    testing = app.config.get("TESTING")
    pages_on = app.config.get("PAGE_CACHE", not testing)
    derived_on = app.config.get("DERIVED_CACHE", not testing)
    if not (pages_on or derived_on):
        return
    ttl = float(app.config.get("PAGE_CACHE_TTL", 30))
    cache = None
    if pages_on:
        cache = PageCache(generation, int(app.config.get("PAGE_CACHE_MAX_BYTES", 32 << 20)), ttl)
        app.extensions["jy_pagecache"] = cache
    if derived_on:
        app.extensions["jy_derived"] = DerivedCache(int(app.config.get("DERIVED_CACHE_ENTRIES", 32)), ttl)

    def _serve_from_cache():
        # Per-request state that an app context kept across requests (tests, CLI) must not carry.
        for name in _REQUEST_STATE:
            g.pop(name, None)
        # Before any database read of this request: what is stored under it is at least this new.
        g.jy_generation = current = generation.read()
        if cache is None or current is None or not _visitor_request():
            return None
        key = _key()
        found = cache.get(key, current)
        if found is None:
            request.environ[_PENDING] = (key, current)
            return None
        status, headers, body, views = found
        counter = app.extensions.get("jy_viewcounts")
        for kind, obj_id in views if counter is not None else ():
            counter.add(kind, obj_id)  # the view this page counted when it was rendered
        resp = app.response_class(body, status=status)
        for name, value in headers:
            resp.headers[name] = value
        resp.headers["X-Page-Cache"] = "hit"
        return resp

    def _store(resp):
        pending = request.environ.pop(_PENDING, None)  # (never set when the page cache is off)
        if pending is None or not _storable(resp):
            return resp
        key, generation = pending
        headers = [(k, v) for k, v in resp.headers.items() if k in KEPT_HEADERS]
        from forum.core import viewcounts

        cache.put(key, generation, resp.status_code, headers, resp.get_data(), viewcounts.counted())
        resp.headers["X-Page-Cache"] = "miss"
        return resp

    # First among the before_request functions, so the generation is read before anything of this
    # request reads the database. A page is stored only after a full render that passed every
    # other hook (input checks, rate limits), so a hit repeats an answer they already allowed.
    app.before_request_funcs.setdefault(None, []).insert(0, _serve_from_cache)
    # after_request functions run last-registered first: put this one first in the list, so it
    # runs after every other (compression included) and keeps the final bytes.
    app.after_request_funcs.setdefault(None, []).insert(0, _store)


def _storable(resp) -> bool:
    from flask_login import current_user

    if resp.status_code != 200 or resp.mimetype not in CACHEABLE_TYPES or resp.is_streamed:
        return False
    if resp.direct_passthrough or "Set-Cookie" in resp.headers:
        return False
    cc = resp.cache_control
    if cc.private or cc.no_store or cc.no_cache:
        return False
    if session.modified or session.get("_user_id") is not None:
        return False
    if any(k in g for k in PERSONAL_G_KEYS):
        return False
    return not current_user.is_authenticated
