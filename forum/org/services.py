"""Organisation: schools, clusters, groups (with their blog and board) and memberships."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from forum.auth.models import User
from forum.extensions import db
from forum.org.models import VISIBILITIES, Cluster, Group, Membership, School


class OrgError(ValueError):
    """A user-facing problem with organisation data."""


def get_or_create_cluster(name: str) -> Cluster:
    """The cluster with this name, created if missing (caller commits)."""
    name = name.strip()
    cluster = db.session.scalar(select(Cluster).where(Cluster.name == name))
    if cluster is None:
        cluster = Cluster(name=name)
        db.session.add(cluster)
        db.session.flush()
    return cluster


def get_or_create_school(name: str, cluster: Cluster | None = None) -> School:
    """The school with this name, created if missing (caller commits)."""
    name = (name or "").strip()
    if not name:
        raise OrgError(_("学校名称不能为空。"))
    school = db.session.scalar(select(School).where(School.name == name))
    if school is None:
        school = School(name=name, cluster=cluster)
        db.session.add(school)
        db.session.flush()
    elif cluster is not None and school.cluster_id is None:
        school.cluster = cluster
    return school


def create_group(name: str, *, school: School | None = None, cluster: Cluster | None = None,
                 subject: str = "", grade: str = "", visibility: str = "public",
                 description: str = "") -> Group:
    """Create a group together with its blog and its board (caller commits)."""
    from forum.blogs.models import Blog
    from forum.boards.models import Board

    name = (name or "").strip()
    if not name:
        raise OrgError(_("组名不能为空。"))
    if visibility not in VISIBILITIES:
        raise OrgError(_("可见范围必须是 public、school 或 group。"))
    if school is None and cluster is None:
        raise OrgError(_("教研组必须属于一所学校或一个片区。"))
    exists = db.session.scalar(select(Group.id).where(
        Group.name == name, Group.school_id == (school.id if school else None)))
    if exists and school is not None:
        raise OrgError(_("%(school)s 已有名为 %(name)s 的组。", school=school.name, name=name))
    group = Group(name=name, school=school, cluster=cluster, subject=subject or "", grade=grade or "",
                  visibility=visibility, description=description or "")
    db.session.add(group)
    db.session.flush()
    # Stored names are data (Chinese), not interface text.
    db.session.add(Blog(group_id=group.id, title=f"{group.label}博客"))
    db.session.add(Board(group_id=group.id, name=f"{group.label}研讨区"))
    db.session.flush()
    return group


def create_cluster_board(cluster: Cluster, name: str, visibility: str = "cluster"):
    """A cluster-wide board for all the cluster's schools' teachers (caller commits)."""
    from forum.boards.models import Board

    board = Board(cluster_id=cluster.id, name=name, visibility=visibility)
    db.session.add(board)
    db.session.flush()
    return board


def find_group(ref: str) -> Group:
    """A group by id, by 'School/Group', or by a name that only one group has."""
    ref = (ref or "").strip()
    if ref.isdigit():
        group = db.session.get(Group, int(ref))
        if group:
            return group
    if "/" in ref:
        school_name, group_name = (p.strip() for p in ref.split("/", 1))
        group = db.session.scalar(select(Group).join(School, Group.school_id == School.id)
                                  .where(School.name == school_name, Group.name == group_name))
        if group:
            return group
    matches = db.session.scalars(select(Group).where(Group.name == ref)).all()
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise OrgError(_("有多个名为 %(name)s 的组，请写成“学校/组名”。", name=ref))
    raise OrgError(_("找不到组：%(name)s", name=ref))


def add_member(group: Group, user: User, *, host: bool = False) -> Membership:
    """Add `user` to `group` (or update their host flag); caller commits."""
    from forum.policy import forget_memberships

    membership = db.session.scalar(select(Membership).where(
        Membership.group_id == group.id, Membership.user_id == user.id))
    if membership is None:
        membership = Membership(group=group, user=user, is_host=host)
        db.session.add(membership)
    else:
        membership.is_host = host or membership.is_host
    forget_memberships(user)
    db.session.flush()
    return membership


def remove_member(group: Group, user: User) -> None:
    """Remove a membership (caller commits)."""
    from forum.policy import forget_memberships

    membership = db.session.scalar(select(Membership).where(
        Membership.group_id == group.id, Membership.user_id == user.id))
    if membership is not None:
        db.session.delete(membership)
    forget_memberships(user)
