"""The organisation: group audit and theme, tallies of groups, schools and teachers, managing, suspending."""
from __future__ import annotations

from forum.auth.models import User
from forum.org.models import Cluster, Group, School
from forum.policy.identity import _membership_map, is_admin, is_member, leader_covers_school, moderates_group, signed_in
from forum.policy.registry import rule


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
