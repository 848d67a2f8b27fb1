"""Hostile input battery: every case gets a clear 4xx (or a refused form) and changes nothing.

Bad bytes, look-alike names, oversized bodies, pathological Markdown, search syntax abuse, SQL
injection strings, mass assignment and replayed cookies — through the pages and the JSON API.
"""
from __future__ import annotations

import io
import json
import time

import pytest
from sqlalchemy import func, select

from tests.factories import PASSWORD, make_entry, make_group, make_thread, make_user

TABLES = ("users", "threads", "posts", "entries", "comments", "contributions", "search_outbox", "api_tokens")


@pytest.fixture
def app_config(app_config):
    app_config["MAX_UPLOAD_MB"] = 5  # 10 MB bodies are then twice the limit
    app_config["SEARCH_INDEXER"] = "off"  # the outbox row is part of the state we compare
    return app_config


@pytest.fixture
def world(app, db):
    """A public group with a host and a teacher, an entry, a thread with one reply, a token."""
    from forum.boards import services as boards

    host = make_user("hostile_host", display_name="王主持")
    teacher = make_user("hostile_teacher", display_name="李老师")
    group = make_group("语文组", members=[teacher], hosts=[host])
    entry = make_entry(group.blog, teacher)
    thread = make_thread(group.board, teacher)
    post = boards.reply(thread, host, "第一条回复")
    db.session.commit()
    return {"host": host, "teacher": teacher, "group": group, "entry": entry, "thread": thread, "post": post}


def snapshot(db) -> dict:
    """Row counts of everything a request could create."""
    counts = {}
    for name in TABLES:
        table = db.metadata.tables[name]
        counts[name] = db.session.execute(select(func.count()).select_from(table)).scalar_one()
    db.session.rollback()  # end the read transaction; objects reload on next use
    return counts


@pytest.fixture
def bearer(world, api_token):
    return {"Authorization": f"Bearer {api_token(world['teacher'])}"}


@pytest.fixture
def unchanged(db, world, bearer):
    """Asserts, after the test body, that no row was added or removed."""
    before = snapshot(db)
    yield
    assert snapshot(db) == before


def assert_clear_4xx(resp, *statuses):
    """A 4xx with a message: JSON `{"error": {code, message}}` under /api, a page elsewhere."""
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.get_data(as_text=True)[:300])
    if statuses:
        assert resp.status_code in statuses, (resp.status_code, resp.get_data(as_text=True)[:300])
    if resp.mimetype == "application/json":
        err = resp.get_json()["error"]
        assert err["code"] and err["message"]
    else:
        assert resp.get_data(as_text=True).strip()


# -- invalid UTF-8 and NUL bytes -------------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    b'{"body": "\xff\xfe bad bytes"}',          # invalid UTF-8 inside a JSON string
    b'{"body": "ok"\x00}',                      # NUL between tokens
    b'\xef\xbb\xbf\x00{"body": 1}',             # BOM then NUL
    b'{"body": "unterminated',                  # malformed JSON
])
def test_api_reply_with_bad_bytes_is_400(client, world, bearer, unchanged, raw):
    resp = client.post(f"/api/v1/threads/{world['thread'].id}/posts", data=raw,
                       headers={**bearer, "Content-Type": "application/json"})
    assert_clear_4xx(resp, 400)


@pytest.mark.parametrize("field, payload", [
    ("body", {"body": "before\u0000after"}),
    ("title", {"title": "标题\u0000", "body": "正文", "kind": "discussion"}),
])
def test_api_nul_in_json_string_is_422_naming_the_field(client, world, bearer, unchanged, field, payload):
    url = (f"/api/v1/threads/{world['thread'].id}/posts" if field == "body"
           else f"/api/v1/boards/{world['group'].board.id}/threads")
    resp = client.post(url, json=payload, headers=bearer)
    assert_clear_4xx(resp, 422)
    assert resp.get_json()["error"]["field"] == field


def test_api_entry_title_with_nul_is_refused(client, world, bearer, unchanged):
    resp = client.post(f"/api/v1/blogs/{world['group'].blog.id}/entries", headers=bearer,
                       json={"title": "反思\u0000", "body": "正文", "category": "reflection"})
    assert_clear_4xx(resp, 422)


@pytest.mark.parametrize("payload", [
    '{"body": "\\ud800 lone surrogate"}',       # valid JSON, not encodable text
    '{"body": "\\udfff\\ud800"}',
])
def test_api_lone_surrogates_are_refused_not_a_500(client, world, bearer, unchanged, payload):
    resp = client.post(f"/api/v1/threads/{world['thread'].id}/posts", data=payload,
                       headers={**bearer, "Content-Type": "application/json"})
    assert_clear_4xx(resp, 400, 422)


def test_api_deeply_nested_json_is_refused(client, world, bearer, unchanged):
    deep = "[" * 100_000 + "]" * 100_000
    resp = client.post(f"/api/v1/threads/{world['thread'].id}/posts", data=deep,
                       headers={**bearer, "Content-Type": "application/json"})
    assert_clear_4xx(resp, 400, 422)


def test_form_reply_with_nul_byte_is_refused(client, world, login, unchanged):
    login(world["teacher"])
    resp = client.post(f"/boards/threads/{world['thread'].id}/reply", data={"body": "回复\x00内容"})
    assert_clear_4xx(resp, 400, 422)


def test_form_reply_with_invalid_utf8_is_refused(client, world, login, unchanged):
    login(world["teacher"])
    resp = client.post(f"/boards/threads/{world['thread'].id}/reply", data=b"body=%FF%FE%FD",
                       content_type="application/x-www-form-urlencoded")
    assert_clear_4xx(resp, 400, 422)


@pytest.mark.parametrize("query", ["q=%00", "q=%FF%FE", "q=abc%00def", "q=%C0%AF"])
def test_api_search_with_bad_bytes_in_query_is_4xx(client, world, unchanged, query):
    resp = client.get(f"/api/v1/search?{query}")
    assert_clear_4xx(resp, 400, 422)


@pytest.mark.parametrize("path", ["/api/v1/threads/%00", "/api/v1/threads/%FF", "/boards/threads/1%00",
                                  "/api/v1/entries/1%C0%AF"])
def test_bad_bytes_in_path_are_404(client, world, unchanged, path):
    assert_clear_4xx(client.get(path), 404)


# -- look-alike usernames ----------------------------------------------------------------------------

@pytest.mark.parametrize("username", [
    "hostile_teacher\u200b",      # zero-width space
    "\u202ehostile_teacher",      # right-to-left override
    "hostile\u2066_teacher",      # bidi isolate
    "ｈｏｓｔｉｌｅ＿ｔｅａｃｈｅｒ",  # full-width duplicate of an existing name
    "hostile_teacher\u0000",      # NUL
])
def test_look_alike_registration_is_refused(client, world, unchanged, username):
    resp = client.post("/auth/register", data={"username": username, "display_name": "冒充者",
                                               "password": "a-long-unusual-pass"})
    # Forms answer with the page and the field's error (foundation convention), never a redirect.
    assert resp.status_code in (200, 400, 422) and "Location" not in resp.headers


@pytest.mark.parametrize("username", [
    "hostile_te\u0430cher",      # Cyrillic а in a Latin name
    "h\u03bfstile_teacher",      # Greek omicron
    "\u0440\u0430\u0443\u0440\u0430\u0439",  # all-Cyrillic "paypal"-style look-alike
    "hostilé_teacher",           # accented Latin beside plain Latin
    "李老师\u0430",               # Han with a Cyrillic letter
])
def test_mixed_script_homograph_username_is_refused(client, world, unchanged, username):
    resp = client.post("/auth/register", data={"username": username, "display_name": "冒充者",
                                               "password": "a-long-unusual-pass"})
    assert "Location" not in resp.headers
    assert "不能夹用其他文字" in resp.get_data(as_text=True)


@pytest.mark.parametrize("username", ["zhang_san", "张老师", "wang老师2024", "li.ming-3"])
def test_ascii_and_chinese_usernames_are_accepted(client, world, db, username):
    resp = client.post("/auth/register", data={"username": username, "display_name": "新老师",
                                               "password": "a-long-unusual-pass"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]


@pytest.mark.parametrize("username", ["hostile_teacher\u200b", "\u202ehostile_teacher", "hostile_teacher\u0000"])
def test_look_alike_token_request_is_401(client, world, unchanged, username):
    resp = client.post("/api/v1/tokens", json={"username": username, "password": PASSWORD})
    assert_clear_4xx(resp, 401, 422)


# -- 10 MB bodies -------------------------------------------------------------------------------------

TEN_MB = 10 * 1024 * 1024


def test_10mb_json_body_is_413(client, world, bearer, unchanged):
    body = json.dumps({"body": "字" * (TEN_MB // 3)})
    resp = client.post(f"/api/v1/threads/{world['thread'].id}/posts", data=body,
                       headers={**bearer, "Content-Type": "application/json"})
    assert_clear_4xx(resp, 413)


def test_10mb_urlencoded_form_is_413(client, world, login, unchanged):
    login(world["teacher"])
    resp = client.post(f"/boards/threads/{world['thread'].id}/reply", data={"body": "x" * TEN_MB})
    assert_clear_4xx(resp, 413)


def test_10mb_multipart_upload_is_413(client, world, login, unchanged):
    login(world["teacher"])
    resp = client.post(f"/blogs/{world['group'].blog.id}/new", content_type="multipart/form-data",
                       data={"title": "大文件", "body": "正文", "category": "courseware",
                             "attachments": (io.BytesIO(b"%PDF-1.4\n" + b"0" * TEN_MB), "big.pdf")})
    assert_clear_4xx(resp, 413)


def test_json_within_limit_but_over_the_field_limit_is_422(client, world, bearer, unchanged):
    resp = client.post(f"/api/v1/threads/{world['thread'].id}/posts", headers=bearer,
                       json={"body": "长" * 100_001})
    assert_clear_4xx(resp, 422)


# -- pathological Markdown ----------------------------------------------------------------------------

@pytest.mark.parametrize("source", [
    ">" * 1000 + " 引用",
    "\n".join(">" * i + " 第%d层" % i for i in range(1, 1001)),
    "*" * 5000 + "a" + "*" * 5000,
    "[" * 3000 + "x" + "](" * 3000,
    "- " * 1000 + "列表",
])
def test_pathological_markdown_renders_fast_and_safely(app, source):
    from forum.core.markup import render

    best = float("inf")
    for _ in range(3):  # CPU time, best of three: the budget is the renderer's, not a busy CI machine's
        started = time.thread_time()
        html = render(source)
        best = min(best, time.thread_time() - started)
    assert best < 1.0
    assert "<script" not in html


# -- search syntax abuse ------------------------------------------------------------------------------

@pytest.mark.parametrize("query", [
    "q=" + "a" * 201,                 # too long
    "q=秋天&page=-1",
    "q=秋天&page=999999999999999999999",
    "q=秋天&type=users",
    "q=秋天&group=abc",
    "q=秋天&sort=random()",
    "q=",
])
def test_api_search_bad_parameters_are_422(client, world, unchanged, query):
    assert_clear_4xx(client.get(f"/api/v1/search?{query}"), 422)


@pytest.mark.parametrize("q", ['"unclosed', "(((((秋天", "title:*", "*", "AND OR NOT", "秋天 NOT NOT",
                               "a~999999", "x^1e309", "' OR 1=1 --", "\\", "[a TO z]"])
def test_search_syntax_abuse_is_text_not_an_error(client, world, unchanged, q):
    api = client.get("/api/v1/search", query_string={"q": q})
    assert api.status_code == 200, api.get_data(as_text=True)[:300]
    assert isinstance(api.get_json()["results"], list)
    page = client.get("/search", query_string={"q": q})
    assert page.status_code == 200


def test_search_page_bad_parameters_are_4xx(client, world, unchanged):
    assert_clear_4xx(client.get("/search?q=" + "a" * 201), 400, 422)


# -- SQL injection strings ----------------------------------------------------------------------------

def test_sql_injection_as_login_does_not_sign_in(client, world, unchanged):
    resp = client.post("/auth/login", data={"username": "' OR 1=1 --", "password": "' OR 1=1 --"})
    assert resp.status_code == 200 and "Location" not in resp.headers
    assert client.get("/auth/profile").status_code == 302


def test_sql_injection_as_token_request_is_401(client, world, unchanged):
    resp = client.post("/api/v1/tokens", json={"username": "hostile_teacher' OR '1'='1", "password": "' OR 1=1 --"})
    assert_clear_4xx(resp, 401, 422)


def test_sql_injection_in_path_is_404(client, world, unchanged):
    assert_clear_4xx(client.get("/api/v1/threads/1%20OR%201=1"), 404)


def test_sql_injection_in_query_parameters_is_422(client, world, unchanged):
    assert_clear_4xx(client.get("/api/v1/tallies?month=2026-01' OR 1=1 --",
                                headers={}), 401, 422)
    assert_clear_4xx(client.get(f"/api/v1/blogs/{world['group'].blog.id}/entries?page=1 OR 1=1"), 422)


# -- mass assignment ----------------------------------------------------------------------------------

def test_mass_assignment_in_thread_body_is_ignored(client, world, bearer, db):
    from forum.boards.models import Thread

    other = make_group("数学组")
    resp = client.post(f"/api/v1/boards/{world['group'].board.id}/threads", headers=bearer, json={
        "title": "正常的标题", "body": "正文", "author_id": world["host"].id, "board_id": other.board.id,
        "group_id": other.id, "role": "admin", "is_pinned": True, "is_featured": True, "id": 999, "reply_count": 50})
    assert resp.status_code == 201
    thread = db.session.get(Thread, resp.get_json()["id"])
    assert thread.author_id == world["teacher"].id and thread.board_id == world["group"].board.id
    assert not thread.is_pinned and not thread.is_featured and thread.id != 999 and thread.reply_count == 0


def test_mass_assignment_in_entry_body_is_ignored(client, world, bearer, db):
    from forum.blogs.models import Entry

    resp = client.post(f"/api/v1/blogs/{world['group'].blog.id}/entries", headers=bearer, json={
        "title": "反思", "body": "正文", "category": "reflection", "author_id": world["host"].id,
        "blog_id": 1234, "group_id": 99, "role": "admin", "is_deleted": True, "version": 7})
    assert resp.status_code == 201
    entry = db.session.get(Entry, resp.get_json()["id"])
    assert entry.author_id == world["teacher"].id and entry.blog_id == world["group"].blog.id
    assert not entry.is_deleted


def test_mass_assignment_in_reply_body_is_ignored(client, world, bearer, db):
    from forum.boards.models import Post

    resp = client.post(f"/api/v1/threads/{world['thread'].id}/posts", headers=bearer, json={
        "body": "回复", "author_id": world["host"].id, "thread_id": 424242, "is_adopted": True, "role": "admin"})
    assert resp.status_code == 201
    post = db.session.get(Post, resp.get_json()["id"])
    assert post.author_id == world["teacher"].id and post.thread_id == world["thread"].id and not post.is_adopted


def test_mass_assignment_of_role_through_profile_form_is_ignored(client, world, login, db):
    from forum.auth.models import User

    login(world["teacher"])
    client.post("/auth/profile", data={"display_name": "李老师", "locale": "zh_CN", "school_id": 0,
                                       "role": "admin", "is_suspended_indefinitely": "y", "username": "root"})
    user = db.session.get(User, world["teacher"].id)
    db.session.refresh(user)
    assert user.role == "teacher" and user.username == "hostile_teacher"


def test_mass_assignment_of_role_through_registration_is_ignored(client, world, db):
    from forum.auth.models import User

    resp = client.post("/auth/register", data={"username": "newcomer", "display_name": "新人",
                                               "password": "a-long-unusual-pass", "role": "admin"})
    assert resp.status_code == 302
    assert db.session.scalar(select(User.role).where(User.username == "newcomer")) == "teacher"


# -- replayed cookies ---------------------------------------------------------------------------------

def _session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _replay(app, value: str):
    other = app.test_client()
    other.set_cookie("session", value)
    return other.get("/auth/profile")


def test_cookie_replayed_after_logout_is_signed_out(app, client, world, login):
    login(world["teacher"])
    stolen = _session_cookie(client)
    client.post("/auth/logout")
    resp = _replay(app, stolen)
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]


def test_cookie_replayed_after_password_change_is_signed_out(app, client, world, login):
    login(world["teacher"])
    stolen = _session_cookie(client)
    resp = client.post("/auth/password", data={"current_password": PASSWORD,
                                               "new_password": "a-brand-new-long-pass"})
    assert resp.status_code == 302
    assert _replay(app, stolen).status_code == 302
    assert client.get("/auth/profile").status_code == 200  # the session that changed it stays in


def test_cookie_and_token_replayed_after_suspension_are_refused(app, client, world, login, api_token, db):
    from forum.moderation.services import suspend_user

    admin = make_user("hostile_admin", role="admin")
    token = api_token(world["teacher"])
    login(world["teacher"])
    stolen = _session_cookie(client)
    suspend_user(admin, world["teacher"], days=None, reason="测试停用")
    db.session.commit()
    assert _replay(app, stolen).status_code == 302
    me = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert_clear_4xx(me, 401)


# -- double submit: the same form or API call twice creates one object --------------------------------

def _key_from(page: str) -> str:
    import re

    match = re.search(r'name="submission_key" value="([0-9a-f]{32})"', page)
    assert match, "the form carries no submission key"
    return match.group(1)


def _counts(db, *tables) -> dict:
    return {t: n for t, n in snapshot(db).items() if t in tables} | {
        "submissions": db.session.execute(select(func.count()).select_from(db.metadata.tables["submissions"])).scalar()}


@pytest.mark.parametrize("kind", ["reply", "thread", "entry", "comment"])
def test_double_submitted_form_creates_one_object(client, world, login, db, kind):
    """Two identical POSTs of one rendered form (a double click): one object, one ledger row, one outbox row."""
    login(world["teacher"])
    thread, entry, group = world["thread"], world["entry"], world["group"]
    page_url, post_url, data, table = {
        "reply": (f"/boards/threads/{thread.id}", f"/boards/threads/{thread.id}/reply", {"body": "双击的回复"}, "posts"),
        "thread": (f"/boards/{group.board.id}/new", f"/boards/{group.board.id}/new",
                   {"title": "双击的主题", "body": "双击的正文", "kind": "discussion"}, "threads"),
        "entry": (f"/blogs/{group.blog.id}/new", f"/blogs/{group.blog.id}/new",
                  {"title": "双击的日志", "body": "双击的正文", "category": "reflection", "action": "publish"}, "entries"),
        "comment": (f"/blogs/entries/{entry.id}", f"/blogs/entries/{entry.id}/comments", {"body": "双击的评论"}, "comments"),
    }[kind]
    data["submission_key"] = _key_from(client.get(page_url).get_data(as_text=True))
    before = _counts(db, table, "contributions", "search_outbox")
    first = client.post(post_url, data=data)
    second = client.post(post_url, data=data)
    assert first.status_code == 302, first.get_data(as_text=True)[:500]
    assert second.status_code == 302  # to the object the first one created
    after = _counts(db, table, "contributions", "search_outbox")
    assert {t: after[t] - before[t] for t in after} == {table: 1, "contributions": 1, "search_outbox": 1, "submissions": 1}
    # A new rendering of the form is a new submission.
    data["submission_key"] = _key_from(client.get(page_url).get_data(as_text=True))
    assert client.post(post_url, data=data).status_code == 302
    assert _counts(db, table)[table] == after[table] + 1


@pytest.mark.parametrize("kind", ["reply", "thread", "entry", "comment"])
def test_api_retry_with_the_same_idempotency_key_returns_the_first_object(client, world, bearer, db, kind):
    thread, entry, group = world["thread"], world["entry"], world["group"]
    url, body, table = {
        "reply": (f"/api/v1/threads/{thread.id}/posts", {"body": "重试的回复"}, "posts"),
        "thread": (f"/api/v1/boards/{group.board.id}/threads", {"title": "重试的主题", "body": "正文"}, "threads"),
        "entry": (f"/api/v1/blogs/{group.blog.id}/entries", {"title": "重试的日志", "body": "正文", "category": "essay"},
                  "entries"),
        "comment": (f"/api/v1/entries/{entry.id}/comments", {"body": "重试的评论"}, "comments"),
    }[kind]
    headers = {**bearer, "Idempotency-Key": f"retry-{kind}-0001"}
    before = _counts(db, table)
    first = client.post(url, json=body, headers=headers)
    second = client.post(url, json=body, headers=headers)
    assert first.status_code == 201, first.get_json()
    assert second.status_code == 200 and second.get_json()["duplicate"] is True
    assert second.get_json()["id"] == first.get_json()["id"]
    assert _counts(db, table)[table] == before[table] + 1
    # Without a key nothing is deduplicated: two calls are two objects.
    assert client.post(url, json=body, headers=bearer).status_code == 201
    assert client.post(url, json=body, headers=bearer).status_code == 201
    assert _counts(db, table)[table] == before[table] + 3


def test_two_copies_racing_on_a_live_server_create_one_reply():
    """Both requests in flight at once (a server with threads): the unique (user, key) lets one through."""
    import threading

    import requests
    from sqlalchemy import create_engine, text

    from tests.reliability.live import start_live_site

    site = start_live_site()
    try:
        headers = {"Authorization": f"Bearer {site.tokens['api_teacher']}", "Idempotency-Key": "race-0000001"}
        url = f"{site.url}/api/v1/threads/{site.ids['thread']}/posts"
        barrier, answers = threading.Barrier(2), []

        def send():
            barrier.wait()
            resp = requests.post(url, json={"body": "RACE 并发的同一份回复"}, headers=headers, timeout=30)
            answers.append((resp.status_code, resp.json().get("id")))

        senders = [threading.Thread(target=send) for _ in range(2)]
        for t in senders:
            t.start()
        for t in senders:
            t.join(timeout=60)
        assert sorted(s for s, _ in answers) == [200, 201], answers
        assert len({i for _, i in answers}) == 1
        engine = create_engine(site.app.config["SQLALCHEMY_DATABASE_URI"])
        with engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM posts WHERE body LIKE 'RACE%'")).scalar() == 1
        engine.dispose()
    finally:
        site.stop()


# -- two hosts editing at once: a conflict, not a silent overwrite ----------------------------------

@pytest.fixture
def second_host(world, db):
    from forum.org.models import Membership

    other = make_user("hostile_host2", display_name="赵主持")
    db.session.add(Membership(group_id=world["group"].id, user_id=other.id, is_host=True))
    db.session.commit()
    return other


@pytest.mark.parametrize("what", ["thread", "post", "entry"])
def test_two_hosts_editing_at_once_is_a_conflict(app, world, second_host, db, what):
    """Both open the edit form on version 1; the first save wins, the second is 409 with both texts shown."""
    from forum.blogs.models import Entry
    from forum.boards.models import Post, Thread

    obj = world[what]
    model = {"thread": Thread, "post": Post, "entry": Entry}[what]
    url = {"thread": f"/boards/threads/{obj.id}/edit", "post": f"/boards/posts/{obj.id}/edit",
           "entry": f"/blogs/entries/{obj.id}/edit"}[what]
    extra = {"thread": {"title": "标题", "tags": ""}, "post": {},
             "entry": {"title": "标题", "category": "reflection", "tags": "", "action": "publish"}}[what]
    first, second = app.test_client(), app.test_client()
    for c, user in ((first, world["host"]), (second, second_host)):
        assert c.post("/auth/login", data={"username": user.username, "password": PASSWORD}).status_code == 302
        assert c.get(url).status_code == 200
    version = db.session.get(model, obj.id).version
    db.session.rollback()
    saved = first.post(url, data={**extra, "body": "王主持先保存的版本", "version": version})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:500]
    late = second.post(url, data={**extra, "body": "赵主持后保存的版本", "version": version})
    assert late.status_code == 409
    page = late.get_data(as_text=True)
    assert "赵主持后保存的版本" in page  # the late editor's text is kept in the form
    assert "王主持先保存的版本" in page  # and the saved text is shown beside it
    db.session.expire_all()
    assert db.session.get(model, obj.id).body == "王主持先保存的版本"


@pytest.mark.parametrize("kind", ["reply", "comment"])
def test_parent_id_beyond_a_database_integer_is_422(client, world, bearer, unchanged, kind):
    """Found by schemathesis: a 20-digit parent_id was bound to SQLite and raised OverflowError (a 500)."""
    url = (f"/api/v1/threads/{world['thread'].id}/posts" if kind == "reply"
           else f"/api/v1/entries/{world['entry'].id}/comments")
    resp = client.post(url, json={"body": "回复", "parent_id": 12551388586832723968}, headers=bearer)
    assert_clear_4xx(resp, 422)


@pytest.mark.parametrize("theme_id", [875778888287796844298240, 2**31, -3])
def test_theme_id_no_row_can_have_is_422(client, world, bearer, unchanged, theme_id):
    """Found by schemathesis: a 24-digit theme_id on a new thread raised OverflowError (a 500)."""
    resp = client.post(f"/api/v1/boards/{world['thread'].board_id}/threads", headers=bearer,
                       json={"title": "新主题", "body": "正文", "kind": "discussion", "theme_id": theme_id})
    assert_clear_4xx(resp, 422)
    assert resp.get_json()["error"]["field"] == "theme_id"


@pytest.mark.parametrize("value, expected", [(7, 7), ("12", 12), (2**31 - 1, 2**31 - 1), (2**31, None),
                                             (0, None), (-1, None), (True, None), ("x", None), (None, None),
                                             (10**40, None)])
def test_as_id_accepts_only_what_a_primary_key_can_hold(value, expected):
    from forum.core.ids import as_id

    assert as_id(value) == expected
