"""Creating notifications and finding @mentions (Chinese display names included)."""
from __future__ import annotations

import re
from typing import Iterable

from sqlalchemy import or_, select

from forum.auth.models import User
from forum.extensions import db
from forum.notifications.models import Notification

# @username (letters, digits, _ . -) or @显示名 (CJK names, 2–8 characters).
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_.\-]{2,40}|[\u3400-\u9fff·]{2,8})")


def mention_candidates(text: str) -> list[str]:
    """The names written after @ in `text`, in order, without duplicates."""
    seen: list[str] = []
    for m in _MENTION.finditer(text or ""):
        name = m.group(1).rstrip(".-")
        if name and name not in seen:
            seen.append(name)
    return seen


def find_mentions(text: str, limit: int = 20) -> list[User]:
    """Users mentioned in `text` by username or by (unique) display name."""
    names = mention_candidates(text)[:limit]
    if not names:
        return []
    lowered = [n.lower() for n in names]
    prefixes = {n[:cut] for n in names if not n.isascii() for cut in range(2, len(n) + 1)}
    rows = db.session.scalars(select(User).where(or_(User.username.in_(lowered),
                                                     User.display_name.in_(list(prefixes | set(names)))))).all()
    by_username = {u.username: u for u in rows}
    by_display: dict[str, list[User]] = {}
    for u in rows:
        by_display.setdefault(u.display_name, []).append(u)
    found: list[User] = []
    for name in names:
        user = by_username.get(name.lower())
        if user is None:
            # A Chinese name may be written without the full name being unique; CJK names may
            # also be followed directly by text (@王丽华老师): try the longest unique prefix.
            for cut in range(len(name), 1, -1):
                matches = by_display.get(name[:cut]) or []
                if len(matches) == 1:
                    user = matches[0]
                    break
        if user is not None and user not in found:
            found.append(user)
    return found


def notify(user_ids: Iterable[int], kind: str, *, actor_id: int | None, target_type: str, target_id: int,
           reason_code: str | None = None, note: str = "") -> int:
    """Queue one notification per recipient (never the actor); caller commits. Returns the count."""
    count = 0
    for uid in dict.fromkeys(user_ids):
        if uid is None or uid == actor_id:
            continue
        db.session.add(Notification(user_id=uid, kind=kind, actor_id=actor_id, target_type=target_type,
                                    target_id=target_id, reason_code=reason_code, note=(note or "")[:500]))
        count += 1
    return count


# --- reading: text built at read time, only for targets the reader may still see ----------------

def notify_moderated(content, actor_id: int, *, reason_code: str | None, note: str = "") -> int:
    """Tell the author that someone else moderated their content, with the reason (caller commits)."""
    if content.author_id == actor_id:
        return 0
    return notify([content.author_id], "moderation", actor_id=actor_id, target_type=content.doc_type,
                  target_id=content.id, reason_code=reason_code, note=note or "")


def _text(key: str, actor: str, title: str) -> str:
    """The sentence for a notification kind (msgids are the Chinese text)."""
    from flask_babel import gettext as _

    texts = {
        "reply": lambda: _("%(actor)s 回复了你：%(title)s", actor=actor, title=title),
        "adopted": lambda: _("%(actor)s 采纳了你的回帖：%(title)s", actor=actor, title=title),
        "mention": lambda: _("%(actor)s 在“%(title)s”中提到了你", actor=actor, title=title),
        "comment": lambda: _("%(actor)s 评论了你的日志：%(title)s", actor=actor, title=title),
        "prep_expected": lambda: _("%(actor)s 发起了集体备课，请你参加：%(title)s", actor=actor, title=title),
        "prep_discussing": lambda: _("集体备课已开始研讨：%(title)s", title=title),
        "prep_deadline": lambda: _("集体备课即将截止，请尽快发表意见：%(title)s", title=title),
        "prep_concluded": lambda: _("集体备课已定稿：%(title)s", title=title),
        "moderation": lambda: _("主持人处理了你的内容：%(title)s", title=title),
        "flag_outcome": lambda: _("你的举报已处理：%(title)s", title=title),
        "guestbook": lambda: _("%(actor)s 在你的博客留言：%(title)s", actor=actor, title=title),
    }
    return texts.get(key, lambda: title)()


def _load_targets(rows) -> dict[tuple[str, int], object]:
    """Load every target of `rows` with one query per target type."""
    from forum.blogs.models import Comment, Entry, GuestbookMessage
    from forum.boards.models import Post, Thread

    models = {"thread": Thread, "post": Post, "entry": Entry, "comment": Comment, "guestbook": GuestbookMessage}
    try:
        from forum.moderation.models import Flag

        models["flag"] = Flag
    except ImportError:  # the moderation feature is optional
        pass
    wanted: dict[str, set[int]] = {}
    for n in rows:
        if n.target_type in models:
            wanted.setdefault(n.target_type, set()).add(n.target_id)
    found: dict[tuple[str, int], object] = {}
    options = _container_loads()
    for kind, ids in wanted.items():
        model = models[kind]
        for obj in db.session.scalars(select(model).where(model.id.in_(ids)).options(*options.get(kind, ()))):
            found[(kind, obj.id)] = obj
    return found


def _container_loads() -> dict[str, tuple]:
    """Eager loads of what `can(user, "read", target)` walks (container, its group, the parent
    content), so checking 99 unread notifications costs one query per target type, not one per row."""
    from sqlalchemy.orm import joinedload

    from forum.blogs.models import Blog, Comment, Entry, GuestbookMessage
    from forum.boards.models import Board, Post, Thread

    def blog(path):
        return (path.joinedload(Blog.group), path.joinedload(Blog.owner))

    return {
        "thread": (joinedload(Thread.board).joinedload(Board.group),),
        "post": (joinedload(Post.thread).joinedload(Thread.board).joinedload(Board.group),),
        "entry": blog(joinedload(Entry.blog)),
        "comment": blog(joinedload(Comment.entry).joinedload(Entry.blog)),
        "guestbook": blog(joinedload(GuestbookMessage.blog)),
    }


def _url(endpoint: str, fallback: str, **values) -> str:
    """url_for, or the plain path outside a request (CLI, tests)."""
    from flask import url_for

    try:
        return url_for(endpoint, **values)
    except RuntimeError:
        return fallback


def _title_and_url(obj, kind: str) -> tuple[str, str]:
    if kind == "thread":
        return obj.title, _url("boards.show_thread", f"/boards/threads/{obj.id}", thread_id=obj.id)
    if kind == "post":
        return obj.thread.title, _url("boards.show_post", f"/boards/posts/{obj.id}", post_id=obj.id)
    if kind == "entry":
        return obj.title, _entry_url(obj)
    if kind == "comment":
        url = _entry_url(obj.entry)
        return obj.entry.title, (url + f"#comment-{obj.id}") if url else ""
    if kind == "guestbook":
        return obj.blog.title, ""
    return "", ""


def _entry_url(entry) -> str:
    from flask import current_app

    for endpoint in ("blogs.show_entry", "blogs.entry"):
        if endpoint in current_app.view_functions:
            try:
                return _url(endpoint, "", entry_id=entry.id)
            except Exception:  # noqa: BLE001 - another feature's URL shape; fall back to no link
                continue
    return ""


def _shown_as(user, n, obj) -> str | None:
    """How notification `n` about `obj` may be shown to `user`: "link" (target readable), "own"
    (moderation of the reader's own content), "flag" (outcome of the reader's flag), or None."""
    from forum.policy import can

    if obj is None:
        return None
    try:
        if can(user, "read", obj):
            return "link"
    except LookupError:
        pass
    if n.kind == "moderation" and getattr(obj, "author_id", None) == user.id:
        return "own"
    if n.kind == "flag_outcome" and n.target_type == "flag" and getattr(obj, "reporter_id", None) == user.id:
        return "flag"
    return None


def visible(user, rows) -> list[dict]:
    """The notifications of `rows` whose target `user` may still read, each with its text and link.

    Text is built now from the current target, so an edited or hidden target never leaks
    through an old notification. Two kinds speak of things the reader may no longer read, by
    design: a moderation action on the reader's own content (they wrote it; they are told what
    happened and why, with no link), and the outcome of the reader's own flag.
    """
    from flask_babel import gettext as _

    targets = _load_targets(rows)
    out = []
    for n in rows:
        obj = targets.get((n.target_type, n.target_id))
        shown = _shown_as(user, n, obj)
        if shown is None:
            continue
        actor = n.actor.display_name if n.actor is not None else _("系统")
        if shown == "link":
            title, url = _title_and_url(obj, n.target_type)
            key = n.kind
            if n.kind == "reply" and n.reason_code == "adopted":
                key = "adopted"
            elif n.kind == "prep_expected" and n.reason_code == "discussing":
                key = "prep_discussing"
            text = _text(key, actor, title)
        elif shown == "own":
            text, url = _text("moderation", actor, _own_label(user, obj, n.target_type)), ""
        else:
            text, url = _flag_text(n.reason_code), ""
        out.append({"id": n.id, "kind": n.kind, "text": text, "url": url, "created_at": n.created_at,
                    "read": n.read_at is not None, "reason_code": n.reason_code, "note": n.note,
                    "reason": _reason_label(n.reason_code)})
    return out


def _own_label(user, obj, kind: str) -> str:
    """How to name the reader's own (now hidden) content without showing anything else hidden."""
    from flask_babel import gettext as _

    from forum.policy import can

    if kind in ("thread", "entry"):
        return obj.title
    if kind == "post":
        return obj.thread.title if can(user, "read", obj.thread) else _("你的回帖")
    if kind == "comment":
        return obj.entry.title if can(user, "read", obj.entry) else _("你的评论")
    return _("你的留言")


def _flag_text(outcome: str | None) -> str:
    from flask_babel import gettext as _

    if outcome == "deleted":
        return _("你举报的内容已被删除，感谢你的举报。")
    return _("你的举报已处理：经核查，被举报内容未违反规定。")


def _reason_label(code: str | None) -> str:
    """The Chinese label of a deletion reason code (translated), or ""."""
    from flask_babel import gettext as _

    from forum.core.content import DELETE_REASONS

    label = DELETE_REASONS.get(code or "")
    return _(label) if label else ""


def unread_count(user, cap: int = 99) -> int:
    """Unread notifications that `user` may still see (capped; the badge shows 99 at most)."""
    rows = list(db.session.scalars(select(Notification).where(Notification.user_id == user.id,
                                                              Notification.read_at.is_(None))
                                   .order_by(Notification.id.desc()).limit(cap)))
    if not rows:
        return 0
    targets = _load_targets(rows)  # the badge needs no text or link: only what may be shown
    return sum(1 for n in rows if _shown_as(user, n, targets.get((n.target_type, n.target_id))) is not None)


def mark_read(user, notification_id: int | None = None) -> int:
    """Mark one (or, with None, all) of `user`'s notifications read; returns how many changed."""
    from sqlalchemy import update

    from forum.core.db import utcnow

    stmt = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    changed = db.session.execute(stmt.values(read_at=utcnow())).rowcount
    db.session.commit()
    return changed


# --- linking mentions in rendered HTML ------------------------------------------------------------

_TAG = re.compile(r"(<[^>]*>)")


def link_mentions(html: str, users) -> str:
    """Turn `@name` in the text of sanitized `html` into links to each mentioned user's blog.

    Only text between tags is touched, never inside <a>, <code> or <pre>; names come from our
    own user rows and are escaped. Called right after MarkdownMixin.set_body, on its output.
    """
    from markupsafe import escape

    if not users or "@" not in html:
        return html
    names: list[tuple[str, str]] = []
    for u in users:
        href = _url("blogs.user_blog", f"/blogs/users/{u.id}", user_id=u.id)
        for name in {u.display_name, u.username}:
            if name:
                link = (f'<a class="mention" href="{escape(href)}" title="{escape(u.display_name)}">'
                        f"@{escape(name)}</a>")
                names.append((str(escape(name)), link))
    names.sort(key=lambda p: -len(p[0]))
    pattern = re.compile(r"(?<![\w@])@(" + "|".join(re.escape(n) for n, _l in names) + ")")
    links = dict(names)
    out, skip = [], 0
    for part in _TAG.split(html):
        if part.startswith("<"):
            tag = re.match(r"</?\s*([a-zA-Z0-9]+)", part)
            name = tag.group(1).lower() if tag else ""
            if name in ("a", "code", "pre"):
                skip += -1 if part.startswith("</") else (0 if part.endswith("/>") else 1)
                skip = max(skip, 0)
            out.append(part)
        elif skip or "@" not in part:
            out.append(part)
        else:
            out.append(pattern.sub(lambda m: links[m.group(1)], part))
    return "".join(out)
