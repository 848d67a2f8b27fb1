"""Who the user is: signed in, admin, member or host of a group, leader in scope; reading a group."""
from __future__ import annotations

from sqlalchemy import select

from forum.auth.models import User
from forum.org.models import Group, Membership, School


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
