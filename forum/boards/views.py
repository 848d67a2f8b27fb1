"""Board pages: board, thread (paginated tree), new thread, reply, edit, delete, prep workflow, themes."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload

from forum.auth.models import User
from forum.boards import prep as prep_service
from forum.boards import services, themes
from forum.boards.forms import (KIND_LABELS, ConcludeForm, DeleteForm, DraftForm, EditForm, ReplyForm, ThemeForm,
                                ThreadForm)
from forum.boards.models import Board, LessonPrep, Post, PrepParticipant, Thread
from forum.core import viewcounts
from forum.core.content import DELETE_REASONS
from forum.core.errors import ApiError, fail
from forum.core.revisions import history
from forum.core.templating import per_catalog, url_pattern
from forum.core.timezones import current_month, format_month, parse_month, site_zone
from forum.extensions import db
from forum.org.models import Group, Membership
from forum.policy import actions_on
from forum.policy import can

bp = Blueprint("boards", __name__, url_prefix="/boards")


# --- loaders: 404 when missing or unreadable, 403 when readable but the action is not allowed ----

def _deny(readable: bool):
    fail(403) if readable else fail(404)


# The board with its group and the group's school (pages show the group's label): one statement.
_BOARD_WITH_GROUP = (select(Board).where(Board.id == bindparam("board_id"))
                     .options(joinedload(Board.group).joinedload(Group.school)))


def get_board(board_id: int, action: str = "read") -> Board:
    """Load a board, answering 404/403."""
    board = db.session.scalar(_BOARD_WITH_GROUP, {"board_id": board_id})
    if board is None or not can(current_user, "read", board):
        fail(404)
    if action != "read" and not can(current_user, action, board):
        _deny(True)
    return board


# Built once: SQLAlchemy memoizes a statement's cache key on the statement object, so a constant
# statement with a bound parameter skips rebuilding the key of its loader options on every request.
_THREAD_WITH_CONTEXT = (
    select(Thread).where(Thread.id == bindparam("thread_id"))
    .options(joinedload(Thread.board).joinedload(Board.group), joinedload(Thread.author),
             joinedload(Thread.prep).selectinload(LessonPrep.participants).joinedload(PrepParticipant.user),
             joinedload(Thread.tags))
)


def get_thread(thread_id: int, action: str = "read") -> Thread:
    """Load a thread with its board, group, prep and participants; 404/403."""
    thread = db.session.scalars(_THREAD_WITH_CONTEXT, {"thread_id": thread_id}).unique().first()
    if thread is None or not can(current_user, "read", thread):
        fail(404)
    if action != "read" and not can(current_user, action, thread):
        _deny(True)
    return thread


def get_post(post_id: int, action: str = "read") -> Post:
    """Load a post; 404/403."""
    post = db.session.get(Post, post_id)
    if post is None or not can(current_user, "read", post):
        fail(404)
    if action != "read" and not can(current_user, action, post):
        _deny(True)
    return post


def _check_form(form: FlaskForm | None = None) -> None:
    """CSRF for the small POST-only actions."""
    if not (form or FlaskForm()).validate_on_submit():
        fail(400, _("表单已失效，请刷新页面后重试。"))


@per_catalog
def _reasons():
    return [("", _("（作者本人删除无需原因）"))] + [(k, _(v)) for k, v in DELETE_REASONS.items()]


# --- board ---------------------------------------------------------------------------------------

@bp.route("/")
def index():
    """Every board the visitor may read: cluster-wide boards first, then the groups' boards."""
    from forum.policy import readable_boards_clause

    boards = db.session.scalars(
        select(Board).where(readable_boards_clause(current_user, Board.id))
        .options(joinedload(Board.group).joinedload(Group.school), joinedload(Board.cluster))
        .order_by(Board.group_id.is_not(None), Board.name)).unique().all()
    return render_template("boards/index.html", boards=boards)


@bp.route("/<int:board_id>")
def show_board(board_id: int):
    """Threads of a board: pinned first, then by last activity; keyset pagination."""
    board = get_board(board_id)
    threads, cursor = services.board_threads(board, current_user, before=request.args.get("before"))
    theme = themes.theme_for(board.group) if board.group else None
    return render_template("boards/board.html", board=board, threads=threads, cursor=cursor, theme=theme,
                           kinds=KIND_LABELS)


def _member_choices(group: Group | None) -> list[tuple[int, str]]:
    if group is None:
        return []
    return [(u.id, u.display_name) for u in db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id).where(Membership.group_id == group.id)
        .order_by(User.display_name))]


def _local_to_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    from datetime import timezone

    return value.replace(tzinfo=site_zone()).astimezone(timezone.utc)


@bp.route("/<int:board_id>/new", methods=["GET", "POST"])
@login_required
def new_thread(board_id: int):
    """Start a thread (discussion, prep, research, question)."""
    board = get_board(board_id, "write")
    form = ThreadForm()
    form.theme_id.choices = [(0, _("（不关联）"))] + themes.theme_choices(board.group)
    form.lead_speaker_id.choices = [(0, _("（我自己）"))] + _member_choices(board.group)
    if request.method == "GET":
        form.kind.data = request.args.get("kind", "discussion") if request.args.get("kind") in KIND_LABELS else "discussion"
        current = themes.theme_for(board.group) if board.group else None
        form.theme_id.data = current.id if current else 0
    if form.validate_on_submit():
        try:
            if form.kind.data == "prep":
                thread = prep_service.open_prep(
                    board, current_user, title=form.title.data, body=form.body.data or "",
                    lesson=form.lesson.data or "", subject=form.subject.data or "", grade=form.grade.data or "",
                    textbook=form.textbook.data or "", scheduled_on=form.scheduled_on.data,
                    lead_speaker_id=form.lead_speaker_id.data or None,
                    deadline_at=_local_to_utc(form.deadline_at.data), tags=form.tags.data,
                    theme_id=form.theme_id.data or None)
            else:
                thread = services.start_thread(board, current_user, form.title.data, form.body.data or "",
                                               kind=form.kind.data, tags=form.tags.data,
                                               theme_id=form.theme_id.data or None)
        except ApiError as exc:
            db.session.rollback()
            if exc.status != 422:
                raise
            target = getattr(form, exc.field or "", None) or form.body
            target.errors = list(target.errors) + [exc.message]
        else:
            flash(_("帖子已发布。"), "success")
            return redirect(url_for("boards.show_thread", thread_id=thread.id))
    return render_template("boards/new_thread.html", board=board, form=form), (422 if form.errors else 200)


# --- thread --------------------------------------------------------------------------------------

@bp.route("/threads/<int:thread_id>")
def show_thread(thread_id: int):
    """A thread page: its body, then one page of top-level replies with their subtrees."""
    thread = get_thread(thread_id)
    pages = services.page_count(thread)
    page = request.args.get("page", 1, type=int) or 1
    if page < 1 or page > pages:
        fail(404)
    tree = services.thread_page(thread, current_user, page)
    viewcounts.count("thread", thread.id)
    # A visitor can reply, delete or moderate nothing: the forms (and their CSRF tokens) are built
    # only for signed-in users; the template uses them only behind the matching can() checks.
    signed_in = current_user.is_authenticated
    reply_form = ReplyForm() if signed_in else None
    reply_to = request.args.get("reply_to", type=int) if signed_in else None
    replying = None
    if reply_to:
        replying = db.session.get(Post, reply_to)
        if replying is None or replying.thread_id != thread.id or not can(current_user, "read", replying):
            replying = None
        else:
            reply_form.parent_id.data = str(replying.id)
    prep = thread.prep
    took = missing = None
    if prep is not None:
        took, missing = prep_service.participation(prep)
    delete_form = None
    if signed_in:
        delete_form = DeleteForm()
        delete_form.reason.choices = _reasons()
    user = current_user._get_current_object()
    # What the viewer may do on each post, asked of the policy once per post and action here rather
    # than from the template (with the board's read/moderate answers memoized for the page).
    post_actions = actions_on(user, (item.post for item in services.flatten(tree) if not item.hidden),
                            _POST_ACTIONS)
    return render_template(
        "boards/thread.html", thread=thread, tree=tree, page=page, pages=pages, reply_form=reply_form,
        replying=replying, prep=prep, took=took, missing=missing, kinds=KIND_LABELS,
        overdue=prep is not None and prep_service.is_overdue(prep), state_labels=prep_service.state_labels(),
        action_form=FlaskForm() if signed_in else None, delete_form=delete_form, max_level=services.DISPLAY_DEPTH,
        post_actions=post_actions,
        post_urls=_post_urls() if any(post_actions.values()) else None,
    )


# The per-post actions the thread page offers (templates/boards/_post.html).
_POST_ACTIONS = ("edit", "see_history", "adopt", "delete", "restore")


def _post_urls() -> dict:
    """The per-post links and forms' actions, built once per page (url_for for each post cost more
    than the rest of the post's markup)."""
    return {name: url_pattern(f"boards.{name}", "post_id")
            for name in ("edit_post", "post_history", "adopt_post", "delete_post", "restore_post")}


@bp.route("/posts/<int:post_id>")
def show_post(post_id: int):
    """Redirect to the page of the thread that shows this post."""
    post = get_post(post_id)
    page = services.page_of_post(post)
    return redirect(url_for("boards.show_thread", thread_id=post.thread_id, page=page if page > 1 else None)
                    + f"#p-{post.id}")


@bp.route("/threads/<int:thread_id>/reply", methods=["POST"])
@login_required
def reply(thread_id: int):
    """Post a reply (top level, or to the post named by parent_id)."""
    thread = get_thread(thread_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        token = getattr(form, "csrf_token", None)  # absent when CSRF is switched off (tests)
        if token is not None and token.errors:
            fail(400, _("表单已失效，请刷新页面后重试。"))
        fail(422, _("请填写回复内容。"), field="body")
    post = services.reply(thread, current_user, form.body.data, parent_id=form.parent_id.data or None)
    flash(_("回复已发布。"), "success")
    return redirect(url_for("boards.show_post", post_id=post.id))


def _edit(obj, is_thread: bool):
    form = EditForm(obj=obj if request.method == "GET" else None)
    if request.method == "GET" and is_thread:
        form.tags.data = ", ".join(obj.tag_names)
    if request.method == "GET":
        form.version.data = obj.version
    if form.validate_on_submit():
        try:
            if is_thread:
                services.edit_thread(obj, current_user, form.title.data or "", form.body.data, tags=form.tags.data,
                                     version=form.version.data)
            else:
                services.edit_post(obj, current_user, form.body.data, version=form.version.data)
        except ApiError as exc:
            if exc.status not in (409, 422):
                raise
            db.session.rollback()
            form.body.errors = list(form.body.errors) + [exc.message]
            if exc.status == 409:
                # The user's text stays in the form and the saved text is shown beside it; saving
                # again is then a deliberate choice based on the version they have now seen.
                form.version.data = obj.version
                return render_template("boards/edit.html", obj=obj, form=form, is_thread=is_thread,
                                       conflict=obj), 409
        else:
            flash(_("修改已保存，原版本保留在修改历史中。"), "success")
            if is_thread:
                return redirect(url_for("boards.show_thread", thread_id=obj.id))
            return redirect(url_for("boards.show_post", post_id=obj.id))
    return render_template("boards/edit.html", obj=obj, form=form, is_thread=is_thread), (422 if form.errors else 200)


@bp.route("/threads/<int:thread_id>/edit", methods=["GET", "POST"])
@login_required
def edit_thread(thread_id: int):
    """Edit a thread (revisions kept)."""
    return _edit(get_thread(thread_id, "edit"), True)


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit_post(post_id: int):
    """Edit a reply (revisions kept)."""
    return _edit(get_post(post_id, "edit"), False)


@bp.route("/threads/<int:thread_id>/history")
@login_required
def thread_history(thread_id: int):
    """Previous versions of a thread."""
    thread = get_thread(thread_id, "see_history")
    return render_template("boards/history.html", obj=thread, revisions=history(thread), is_thread=True)


@bp.route("/posts/<int:post_id>/history")
@login_required
def post_history(post_id: int):
    """Previous versions of a reply."""
    post = get_post(post_id, "see_history")
    return render_template("boards/history.html", obj=post, revisions=history(post), is_thread=False)


@bp.route("/threads/<int:thread_id>/delete", methods=["POST"])
@login_required
def delete_thread(thread_id: int):
    """Soft-delete a thread (moderators give a reason)."""
    thread = get_thread(thread_id, "delete")
    form = DeleteForm()
    form.reason.choices = _reasons()
    _check_form(form)
    services.delete_thread(thread, current_user, form.reason.data or None, form.note.data or None)
    flash(_("帖子已删除。"), "success")
    return redirect(url_for("boards.show_board", board_id=thread.board_id))


@bp.route("/posts/<int:post_id>/delete", methods=["POST"])
@login_required
def delete_post(post_id: int):
    """Soft-delete a reply (moderators give a reason)."""
    post = get_post(post_id, "delete")
    form = DeleteForm()
    form.reason.choices = _reasons()
    _check_form(form)
    services.delete_post(post, current_user, form.reason.data or None, form.note.data or None)
    flash(_("回帖已删除。"), "success")
    return redirect(url_for("boards.show_thread", thread_id=post.thread_id, page=services.page_of_post(post)))


@bp.route("/threads/<int:thread_id>/restore", methods=["POST"])
@login_required
def restore_thread(thread_id: int):
    """Restore a deleted thread."""
    thread = get_thread(thread_id, "restore")
    _check_form()
    services.restore(thread, current_user)
    flash(_("帖子已恢复。"), "success")
    return redirect(url_for("boards.show_thread", thread_id=thread.id))


@bp.route("/posts/<int:post_id>/restore", methods=["POST"])
@login_required
def restore_post(post_id: int):
    """Restore a deleted reply."""
    post = get_post(post_id, "restore")
    _check_form()
    services.restore(post, current_user)
    flash(_("回帖已恢复。"), "success")
    return redirect(url_for("boards.show_post", post_id=post.id))


@bp.route("/threads/<int:thread_id>/toggle/<flag>", methods=["POST"])
@login_required
def toggle_thread(thread_id: int, flag: str):
    """Pin / lock / feature a thread, or undo it (hosts)."""
    thread = get_thread(thread_id)
    _check_form()
    value = services.toggle(thread, current_user, flag)
    labels = {"pinned": (_("已置顶。"), _("已取消置顶。")), "locked": (_("已锁定。"), _("已解除锁定。")),
              "featured": (_("已设为精华。"), _("已取消精华。"))}
    flash(labels[flag][0 if value else 1], "success")
    return redirect(url_for("boards.show_thread", thread_id=thread.id))


# --- lesson preparation ---------------------------------------------------------------------------

@bp.route("/threads/<int:thread_id>/draft", methods=["GET", "POST"])
@login_required
def post_draft(thread_id: int):
    """The lead speaker posts the draft; the discussion opens."""
    thread = get_thread(thread_id)
    if thread.prep is None:
        fail(404)
    form = DraftForm()
    if request.method == "GET":
        form.body.data = thread.body
    if form.validate_on_submit():
        prep_service.post_draft(thread, current_user, form.body.data)
        flash(_("初稿已发布，研讨开始。"), "success")
        return redirect(url_for("boards.show_thread", thread_id=thread.id))
    return render_template("boards/prep_form.html", thread=thread, form=form, mode="draft"), (422 if form.errors else 200)


@bp.route("/posts/<int:post_id>/adopt", methods=["POST"])
@login_required
def adopt_post(post_id: int):
    """Adopt (采纳) a reply in a lesson preparation."""
    post = get_post(post_id)
    _check_form()
    prep_service.adopt(post, current_user)
    flash(_("已采纳。"), "success")
    return redirect(url_for("boards.show_post", post_id=post.id))


@bp.route("/threads/<int:thread_id>/conclude", methods=["GET", "POST"])
@login_required
def conclude_prep(thread_id: int):
    """Conclude with the summary (定稿): publishes the summary entry on the group blog, once."""
    thread = get_thread(thread_id, "conclude")
    if thread.prep.state == "concluded" and request.method == "GET":
        flash(_("这次集体备课已经定稿。"), "info")
        return redirect(url_for("boards.show_thread", thread_id=thread.id))
    form = ConcludeForm()
    if request.method == "GET":
        adopted = db.session.scalars(select(Post).where(Post.thread_id == thread.id, Post.is_adopted.is_(True),
                                                        Post.is_deleted.is_(False)).order_by(Post.id)).all()
        form.summary.data = "\n\n".join(f"- {p.author.display_name}：{p.body.strip()[:300]}" for p in adopted)
    if form.validate_on_submit():
        entry = prep_service.conclude(thread, current_user, form.summary.data)
        flash(_("已定稿，纪要已发布到组博客。"), "success")
        return redirect(_entry_url(entry) or url_for("boards.show_thread", thread_id=thread.id))
    return render_template("boards/prep_form.html", thread=thread, form=form, mode="conclude"), (422 if form.errors else 200)


def _entry_url(entry) -> str:
    from forum.notifications.services import _entry_url as entry_url

    return entry_url(entry)


# --- themes ---------------------------------------------------------------------------------------

@bp.route("/groups/<int:group_id>/theme", methods=["GET", "POST"])
@login_required
def set_theme(group_id: int):
    """Set the group's monthly theme (hosts)."""
    group = db.session.get(Group, group_id)
    if group is None or not can(current_user, "read", group):
        fail(404)
    if not can(current_user, "set_theme", group):
        fail(403)
    form = ThemeForm()
    if request.method == "GET":
        month = request.args.get("month") or format_month(current_month())
        form.month.data = month
        try:
            existing = themes.theme_for(group, parse_month(month))
        except ValueError:
            existing = None
        if existing:
            form.title.data, form.description.data, form.stage.data = existing.title, existing.description, existing.stage
    if form.validate_on_submit():
        try:
            month = parse_month(form.month.data)
        except ValueError:
            form.month.errors = list(form.month.errors) + [_("月份格式应为 YYYY-MM。")]
        else:
            themes.set_theme(group, current_user, month, form.title.data, form.description.data or "",
                             form.stage.data or "")
            flash(_("月度主题已保存。"), "success")
            return redirect(url_for("org.show_group", group_id=group.id))
    return render_template("boards/theme_form.html", group=group, form=form,
                           recent=themes.recent_themes(group)), (422 if form.errors else 200)
