"""From database rows to search documents: what is indexable, and in which container.

Entries, threads, posts and comments are indexed; drafts, deleted content and content whose
parent (thread, entry) is deleted or unpublished is not. A change to a thread or an entry
also re-indexes its posts or comments, whose visibility follows it (moves, deletion, restore).
"""
from __future__ import annotations

from typing import Iterable, Iterator

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, defer, joinedload, selectinload

from forum.blogs.models import Blog, Comment, Entry
from forum.core import markup
from forum.boards.models import Board, Post, Thread
from forum.org.models import Group
from forum.search.backends.base import DOC_TYPES, SearchDoc, doc_key

MODELS = {"entry": Entry, "thread": Thread, "post": Post, "comment": Comment}


def blog_container(blog: Blog) -> str:
    """The visibility container of a blog: its group's, or the personal blog itself."""
    return f"g{blog.group_id}" if blog.group_id else f"b{blog.id}"


def board_container(board: Board) -> str:
    """The visibility container of a board: its group's, or the cluster board itself."""
    return f"g{board.group_id}" if board.group_id else f"c{board.id}"


def _blog_school(blog: Blog) -> int | None:
    if blog.group_id:
        return blog.group.school_id if blog.group is not None else None
    return blog.owner.school_id if blog.owner is not None else None


def _board_school(board: Board) -> int | None:
    if board.group_id and board.group is not None:
        return board.group.school_id
    return None


def body_text(row) -> str:
    """The plain text of a row's body: `plain_text(row.body)`, from the HTML stored at write time
    (`row.html` re-renders a row whose stored HTML predates the current renderer), without
    rendering the Markdown again, which was most of the cost of building a document."""
    return markup.html_text(row.html)


def _name(user) -> str:
    return (user.display_name or user.username) if user is not None else ""


def entry_doc(e: Entry) -> SearchDoc | None:
    """The document of an entry, or None if it must not be searchable."""
    if e.is_deleted or e.status != "published":
        return None
    blog = e.blog
    return SearchDoc("entry", e.id, e.title or "", body_text(e), e.author_id, _name(e.author),
                     blog.group_id, _blog_school(blog), e.category or "", list(e.tag_names),
                     e.published_at or e.created_at, blog_container(blog))


def thread_doc(t: Thread) -> SearchDoc | None:
    """The document of a thread (its title and opening text)."""
    if t.is_deleted:
        return None
    board = t.board
    return SearchDoc("thread", t.id, t.title or "", body_text(t), t.author_id, _name(t.author),
                     board.group_id, _board_school(board), t.kind or "", list(t.tag_names),
                     t.created_at, board_container(board))


def post_doc(p: Post) -> SearchDoc | None:
    """The document of a reply; hidden with its thread."""
    t = p.thread
    if p.is_deleted or t is None or t.is_deleted:
        return None
    board = t.board
    return SearchDoc("post", p.id, "", body_text(p), p.author_id, _name(p.author),
                     board.group_id, _board_school(board), "", [], p.created_at, board_container(board))


def comment_doc(c: Comment) -> SearchDoc | None:
    """The document of a comment; hidden with its entry."""
    e = c.entry
    if c.is_deleted or e is None or e.is_deleted or e.status != "published":
        return None
    blog = e.blog
    return SearchDoc("comment", c.id, "", body_text(c), c.author_id, _name(c.author),
                     blog.group_id, _blog_school(blog), "", [], c.created_at, blog_container(blog))


BUILDERS = {"entry": entry_doc, "thread": thread_doc, "post": post_doc, "comment": comment_doc}


def indexable(doc_type: str, row) -> bool:
    """True if `row` has a document (the conditions of the builders above, without building it)."""
    if doc_type == "entry":
        return not row.is_deleted and row.status == "published"
    if doc_type == "thread":
        return not row.is_deleted
    if doc_type == "post":
        t = row.thread
        return not row.is_deleted and t is not None and not t.is_deleted
    e = row.entry
    return not row.is_deleted and e is not None and not e.is_deleted and e.status == "published"

_LOAD_OPTIONS = {
    "entry": lambda: [joinedload(Entry.blog).joinedload(Blog.group), joinedload(Entry.blog).joinedload(Blog.owner),
                      joinedload(Entry.author),
                      selectinload(Entry.tags)],
    "thread": lambda: [joinedload(Thread.board).joinedload(Board.group), joinedload(Thread.author),
                       selectinload(Thread.tags)],
    "post": lambda: [joinedload(Post.thread).joinedload(Thread.board).joinedload(Board.group),
                     joinedload(Post.author)],
    "comment": lambda: [joinedload(Comment.entry).joinedload(Entry.blog).joinedload(Blog.group),
                        joinedload(Comment.entry).joinedload(Entry.blog).joinedload(Blog.owner),
                        joinedload(Comment.author)],
}


# What a result list loads: what policy.can and indexable() read, the title, the author, the
# place ("school · group"), and the stored HTML of the hit itself. Not the tags (the indexer's
# documents need them; the list does not: a selectin query fewer per type on the page), nor the
# Markdown sources, nor a parent's body (a reply's thread, a comment's entry: their titles only).
# A deferred column still loads on access: Post.html reads the source if its HTML is stale.
_PAGE_OPTIONS = {
    "entry": lambda: [joinedload(Entry.blog).joinedload(Blog.group).joinedload(Group.school),
                      joinedload(Entry.blog).joinedload(Blog.owner), joinedload(Entry.author),
                      defer(Entry.body)],
    "thread": lambda: [joinedload(Thread.board).joinedload(Board.group).joinedload(Group.school),
                       joinedload(Thread.author), defer(Thread.body)],
    "post": lambda: [joinedload(Post.thread).defer(Thread.body).defer(Thread.body_html)
                     .joinedload(Thread.board).joinedload(Board.group).joinedload(Group.school),
                     joinedload(Post.author), defer(Post.body)],
    "comment": lambda: [joinedload(Comment.entry).defer(Entry.body).defer(Entry.body_html)
                        .joinedload(Entry.blog).joinedload(Blog.group).joinedload(Group.school),
                        joinedload(Comment.entry).joinedload(Entry.blog).joinedload(Blog.owner),
                        joinedload(Comment.author), defer(Comment.body)],
}


_LOAD_STATEMENTS: dict[tuple[str, bool], object] = {}


def _load_statement(doc_type: str, for_page: bool):
    """The statement of load(), built once per type: SQLAlchemy memoizes a statement's cache key
    on the statement object, so a constant one with an expanding parameter skips rebuilding the
    key of its loader options (four or five joined paths) on every search page."""
    key = (doc_type, for_page)
    stmt = _LOAD_STATEMENTS.get(key)
    if stmt is None:
        model = MODELS[doc_type]
        options = (_PAGE_OPTIONS if for_page else _LOAD_OPTIONS)[doc_type]()
        stmt = _LOAD_STATEMENTS[key] = (select(model).where(model.id.in_(bindparam("ids", expanding=True)))
                                        .options(*options))
    return stmt


def load(session: Session, doc_type: str, ids: Iterable[int], for_page: bool = False) -> dict[int, object]:
    """{id: row} for existing rows of one type, with what their documents need (and with
    `for_page`, what a result list shows)."""
    stmt = _load_statement(doc_type, for_page)
    ids = list(ids)
    out: dict[int, object] = {}
    for i in range(0, len(ids), 500):
        rows = session.scalars(stmt, {"ids": ids[i:i + 500]}).unique()
        out.update({r.id: r for r in rows})
    return out


def expand(session: Session, keys: set[tuple[str, int]]) -> set[tuple[str, int]]:
    """Add the posts of changed threads and the comments of changed entries."""
    out = set(keys)
    thread_ids = [i for t, i in keys if t == "thread"]
    entry_ids = [i for t, i in keys if t == "entry"]
    for i in range(0, len(thread_ids), 500):
        out.update(("post", pid) for pid in session.scalars(
            select(Post.id).where(Post.thread_id.in_(thread_ids[i:i + 500]))))
    for i in range(0, len(entry_ids), 500):
        out.update(("comment", cid) for cid in session.scalars(
            select(Comment.id).where(Comment.entry_id.in_(entry_ids[i:i + 500]))))
    return out


def resolve(session: Session, keys: set[tuple[str, int]]) -> tuple[list[SearchDoc], list[str]]:
    """The current state of `keys`: documents to upsert and keys to remove."""
    upserts: list[SearchDoc] = []
    deletes: list[str] = []
    for doc_type in DOC_TYPES:
        ids = sorted(i for t, i in keys if t == doc_type)
        if not ids:
            continue
        rows = load(session, doc_type, ids)
        build = BUILDERS[doc_type]
        for i in ids:
            row = rows.get(i)
            doc = build(row) if row is not None else None
            if doc is None:
                deletes.append(doc_key(doc_type, i))
            else:
                upserts.append(doc)
    return upserts, deletes


def iter_docs(session: Session, doc_type: str, after_id: int = 0, batch: int = 500) -> Iterator[list[SearchDoc]]:
    """Every indexable document of one type with id > after_id, in id order, in batches.

    Each batch knows the last row id it covered (`last_id`) and how many rows it read (`rows`).
    """
    model = MODELS[doc_type]
    build = BUILDERS[doc_type]
    last = after_id
    while True:
        rows = list(session.scalars(
            select(model).where(model.id > last).order_by(model.id).limit(batch)
            .options(*_LOAD_OPTIONS[doc_type]())).unique())
        if not rows:
            return
        last = rows[-1].id
        docs = [d for d in (build(r) for r in rows) if d is not None]
        yield DocBatch(docs, last, len(rows))
        session.expunge_all()


class DocBatch(list):
    """A list of documents that also knows the last row id it covered."""

    def __init__(self, docs: list[SearchDoc], last_id: int, rows: int):
        super().__init__(docs)
        self.last_id = last_id
        self.rows = rows


def count_rows(session: Session) -> int:
    """Rows to look at for a rebuild (an upper bound on the documents)."""
    from sqlalchemy import func

    return sum(session.scalar(select(func.count()).select_from(m)) or 0 for m in MODELS.values())


def content_row(session: Session, doc_type: str, doc_id: int):
    """The row behind a hit (for the permission re-check)."""
    return load(session, doc_type, [doc_id]).get(doc_id)
