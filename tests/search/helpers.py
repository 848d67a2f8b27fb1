"""Small writers and readers for the search tests (posts and comments through the write path)."""
from __future__ import annotations

from forum.extensions import db


def make_post(thread, author, body: str):
    """A reply written through the write path."""
    from forum.boards.models import Post
    from forum.core.writepath import record

    post = Post(thread_id=thread.id, author_id=author.id)
    post.set_body(body)
    record(post)
    db.session.commit()
    return post


def make_comment(entry, author, body: str):
    """A comment written through the write path."""
    from forum.blogs.models import Comment
    from forum.core.writepath import record

    comment = Comment(entry_id=entry.id, author_id=author.id)
    comment.set_body(body)
    record(comment)
    db.session.commit()
    return comment


def soft_delete(obj, deleted: bool = True):
    """Soft-delete (or restore) through the write path."""
    from forum.core.writepath import set_deleted

    set_deleted(obj, deleted, reason="other" if deleted else None)
    db.session.commit()


def keys(user, q: str, **args) -> set[str]:
    """`type:id` of every result the user sees for `q` (all pages)."""
    from forum.search import service

    out: set[str] = set()
    page = 1
    while True:
        req = service.SearchRequest(q=q, page=page, per_page=50, **args)
        result = service.run(user, req)
        out |= {f"{r.doc_type}:{r.doc_id}" for r in result.results}
        if page >= result.pages:
            return out
        page += 1


def anonymous():
    from flask_login import AnonymousUserMixin

    return AnonymousUserMixin()
