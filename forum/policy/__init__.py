"""The policy module: the one place that decides who may do what.

Ask it by name: `can(user, "edit", entry)`. Views, API endpoints, templates (through the
`can` context function) and services all ask here, so a page never shows a button the
server would refuse, and a rule lives once.

Scope: a host moderates only their own group's blog, board and guestbook; a leader moderates
within the school or cluster they are scoped to (everything if unscoped); an admin everywhere.
Visibility: `public` (everyone), `school` (members of the owning school, and the group's
members), `group` (the group's members). Deleted content is visible only to moderators in scope.
"""
from __future__ import annotations

from contextvars import ContextVar
from typing import Callable

from sqlalchemy import select

from forum.auth.models import User
from forum.blogs.models import Attachment, Blog, Comment, Entry, GuestbookMessage
from forum.boards.models import Board, LessonPrep, Post, Thread
from forum.org.models import Cluster, Group, Membership, School

_RULES: dict[tuple[str, type], Callable] = {}


def rule(action: str, *types: type):
    """Register a function as the rule for `action` on the given model types."""
    def decorate(fn):
        for t in types:
            _RULES[(action, t)] = fn
        return fn
    return decorate


def can(user, action: str, obj=None) -> bool:
    """True if `user` (possibly anonymous) may do `action` on `obj`."""
    if obj is None:
        fn = _SITE_RULES.get(action)
        return bool(fn and fn(user))
    fn = _RULES.get((action, type(obj)))
    if fn is None:
        raise LookupError(f"no policy for {action!r} on {type(obj).__name__}")
    return bool(fn(user, obj))


# --- who the user is -------------------------------------------------------------------------

def signed_in(user) -> bool:
    """Authenticated and not suspended."""
    return bool(user is not None and getattr(user, "is_authenticated", False)
                and isinstance(user, User) and not user.is_suspended)


def is_admin(user) -> bool:
    return signed_in(user) and user.role == "admin"


def _membership_map(user) -> dict[int, bool]:
    """{group_id: is_host} for the user's memberships, loaded once per user object."""
    cached = user.__dict__.get("_jy_memberships")
    if cached is None:
        from forum.extensions import db
        rows = db.session.execute(
            select(Membership.group_id, Membership.is_host).where(Membership.user_id == user.id)
        ).all()
        cached = {gid: host for gid, host in rows}
        user.__dict__["_jy_memberships"] = cached
    return cached


def preload_memberships(users) -> None:
    """Fill the membership map of many users with one query (lists that ask the policy per user)."""
    from forum.extensions import db
    pending = {u.id: u for u in users if u is not None and "_jy_memberships" not in u.__dict__}
    if not pending:
        return
    maps: dict[int, dict[int, bool]] = {uid: {} for uid in pending}
    for uid, gid, host in db.session.execute(
            select(Membership.user_id, Membership.group_id, Membership.is_host)
            .where(Membership.user_id.in_(list(pending)))):
        maps[uid][gid] = host
    for uid, user in pending.items():
        user.__dict__["_jy_memberships"] = maps[uid]


def forget_memberships(user) -> None:
    """Drop the cached membership map after memberships change."""
    user.__dict__.pop("_jy_memberships", None)


def is_member(user, group: Group | None) -> bool:
    return group is not None and signed_in(user) and group.id in _membership_map(user)


def is_host(user, group: Group | None) -> bool:
    return group is not None and signed_in(user) and _membership_map(user).get(group.id, False)


def _group_cluster_id(group: Group) -> int | None:
    if group.cluster_id:
        return group.cluster_id
    return group.school.cluster_id if group.school else None


def leader_covers_school(user, school_id: int | None, cluster_id: int | None = None) -> bool:
    """A leader's scope includes this school (or cluster)."""
    if not (signed_in(user) and user.role == "leader"):
        return False
    if user.scope_school_id is None and user.scope_cluster_id is None:
        return True
    if user.scope_school_id is not None:
        return school_id is not None and school_id == user.scope_school_id
    if cluster_id is None and school_id is not None:
        from forum.extensions import db
        cluster_id = db.session.get(School, school_id).cluster_id
    return cluster_id is not None and cluster_id == user.scope_cluster_id


def leader_covers_group(user, group: Group) -> bool:
    if not (signed_in(user) and user.role == "leader"):
        return False
    if user.scope_school_id is not None and group.school_id is None:
        return False
    return leader_covers_school(user, group.school_id, _group_cluster_id(group))


def moderates_group(user, group: Group | None) -> bool:
    """Host of the group, leader in scope, or admin."""
    if group is None:
        return is_admin(user)
    return is_admin(user) or is_host(user, group) or leader_covers_group(user, group)


def can_read_group(user, group: Group) -> bool:
    """The visibility rule for a group's blog, board and everything in them."""
    if group.visibility == "public":
        return True
    if not signed_in(user):
        return False
    if is_admin(user) or is_member(user, group) or leader_covers_group(user, group):
        return True
    if group.visibility == "school":
        if group.school_id is not None:
            return user.school_id == group.school_id
        cluster_id = group.cluster_id
        return cluster_id is not None and user.school is not None and user.school.cluster_id == cluster_id
    return False


# --- containers: blogs and boards --------------------------------------------------------------

def blog_group(blog: Blog) -> Group | None:
    return blog.group if blog.group_id else None


def can_read_blog(user, blog: Blog) -> bool:
    if blog.group_id:
        return can_read_group(user, blog.group)
    owner = blog.owner
    if blog.visibility == "public":
        return True
    if not signed_in(user):
        return False
    if user.id == blog.owner_id or is_admin(user):
        return True
    if blog.visibility == "school":
        return (owner is not None and owner.school_id is not None
                and (user.school_id == owner.school_id or leader_covers_school(user, owner.school_id)))
    return False


def moderates_blog(user, blog: Blog) -> bool:
    if blog.group_id:
        return moderates_group(user, blog.group)
    if not signed_in(user):
        return False
    owner = blog.owner
    return (is_admin(user) or user.id == blog.owner_id
            or (owner is not None and leader_covers_school(user, owner.school_id)))


def can_write_blog(user, blog: Blog) -> bool:
    if not signed_in(user):
        return False
    if blog.group_id:
        return is_member(user, blog.group) or is_admin(user)
    return user.id == blog.owner_id


def can_read_board(user, board: Board) -> bool:
    if board.group_id:
        return can_read_group(user, board.group)
    if board.visibility == "public":
        return True
    if not signed_in(user):
        return False
    if is_admin(user) or leader_covers_school(user, None, board.cluster_id):
        return True
    return user.school is not None and user.school.cluster_id == board.cluster_id


def moderates_board(user, board: Board) -> bool:
    if board.group_id:
        return moderates_group(user, board.group)
    return is_admin(user) or (signed_in(user) and user.role == "leader"
                              and leader_covers_school(user, None, board.cluster_id))


def can_post_in_board(user, board: Board) -> bool:
    if not signed_in(user):
        return False
    if board.group_id:
        return is_member(user, board.group) or moderates_group(user, board.group)
    return can_read_board(user, board) and (user.school is not None and user.school.cluster_id == board.cluster_id
                                            or moderates_board(user, board))


_CONTAINER_RULES: dict[str, Callable] = {}

rule("read", Group)(can_read_group)
rule("moderate", Group)(moderates_group)
rule("read", Blog)(can_read_blog)
rule("moderate", Blog)(moderates_blog)
rule("write", Blog)(can_write_blog)
rule("guestbook", Blog)(lambda u, b: signed_in(u) and can_read_blog(u, b))
rule("read", Board)(can_read_board)
rule("moderate", Board)(moderates_board)
rule("write", Board)(can_post_in_board)


@rule("see_audit", Group)
def can_see_group_audit(user, group: Group) -> bool:
    """Hosts see their group's log, leaders their scope's, admins all."""
    return moderates_group(user, group)


@rule("set_theme", Group)
def can_set_theme(user, group: Group) -> bool:
    return moderates_group(user, group)


@rule("see_tallies", Group)
def can_see_group_tallies(user, group: Group) -> bool:
    return signed_in(user) and (is_member(user, group) or moderates_group(user, group))


@rule("see_tallies", School)
def can_see_school_tallies(user, school: School) -> bool:
    return is_admin(user) or leader_covers_school(user, school.id, school.cluster_id)


@rule("see_tallies", User)
def can_see_teacher_tallies(user, teacher: User) -> bool:
    if not signed_in(user):
        return False
    if user.id == teacher.id or is_admin(user):
        return True
    if leader_covers_school(user, teacher.school_id):
        return True
    # A host sees the figures of their group's members.
    hosted = {gid for gid, host in _membership_map(user).items() if host}
    return bool(hosted) and bool(hosted & set(_membership_map(teacher)))


@rule("manage", School, Cluster, Group, User)
def can_manage_org(user, _obj) -> bool:
    return is_admin(user)


@rule("suspend", User)
def can_suspend(user, target: User) -> bool:
    if not signed_in(user) or user.id == target.id or target.role == "admin":
        return False
    if is_admin(user):
        return True
    return user.role == "leader" and target.role == "teacher" and leader_covers_school(user, target.school_id)


# --- content ------------------------------------------------------------------------------------

def _entry_container(entry: Entry):
    return entry.blog


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


# --- moderation: flags and the moderation pages ---------------------------------------------------

def _flag_rules():
    # No "read" rule on purpose: the notifications page treats a flag as unreadable and words
    # the outcome for its reporter itself; the queue shows flags to those who may resolve them.
    from forum.moderation.models import Flag

    @rule("resolve", Flag)
    def can_resolve_flag(user, flag) -> bool:
        """Moderators of the flagged content's group (admins for content outside groups)."""
        if flag.group_id is None:
            return is_admin(user)
        from forum.extensions import db
        return moderates_group(user, db.session.get(Group, flag.group_id))


_flag_rules()


def hosts_any_group(user) -> bool:
    return signed_in(user) and any(_membership_map(user).values())


# Actions on content that no rule grants to anyone not signed in: each rule asks signed_in first,
# itself or through moderates_* (tests/foundation/test_members_only.py asks every one of them).
# A visitor's page skips asking them once per post or comment.
MEMBERS_ONLY = frozenset({"edit", "delete", "restore", "moderate", "see_history", "flag", "purge", "pin",
                          "feature", "lock", "move", "comment", "reply", "conclude", "adopt"})


def actions_on(user, objs, actions, ask=None) -> dict[int, frozenset[str]]:
    """{obj.id: the actions of `actions` that `user` may do on it} for many objects of one page,
    through one `asker` pass (pass the page's own `ask` to share its answers)."""
    if not signed_in(user):
        actions = tuple(a for a in actions if a not in MEMBERS_ONLY)
    ask = ask or asker(user)
    return {obj.id: frozenset(a for a in actions if ask(a, obj)) for obj in objs}


def asker(user):
    """`can` for one read-only pass over a page (a template render): `ask(action, obj=None)`.

    Each answer and each container answer (`_container_memo`) is remembered for the pass: a page asks
    `can("comment", entry)` once per comment and about the same board for every post. Nothing may
    change roles, memberships or content while the pass runs; templates change nothing.
    """
    answers: dict[tuple, tuple] = {}
    containers: dict = {}

    def ask(action: str, obj=None) -> bool:
        key = (action, id(obj))
        hit = answers.get(key)
        if hit is not None and hit[0] is obj:
            return hit[1]
        token = _container_memo.set(containers)
        try:
            answer = can(user, action, obj)
        finally:
            _container_memo.reset(token)
        answers[key] = (obj, answer)  # holding obj keeps its id from being reused
        return answer
    return ask


# --- site-wide actions (no object) ---------------------------------------------------------------

_SITE_RULES: dict[str, Callable] = {
    "admin": is_admin,
    "see_all_tallies": lambda u: is_admin(u) or (signed_in(u) and u.role == "leader"),
    "publish_bulletin": lambda u: is_admin(u) or (signed_in(u) and u.role == "leader"),
    # Targets are district-wide: a leader scoped to one school or cluster may not change them.
    "set_targets": lambda u: is_admin(u) or (signed_in(u) and u.role == "leader"
                                             and u.scope_school_id is None and u.scope_cluster_id is None),
    "see_audit": lambda u: is_admin(u) or (signed_in(u) and u.role == "leader"),
    # The moderation pages (flag queue, audit log): hosts see their groups', leaders their scope's.
    "moderate_any": lambda u: is_admin(u) or (signed_in(u) and u.role == "leader") or hosts_any_group(u),
    "post": signed_in,
}


# The SQL twins live in forum/policy/queries.py; re-exported here so callers keep one import.
from forum.policy.queries import (  # noqa: E402  (they need the helpers above)
    readable_blogs_clause, readable_boards_clause, readable_group_ids, statement_for, visibility_key,
    visible_groups_clause,
)

__all__ = ["can", "rule", "actions_on", "asker", "readable_group_ids", "readable_blogs_clause", "readable_boards_clause",
           "visible_groups_clause", "statement_for", "visibility_key", "moderates_group", "can_read_group", "signed_in"]
