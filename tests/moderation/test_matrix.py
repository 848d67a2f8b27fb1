"""The permission matrix: roles × actions × objects × group visibility, over the HTML routes and the API.

Expected outcomes come from the tables below (who reads a group of each visibility, who may do
what), written from DESIGN.md §2 and the moderation issue — never from the policy module. One
world is built per visibility (module scope); a case that changed something (a delete, a pin,
a move…) is undone with plain SQL before the next case runs.
"""
from __future__ import annotations

import io
import shutil
from dataclasses import dataclass, field

import pytest
from sqlalchemy import update

from forum import create_app
from forum.extensions import db as _db
from tests.conftest import make_config

VISIBILITIES = ("public", "school", "group")

ROLES = ("anonymous", "teacher_in", "teacher_out", "teacher_other_school", "host", "host_other",
         "leader_in", "leader_out", "admin", "suspended")
SIGNED_IN = frozenset(ROLES) - {"anonymous", "suspended"}
MODS = frozenset({"host", "leader_in", "admin"})
AUTHOR = "teacher_in"  # wrote everything in the group, and is the preparation's lead speaker

# Who can read content in the group G, by G's visibility (DESIGN.md §2). teacher_out shares G's
# school; teacher_other_school and host_other are in another school; leader_in is scoped to G's
# school, leader_out to a school of another cluster. Anonymous and suspended users read only public.
READERS = {
    "public": frozenset(ROLES),
    "school": frozenset({"teacher_in", "teacher_out", "host", "leader_in", "admin"}),
    "group": frozenset({"teacher_in", "host", "leader_in", "admin"}),
}

# Who may act, given they can read the target.
ALLOWED = {
    ("read", "*"): frozenset(ROLES),
    ("create", "entry"): frozenset({"teacher_in", "host", "admin"}),           # group members write the blog
    ("create", "thread"): frozenset({"teacher_in", "host", "leader_in", "admin"}),  # members and moderators
    ("create", "post"): SIGNED_IN,
    ("create", "comment"): SIGNED_IN,
    ("create", "guestbook"): SIGNED_IN,
    ("edit", "*"): MODS | {AUTHOR},
    ("delete", "*"): MODS | {AUTHOR},
    ("restore", "*"): MODS,
    ("pin", "*"): MODS,
    ("lock", "*"): MODS,
    ("feature", "*"): MODS,
    ("move", "thread"): MODS,                        # into G2, which G's host also hosts
    ("move_out_of_scope", "thread"): frozenset({"admin"}),  # into H's board, another school
    ("conclude", "thread"): MODS | {AUTHOR},
    ("see_history", "*"): MODS | {AUTHOR},
    ("see_audit", "group"): MODS,
    ("see_audit", "other_group"): frozenset({"host_other", "admin"}),
    ("download", "attachment"): frozenset(ROLES),
}


@dataclass(frozen=True)
class Route:
    """One way to attempt an action: an HTML route or an API endpoint."""

    action: str
    obj: str
    kind: str              # "html" | "api"
    label: str             # names the route in the case id
    method: str
    url: str               # formatted with the world's ids
    data: dict | None = None
    login_required: bool = True
    target: str = "live"   # "live" (G content), "deleted" (soft-deleted G content), "other" (H: public)
    mutates: bool = False
    json: dict | None = field(default=None)


def _r(action, obj, kind, label, method, url, **kw) -> Route:
    return Route(action, obj, kind, label, method, url, **kw)


REASON = {"reason": "ethics", "note": "矩阵测试"}
ROUTES = [
    # read
    _r("read", "entry", "html", "blogs.show_entry", "GET", "/blogs/entries/{entry}", login_required=False),
    _r("read", "entry", "api", "GET entries/{id}", "GET", "/api/v1/entries/{entry}", login_required=False),
    _r("read", "thread", "html", "boards.show_thread", "GET", "/boards/threads/{thread}", login_required=False),
    _r("read", "thread", "api", "GET threads/{id}", "GET", "/api/v1/threads/{thread}", login_required=False),
    _r("read", "post", "html", "boards.show_post", "GET", "/boards/posts/{post}", login_required=False),
    _r("read", "entry", "api", "GET blogs/{id}/entries", "GET", "/api/v1/blogs/{blog}/entries", login_required=False),
    _r("read", "thread", "api", "GET boards/{id}/threads", "GET", "/api/v1/boards/{board}/threads",
       login_required=False),
    # create
    _r("create", "entry", "html", "blogs.new_entry", "POST", "/blogs/{blog}/new",
       data={"title": "矩阵日志", "body": "矩阵测试正文。", "category": "essay", "action": "publish"}),
    _r("create", "entry", "api", "POST blogs/{id}/entries", "POST", "/api/v1/blogs/{blog}/entries",
       json={"title": "矩阵日志", "body": "矩阵测试正文。", "category": "essay"}),
    _r("create", "thread", "html", "boards.new_thread", "POST", "/boards/{board}/new",
       data={"title": "矩阵主题", "body": "矩阵测试正文。", "kind": "discussion", "theme_id": "0",
             "lead_speaker_id": "0"}),
    _r("create", "thread", "api", "POST boards/{id}/threads", "POST", "/api/v1/boards/{board}/threads",
       json={"title": "矩阵主题", "body": "矩阵测试正文。", "kind": "discussion"}),
    _r("create", "post", "html", "boards.reply", "POST", "/boards/threads/{thread}/reply", data={"body": "矩阵回帖"}),
    _r("create", "post", "api", "POST threads/{id}/posts", "POST", "/api/v1/threads/{thread}/posts",
       json={"body": "矩阵回帖"}),
    _r("create", "comment", "html", "blogs.add_comment", "POST", "/blogs/entries/{entry}/comments",
       data={"body": "矩阵评论"}),
    _r("create", "comment", "api", "POST entries/{id}/comments", "POST", "/api/v1/entries/{entry}/comments",
       json={"body": "矩阵评论"}),
    _r("create", "guestbook", "html", "blogs.add_guestbook_message", "POST", "/blogs/{blog}/guestbook",
       data={"body": "矩阵留言"}),
    # edit: the editor pages, and the moderation API's edit endpoint
    _r("edit", "entry", "html", "blogs.edit_entry", "GET", "/blogs/entries/{entry}/edit"),
    _r("edit", "thread", "html", "boards.edit_thread", "GET", "/boards/threads/{thread}/edit"),
    _r("edit", "post", "html", "boards.edit_post", "GET", "/boards/posts/{post}/edit"),
    _r("edit", "thread", "api", "POST moderation/thread/{id}/edit", "POST", "/api/v1/moderation/thread/{thread}/edit",
       json={"body": "关于单元整体教学的讨论（已修订）"}, mutates=True),
    _r("edit", "post", "api", "POST moderation/post/{id}/edit", "POST", "/api/v1/moderation/post/{post}/edit",
       json={"body": "单元整体教学要先梳理目标（已修订）。"}, mutates=True),
    # delete: the features' own routes, the moderation routes, the API
    _r("delete", "entry", "html", "blogs.delete_entry", "POST", "/blogs/entries/{entry}/delete", data=REASON,
       mutates=True),
    _r("delete", "comment", "html", "blogs.delete_comment", "POST", "/blogs/comments/{comment}/delete",
       data=REASON, mutates=True),
    _r("delete", "guestbook", "html", "blogs.delete_guestbook_message", "POST",
       "/blogs/guestbook/{guestbook}/delete", data=REASON, mutates=True),
    _r("delete", "thread", "html", "boards.delete_thread", "POST", "/boards/threads/{thread}/delete", data=REASON,
       mutates=True),
    _r("delete", "post", "html", "boards.delete_post", "POST", "/boards/posts/{post}/delete", data=REASON,
       mutates=True),
    _r("delete", "attachment", "html", "blogs.delete_attachment", "POST", "/blogs/attachments/{attachment}/delete",
       mutates=True),
    _r("delete", "entry", "api", "DELETE entries/{id}", "DELETE", "/api/v1/entries/{entry}", json=REASON,
       mutates=True),
    _r("delete", "comment", "api", "DELETE comments/{id}", "DELETE", "/api/v1/comments/{comment}", json=REASON,
       mutates=True),
    _r("delete", "thread", "api", "DELETE threads/{id}", "DELETE", "/api/v1/threads/{thread}", json=REASON,
       mutates=True),
    _r("delete", "post", "api", "DELETE posts/{id}", "DELETE", "/api/v1/posts/{post}", json=REASON, mutates=True),
    # restore
    _r("restore", "entry", "html", "blogs.restore_entry", "POST", "/blogs/entries/{d_entry}/restore",
       target="deleted", mutates=True),
    _r("restore", "comment", "html", "blogs.restore_comment", "POST", "/blogs/comments/{d_comment}/restore",
       target="deleted", mutates=True),
    _r("restore", "guestbook", "html", "blogs.restore_guestbook_message", "POST",
       "/blogs/guestbook/{d_guestbook}/restore", target="deleted", mutates=True),
    _r("restore", "thread", "html", "boards.restore_thread", "POST", "/boards/threads/{d_thread}/restore",
       target="deleted", mutates=True),
    _r("restore", "post", "html", "boards.restore_post", "POST", "/boards/posts/{d_post}/restore",
       target="deleted", mutates=True),
    # pin / lock / feature: the boards toggle route for threads as well
    _r("pin", "thread", "html", "boards.toggle_thread", "POST", "/boards/threads/{thread}/toggle/pinned",
       mutates=True),
    _r("lock", "thread", "html", "boards.toggle_thread", "POST", "/boards/threads/{thread}/toggle/locked",
       mutates=True),
    _r("feature", "thread", "html", "boards.toggle_thread", "POST", "/boards/threads/{thread}/toggle/featured",
       mutates=True),
    # move
    _r("move", "thread", "html", "moderation.move_thread", "POST", "/moderation/thread/{thread}/move",
       data={"board_id": "{board2}"}, mutates=True),
    _r("move", "thread", "api", "POST moderation/thread/{id}/move", "POST", "/api/v1/moderation/thread/{thread}/move",
       json={"board_id": "{board2}"}, mutates=True),
    _r("move_out_of_scope", "thread", "html", "moderation.move_thread", "POST", "/moderation/thread/{thread}/move",
       data={"board_id": "{board_h}"}, mutates=True),
    _r("move_out_of_scope", "thread", "api", "POST moderation/thread/{id}/move", "POST",
       "/api/v1/moderation/thread/{thread}/move", json={"board_id": "{board_h}"}, mutates=True),
    # conclude a collective preparation
    _r("conclude", "thread", "html", "boards.conclude_prep", "GET", "/boards/threads/{prep}/conclude"),
    _r("conclude", "thread", "api", "POST threads/{id}/conclude", "POST", "/api/v1/threads/{prep}/conclude",
       json={"summary": "本次集体备课达成共识：先梳理单元目标。"}, mutates=True),
    # history
    _r("see_history", "entry", "html", "blogs.entry_history", "GET", "/blogs/entries/{entry}/history",
       login_required=False),
    _r("see_history", "thread", "html", "boards.thread_history", "GET", "/boards/threads/{thread}/history"),
    _r("see_history", "post", "html", "boards.post_history", "GET", "/boards/posts/{post}/history"),
    # audit log and flag queue, of G and of another group H named by id
    _r("see_audit", "group", "html", "moderation.audit_log", "GET", "/moderation/audit?group={group}"),
    _r("see_audit", "group", "html", "moderation.queue", "GET", "/moderation/queue?group={group}"),
    _r("see_audit", "group", "api", "GET moderation/audit", "GET", "/api/v1/moderation/audit?group={group}"),
    _r("see_audit", "group", "api", "GET moderation/flags", "GET", "/api/v1/moderation/flags?group={group}"),
    _r("see_audit", "other_group", "html", "moderation.audit_log", "GET", "/moderation/audit?group={group_h}",
       target="other"),
    _r("see_audit", "other_group", "api", "GET moderation/audit", "GET", "/api/v1/moderation/audit?group={group_h}",
       target="other"),
    # attachments
    _r("download", "attachment", "html", "blogs.download_attachment", "GET", "/blogs/attachments/{attachment}",
       login_required=False),
]

# The moderation service routes work for every content type, page and API alike.
for _kind in ("entry", "comment", "guestbook", "thread", "post"):
    ROUTES += [
        _r("delete", _kind, "html", "moderation.delete_content", "POST", f"/moderation/{_kind}/{{{_kind}}}/delete",
           data=REASON, mutates=True),
        _r("delete", _kind, "api", "POST moderation/{kind}/{id}/delete", "POST",
           f"/api/v1/moderation/{_kind}/{{{_kind}}}/delete", json=REASON, mutates=True),
        _r("restore", _kind, "html", "moderation.restore_content", "POST",
           f"/moderation/{_kind}/{{d_{_kind}}}/restore", target="deleted", mutates=True),
        _r("restore", _kind, "api", "POST moderation/{kind}/{id}/restore", "POST",
           f"/api/v1/moderation/{_kind}/{{d_{_kind}}}/restore", target="deleted", mutates=True),
    ]
for _kind, _whats in (("entry", ("pin", "feature")), ("thread", ("pin", "lock", "feature"))):
    for _what in _whats:
        ROUTES += [
            _r(_what, _kind, "html", "moderation.toggle_content", "POST", f"/moderation/{_kind}/{{{_kind}}}/{_what}",
               data={"value": "1"}, mutates=True),
            _r(_what, _kind, "api", f"POST moderation/{{kind}}/{{id}}/{_what}", "POST",
               f"/api/v1/moderation/{_kind}/{{{_kind}}}/{_what}", json={"value": True}, mutates=True),
        ]


def expected(role: str, route: Route, visibility: str) -> str:
    """The outcome the tables say: ok, login (redirect to sign-in / 401), forbidden (403), notfound (404)."""
    allowed = ALLOWED.get((route.action, route.obj)) or ALLOWED[(route.action, "*")]
    if route.kind == "api" and role == "suspended":
        return "login"  # the token stopped working when the account was suspended
    anonymous = role in ("anonymous", "suspended")  # a suspended user's page session has ended
    if anonymous and (route.login_required or route.kind == "api" and route.method != "GET"):
        return "login"
    if route.target == "other":
        readable = True  # H is public
    elif route.target == "deleted":
        readable = role in MODS  # deleted content is visible to moderators in scope only
    else:
        readable = role in READERS[visibility] and not (anonymous and visibility != "public")
    if not readable:
        return "notfound"
    if anonymous:
        return "ok" if route.action in ("read", "download") else "forbidden"
    return "ok" if role in allowed else "forbidden"


def outcome(resp) -> str:
    """The response as one of the table's words (anything else is shown as its status)."""
    code = resp.status_code
    if code in (200, 201, 204):
        return "ok"
    if code == 302:
        return "login" if "/auth/login" in resp.headers.get("Location", "") else "ok"
    return {401: "login", 403: "forbidden", 404: "notfound"}.get(code, f"status {code}")


# --- the world -----------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _build_world(visibility: str) -> dict:
    from forum.auth.services import end_other_sessions
    from forum.blogs import services as blogs
    from forum.blogs.attachments import save_upload
    from forum.boards import prep as prep_service
    from forum.boards import services as boards
    from forum.boards.models import LessonPrep
    from forum.core.db import utcnow
    from tests.factories import make_cluster, make_entry, make_group, make_school, make_thread, make_user

    c1, c2 = make_cluster("东区"), make_cluster("西区")
    s1, s2, s3 = make_school("实验小学", c1), make_school("育才小学", c1), make_school("西山小学", c2)
    u = {
        "teacher_in": make_user("t_in", school=s1, display_name="王丽华"),
        "teacher_out": make_user("t_out", school=s1, display_name="李明"),
        "teacher_other_school": make_user("t_other", school=s2, display_name="张伟"),
        "host": make_user("host", school=s1, display_name="赵主任"),
        "host_other": make_user("host_other", school=s2, display_name="钱主任"),
        "leader_in": make_user("leader_in", role="leader", school=s1, scope_school=s1, display_name="孙校长"),
        "leader_out": make_user("leader_out", role="leader", school=s3, scope_school=s3, display_name="周校长"),
        "admin": make_user("admin", role="admin", display_name="管理员"),
        "suspended": make_user("suspended", school=s1, display_name="吴老师"),
    }
    g = make_group("语文组", school=s1, visibility=visibility, members=[u["teacher_in"], u["suspended"]],
                   hosts=[u["host"]])
    g2 = make_group("数学组", school=s1, visibility=visibility, hosts=[u["host"]])
    h = make_group("英语组", school=s2, visibility="public", hosts=[u["host_other"]])
    author = u["teacher_in"]
    entry = make_entry(g.blog, author)
    comment = blogs.add_comment(entry, author, "朗读环节设计得很好。")
    guestbook = blogs.add_guestbook_message(g.blog, author, "欢迎大家来组博客交流。")
    thread = make_thread(g.board, author)
    post = boards.reply(thread, author, "单元整体教学要先梳理目标。")
    attachment = save_upload(entry, author, "板书设计.png", io.BytesIO(PNG))
    d_entry = make_entry(g.blog, author, title="已删除的日志")
    d_comment = blogs.add_comment(entry, author, "已删除的评论。")
    d_guestbook = blogs.add_guestbook_message(g.blog, author, "已删除的留言。")
    d_thread = make_thread(g.board, author, title="已删除的主题")
    d_post = boards.reply(thread, author, "已删除的回帖。")
    prep = prep_service.open_prep(g.board, u["host"], title="《秋天的雨》集体备课", body="请大家准备。",
                                  lead_speaker_id=author.id)
    _db.session.execute(update(LessonPrep).where(LessonPrep.thread_id == prep.id).values(state="discussing"))
    for obj in (d_entry, d_comment, d_guestbook, d_thread, d_post):
        obj.is_deleted, obj.deleted_at, obj.deleted_by_id, obj.deleted_reason = True, utcnow(), u["host"].id, "spam"
    _db.session.commit()
    ids = {"group": g.id, "group_h": h.id, "blog": g.blog.id, "board": g.board.id, "board2": g2.board.id,
           "board_h": h.board.id, "entry": entry.id, "comment": comment.id, "guestbook": guestbook.id,
           "thread": thread.id, "post": post.id, "attachment": attachment.id, "prep": prep.id,
           "d_entry": d_entry.id, "d_comment": d_comment.id, "d_guestbook": d_guestbook.id,
           "d_thread": d_thread.id, "d_post": d_post.id}
    return {"ids": ids, "users": u, "suspend": lambda: _suspend(u["suspended"], end_other_sessions)}


def _suspend(user, end_other_sessions) -> None:
    user.is_suspended_indefinitely = True
    user.suspension_reason = "矩阵测试"
    end_other_sessions(user)
    _db.session.commit()


def reset(ids: dict) -> None:
    """Undo whatever a successful case changed, with plain SQL."""
    from forum.blogs.models import Attachment, Comment, Entry, GuestbookMessage
    from forum.boards.models import LessonPrep, Post, Thread

    live = {Entry: "entry", Comment: "comment", GuestbookMessage: "guestbook", Thread: "thread", Post: "post"}
    for model, key in live.items():
        _db.session.execute(update(model).where(model.id == ids[key]).values(
            is_deleted=False, deleted_at=None, deleted_by_id=None, deleted_reason=None, deleted_note=None))
        _db.session.execute(update(model).where(model.id == ids["d_" + key]).values(is_deleted=True))
    _db.session.execute(update(Entry).where(Entry.id == ids["entry"]).values(is_pinned=False, is_featured=False))
    _db.session.execute(update(Thread).where(Thread.id == ids["thread"]).values(
        is_pinned=False, is_featured=False, is_locked=False, board_id=ids["board"]))
    _db.session.execute(update(Attachment).where(Attachment.id == ids["attachment"]).values(is_deleted=False))
    _db.session.execute(update(LessonPrep).where(LessonPrep.thread_id == ids["prep"]).values(
        state="discussing", concluded_at=None, concluded_by_id=None, summary_entry_id=None))
    _db.session.commit()


@pytest.fixture(scope="module", params=VISIBILITIES, ids=VISIBILITIES)
def world(request, tmp_path_factory, sqlite_template, pg_database):
    """One app, database and populated district per visibility, with a signed-in client per role."""
    tmp = tmp_path_factory.mktemp(f"matrix-{request.param}")
    if pg_database:
        url = pg_database
    else:
        shutil.copy(sqlite_template, tmp / "matrix.sqlite3")
        url = f"sqlite:///{tmp / 'matrix.sqlite3'}"
    app = create_app(make_config(tmp, url, SEARCH_INDEXER="off"))
    ctx = app.app_context()
    ctx.push()
    from tests.factories import PASSWORD

    built = _build_world(request.param)
    clients, tokens = {}, {}
    for role, user in built["users"].items():
        client = app.test_client()
        resp = client.post("/auth/login", data={"username": user.username, "password": PASSWORD})
        assert resp.status_code == 302, role
        clients[role] = client
        resp = app.test_client().post("/api/v1/tokens", json={"username": user.username, "password": PASSWORD})
        tokens[role] = resp.get_json()["token"]
    clients["anonymous"] = app.test_client()
    built["suspend"]()  # after signing in: the session and token must stop working
    yield {"visibility": request.param, "ids": built["ids"], "clients": clients, "tokens": tokens,
           "api": app.test_client()}
    _db.session.remove()
    if pg_database:
        with _db.engine.begin() as conn:
            for table in reversed(_db.metadata.sorted_tables):
                conn.execute(table.delete())
    stop = app.extensions.get("jy_shutdown")
    if stop:
        stop()
    _db.engine.dispose()
    ctx.pop()


def _case_id(role, route):
    return f"{role}-{route.action}-{route.obj}-{route.kind}:{route.label}"


CASES = [(role, route) for route in ROUTES for role in ROLES]


@pytest.mark.parametrize("role,route", CASES, ids=[_case_id(r, rt) for r, rt in CASES])
def test_permission_matrix(world, role, route):
    """Each (role, action, object, visibility, route) gets the outcome the tables above say."""
    ids, visibility = world["ids"], world["visibility"]
    url = route.url.format(**ids)
    if route.kind == "html":
        data = {k: v.format(**ids) for k, v in (route.data or {}).items()}
        resp = world["clients"][role].open(url, method=route.method, data=data if route.method != "GET" else None)
    else:
        headers = {"Authorization": f"Bearer {world['tokens'][role]}"} if role != "anonymous" else {}
        body = None
        if route.json is not None:
            body = {k: (int(v.format(**ids)) if k == "board_id" else v) for k, v in route.json.items()}
        resp = world["api"].open(url, method=route.method, json=body, headers=headers)
    got = outcome(resp)
    if route.mutates and got == "ok":
        reset(ids)
    assert got == expected(role, route, visibility), resp.get_data(as_text=True)[:300]
