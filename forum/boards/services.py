"""Board services: start a thread, reply, edit, delete/restore, host toggles, and read a thread page.

Every write checks the policy, renders through the one markup module, writes the content with
its ledger and outbox rows (forum.core.writepath) and commits once.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import defer, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from forum.auth.models import User
from forum.boards.models import THREAD_KINDS, Board, Post, Thread, ThreadTag
from forum.core import markup
from forum.core.content import DELETE_REASONS
from forum.core.db import utcnow
from forum.core.errors import fail
from forum.core.ids import as_id
from forum.core.revisions import keep_revision
from forum.core.writepath import Credit, record, set_deleted
from forum.extensions import db
from forum.notifications.services import find_mentions, link_mentions, notify, notify_moderated
from forum.policy import can

# Top-level replies per thread page; each comes with its whole subtree.
PAGE_SIZE = 20
# The page nests replies this deep, then shows deeper ones flat with "回复 @某某".
DISPLAY_DEPTH = 4
# `path` holds 11 characters per level in 400: past this depth a post sorts under its ancestor.
MAX_PATH_DEPTH = 35
MAX_TAGS = 8
TITLE_MAX = 200
BODY_MAX = 100_000


def _credit(kind: str, user_id: int, board: Board, text: str, theme_id: int | None = None,
            created_at=None) -> Credit:
    """A ledger credit attributed to the board's group (and school)."""
    group = board.group
    if group is not None:
        school_id = group.school_id
    else:
        school_id = db.session.scalar(select(User.school_id).where(User.id == user_id))
    return Credit(kind, user_id, group.id if group else None, school_id, text, theme_id, created_at)


def clean_tags(raw) -> list[str]:
    """Tags from a comma/space separated string or a list: trimmed, unique, at most MAX_TAGS."""
    if raw is None:
        return []
    if isinstance(raw, str):
        parts = raw.replace("，", ",").replace("、", ",").replace(" ", ",").split(",")
    else:
        parts = [p for p in raw if isinstance(p, str)]
    tags: list[str] = []
    for p in parts:
        t = p.strip().lstrip("#")[:40]
        if t and t not in tags:
            tags.append(t)
    return tags[:MAX_TAGS]


def _check_text(title: str | None, body: str, *, need_title: bool) -> None:
    if need_title:
        if not title or not title.strip():
            fail(422, _("请填写标题。"), field="title")
        if len(title) > TITLE_MAX:
            fail(422, _("标题太长（最多 %(n)s 个字）。", n=TITLE_MAX), field="title")
    if not body or not body.strip():
        fail(422, _("请填写正文。"), field="body")
    if len(body) > BODY_MAX:
        fail(422, _("正文太长（最多 %(n)s 个字）。", n=BODY_MAX), field="body")


def _notify_mentions(text: str, actor: User, target, target_type: str, skip: set[int] = frozenset()) -> None:
    """Link the people @mentioned in `text` and notify those who may read `target`."""
    users = find_mentions(text)
    if users:
        target.body_html = link_mentions(target.body_html, users)
    for user in users:
        if user.id in skip or user.id == actor.id:
            continue
        if can(user, "read", target):
            notify([user.id], "mention", actor_id=actor.id, target_type=target_type, target_id=target.id)


def check_theme(theme_id, board: Board):
    """The theme `theme_id` if it belongs to the board's group; 422 otherwise (None passes)."""
    if theme_id in (None, "", 0):
        return None
    from forum.boards.models import Theme

    number = as_id(theme_id)
    theme = db.session.get(Theme, number) if number else None
    if theme is None or board.group_id is None or theme.group_id != board.group_id:
        fail(422, _("所选月度主题不属于本组。"), field="theme_id")
    return theme


def start_thread(board: Board, author: User, title: str, body: str, *, kind: str = "discussion",
                 tags=None, theme_id=None, created_at=None, commit: bool = True) -> Thread:
    """Open a thread on `board` (a `prep` thread also needs prep.open_prep to add its workflow)."""
    if not can(author, "write", board):
        fail(403, _("你不能在这个版块发帖。"))
    if kind not in THREAD_KINDS:
        fail(422, _("帖子类型无效。"), field="kind")
    _check_text(title, body, need_title=True)
    theme = check_theme(theme_id, board)
    now = created_at or utcnow()
    thread = Thread(board_id=board.id, author_id=author.id, title=title.strip(), kind=kind,
                    theme_id=theme.id if theme else None, last_post_at=now, last_poster_id=author.id,
                    created_at=now, updated_at=now)
    thread.board = board
    thread.set_body(body)
    thread.tags = [ThreadTag(tag=t) for t in clean_tags(tags)]
    record(thread, _credit("thread", author.id, board, f"{title}\n{body}", thread.theme_id, now))
    db.session.execute(update(Board).where(Board.id == board.id)
                       .values(thread_count=Board.thread_count + 1))
    _notify_mentions(body, author, thread, "thread")
    if commit:
        db.session.commit()
    return thread


def reply(thread: Thread, author: User, body: str, *, parent_id=None, created_at=None,
          commit: bool = True) -> Post:
    """Reply to the thread (top level) or to one of its posts; 409 if the thread is locked."""
    if thread.is_deleted or not can(author, "read", thread):
        fail(404)
    if not can(author, "reply", thread):
        if thread.is_locked:
            fail(409, _("该帖已锁定，不能回复。"), "locked")
        if thread.prep is not None and thread.prep.state == "concluded":
            fail(409, _("集体备课已定稿，不能再回复。"), "concluded")
        fail(403, _("你不能回复这个帖子。"))
    _check_text(None, body, need_title=False)
    parent = None
    if parent_id not in (None, "", 0):
        number = as_id(parent_id)
        parent = db.session.get(Post, number) if number else None
        if parent is None or parent.thread_id != thread.id:
            fail(422, _("要回复的帖子不存在。"), field="parent_id")
        if parent.is_deleted and not can(author, "read", parent):
            fail(422, _("要回复的帖子已被删除。"), field="parent_id")
    now = created_at or utcnow()
    html = markup.render(body)  # before the UPDATE below takes the write lock
    # One UPDATE both takes the thread's row lock and hands out the next top-level position, so
    # concurrent replies never share a position (SQLite: BEGIN IMMEDIATE serialises writers).
    values = dict(reply_count=Thread.reply_count + 1, last_post_at=now, last_poster_id=author.id)
    if parent is None:
        values["top_level_count"] = Thread.top_level_count + 1
    db.session.execute(update(Thread).where(Thread.id == thread.id).values(**values)
                       .execution_options(synchronize_session=False))
    position = None
    if parent is None:
        position = db.session.scalar(select(Thread.top_level_count).where(Thread.id == thread.id))
    post = Post(thread_id=thread.id, author_id=author.id, parent_id=parent.id if parent else None,
                position=position, depth=(parent.depth + 1) if parent else 0, created_at=now, updated_at=now)
    post.thread = thread
    post.set_body(body, html=html)
    db.session.add(post)
    db.session.flush()
    if parent is None:
        post.root_id = post.id
        post.path = f"{post.id:010d}"
    else:
        post.root_id = parent.root_id
        base = parent.path if parent.depth < MAX_PATH_DEPTH else parent.path[: 11 * MAX_PATH_DEPTH - 1]
        post.path = f"{base}.{post.id:010d}"
    record(post, _credit("reply", author.id, thread.board, body, thread.theme_id, now))
    db.session.execute(update(Board).where(Board.id == thread.board_id).values(post_count=Board.post_count + 1))
    # Thread counters were updated in SQL; the in-memory object must not write stale values back.
    db.session.refresh(thread, ["reply_count", "top_level_count", "last_post_at", "last_poster_id"])
    answered = {thread.author_id}
    if parent is not None:
        answered.add(parent.author_id)
        if parent.author_id != author.id:
            notify([parent.author_id], "reply", actor_id=author.id, target_type="post", target_id=post.id)
    if thread.author_id != author.id and (parent is None or parent.author_id != thread.author_id):
        notify([thread.author_id], "reply", actor_id=author.id, target_type="post", target_id=post.id)
    _notify_mentions(body, author, post, "post", skip=answered)
    if commit:
        db.session.commit()
    return post


def _bump_version(model, obj, version: int | None, message: str) -> None:
    """Compare-and-set the version in SQL: the edit goes on only if nobody saved since `version`.

    The check is in the UPDATE itself, so two hosts saving at once (on any worker or host, and on
    SQLite where the request read its copy before taking the write lock) never silently overwrite:
    the second one is a 409 conflict. `version=None` (internal callers) edits the current version.
    """
    version = obj.version if version is None else as_id(version)
    if version is None:  # missing, not a number, or too large to be one
        fail(422, _("缺少版本号。"), field="version")
    bumped = db.session.execute(
        update(model).where(model.id == obj.id, model.version == version).values(version=version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if bumped != 1:
        db.session.rollback()
        current = db.session.scalar(select(model.version).where(model.id == obj.id))
        fail(409, message % {"v": current}, "edit_conflict", field="version")
    obj.version = version + 1


def edit_thread(thread: Thread, editor: User, title: str, body: str, *, tags=None, theme_id=None,
                version: int | None = None) -> Thread:
    """Edit a thread's title/body/tags, keeping the previous version as a revision."""
    if not can(editor, "edit", thread):
        fail(403)
    _check_text(title, body, need_title=True)
    theme = check_theme(theme_id, thread.board) if theme_id is not None else None
    html = link_mentions(markup.render(body), find_mentions(body))  # before the write lock is taken
    _bump_version(Thread, thread, version, _("帖子已被他人修改（当前版本 %(v)s）。你的修改还在下面，请对照当前内容后再保存。"))
    keep_revision(thread, editor.id, moderator=editor.id != thread.author_id)
    thread.title = title.strip()
    thread.set_body(body, html=html)
    if tags is not None:
        thread.tags = [ThreadTag(tag=t) for t in clean_tags(tags)]
    if theme_id is not None:
        thread.theme_id = theme.id if theme else None
    record(thread, None)
    db.session.commit()
    return thread


def edit_post(post: Post, editor: User, body: str, *, version: int | None = None) -> Post:
    """Edit a reply, keeping the previous version as a revision."""
    if not can(editor, "edit", post):
        fail(403)
    _check_text(None, body, need_title=False)
    html = link_mentions(markup.render(body), find_mentions(body))  # before the write lock is taken
    _bump_version(Post, post, version, _("回帖已被他人修改（当前版本 %(v)s）。你的修改还在下面，请对照当前内容后再保存。"))
    keep_revision(post, editor.id, moderator=editor.id != post.author_id)
    post.set_body(body, html=html)
    record(post, None)
    db.session.commit()
    return post


def _check_reason(user: User, obj, reason: str | None, note: str | None) -> tuple[str | None, str | None]:
    """Authors may delete their own content without a reason; moderators must give one."""
    is_author = obj.author_id == user.id
    if reason in (None, ""):
        if not is_author:
            fail(422, _("请选择删除原因。"), field="reason")
        return None, (note or None)
    if reason not in DELETE_REASONS:
        # Free text from the API is kept as a note under "other".
        return "other", (reason if not note else f"{reason}: {note}")[:500]
    return reason, (note or None)


def delete_thread(thread: Thread, user: User, reason: str | None = None, note: str | None = None) -> None:
    """Soft-delete a thread (its posts are hidden with it)."""
    if not can(user, "delete", thread):
        fail(404) if not can(user, "read", thread) else fail(403)
    reason, note = _check_reason(user, thread, reason, note)
    set_deleted(thread, True, by_id=user.id, reason=reason, note=note)
    db.session.execute(update(Board).where(Board.id == thread.board_id)
                       .values(thread_count=Board.thread_count - 1))
    notify_moderated(thread, user.id, reason_code=reason, note=note)
    db.session.commit()


def delete_post(post: Post, user: User, reason: str | None = None, note: str | None = None) -> None:
    """Soft-delete a reply; its replies stay, under a "已删除" placeholder."""
    if not can(user, "delete", post):
        fail(404) if not can(user, "read", post) else fail(403)
    reason, note = _check_reason(user, post, reason, note)
    set_deleted(post, True, by_id=user.id, reason=reason, note=note)
    db.session.execute(update(Thread).where(Thread.id == post.thread_id)
                       .values(reply_count=Thread.reply_count - 1).execution_options(synchronize_session=False))
    notify_moderated(post, user.id, reason_code=reason, note=note)
    db.session.commit()


def restore(obj, user: User) -> None:
    """Undo a soft delete (moderators)."""
    if not can(user, "restore", obj):
        fail(403)
    set_deleted(obj, False)
    if isinstance(obj, Thread):
        db.session.execute(update(Board).where(Board.id == obj.board_id).values(thread_count=Board.thread_count + 1))
    else:
        db.session.execute(update(Thread).where(Thread.id == obj.thread_id)
                           .values(reply_count=Thread.reply_count + 1).execution_options(synchronize_session=False))
    db.session.commit()


def toggle(thread: Thread, user: User, flag: str) -> bool:
    """Flip pinned / locked / featured (hosts); returns the new value."""
    action = {"pinned": "pin", "locked": "lock", "featured": "feature"}.get(flag)
    if action is None:
        fail(404)
    if not can(user, action, thread):
        fail(403)
    attr = f"is_{flag}"
    value = not getattr(thread, attr)
    setattr(thread, attr, value)
    if flag == "featured" and value:
        # Featuring is a countable recognition for the author (精华).
        from forum.core.writepath import add_contribution

        add_contribution(_credit("featured", thread.author_id, thread.board, thread.title), "thread", thread.id)
    if thread.author_id != user.id:
        notify([thread.author_id], "moderation", actor_id=user.id, target_type="thread", target_id=thread.id,
               reason_code=f"{flag}:{int(value)}")
    db.session.commit()
    return value


# --- reading -------------------------------------------------------------------------------------

def board_threads(board: Board, user: User, *, before: str | None = None, limit: int = 30):
    """Threads of a board, pinned first then by last activity, keyset-paginated.

    `before` is the cursor of the last row of the previous page ("<pinned>:<iso time>:<id>").
    Returns (threads, next_cursor).
    """
    moderator = can(user, "moderate", board)
    params = {"board_id": board.id}
    kind = "first"
    if before:
        try:
            pinned_s, ts, tid = before.split("~")
            from datetime import datetime

            pinned, when, tid = pinned_s == "1", datetime.fromisoformat(ts), as_id(tid)
        except (ValueError, TypeError):
            tid = None
        if tid is None:
            fail(422, _("分页参数无效。"), field="before")
        kind = "after_pinned" if pinned else "after"
        params.update(when=when, tid=tid)
    q = _board_page_statement(moderator, kind, limit)
    rows = list(db.session.scalars(q, params).unique())
    cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        cursor = f"{int(last.is_pinned)}~{last.last_post_at.isoformat()}~{last.id}"
    return rows, cursor


_board_pages: dict[tuple, object] = {}


def _board_page_statement(moderator: bool, kind: str, limit: int):
    """The board page's SELECT, built once per variant with bound parameters (board_id, and the
    cursor's when/tid), so its cache key is memoized on the statement object."""
    key = (moderator, kind, limit)
    q = _board_pages.get(key)
    if q is not None:
        return q
    q = (select(Thread).where(Thread.board_id == bindparam("board_id"))
         .options(joinedload(Thread.author), joinedload(Thread.last_poster)))
    if not moderator:
        q = q.where(Thread.is_deleted.is_(False))
    when, tid = bindparam("when"), bindparam("tid")
    if kind == "after_pinned":
        q = q.where((Thread.is_pinned.is_(False))
                    | ((Thread.last_post_at < when) | ((Thread.last_post_at == when) & (Thread.id < tid))))
    elif kind == "after":
        # `last_post_at <= when` repeats what the OR implies: it is the range bound the index can
        # seek to, so page 500 starts where it should instead of walking 15,000 index entries.
        q = q.where(Thread.is_pinned.is_(False), Thread.last_post_at <= when,
                    (Thread.last_post_at < when) | ((Thread.last_post_at == when) & (Thread.id < tid)))
    q = q.order_by(Thread.is_pinned.desc(), Thread.last_post_at.desc(), Thread.id.desc()).limit(limit + 1)
    _board_pages[key] = q
    return q


@dataclass
class ShownPost:
    """A post as the thread page shows it: nested up to DISPLAY_DEPTH, then flat."""

    post: Post
    level: int
    author_name: str = ""  # the author's display name, loaded with the post (not its User row)
    reply_to: str | None = None  # display name of the author answered, when shown flat
    hidden: bool = False  # deleted and the viewer may not see it: a placeholder keeps the tree
    children: list["ShownPost"] = field(default_factory=list)


def page_count(thread: Thread, per_page: int = PAGE_SIZE) -> int:
    """Number of pages of top-level replies (at least 1)."""
    return max(1, -(-thread.top_level_count // per_page))


def thread_page(thread: Thread, user: User, page: int, per_page: int = PAGE_SIZE) -> list[ShownPost]:
    """The top-level replies of page `page` with their subtrees, as a nested display tree.

    Two range scans whatever the page: positions (k-1)*n+1 … k*n on (thread_id, position), then
    their subtrees by root_id ordered by path. No OFFSET, no COUNT.
    """
    rows = db.session.execute(_PAGE_POSTS, {"thread_id": thread.id, "first": (page - 1) * per_page + 1,
                                            "last": page * per_page}).all()
    for p, _name in rows:  # their thread is this one: spare each post's lazy load through the identity map
        set_committed_value(p, "thread", thread)
    return build_tree(rows, user, thread)


# Built once, with bound parameters: its cache key (loader options included) is memoized on it.
# The author comes as a column, not as a User entity: the page shows only the name, and building
# 20 User objects cost more than the posts themselves. The Markdown source is not read: the page
# shows the stored HTML (Post.html loads the source only if the renderer version moved on).
_PAGE_POSTS = (
    select(Post, User.display_name)
    .join(User, User.id == Post.author_id)
    .where(Post.root_id.in_(
        select(Post.id).where(Post.thread_id == bindparam("thread_id"), Post.position >= bindparam("first"),
                              Post.position <= bindparam("last")).scalar_subquery()))
    .options(defer(Post.body))
    .order_by(Post.path)
)


def build_tree(rows, user: User, thread: Thread) -> list[ShownPost]:
    """Nest (post, author name) rows (ordered by path) for display; deeper than DISPLAY_DEPTH shows
    flat under its ancestor."""
    moderator = can(user, "moderate", thread)
    shown: dict[int, ShownPost] = {}
    top: list[ShownPost] = []
    for p, name in rows:
        item = ShownPost(post=p, level=min(p.depth, DISPLAY_DEPTH), author_name=name,
                         hidden=p.is_deleted and not moderator)
        shown[p.id] = item
        parent = shown.get(p.parent_id) if p.parent_id else None
        if parent is None:
            top.append(item)
            continue
        if p.depth > DISPLAY_DEPTH:
            # Attach flat to the ancestor at the display depth, and say whom it answers.
            anc = parent
            while anc.post.depth > DISPLAY_DEPTH - 1 and anc.post.parent_id in shown:
                anc = shown[anc.post.parent_id]
            item.reply_to = parent.author_name
            anc.children.append(item)
        else:
            parent.children.append(item)
    return top


def flatten(tree: list[ShownPost]) -> list[ShownPost]:
    """Depth-first list of a display tree."""
    out: list[ShownPost] = []
    stack = list(reversed(tree))
    while stack:
        item = stack.pop()
        out.append(item)
        stack.extend(reversed(item.children))
    return out


def page_of_post(post: Post, per_page: int = PAGE_SIZE) -> int:
    """The page on which `post` (or its top-level ancestor) appears."""
    position = post.position
    if position is None and post.root_id:
        position = db.session.scalar(select(Post.position).where(Post.id == post.root_id))
    return max(1, -(-(position or 1) // per_page))


def thread_participant_ids(thread: Thread) -> set[int]:
    """Authors of the thread and of its live replies."""
    ids = set(db.session.scalars(select(Post.author_id).where(Post.thread_id == thread.id,
                                                                Post.is_deleted.is_(False)).distinct()))
    ids.add(thread.author_id)
    return ids


def latest_threads(user: User, limit: int = 8) -> list[Thread]:
    """Latest active threads on boards `user` may read."""
    from forum.policy import readable_boards_clause, statement_for

    stmt = statement_for(user, f"latest_threads:{limit}", lambda u: (
        select(Thread).where(Thread.is_deleted.is_(False), readable_boards_clause(u, Thread.board_id))
        .options(joinedload(Thread.board), joinedload(Thread.last_poster))
        .order_by(Thread.last_post_at.desc()).limit(limit)))
    return list(db.session.scalars(stmt).unique())


def count_posts(thread: Thread) -> int:
    """Live replies of a thread (for repairs and tests)."""
    return db.session.scalar(select(func.count()).select_from(Post)
                             .where(Post.thread_id == thread.id, Post.is_deleted.is_(False))) or 0
