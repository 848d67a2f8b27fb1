"""Group pages and the admin pages for schools, clusters, groups, members and roles."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from forum.auth.models import User
from forum.core.errors import fail
from forum.extensions import db
from forum.org import services
from forum.org.forms import ClusterForm, ConfirmForm, GroupForm, MemberForm, RoleForm, SchoolForm
from forum.org.models import Cluster, Group, Membership, School
from forum.policy import can

bp = Blueprint("org", __name__, url_prefix="/groups")
admin_bp = Blueprint("admin", __name__, url_prefix="/admin")


def get_group(group_id: int, action: str = "read") -> Group:
    """Load a group: 404 if missing, 403 if the user may not `action` it."""
    group = db.session.get(Group, group_id)
    if group is None:
        fail(404)
    if not can(current_user, action, group):
        fail(403) if current_user.is_authenticated else fail(404 if action == "read" else 403)
    return group


@bp.route("/<int:group_id>")
def show_group(group_id: int):
    """A group's page: its blog, board, theme and members (panels from each feature)."""
    group = get_group(group_id)
    members = db.session.execute(
        select(User, Membership.is_host).join(Membership, Membership.user_id == User.id)
        .where(Membership.group_id == group.id).order_by(Membership.is_host.desc(), User.display_name)
    ).all()
    return render_template("org/group.html", group=group, members=members)


# --- admin ---------------------------------------------------------------------------------------

@admin_bp.before_request
@login_required
def _admins_only():
    if not can(current_user, "admin"):
        fail(403)


def _cluster_choices():
    return [(0, _("（无）"))] + [(c.id, c.name) for c in db.session.scalars(select(Cluster).order_by(Cluster.name))]


def _school_choices():
    return [(0, _("（无）"))] + [(s.id, s.name) for s in db.session.scalars(select(School).order_by(School.name))]


@admin_bp.route("/")
def index():
    """Clusters, schools and groups with forms to add more."""
    cluster_form, school_form, group_form = ClusterForm(prefix="c"), SchoolForm(prefix="s"), GroupForm(prefix="g")
    school_form.cluster_id.choices = _cluster_choices()
    group_form.school_id.choices = _school_choices()
    clusters = db.session.scalars(select(Cluster).order_by(Cluster.name)).all()
    schools = db.session.scalars(select(School).order_by(School.name)).all()
    counts = dict(db.session.execute(select(Membership.group_id, func.count()).group_by(Membership.group_id)).all())
    groups = db.session.scalars(select(Group).order_by(Group.school_id, Group.name)).all()
    return render_template("org/admin.html", clusters=clusters, schools=schools, groups=groups, counts=counts,
                           cluster_form=cluster_form, school_form=school_form, group_form=group_form)


@admin_bp.route("/clusters", methods=["POST"])
def create_cluster():
    """Add a cluster (片区)."""
    form = ClusterForm(prefix="c")
    if form.validate_on_submit():
        services.get_or_create_cluster(form.name.data)
        db.session.commit()
        flash(_("片区已保存。"), "success")
    else:
        flash(_("请填写片区名称。"), "error")
    return redirect(url_for("admin.index"))


@admin_bp.route("/schools", methods=["POST"])
def create_school():
    """Add a school."""
    form = SchoolForm(prefix="s")
    form.cluster_id.choices = _cluster_choices()
    if form.validate_on_submit():
        cluster = db.session.get(Cluster, form.cluster_id.data) if form.cluster_id.data else None
        services.get_or_create_school(form.name.data, cluster)
        db.session.commit()
        flash(_("学校已保存。"), "success")
    else:
        flash(_("请填写学校名称。"), "error")
    return redirect(url_for("admin.index"))


@admin_bp.route("/groups", methods=["POST"])
def create_group():
    """Add a group with its blog and board."""
    form = GroupForm(prefix="g")
    form.school_id.choices = _school_choices()
    if form.validate_on_submit():
        school = db.session.get(School, form.school_id.data) if form.school_id.data else None
        try:
            group = services.create_group(form.name.data, school=school, subject=form.subject.data,
                                          grade=form.grade.data, visibility=form.visibility.data,
                                          description=form.description.data)
        except services.OrgError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("教研组已创建。"), "success")
            return redirect(url_for("admin.edit_group", group_id=group.id))
    else:
        flash(_("请检查表单。"), "error")
    return redirect(url_for("admin.index"))


@admin_bp.route("/groups/<int:group_id>", methods=["GET", "POST"])
def edit_group(group_id: int):
    """Edit a group and manage its members and hosts."""
    group = db.session.get(Group, group_id) or fail(404)
    form = GroupForm(prefix="g", obj=group)
    form.school_id.choices = _school_choices()
    if request.method == "GET":
        form.school_id.data = group.school_id or 0
    if form.validate_on_submit():
        group.name, group.subject, group.grade = form.name.data.strip(), form.subject.data, form.grade.data
        group.description = form.description.data
        if group.visibility != form.visibility.data:
            group.visibility = form.visibility.data
            _reindex_group(group)
        db.session.commit()
        flash(_("已保存。"), "success")
        return redirect(url_for("admin.edit_group", group_id=group.id))
    members = db.session.execute(
        select(User, Membership.is_host).join(Membership, Membership.user_id == User.id)
        .where(Membership.group_id == group.id).order_by(User.username)
    ).all()
    return render_template("org/admin_group.html", group=group, form=form, members=members,
                           member_form=MemberForm(prefix="m"), confirm=ConfirmForm())


def _reindex_group(group: Group) -> None:
    """Visibility changed: queue every document of the group for re-indexing."""
    from forum.blogs.models import Entry
    from forum.boards.models import Post, Thread
    from forum.core.writepath import enqueue

    if group.blog:
        for eid in db.session.scalars(select(Entry.id).where(Entry.blog_id == group.blog.id)):
            enqueue("entry", eid)
    if group.board:
        for tid in db.session.scalars(select(Thread.id).where(Thread.board_id == group.board.id)):
            enqueue("thread", tid)
        for pid in db.session.scalars(select(Post.id).join(Thread).where(Thread.board_id == group.board.id)):
            enqueue("post", pid)


@admin_bp.route("/groups/<int:group_id>/members", methods=["POST"])
def add_member(group_id: int):
    """Add a member (or make them host)."""
    from forum.auth.services import find_user

    group = db.session.get(Group, group_id) or fail(404)
    form = MemberForm(prefix="m")
    if form.validate_on_submit():
        user = find_user(form.username.data)
        if user is None:
            flash(_("找不到用户：%(name)s", name=form.username.data), "error")
        else:
            services.add_member(group, user, host=form.is_host.data)
            db.session.commit()
            flash(_("已添加 %(name)s。", name=user.display_name), "success")
    return redirect(url_for("admin.edit_group", group_id=group.id))


@admin_bp.route("/groups/<int:group_id>/members/<int:user_id>/<action>", methods=["POST"])
def change_member(group_id: int, user_id: int, action: str):
    """Remove a member, or grant/revoke the host role."""
    group = db.session.get(Group, group_id) or fail(404)
    user = db.session.get(User, user_id) or fail(404)
    if not ConfirmForm().validate_on_submit():
        fail(400)
    membership = db.session.scalar(select(Membership).where(Membership.group_id == group.id,
                                                            Membership.user_id == user.id)) or fail(404)
    if action == "remove":
        services.remove_member(group, user)
    elif action in ("host", "unhost"):
        membership.is_host = action == "host"
    else:
        fail(404)
    db.session.commit()
    return redirect(url_for("admin.edit_group", group_id=group.id))


@admin_bp.route("/users")
def list_users():
    """All users with their roles."""
    q = (request.args.get("q") or "").strip()[:40]
    stmt = select(User).order_by(User.username)
    if q:
        stmt = stmt.where((User.username.contains(q)) | (User.display_name.contains(q)))
    page = db.paginate(stmt, per_page=50, error_out=False)
    return render_template("org/admin_users.html", page=page, q=q)


@admin_bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    """Change a user's site role and a leader's scope."""
    user = db.session.get(User, user_id) or fail(404)
    form = RoleForm(obj=user)
    form.scope_school_id.choices = _school_choices()
    form.scope_cluster_id.choices = _cluster_choices()
    if request.method == "GET":
        form.scope_school_id.data = user.scope_school_id or 0
        form.scope_cluster_id.data = user.scope_cluster_id or 0
    if form.validate_on_submit():
        if user.id == current_user.id and form.role.data != "admin":
            flash(_("不能取消自己的管理员角色。"), "error")
        else:
            user.role = form.role.data
            user.scope_school_id = form.scope_school_id.data or None
            user.scope_cluster_id = None if user.scope_school_id else (form.scope_cluster_id.data or None)
            db.session.commit()
            flash(_("已保存。"), "success")
            return redirect(url_for("admin.list_users"))
    return render_template("org/admin_user.html", user=user, form=form)
