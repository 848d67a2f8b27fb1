"""Blog services: entries, comments, guestbook messages (attachments live in attachments.py).

Each service checks the policy, validates, writes the content, its ledger row and its search
outbox row through forum.core.writepath, and commits once. Views, the API and the demo seeder
all call these functions, so a rule lives here once.
"""
from __future__ import annotations

import re
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import case, func, select, update
from sqlalchemy.orm import joinedload, selectinload

from forum.blogs import drafts
from forum.blogs.models import CATEGORIES, Blog, Comment, Entry, EntryTag, GuestbookMessage
from forum.core import markup
from forum.core.content import DELETE_REASONS
from forum.core.db import utcnow
from forum.core.errors import fail
from forum.core.ids import as_id
from forum.core.revisions import keep_revision
from forum.core.writepath import Credit, add_contribution, enqueue, record, set_deleted
from forum.extensions import db
from forum.notifications.services import find_mentions, notify, notify_moderated
from forum.policy import can

TITLE_MAX = 200
BODY_MAX = 100_000
COMMENT_MAX = 10_000
TAG_MAX = 40
TAGS_MAX = 10
META_FIELDS = {"stage": 20, "subject": 40, "grade": 40, "textbook": 80, "unit": 120}
STATUSES = ("draft", "published")
# Control characters are refused in one-line fields (they also break XML feeds).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def ensure_personal_blog(user) -> Blog:
    """The user's personal blog, created if missing (caller commits)."""
    blog = db.session.scalar(select(Blog).where(Blog.owner_id == user.id))
    if blog is None:
        blog = Blog(owner_id=user.id, title=f"{user.display_name}的博客")
        db.session.add(blog)
        db.session.flush()
    return blog


# --- validation ----------------------------------------------------------------------------------

def clean_line(value, field: str, max_len: int, *, required: bool = False) -> str:
    """A one-line text field: 422 naming the field if not text, empty when required, or too long."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        fail(422, _("字段 %(name)s 必须是字符串。", name=field), field=field)
    value = value.strip()
    if _CONTROL.search(value) or "\n" in value or "\r" in value:
        fail(422, _("字段 %(name)s 含有非法字符。", name=field), field=field)
    if required and not value:
        fail(422, _("字段 %(name)s 不能为空。", name=field), field=field)
    if len(value) > max_len:
        fail(422, _("字段 %(name)s 太长（最多 %(n)s 个字符）。", name=field, n=max_len), field=field)
    return value


def clean_body(value, field: str = "body", max_len: int = BODY_MAX, *, required: bool = True) -> str:
    """Markdown text: 422 if not text, blank, too long or holding NUL bytes."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        fail(422, _("字段 %(name)s 必须是字符串。", name=field), field=field)
    if "\x00" in value:
        fail(422, _("字段 %(name)s 含有非法字符。", name=field), field=field)
    value = value.replace("\r\n", "\n")
    if required and not value.strip():
        fail(422, _("字段 %(name)s 不能为空。", name=field), field=field)
    if len(value) > max_len:
        fail(422, _("字段 %(name)s 太长（最多 %(n)s 个字符）。", name=field, n=max_len), field=field)
    return value


def clean_category(value) -> str:
    if not isinstance(value, str) or value not in CATEGORIES:
        fail(422, _("类别无效，应为：%(codes)s", codes=", ".join(CATEGORIES)), field="category")
    return value


def clean_tags(value) -> list[str]:
    """Tags from a list or a comma/space separated string (，、 also separate Chinese tags)."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        items = re.split(r"[,，、;；\s]+", value)
    elif isinstance(value, list) and all(isinstance(t, str) for t in value):
        items = value
    else:
        fail(422, _("标签应为字符串列表。"), field="tags")
    tags: list[str] = []
    for raw in items:
        tag = raw.strip().lstrip("#")
        if not tag:
            continue
        if len(tag) > TAG_MAX or _CONTROL.search(tag):
            fail(422, _("标签“%(tag)s”无效（最多 %(n)s 个字符）。", tag=tag[:TAG_MAX], n=TAG_MAX), field="tags")
        if tag not in tags:
            tags.append(tag)
    if len(tags) > TAGS_MAX:
        fail(422, _("标签最多 %(n)s 个。", n=TAGS_MAX), field="tags")
    return tags


def clean_meta(meta: dict | None) -> dict[str, str]:
    """The optional teaching metadata (学段, 学科, 年级, 教材版本, 单元)."""
    out = {}
    for name, max_len in META_FIELDS.items():
        if meta and name in meta:
            out[name] = clean_line(meta[name], name, max_len)
    return out


def clean_reason(reason, actor, obj) -> str | None:
    """A moderator deleting someone else's content must give a reason code; an author need not."""
    if reason in (None, "") and getattr(obj, "author_id", None) == actor.id:
        return "author"
    if not isinstance(reason, str) or reason not in DELETE_REASONS:
        fail(422, _("请选择删除原因：%(codes)s", codes=", ".join(DELETE_REASONS)), field="reason")
    return reason


# --- helpers -------------------------------------------------------------------------------------

def _credit(kind: str, user, blog: Blog, text: str, when: datetime | None = None) -> Credit:
    """The ledger row for content on `blog`: a group blog counts for its group and school."""
    group = blog.group if blog.group_id else None
    school_id = (group.school_id if group is not None else None) or user.school_id
    return Credit(kind, user.id, group.id if group is not None else None, school_id, text, created_at=when)


def _set_tags(entry: Entry, tags: list[str]) -> None:
    current = {t.tag: t for t in entry.tags}
    for name in list(current):
        if name not in tags:
            entry.tags.remove(current[name])
    for name in tags:
        if name not in current:
            entry.tags.append(EntryTag(tag=name))


def _bump_comment_count(entry: Entry, delta: int) -> None:
    """Change the denormalised counter without touching the entry's updated_at (a comment is not an edit)."""
    db.session.execute(
        update(Entry).where(Entry.id == entry.id)
        .values(comment_count=case((Entry.comment_count + delta < 0, 0), else_=Entry.comment_count + delta),
                updated_at=Entry.updated_at)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(entry, ["comment_count"])


def recount_comments(entry: Entry) -> int:
    """Repair the counter from the comments themselves (caller commits)."""
    n = db.session.scalar(select(func.count()).select_from(Comment).where(
        Comment.entry_id == entry.id, Comment.is_deleted.is_(False))) or 0
    db.session.execute(update(Entry).where(Entry.id == entry.id)
                       .values(comment_count=n, updated_at=Entry.updated_at)
                       .execution_options(synchronize_session=False))
    db.session.expire(entry, ["comment_count"])
    return n


def _notify_mentions(text: str, actor, target_type: str, target_id: int, readable_by) -> None:
    """Tell the users @mentioned in `text` who may read the target."""
    users = [u for u in find_mentions(text) if readable_by(u)]
    notify([u.id for u in users], "mention", actor_id=actor.id, target_type=target_type, target_id=target_id)


# --- entries -------------------------------------------------------------------------------------

def create_entry(blog: Blog, author, *, title, body, category, tags=None, meta: dict | None = None,
                 status: str = "published", created_at: datetime | None = None,
                 attachment_ids=None, from_editor: bool = False) -> Entry:
    """Write a new entry (draft or published) on `blog`.

    From the editor, the author's uploads made for it are attached and the editor's autosave dropped.
    """
    if not can(author, "write", blog):
        fail(403, _("你不能在这个博客发表日志。"))
    title = clean_line(title, "title", TITLE_MAX, required=True)
    body = clean_body(body)
    category = clean_category(category)
    tag_list = clean_tags(tags)
    fields = clean_meta(meta)
    if status not in STATUSES:
        fail(422, _("状态应为 draft 或 published。"), field="status")
    when = created_at or utcnow()
    entry = Entry(blog_id=blog.id, author_id=author.id, title=title, category=category, status=status,
                  created_at=when, updated_at=when, published_at=when if status == "published" else None,
                  **fields)
    entry.blog = blog
    entry.set_body(body)
    for name in tag_list:
        entry.tags.append(EntryTag(tag=name))
    db.session.add(entry)
    record(entry, _credit("entry", author, blog, f"{title}\n{body}", when) if status == "published" else None)
    if status == "published":
        _notify_mentions(body, author, "entry", entry.id, lambda u: can(u, "read", entry))
    if from_editor:
        drafts.claim_attachments(author, entry, attachment_ids or (), body)
        drafts.drop(author, drafts.slot_for(blog, None))
    db.session.commit()
    return entry


def update_entry(entry: Entry, editor, *, version, title, body, category, tags=None,
                 meta: dict | None = None, status: str | None = None, attachment_ids=None,
                 from_editor: bool = False) -> Entry:
    """Edit an entry: the previous version is kept; a stale `version` is a 409 conflict."""
    if not can(editor, "edit", entry):
        fail(403, _("你不能编辑这篇日志。"))
    version = as_id(version)
    if version is None:  # missing, not a number, or too large to be one
        fail(422, _("缺少版本号。"), field="version")
    title = clean_line(title, "title", TITLE_MAX, required=True)
    body = clean_body(body)
    category = clean_category(category)
    tag_list = clean_tags(tags)
    fields = clean_meta(meta)
    status = status or entry.status
    if status not in STATUSES or (entry.status == "published" and status == "draft"):
        fail(422, _("已发表的日志不能改回草稿。"), field="status")
    html = markup.render(body)  # before the UPDATE below takes SQLite's write lock
    # Bump the version only if nobody saved in between: two editors never silently overwrite.
    bumped = db.session.execute(
        update(Entry).where(Entry.id == entry.id, Entry.version == version).values(version=version + 1)
    ).rowcount
    if bumped != 1:
        db.session.rollback()
        fail(409, _("这篇日志已被他人修改（当前版本 %(v)s）。请复制你的修改，刷新后重新编辑。",
                    v=db.session.get(Entry, entry.id).version), "edit_conflict", field="version")
    keep_revision(entry, editor.id, moderator=editor.id != entry.author_id)
    entry.version = version + 1
    entry.title = title
    entry.category = category
    for name, value in fields.items():
        setattr(entry, name, value)
    entry.set_body(body, html=html)
    _set_tags(entry, tag_list)
    entry.updated_at = utcnow()
    publishing = entry.status == "draft" and status == "published"
    entry.status = status
    if publishing:
        entry.published_at = utcnow()
        author = entry.author
        add_contribution(_credit("entry", author, entry.blog, f"{title}\n{body}"), "entry", entry.id)
        _notify_mentions(body, author, "entry", entry.id, lambda u: can(u, "read", entry))
    enqueue("entry", entry.id)
    if from_editor:
        drafts.claim_attachments(editor, entry, attachment_ids or (), body)
        drafts.drop(editor, drafts.slot_for(entry.blog, entry))
    db.session.commit()
    return entry


def delete_entry(entry: Entry, actor, reason=None, note: str = "") -> Entry:
    """Soft-delete an entry (its ledger rows flip, the index drops it)."""
    if not can(actor, "delete", entry):
        fail(403, _("你不能删除这篇日志。"))
    reason = clean_reason(reason, actor, entry)
    set_deleted(entry, True, by_id=actor.id, reason=reason, note=(note or "")[:500])
    notify_moderated(entry, actor.id, reason_code=reason, note=note)
    db.session.commit()
    return entry


def restore_entry(entry: Entry, actor) -> Entry:
    """Undo a soft delete (moderators in scope)."""
    if not can(actor, "restore", entry):
        fail(403, _("你不能恢复这篇日志。"))
    set_deleted(entry, False)
    db.session.commit()
    return entry


# --- comments ------------------------------------------------------------------------------------

def add_comment(entry: Entry, author, body, parent_id=None, created_at: datetime | None = None) -> Comment:
    """Comment on an entry, optionally replying to one of its comments; notifies and @mentions."""
    if not can(author, "comment", entry):
        fail(403, _("你不能评论这篇日志。"))
    body = clean_body(body, max_len=COMMENT_MAX)
    parent = None
    if parent_id not in (None, ""):
        number = as_id(parent_id)
        parent = db.session.get(Comment, number) if number else None
        if parent is None or parent.entry_id != entry.id or parent.is_deleted:
            fail(422, _("要回复的评论不存在。"), field="parent_id")
    when = created_at or utcnow()
    comment = Comment(entry_id=entry.id, author_id=author.id, parent_id=parent.id if parent else None,
                      created_at=when)
    comment.entry = entry
    comment.set_body(body)
    db.session.add(comment)
    record(comment, _credit("comment", author, entry.blog, body, when))
    _bump_comment_count(entry, +1)
    notify([entry.author_id], "comment", actor_id=author.id, target_type="comment", target_id=comment.id)
    if parent is not None and parent.author_id != entry.author_id:
        notify([parent.author_id], "reply", actor_id=author.id, target_type="comment", target_id=comment.id)
    _notify_mentions(body, author, "comment", comment.id, lambda u: can(u, "read", entry))
    db.session.commit()
    return comment


def delete_comment(comment: Comment, actor, reason=None, note: str = "") -> Comment:
    """Soft-delete a comment: its author, or the blog's host/owner with a reason code."""
    if not can(actor, "delete", comment):
        fail(403, _("你不能删除这条评论。"))
    reason = clean_reason(reason, actor, comment)
    set_deleted(comment, True, by_id=actor.id, reason=reason, note=(note or "")[:500])
    _bump_comment_count(comment.entry, -1)
    notify_moderated(comment, actor.id, reason_code=reason, note=note)
    db.session.commit()
    return comment


def restore_comment(comment: Comment, actor) -> Comment:
    """Undo a comment's soft delete."""
    if not can(actor, "restore", comment):
        fail(403, _("你不能恢复这条评论。"))
    set_deleted(comment, False)
    _bump_comment_count(comment.entry, +1)
    db.session.commit()
    return comment


# --- guestbook -----------------------------------------------------------------------------------

def add_guestbook_message(blog: Blog, author, body, created_at: datetime | None = None) -> GuestbookMessage:
    """Leave a message (留言) on a blog; the owner of a personal blog is notified."""
    if not can(author, "guestbook", blog):
        fail(403, _("你不能在这里留言。"))
    body = clean_body(body, max_len=COMMENT_MAX)
    when = created_at or utcnow()
    msg = GuestbookMessage(blog_id=blog.id, author_id=author.id, created_at=when)
    msg.blog = blog
    msg.set_body(body)
    db.session.add(msg)
    # Guestbook messages are not indexed by search (no document builder), but they are counted.
    record(msg, _credit("guestbook", author, blog, body, when), index=False)
    if blog.owner_id:
        notify([blog.owner_id], "guestbook", actor_id=author.id, target_type="guestbook", target_id=msg.id)
    _notify_mentions(body, author, "guestbook", msg.id, lambda u: can(u, "read", blog))
    db.session.commit()
    return msg


def delete_guestbook_message(msg: GuestbookMessage, actor, reason=None, note: str = "") -> GuestbookMessage:
    """Soft-delete a guestbook message: its author, or the blog's host/owner with a reason code."""
    if not can(actor, "delete", msg):
        fail(403, _("你不能删除这条留言。"))
    reason = clean_reason(reason, actor, msg)
    # The outbox row set_deleted queues is skipped by the indexer (no guestbook documents).
    set_deleted(msg, True, by_id=actor.id, reason=reason, note=(note or "")[:500])
    notify_moderated(msg, actor.id, reason_code=reason, note=note)
    db.session.commit()
    return msg


def restore_guestbook_message(msg: GuestbookMessage, actor) -> GuestbookMessage:
    """Undo a guestbook message's soft delete."""
    if not can(actor, "restore", msg):
        fail(403, _("你不能恢复这条留言。"))
    set_deleted(msg, False)
    db.session.commit()
    return msg


# --- reading -------------------------------------------------------------------------------------

def visible_entries(user, blog: Blog | None = None, *, category: str | None = None, tag: str | None = None,
                    include_own_drafts: bool = False, blog_id=None):
    """A SELECT of published, undeleted entries `user` may read (one blog or the whole district).

    `blog_id` (a bound parameter, say) stands for `blog` in statements built once for any blog;
    the caller has checked that the blog is readable, as for `blog`.
    """
    from forum.policy import readable_blogs_clause

    q = select(Entry).where(Entry.is_deleted.is_(False), Entry.status == "published")
    if blog is not None or blog_id is not None:
        q = q.where(Entry.blog_id == (blog.id if blog is not None else blog_id))
    else:
        q = q.where(readable_blogs_clause(user, Entry.blog_id))
    if category:
        q = q.where(Entry.category == category)
    if tag:
        q = q.where(Entry.id.in_(select(EntryTag.entry_id).where(EntryTag.tag == tag)))
    return q


def for_listing(query):
    """Load what entry lists show (author and blog joined, tags in one more query), not one query per entry."""
    return query.options(joinedload(Entry.author), joinedload(Entry.blog), selectinload(Entry.tags))


def count(query) -> int:
    """Rows a SELECT would return."""
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def blog_tags(blog: Blog, limit: int = 30) -> list[tuple[str, int]]:
    """The blog's most used tags on published entries."""
    rows = db.session.execute(
        select(EntryTag.tag, func.count()).join(Entry, Entry.id == EntryTag.entry_id)
        .where(Entry.blog_id == blog.id, Entry.is_deleted.is_(False), Entry.status == "published")
        .group_by(EntryTag.tag).order_by(func.count().desc(), EntryTag.tag).limit(limit)
    ).all()
    return [(t, n) for t, n in rows]
