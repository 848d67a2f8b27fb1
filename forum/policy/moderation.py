"""Moderation and the pages' passes: flag rules, site-wide actions, `actions_on` and `asker`."""
from __future__ import annotations

from forum.org.models import Group
from forum.policy.content import _container_memo
from forum.policy.identity import _membership_map, is_admin, moderates_group, signed_in
from forum.policy.registry import _SITE_RULES, can, rule


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
    visitor = not signed_in(user)

    def ask(action: str, obj=None) -> bool:
        if visitor and action in MEMBERS_ONLY:
            return False  # as actions_on: a visitor does none of these, whatever the object
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

_SITE_RULES.update({
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
})
