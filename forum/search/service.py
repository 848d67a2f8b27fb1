"""Searching for a person: parse the request, apply the reader's visibility, build the page.

Visibility is applied twice, as on every read path: the index query is restricted to the
containers (group, personal blog, cluster board) the reader may read, and every hit of the
shown page is re-checked against the database with `policy.can(user, "read", row)` (and must
still be indexable: never deleted, never a draft). Snippets are computed for that page only.
"""
from __future__ import annotations

from flask_babel import gettext as _

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Mapping

from flask import current_app, has_request_context, url_for
from markupsafe import Markup
from sqlalchemy import literal_column, select, union_all
from werkzeug.routing import BuildError

from forum import policy
from forum.blogs.models import CATEGORIES, Blog
from forum.boards.models import THREAD_KINDS, Board
from forum.core import pagecache
from forum.core.templating import RowUrls
from forum.core.timezones import site_zone
from forum.extensions import db
from forum.org.models import Group
from forum.search import documents, index
from forum.search.analyzer import ParsedQuery, parse_query
from forum.search.backends.base import DOC_TYPES, SORTS, Filters
from forum.search.snippets import mark_title, snippet

PER_PAGE = 20
MAX_PAGE = 50


class InvalidSearch(ValueError):
    """A search parameter that cannot be used; `field` names it."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name


@dataclass
class SearchRequest:
    """What the reader asked for."""

    q: str = ""
    doc_type: str | None = None
    group_id: int | None = None
    school_id: int | None = None
    author: str | None = None
    category: str | None = None
    since: date | None = None
    until: date | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = PER_PAGE


@dataclass
class Result:
    """One visible hit, ready to show."""

    doc_type: str
    doc_id: int
    title: str
    title_html: Markup
    snippet: Markup
    url: str
    author_name: str
    created_at: datetime | None
    where: str


@dataclass
class ResultPage:
    """A page of results."""

    request: SearchRequest
    query: ParsedQuery
    total: int = 0
    results: list[Result] = field(default_factory=list)
    total_exact: bool = True  # False: `total` is a lower bound (the count stops at 1,000)

    @property
    def pages(self) -> int:
        return min(MAX_PAGE, max(1, -(-self.total // self.request.per_page)))

    # The names the shared `pager` macro reads.
    @property
    def page(self) -> int:
        return self.request.page

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def _int_arg(args: Mapping, name: str) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise InvalidSearch(name, f"{name} must be a whole number") from None
    if value < 0 or value > 2**62:
        raise InvalidSearch(name, f"{name} is out of range")
    return value


def _date_arg(args: Mapping, name: str) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidSearch(name, f"{name} must be a date (YYYY-MM-DD)") from None


def parse_request(args: Mapping, per_page: int = PER_PAGE) -> SearchRequest:
    """A SearchRequest from query-string arguments; raises InvalidSearch naming the bad field."""
    q = (args.get("q") or "").strip()
    if len(q) > 200:
        raise InvalidSearch("q", "q is too long (200 characters at most)")
    doc_type = (args.get("type") or "").strip() or None
    if doc_type is not None and doc_type not in DOC_TYPES:
        raise InvalidSearch("type", "type must be one of " + ", ".join(DOC_TYPES))
    category = (args.get("category") or "").strip() or None
    if category is not None and category not in CATEGORIES and category not in THREAD_KINDS:
        raise InvalidSearch("category", "unknown category")
    sort = (args.get("sort") or "relevance").strip()
    if sort not in SORTS:
        raise InvalidSearch("sort", "sort must be relevance or newest")
    page = _int_arg(args, "page") or 1
    if page > MAX_PAGE:
        raise InvalidSearch("page", f"page must be at most {MAX_PAGE}")
    author = (args.get("author") or "").strip() or None
    return SearchRequest(q=q, doc_type=doc_type, group_id=_int_arg(args, "group"),
                         school_id=_int_arg(args, "school"), author=author, category=category,
                         since=_date_arg(args, "from"), until=_date_arg(args, "to"), sort=sort,
                         page=max(1, page), per_page=per_page)


def readable_containers(user) -> frozenset[str] | None:
    """Containers `user` may read (None: all of them), from the policy module's SQL filters.

    Kept per worker while nothing is written (pagecache.remember), by what the rule reads of the
    user: on a district with thousands of personal blogs the statement costs more than the rest
    of a selective search.
    """
    if policy.is_admin(user):
        return None
    return pagecache.remember("readable_containers", policy.visibility_key(user), lambda: _readable_containers(user))


def _readable_containers(user) -> frozenset[str]:
    gids = policy.readable_group_ids(user)
    groups = select(literal_column("'g'").concat(Group.id))
    if gids is not None:
        groups = groups.where(Group.id.in_(gids))
    # One statement, not three, and the names built by the database: a visitor on a site with
    # thousands of personal blogs reads thousands of them per search.
    return frozenset(db.session.scalars(union_all(
        groups,
        select(literal_column("'b'").concat(Blog.id))
        .where(Blog.group_id.is_(None), policy.readable_blogs_clause(user, Blog.id)),
        select(literal_column("'c'").concat(Board.id))
        .where(Board.group_id.is_(None), policy.readable_boards_clause(user, Board.id)),
    )).all())


def _site_day_bounds(d: date, end: bool) -> datetime:
    """Midnight (or the next midnight) of a site-local day, in UTC."""
    tz = site_zone()
    moment = datetime.combine(d + timedelta(days=1) if end else d, time.min, tzinfo=tz)
    return moment.astimezone(timezone.utc) - (timedelta(microseconds=1) if end else timedelta(0))


def filters_for(user, req: SearchRequest) -> Filters | None:
    """Index filters for the request; None if it can match nothing (e.g. an unknown author)."""
    author_id = None
    if req.author:
        from forum.auth.models import User

        author_id = db.session.scalar(select(User.id).where(User.username == req.author))
        if author_id is None:
            return None
    return Filters(
        doc_type=req.doc_type, group_id=req.group_id, school_id=req.school_id, author_id=author_id,
        category=req.category,
        since=_site_day_bounds(req.since, False) if req.since else None,
        until=_site_day_bounds(req.until, True) if req.until else None,
        containers=readable_containers(user),
    )


def run(user, req: SearchRequest) -> ResultPage:
    """Search as `user`: the visible hits of one page with their snippets."""
    query = parse_query(req.q)
    page = ResultPage(req, query)
    if not query:
        return page
    filters = filters_for(user, req)
    if filters is None:
        return page
    app = current_app._get_current_object()
    hits = index.search(app, query, filters, req.sort, (req.page - 1) * req.per_page, req.per_page)
    rows: dict[tuple[str, int], object] = {}
    for doc_type in DOC_TYPES:
        ids = [h.doc_id for h in hits.hits if h.doc_type == doc_type]
        if ids:
            rows.update({(doc_type, i): r for i, r in documents.load(db.session, doc_type, ids, for_page=True).items()})
    hidden = 0
    shown = _Presenter()
    for hit in hits.hits:
        row = rows.get((hit.doc_type, hit.doc_id))
        if row is None or not documents.indexable(hit.doc_type, row) or not policy.can(user, "read", row):
            hidden += 1  # the index lags the database: never show what the page would not
            continue
        page.results.append(present(row, hit.doc_type, query, shown))
    page.total = max(len(page.results), hits.total - hidden)
    page.total_exact = hits.exact
    return page


class _Presenter:
    """What every result of a page shares, made once per page: the reply and comment title
    formats in the reader's language, and one URL pattern per kind of link (url_for and gettext
    for each of 20 hits cost more than their snippets' formatting)."""

    __slots__ = ("reply", "comment", "urls")

    def __init__(self):
        self.reply = _("回复：%(title)s")
        self.comment = _("评论：%(title)s")
        self.urls = RowUrls() if has_request_context() else None


def present(row, doc_type: str, query: ParsedQuery, shown: _Presenter | None = None) -> Result:
    """A result for one readable row: title, highlighted snippet, link."""
    shown = shown or _Presenter()
    if doc_type in ("entry", "thread"):
        title = row.title
    elif doc_type == "post":
        title = shown.reply % {"title": row.thread.title}
    else:
        title = shown.comment % {"title": row.entry.title}
    text = documents.body_text(row)  # = plain_text(row.body), from the stored HTML
    return Result(doc_type, row.id, title, mark_title(title, query) if doc_type in ("entry", "thread") else
                  Markup.escape(title), snippet(text, query), content_url(doc_type, row, shown.urls),
                  (row.author.display_name or row.author.username) if row.author else "",
                  getattr(row, "published_at", None) or row.created_at, _where(doc_type, row))


def _where(doc_type: str, row) -> str:
    if doc_type in ("entry", "comment"):
        blog = row.blog if doc_type == "entry" else row.entry.blog
        return blog.group.label if blog.group_id and blog.group else blog.title
    board = row.board if doc_type == "thread" else row.thread.board
    return board.group.label if board.group_id and board.group else board.name


# Endpoint names the blogs and boards features are expected to use, with a path fallback.
_ENDPOINTS = {
    "entry": ("blogs.show_entry", "entry_id", "/blogs/entries/{id}"),
    "thread": ("boards.show_thread", "thread_id", "/boards/threads/{id}"),
    # A reply may be on page 40 of its thread: its own URL redirects to that page, at its anchor.
    "post": ("boards.show_post", "post_id", "/boards/posts/{id}"),
}


def content_url(doc_type: str, row, urls: RowUrls | None = None) -> str:
    """The page of a document (comments: their entry, at the anchor; replies: their own URL,
    which redirects to the page of the thread that shows them). `urls`: the page's URL patterns,
    in a request."""
    if doc_type == "comment":
        return content_url("entry", row.entry, urls) + f"#comment-{row.id}"
    endpoint, arg, fallback = _ENDPOINTS[doc_type]
    try:
        if urls is not None:
            return urls(endpoint, arg, row.id)
        if not has_request_context():  # CLI and tests: build a path as a request would
            with current_app.test_request_context():
                return url_for(endpoint, **{arg: row.id})
        return url_for(endpoint, **{arg: row.id})
    except BuildError:
        return fallback.format(id=row.id)
