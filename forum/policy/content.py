"""Content: entries, comments, guestbook messages, threads, posts, lesson preps and attachments."""
from __future__ import annotations

from contextvars import ContextVar

from forum.blogs.models import Attachment, Blog, Comment, Entry, GuestbookMessage
from forum.boards.models import Board, LessonPrep, Post, Thread
from forum.org.models import Group
from forum.policy.containers import can_read_blog, can_read_board, moderates_blog, moderates_board
from forum.policy.identity import is_admin, signed_in
from forum.policy.registry import rule


def content_container(obj):
    """The blog or board that holds `obj`."""
    if isinstance(obj, Entry):
        return obj.blog
    if isinstance(obj, Comment):
        return obj.entry.blog
    if isinstance(obj, GuestbookMessage):
        return obj.blog
    if isinstance(obj, Thread):
        return obj.board
    if isinstance(obj, Post):
        return obj.thread.board
    if isinstance(obj, Attachment):
        return obj.entry.blog if obj.entry else None
    raise TypeError(type(obj))


def content_group(obj) -> Group | None:
    """The group whose host moderates `obj` (None for personal blogs and cluster boards)."""
    container = content_container(obj)
    return getattr(container, "group", None) if container is not None else None


# While an `asker` pass runs, the answers about a container (may read it, moderates it) are kept
# for the pass: a page asking about each of its 40 posts asks about the same board 200 times. Only
# for passes that change no role, membership or container (building or rendering a page).
_container_memo: ContextVar[dict | None] = ContextVar("jy_policy_container_memo", default=None)


def _memoized(kind: str, fn, user, container) -> bool:
    cache = _container_memo.get()
    if cache is None:
        return fn(user, container)
    key = (kind, id(user), id(container))
    hit = cache.get(key)
    if hit is not None and hit[0] is user and hit[1] is container:
        return hit[2]
    answer = fn(user, container)
    cache[key] = (user, container, answer)  # holding both keeps their ids from being reused
    return answer


def _read_container_now(user, container) -> bool:
    return can_read_blog(user, container) if isinstance(container, Blog) else can_read_board(user, container)


def _moderates_container_now(user, container) -> bool:
    if container is None:
        return is_admin(user)
    return moderates_blog(user, container) if isinstance(container, Blog) else moderates_board(user, container)


def _read_container(user, container) -> bool:
    return _memoized("read", _read_container_now, user, container)


def _moderates_container(user, container) -> bool:
    return _memoized("moderate", _moderates_container_now, user, container)


def _is_author(user, obj) -> bool:
    return signed_in(user) and getattr(obj, "author_id", None) == user.id


def _parents_visible(user, obj) -> bool:
    """Comments of a deleted entry, posts of a deleted thread are hidden with it."""
    if isinstance(obj, Comment):
        return can_read_content(user, obj.entry)
    if isinstance(obj, Post):
        return can_read_content(user, obj.thread)
    return True


def can_read_content(user, obj) -> bool:
    """Container visible, not deleted (unless moderator), published (unless author)."""
    container = content_container(obj)
    if not _read_container(user, container):
        return False
    if isinstance(obj, Entry) and obj.status != "published" and not _is_author(user, obj):
        return False
    if obj.is_deleted and not _moderates_container(user, container):
        return False
    return _parents_visible(user, obj)


def moderates_content(user, obj) -> bool:
    """A moderator in scope of the object's container."""
    return _moderates_container(user, content_container(obj))


def can_edit_content(user, obj) -> bool:
    if not signed_in(user):
        return False
    if moderates_content(user, obj):
        return True
    if not _is_author(user, obj) or obj.is_deleted or not can_read_content(user, obj):
        return False
    thread = obj if isinstance(obj, Thread) else getattr(obj, "thread", None)
    return not (thread is not None and thread.is_locked)


def can_delete_content(user, obj) -> bool:
    if not signed_in(user) or obj.is_deleted:
        return False
    return moderates_content(user, obj) or (_is_author(user, obj) and can_read_content(user, obj))


def can_restore_content(user, obj) -> bool:
    return obj.is_deleted and moderates_content(user, obj)


def can_see_history(user, obj) -> bool:
    """The author, the group's host and leaders (in scope) and admins."""
    if not signed_in(user):
        return False
    if moderates_content(user, obj):
        return True
    return _is_author(user, obj) and can_read_content(user, obj)


def can_flag(user, obj) -> bool:
    return signed_in(user) and not _is_author(user, obj) and can_read_content(user, obj)


_CONTENT = (Entry, Comment, GuestbookMessage, Thread, Post)
rule("read", *_CONTENT)(can_read_content)
rule("edit", *_CONTENT)(can_edit_content)
rule("delete", *_CONTENT)(can_delete_content)
rule("restore", *_CONTENT)(can_restore_content)
rule("moderate", *_CONTENT)(moderates_content)
rule("see_history", Entry, Thread, Post)(can_see_history)
rule("flag", *_CONTENT)(can_flag)
rule("purge", *_CONTENT)(lambda u, _o: is_admin(u))


@rule("pin", Entry, Thread)
@rule("feature", Entry, Thread)
def can_pin_or_feature(user, obj) -> bool:
    return not obj.is_deleted and moderates_content(user, obj)


@rule("lock", Thread)
def can_lock(user, thread: Thread) -> bool:
    return not thread.is_deleted and moderates_content(user, thread)


@rule("move", Thread)
def can_move(user, thread: Thread) -> bool:
    return not thread.is_deleted and moderates_content(user, thread)


@rule("move_to", Board)
def can_move_to(user, board: Board) -> bool:
    """A moderator may move threads only into boards in their own scope."""
    return moderates_board(user, board)


@rule("comment", Entry)
def can_comment(user, entry: Entry) -> bool:
    return signed_in(user) and entry.status == "published" and not entry.is_deleted and can_read_content(user, entry)


@rule("reply", Thread)
def can_reply(user, thread: Thread) -> bool:
    if not signed_in(user) or thread.is_deleted or not can_read_content(user, thread):
        return False
    if thread.prep is not None and thread.prep.state == "concluded" and not moderates_content(user, thread):
        return False
    return not thread.is_locked or moderates_content(user, thread)


@rule("conclude", Thread)
def can_conclude(user, thread: Thread) -> bool:
    """The group's host (or a moderator in scope) or the lead speaker."""
    prep = thread.prep
    if prep is None or thread.is_deleted or not signed_in(user):
        return False
    return moderates_content(user, thread) or prep.lead_speaker_id == user.id


@rule("adopt", Post)
def can_adopt(user, post: Post) -> bool:
    prep = post.thread.prep
    if prep is None or post.is_deleted or not signed_in(user):
        return False
    return moderates_content(user, post.thread) or prep.lead_speaker_id == user.id


@rule("read", LessonPrep)
def can_read_prep(user, prep: LessonPrep) -> bool:
    return can_read_content(user, prep.thread)


@rule("download", Attachment)
def can_download(user, att: Attachment) -> bool:
    """Same visibility rule as the entry; unattached uploads only for their uploader."""
    if att.is_deleted:
        return False
    if att.entry is None:
        return signed_in(user) and user.id == att.uploader_id
    return can_read_content(user, att.entry)


@rule("delete", Attachment)
def can_delete_attachment(user, att: Attachment) -> bool:
    if att.is_deleted or not signed_in(user):
        return False
    if att.entry is None:
        return user.id == att.uploader_id
    return can_edit_content(user, att.entry)
