"""Blog pages: blog home, entry page, editor with preview, history and diff (files: attachment_views.py)."""
from __future__ import annotations

import difflib

from flask import Blueprint, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import RequestEntityTooLarge

from forum.blogs import attachments, drafts, services
from forum.blogs.forms import CommentForm, ConfirmForm, DeleteForm, EntryForm, GuestbookForm, UploadForm
from forum.blogs.models import CATEGORIES, Blog, Comment, Entry, GuestbookMessage
from forum.blogs.outlines import outline, outlines
from forum.core import markup, viewcounts
from forum.core.errors import ApiError, fail
from forum.core.revisions import history
from forum.extensions import db
from forum.policy import can

bp = Blueprint("blogs", __name__, url_prefix="/blogs")
PER_PAGE = 15


# --- loaders: 404 for missing or invisible, 403 for visible but not allowed ----------------------

def _get(model, obj_id: int):
    """The row with this id, or None (also for ids beyond any database integer)."""
    return db.session.get(model, obj_id) if 0 < obj_id < 2**63 else None


def get_blog(blog_id: int, action: str = "read") -> Blog:
    """A blog the user may read (404 otherwise), and may `action` (403 otherwise)."""
    blog = _get(Blog, blog_id)
    if blog is None or not can(current_user, "read", blog):
        fail(404)
    if action != "read" and not can(current_user, action, blog):
        fail(403)
    return blog


def get_entry(entry_id: int, action: str = "read") -> Entry:
    """An entry the user may read (404 otherwise), and may `action` (403 otherwise)."""
    entry = _get(Entry, entry_id)
    if entry is None or not can(current_user, "read", entry):
        fail(404)
    if action != "read" and not can(current_user, action, entry):
        fail(403)
    return entry


def _get_content(model, obj_id: int, action: str):
    obj = _get(model, obj_id)
    if obj is None or not can(current_user, "read", obj):
        fail(404)
    if not can(current_user, action, obj):
        fail(403)
    return obj


def _page() -> int:
    try:
        return max(1, min(int(request.args.get("page", 1)), 10_000))
    except ValueError:
        return 1


def _category_arg() -> str | None:
    cat = request.args.get("category") or None
    return cat if cat in CATEGORIES else None


# --- lists ---------------------------------------------------------------------------------------

@bp.route("/")
def index():
    """District-wide latest entries the visitor may read, filtered by category."""
    category = _category_arg()
    query = services.for_listing(services.visible_entries(current_user, category=category))
    query = query.order_by(Entry.published_at.desc(), Entry.id.desc())
    page = db.paginate(query, page=_page(), per_page=PER_PAGE, error_out=False)
    return render_template("blogs/index.html", page=page, category=category, categories=CATEGORIES)


@bp.route("/me")
@login_required
def my_blog():
    """The signed-in teacher's personal blog."""
    blog = services.ensure_personal_blog(current_user)
    db.session.commit()
    return redirect(url_for("blogs.show_blog", blog_id=blog.id))


@bp.route("/users/<int:user_id>")
def user_blog(user_id: int):
    """A teacher's personal blog, by teacher."""
    blog = db.session.scalar(select(Blog).where(Blog.owner_id == user_id))
    if blog is None:
        fail(404)
    return redirect(url_for("blogs.show_blog", blog_id=blog.id))


@bp.route("/<int:blog_id>")
def show_blog(blog_id: int):
    """A blog's home: entries with paging and category/tag filters, drafts for their author, guestbook."""
    return _render_blog(get_blog(blog_id))


def _render_blog(blog: Blog, gb_form: GuestbookForm | None = None, status: int = 200):
    category = _category_arg()
    tag = (request.args.get("tag") or "").strip()[:40] or None
    query = services.for_listing(services.visible_entries(current_user, blog, category=category, tag=tag)).order_by(
        Entry.is_pinned.desc(), Entry.published_at.desc(), Entry.id.desc())
    page = db.paginate(query, page=_page(), per_page=PER_PAGE, error_out=False)
    own_drafts = deleted = []
    signed_in = current_user.is_authenticated
    if signed_in:
        own_drafts = db.session.scalars(select(Entry).where(
            Entry.blog_id == blog.id, Entry.author_id == current_user.id, Entry.status == "draft",
            Entry.is_deleted.is_(False)).order_by(Entry.updated_at.desc())).all()
        if can(current_user, "moderate", blog):
            deleted = db.session.scalars(select(Entry).where(
                Entry.blog_id == blog.id, Entry.is_deleted.is_(True)).order_by(Entry.deleted_at.desc()).limit(20)).all()
    gb_query = select(GuestbookMessage).where(GuestbookMessage.blog_id == blog.id)
    if not can(current_user, "moderate", blog):
        gb_query = gb_query.where(GuestbookMessage.is_deleted.is_(False))
    guestbook = db.session.scalars(gb_query.order_by(GuestbookMessage.created_at.desc()).limit(30)).all()
    return render_template(
        "blogs/blog.html", blog=blog, page=page, category=category, tag=tag, categories=CATEGORIES,
        tags=services.blog_tags(blog), drafts=own_drafts, deleted=deleted, guestbook=guestbook,
        autosaves=drafts.my_autosaves(current_user, blog),
        # As on the entry page: forms (CSRF tokens) only for signed-in users.
        gb_form=gb_form or (GuestbookForm() if signed_in else None),
        delete_form=DeleteForm() if signed_in else None, confirm_form=ConfirmForm() if signed_in else None,
    ), status


# --- entries -------------------------------------------------------------------------------------

@bp.route("/entries/<int:entry_id>")
def show_entry(entry_id: int):
    """An entry with its table of contents, attachments, comments and the blog's latest guestbook."""
    entry = get_entry(entry_id)
    viewcounts.count("entry", entry.id)
    return _render_entry(entry)


# The entry page's lists, built once with the ids bound (their cache keys are memoized on them):
# the comments (a moderator also sees deleted ones) and the blog's latest guestbook messages.
_ENTRY_COMMENTS = {
    moderator: (select(Comment).where(Comment.entry_id == bindparam("entry_id"),
                                      *(() if moderator else (Comment.is_deleted.is_(False),)))
                .options(joinedload(Comment.author)).order_by(Comment.created_at, Comment.id))
    for moderator in (False, True)
}
_ENTRY_GUESTBOOK = (
    select(GuestbookMessage).where(GuestbookMessage.blog_id == bindparam("blog_id"),
                                   GuestbookMessage.is_deleted.is_(False))
    .options(joinedload(GuestbookMessage.author))
    .order_by(GuestbookMessage.created_at.desc()).limit(5))


def _render_entry(entry: Entry, comment_form: CommentForm | None = None, status: int = 200):
    html = entry.html
    comments = db.session.scalars(_ENTRY_COMMENTS[bool(can(current_user, "moderate", entry))],
                                  {"entry_id": entry.id}).all()
    files = attachments.entry_attachments(entry)
    guestbook = db.session.scalars(_ENTRY_GUESTBOOK, {"blog_id": entry.blog_id}).all()
    toc = markup.toc(html)
    signed_in = current_user.is_authenticated
    return render_template(
        "blogs/entry.html", entry=entry, blog=entry.blog, body_html=html, toc=toc if len(toc) >= 2 else [],
        comments=comments, by_id={c.id: c for c in comments}, files=files, guestbook=guestbook,
        inline_types=attachments.INLINE,
        # Forms make a CSRF token when built: only for signed-in users (a visitor's page is the same
        # for every visitor, forum/core/pagecache.py); the template uses them behind can() checks.
        comment_form=comment_form or (CommentForm() if signed_in else None),
        delete_form=DeleteForm() if signed_in else None, confirm_form=ConfirmForm() if signed_in else None,
        categories=CATEGORIES,
        revision_count=len(history(entry)) if can(current_user, "see_history", entry) else 0,
        cleared_draft=session.pop("jy_saved_draft", None),
    ), status


def _editor(form: EntryForm, blog: Blog, entry: Entry | None = None, *, preview: str | None = None,
            status: int = 200, upload_error: str | None = None, conflict: Entry | None = None):
    files = attachments.entry_attachments(entry) if entry is not None else []
    pending = drafts.pending_attachments(current_user, _posted_list("attachment_ids"))
    return render_template(
        "blogs/editor.html", form=form, blog=blog, entry=entry, preview=preview, outlines=outlines(),
        files=files, pending_files=pending, upload_form=UploadForm(formdata=None),
        confirm_form=ConfirmForm(formdata=None), upload_error=upload_error,
        max_mb=attachments.max_bytes() // (1024 * 1024), categories=CATEGORIES,
        preview_toc=markup.toc(preview) if preview else [], conflict=conflict,
        editor_config=_editor_config(form, blog, entry), local_key=_local_key(blog, entry),
        cleared_draft=session.pop("jy_saved_draft", None),
    ), status


def _posted_list(name: str) -> list[str]:
    """A repeated form field, or nothing (also when the request body was refused as too large)."""
    if request.method != "POST":
        return []
    try:
        return request.form.getlist(name)
    except RequestEntityTooLarge:
        return []


def _local_key(blog: Blog, entry: Entry | None) -> str:
    """The browser's localStorage key for this editor's copy of the text."""
    return f"jy-draft-{entry.id}" if entry is not None else f"jy-draft-new-{blog.id}"


def _editor_config(form: EntryForm, blog: Blog, entry: Entry | None) -> dict:
    """What the editor's script needs: endpoints, upload limits, the server draft, its messages."""
    from forum.core.timezones import local as to_local

    row = drafts.autosave_of(current_user, drafts.slot_for(blog, entry))
    server_draft = None
    if row is not None and (row.body != (form.body.data or "") or row.title != (form.title.data or "")):
        server_draft = {"title": row.title, "body": row.body, "category": row.category, "tags": row.tags,
                        "fields": drafts.fields_of(row), "saved_at": row.updated_at.isoformat(),
                        "saved_label": to_local(row.updated_at).strftime("%Y-%m-%d %H:%M")}
    if entry is not None:
        autosave_url = url_for("blogs.autosave_entry", entry_id=entry.id)
        upload_url = url_for("blogs.upload_attachment", entry_id=entry.id)
    else:
        autosave_url = url_for("blogs.autosave_new_entry", blog_id=blog.id)
        upload_url = url_for("blogs.upload_attachment", blog_id=blog.id)
    return {
        "autosaveUrl": autosave_url, "discardUrl": autosave_url + "/discard", "uploadUrl": upload_url,
        "tokenUrl": url_for("blogs.editor_token"), "loginUrl": url_for("auth.login"),
        "localKey": _local_key(blog, entry), "maxBytes": attachments.max_bytes(),
        "types": sorted(attachments.TYPES), "inline": sorted(attachments.INLINE),
        "serverDraft": server_draft, "intervalMs": 12_000,
        "messages": {
            "restoreServer": _("服务器上有一份自动保存的草稿（%(t)s），比当前内容新。", t="{t}"),
            "restoreLocal": _("本浏览器里有一份未提交的草稿（%(t)s），比当前内容新。", t="{t}"),
            "restore": _("恢复草稿"), "discard": _("丢弃草稿"), "restored": _("草稿已恢复。"),
            "discarded": _("草稿已丢弃。"),
            "saving": _("正在自动保存…"), "saved": _("已自动保存 %(t)s", t="{t}"),
            "saveFailed": _("自动保存失败：%(m)s 文字仍保存在本浏览器中。", m="{m}"),
            "loggedOut": _("登录已过期。文字已保存在本浏览器中；请在新标签页重新登录，然后回到这里继续保存。"),
            "offline": _("网络已断开，文字已保存在本浏览器中，联网后会自动保存到服务器。"),
            "uploading": _("正在上传“%(n)s”…", n="{n}"), "uploadProgress": _("正在上传“%(n)s”：%(p)s%%", n="{n}", p="{p}"),
            "uploaded": _("“%(n)s”已上传并插入正文。", n="{n}"),
            "uploadFailed": _("“%(n)s”上传失败：%(m)s 正文没有受影响。", n="{n}", m="{m}"),
            "tooLarge": _("文件太大：单个文件不能超过 %(mb)s MB。", mb=attachments.max_bytes() // (1024 * 1024)),
            "badType": _("不支持的文件类型。允许：pdf、doc、docx、ppt、pptx、xls、xlsx、wps、jpg、png、mp4。"),
            "rateLimited": _("上传太频繁，请稍后再试。"),
            "uploadOffline": _("网络已断开，文件没有上传。"),
            "placeholder": _("正在上传 %(n)s…", n="{n}"),
            "dropHere": _("松开鼠标即可上传到附件并插入正文"),
            "screenshot": _("截图"),
        },
    }

def _form_error(form: EntryForm, exc: ApiError) -> None:
    """Show a service's validation error next to its field (or at the top of the form)."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = list(field.errors) + [exc.message]
    else:
        flash(exc.message, "error")


@bp.route("/<int:blog_id>/new", methods=["GET", "POST"])
@login_required
def new_entry(blog_id: int):
    """Write an entry: the chosen category pre-fills its outline; preview, save draft or publish."""
    blog = get_blog(blog_id, "write")
    form = EntryForm()
    if request.method == "GET":
        category = _category_arg() or "design"
        form.category.data = category
        form.body.data = outline(category)
        _restore_autosave(form, drafts.slot_for(blog, None))
        return _editor(form, blog)
    action = request.form.get("action", "publish")
    if action == "preview":
        return _editor(form, blog, preview=markup.render(form.body.data or ""))
    if not form.validate():
        return _editor(form, blog, status=422)
    try:
        entry = services.create_entry(
            blog, current_user, title=form.title.data, body=form.body.data, category=form.category.data,
            tags=form.tags.data, meta=form.meta_fields(), status="draft" if action == "draft" else "published",
            attachment_ids=request.form.getlist("attachment_ids"), from_editor=True)
    except ApiError as exc:
        if exc.status != 422:
            raise
        _form_error(form, exc)
        return _editor(form, blog, status=422)
    session["jy_saved_draft"] = _local_key(blog, None)
    if entry.status == "draft":
        flash(_("草稿已保存。现在可以上传附件，完成后点击“发表”。"), "info")
        return redirect(url_for("blogs.edit_entry", entry_id=entry.id))
    flash(_("日志已发表。"), "info")
    return redirect(url_for("blogs.show_entry", entry_id=entry.id))


@bp.route("/entries/<int:entry_id>/edit", methods=["GET", "POST"])
@login_required
def edit_entry(entry_id: int):
    """Edit an entry; an edit based on a stale version is refused with the user's text kept."""
    entry = get_entry(entry_id, "edit")
    form = EntryForm(obj=entry if request.method == "GET" else None)
    if request.method == "GET":
        form.tags.data = " ".join(entry.tag_names)
        form.version.data = str(entry.version)
        _restore_autosave(form, drafts.slot_for(entry.blog, entry))
        return _editor(form, entry.blog, entry)
    action = request.form.get("action", "publish")
    if action == "preview":
        return _editor(form, entry.blog, entry, preview=markup.render(form.body.data or ""))
    if not form.validate():
        return _editor(form, entry.blog, entry, status=422)
    status = "draft" if action == "draft" and entry.status == "draft" else "published"
    try:
        services.update_entry(entry, current_user, version=form.version.data, title=form.title.data,
                              body=form.body.data, category=form.category.data, tags=form.tags.data,
                              meta=form.meta_fields(), status=status,
                              attachment_ids=request.form.getlist("attachment_ids"), from_editor=True)
    except ApiError as exc:
        if exc.status == 409:
            db.session.expire_all()
            flash(exc.message, "error")
            current = db.session.get(Entry, entry_id)
            # The user's text stays in the form; the saved version is shown beside it. Saving again is
            # now a deliberate choice made after seeing the other edit, so it is based on that version.
            form.version.data = str(current.version)
            return _editor(form, current.blog, current, status=409, conflict=current)
        if exc.status != 422:
            raise
        _form_error(form, exc)
        return _editor(form, entry.blog, entry, status=422)
    session["jy_saved_draft"] = _local_key(entry.blog, entry)
    if entry.status == "draft":
        flash(_("草稿已保存。"), "info")
        return redirect(url_for("blogs.edit_entry", entry_id=entry.id))
    flash(_("修改已保存。"), "info")
    return redirect(url_for("blogs.show_entry", entry_id=entry.id))


def _restore_autosave(form: EntryForm, slot: str) -> None:
    """?restore=1 (the drafts list, or without JavaScript): fill the form from the user's autosave."""
    if not request.args.get("restore"):
        return
    row = drafts.autosave_of(current_user, slot)
    if row is None:
        flash(_("没有找到自动保存的草稿。"), "info")
        return
    form.title.data = row.title
    form.body.data = row.body
    if row.category in CATEGORIES:
        form.category.data = row.category
    form.tags.data = row.tags
    for name, value in drafts.fields_of(row).items():
        getattr(form, name).data = value
    flash(_("已恢复自动保存的草稿；点击“保存草稿”或“发表”才会保存到日志。"), "info")


@bp.errorhandler(CSRFError)
def _csrf_failed(exc):
    """A stale form: show the editor again with the submitted text, a fresh token and a clear message."""
    from forum.core.errors import error_response, wants_json

    args = request.view_args or {}
    if request.endpoint in ("blogs.new_entry", "blogs.edit_entry") and not wants_json():
        if not current_user.is_authenticated:
            flash(_("登录已过期，刚才的文字没有提交，但已保存在本浏览器中：重新登录后回到编辑器即可恢复。"), "error")
            back = request.path
            return redirect(url_for("auth.login", next=back))
        form = EntryForm(meta={"csrf": False})
        if request.endpoint == "blogs.new_entry":
            blog = get_blog(args.get("blog_id", 0), "write")
            entry = None
        else:
            entry = get_entry(args.get("entry_id", 0), "edit")
            blog = entry.blog
        flash(_("页面已过期（安全校验失败），文字没有提交但都保留在下面；请再点一次“保存草稿”或“发表”。"), "error")
        return _editor(form, blog, entry, status=400)
    return error_response(400, _("表单已失效（CSRF 校验失败），请返回刷新后重新提交；你输入的内容已在浏览器中保存。"),
                          "csrf_failed")


@bp.route("/preview", methods=["POST"])
@login_required
def preview():
    """Render Markdown with the site's one renderer (the editor's live preview)."""
    body = request.form.get("body", "")
    if len(body) > services.BODY_MAX:
        fail(422, _("正文太长。"), field="body")
    html = markup.render(body)
    return jsonify({"html": html, "toc": [{"level": lv, "id": i, "text": t} for lv, i, t in markup.toc(html)]})


@bp.route("/entries/<int:entry_id>/delete", methods=["POST"])
@login_required
def delete_entry(entry_id: int):
    """Soft-delete an entry (hosts give a reason)."""
    entry = get_entry(entry_id, "delete")
    form = DeleteForm()
    if not form.validate():
        fail(400)
    try:
        services.delete_entry(entry, current_user, form.reason.data or None, form.note.data or "")
    except ApiError as exc:
        if exc.status != 422:
            raise
        flash(exc.message, "error")
        return redirect(url_for("blogs.show_entry", entry_id=entry.id))
    flash(_("日志已删除。"), "info")
    return redirect(url_for("blogs.show_blog", blog_id=entry.blog_id))


@bp.route("/entries/<int:entry_id>/restore", methods=["POST"])
@login_required
def restore_entry(entry_id: int):
    """Restore a soft-deleted entry."""
    entry = get_entry(entry_id, "restore")
    if not ConfirmForm().validate():
        fail(400)
    services.restore_entry(entry, current_user)
    flash(_("日志已恢复。"), "info")
    return redirect(url_for("blogs.show_entry", entry_id=entry.id))


# --- revisions -----------------------------------------------------------------------------------

def _versions(entry: Entry) -> list[dict]:
    """Every version, oldest first: the kept revisions, then the current text."""
    out = [{"n": i + 1, "title": r.title, "body": r.body, "editor": r.editor, "at": r.created_at,
            "moderator": r.is_moderator_edit} for i, r in enumerate(history(entry))]
    out.append({"n": len(out) + 1, "title": entry.title, "body": entry.body, "editor": None,
                "at": entry.updated_at, "moderator": False, "current": True})
    return out


@bp.route("/entries/<int:entry_id>/history")
def entry_history(entry_id: int):
    """Earlier versions (the author, the group's host, leaders and admins only)."""
    entry = get_entry(entry_id, "see_history")
    versions = _versions(entry)
    return render_template("blogs/history.html", entry=entry, versions=list(reversed(versions)))


@bp.route("/entries/<int:entry_id>/diff")
def entry_diff(entry_id: int):
    """A line diff between any two versions."""
    entry = get_entry(entry_id, "see_history")
    versions = _versions(entry)
    try:
        a = int(request.args.get("a", max(1, len(versions) - 1)))
        b = int(request.args.get("b", len(versions)))
    except ValueError:
        fail(400)
    if not (1 <= a <= len(versions) and 1 <= b <= len(versions)):
        fail(404)
    va, vb = versions[a - 1], versions[b - 1]
    return render_template("blogs/diff.html", entry=entry, a=va, b=vb, versions=versions,
                           title_rows=_diff_rows(va["title"], vb["title"]),
                           rows=_diff_rows(va["body"], vb["body"]))


def _diff_rows(old: str, new: str) -> list[tuple[str, str]]:
    """(op, line) pairs: ' ' unchanged, '-' removed, '+' added; long unchanged runs are elided."""
    a, b = (old or "").splitlines(), (new or "").splitlines()
    rows: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            same = a[i1:i2]
            if len(same) > 6:
                rows += [(" ", s) for s in same[:2]] + [("…", "")] + [(" ", s) for s in same[-2:]]
            else:
                rows += [(" ", s) for s in same]
            continue
        rows += [("-", s) for s in a[i1:i2]]
        rows += [("+", s) for s in b[j1:j2]]
    return rows


# --- comments and guestbook ----------------------------------------------------------------------
