"""The visitors' page cache (forum/core/pagecache.py): served only while nothing changed, never personal."""
import re
import time

import pytest
from sqlalchemy import update

from forum.boards import services as boards
from tests.boards.helpers import prep_group
from tests.factories import PASSWORD, make_thread, make_user

GZ = {"Accept-Encoding": "gzip"}


@pytest.fixture
def app_config(app_config):
    app_config["PAGE_CACHE"] = True
    return app_config


def visit(client, path, **headers):
    """A visitor's GET: (status, X-Page-Cache, text)."""
    resp = client.get(path, headers=headers)
    return resp.status_code, resp.headers.get("X-Page-Cache"), resp.get_data(as_text=True)


def test_a_visitors_second_request_is_the_same_page_from_the_cache(app, db, client):
    group, host, lead, (a, b, c) = prep_group(3)
    thread = make_thread(group.board, a, title="《背影》集体备课")
    first = client.get(f"/boards/threads/{thread.id}", headers=GZ)
    second = client.get(f"/boards/threads/{thread.id}", headers=GZ)
    assert first.headers["X-Page-Cache"] == "miss" and second.headers["X-Page-Cache"] == "hit"
    assert first.data == second.data and second.headers["Content-Encoding"] == "gzip"
    assert second.headers["Content-Type"].startswith("text/html")
    # Identity and gzip are kept apart: a client without gzip gets plain HTML.
    plain = client.get(f"/boards/threads/{thread.id}")
    assert plain.headers.get("Content-Encoding") is None and "《背影》集体备课" in plain.get_data(as_text=True)
    # The headers set on every response are still there on a hit.
    assert "Content-Security-Policy" in second.headers and second.headers["X-Frame-Options"] == "DENY"


def test_every_main_page_of_a_visitor_is_kept_and_sets_no_cookie(app_config):
    """With CSRF on, as on a real site: a form built for a visitor would make a token (and a session)."""
    from forum import create_app
    from forum.extensions import db
    from tests.factories import make_entry

    app_config["WTF_CSRF_ENABLED"] = True
    app = create_app(app_config)
    with app.app_context():
        group, host, lead, (a, b, c) = prep_group(3)
        thread = make_thread(group.board, a)
        boards.reply(thread, b, "同意，补充一点。")
        entry = make_entry(group.blog, a)
        group_id, board_id, blog_id, thread_id, entry_id = group.id, group.board.id, group.blog.id, thread.id, entry.id
        db.session.remove()
    client = app.test_client()
    paths = ["/", "/groups", f"/groups/{group_id}", "/boards/", f"/boards/{board_id}", f"/boards/threads/{thread_id}",
             "/blogs/", f"/blogs/{blog_id}", f"/blogs/entries/{entry_id}", "/search?q=备课"]
    for path in paths:
        first = client.get(path)
        assert first.status_code == 200, path
        assert "Set-Cookie" not in first.headers, path  # no session, no CSRF token: nothing personal
        assert first.headers.get("X-Page-Cache") == "miss", path
        assert client.get(path).headers.get("X-Page-Cache") == "hit", path


def test_a_new_reply_is_on_the_next_visitors_page(app, db, client):
    group, host, lead, (a, b, c) = prep_group(3)
    thread = make_thread(group.board, a)
    path = f"/boards/threads/{thread.id}"
    visit(client, path)
    assert visit(client, path)[1] == "hit"
    boards.reply(thread, b, "第二课时的板书可以再精简一些")
    status, cache, html = visit(client, path)
    assert cache == "miss" and "第二课时的板书可以再精简一些" in html


def test_a_deleted_reply_is_gone_for_the_next_visitor(app, db, client):
    group, host, lead, (a, b, c) = prep_group(3)
    thread = make_thread(group.board, a)
    post = boards.reply(thread, b, "这条回复含有不当内容")
    path = f"/boards/threads/{thread.id}"
    visit(client, path)
    assert "这条回复含有不当内容" in visit(client, path)[2]
    boards.delete_post(post, host, reason="ethics")
    assert "这条回复含有不当内容" not in visit(client, path)[2]


def test_a_group_made_private_is_no_longer_shown_to_visitors(app, db, client):
    group, host, lead, (a, b, c) = prep_group(3)
    thread = make_thread(group.board, a, title="只在组内讨论的话题")
    paths = [f"/boards/threads/{thread.id}", f"/boards/{group.board.id}", f"/groups/{group.id}"]
    for path in paths:
        visit(client, path)
        assert visit(client, path)[:2] == (200, "hit"), path
    group.visibility = "group"
    db.session.commit()
    for path in paths:
        assert visit(client, path)[0] == 404, path
    home = visit(client, "/")[2]
    assert "只在组内讨论的话题" not in home


def test_a_write_as_one_sql_statement_moves_the_generation(app, db, client):
    from forum.boards.models import Thread

    group, host, lead, (a, b, c) = prep_group(3)
    thread = make_thread(group.board, a, title="原来的标题")
    path = f"/boards/threads/{thread.id}"
    visit(client, path)
    db.session.execute(update(Thread).where(Thread.id == thread.id).values(title="改过的标题"))
    db.session.commit()
    assert "改过的标题" in visit(client, path)[2]


def test_writes_no_visitor_can_see_keep_the_cache(app, db, client):
    from forum.notifications.models import Notification

    group, host, lead, (a, b, c) = prep_group(3)
    thread = make_thread(group.board, a)
    path = f"/boards/threads/{thread.id}"
    visit(client, path)
    db.session.add(Notification(user_id=a.id, kind="reply", actor_id=b.id, target_type="thread",
                                target_id=thread.id))
    db.session.commit()
    assert visit(client, path)[1] == "hit"
    # a rolled-back write moves nothing either
    thread.title = "回滚的标题"
    db.session.flush()
    db.session.rollback()
    assert visit(client, path)[1] == "hit"


def test_another_worker_sees_the_write_of_this_one(app, app_config, db, client):
    """Two app instances on the same data dir stand for two gunicorn workers."""
    from forum import create_app

    group, host, lead, (a, b, c) = prep_group(3)
    thread = make_thread(group.board, a)
    path = f"/boards/threads/{thread.id}"
    other = create_app(app_config)
    other_client = other.test_client()
    visit(other_client, path)
    assert visit(other_client, path)[1] == "hit"
    boards.reply(thread, b, "另一个进程写的回复")  # committed in this app, bumped in the shared file
    assert "另一个进程写的回复" in visit(other_client, path)[2]


def test_signed_in_users_never_get_or_leave_a_cached_page(app, db, client, login):
    group, host, lead, (a, b, c) = prep_group(3)
    thread = make_thread(group.board, a)
    path = f"/boards/threads/{thread.id}"
    visit(client, path)
    assert visit(client, path)[1] == "hit"
    login(b)
    status, cache, html = visit(client, path)
    assert status == 200 and cache is None
    assert b.display_name in html and 'name="csrf_token"' in html  # the reply form: personal
    assert visit(client, path)[1] is None
    client.post("/auth/logout")
    visit(client, "/")  # the page that shows the "signed out" message
    status, cache, html = visit(client, path)
    assert cache == "miss"  # signing in wrote the account (last sign-in), which moved the generation
    assert 'name="csrf_token"' not in html and "/auth/logout" not in html
    assert visit(client, path)[1] == "hit"


def test_a_remember_cookie_is_never_answered_from_the_cache(app, db, client, login):
    group, host, lead, (a, b, c) = prep_group(3)
    path = f"/groups/{group.id}"
    visit(client, path)
    login(b, remember=True)
    with client.session_transaction() as sess:
        sess.clear()  # the browser was closed: only the remember cookie is left
    status, cache, html = visit(client, path)
    assert cache is None and b.display_name in html


def test_a_flashed_message_is_shown_and_not_kept(app, db, client, login):
    user = make_user()
    visit(client, "/")
    assert visit(client, "/")[1] == "hit"
    login(user)
    client.post("/auth/logout")  # flashes "已退出" for the next page
    status, cache, html = visit(client, "/")
    assert cache is None and "flash" in html
    assert visit(client, "/")[1] in ("hit", "miss")
    assert 'class="flashes"' not in visit(client, "/")[2]


def test_each_language_has_its_own_page(app, client):
    assert 'lang="zh-CN"' in visit(client, "/groups")[2]
    client.set_cookie("locale", "en")
    status, cache, html = visit(client, "/groups")
    assert cache == "miss" and 'lang="en"' in html
    assert visit(client, "/groups")[1] == "hit"
    client.delete_cookie("locale")
    assert 'lang="zh-CN"' in visit(client, "/groups")[2]


def test_error_pages_are_not_kept(app, client):
    assert visit(client, "/boards/threads/999999")[0] == 404
    assert visit(client, "/boards/threads/999999")[1] is None


def test_entries_expire_after_the_ttl(app, client, monkeypatch):
    cache = app.extensions["jy_pagecache"]
    visit(client, "/groups")
    assert visit(client, "/groups")[1] == "hit"
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now + cache.ttl + 1)
    assert visit(client, "/groups")[1] == "miss"


def test_memory_is_bounded(app):
    from forum.core.pagecache import PageCache

    class Fixed:
        def read(self):
            return 1

    cache = PageCache(Fixed(), max_bytes=8_000, ttl=60)
    for i in range(20):
        cache.put(("h", f"/p{i}", "zh_CN", True), 1, 200, [], b"x" * 900)
    assert cache.size <= 8_000 and len(cache.entries) == 8
    assert cache.get(("h", "/p0", "zh_CN", True), 1) is None  # the oldest went first
    assert cache.get(("h", "/p19", "zh_CN", True), 1) is not None
    assert cache.get(("h", "/p19", "zh_CN", True), 2) is None  # another generation: stale
    cache.put(("h", "/big", "zh_CN", True), 1, 200, [], b"x" * 2_000)  # over 1/8 of the budget
    assert ("h", "/big", "zh_CN", True) not in cache.entries


def test_derived_data_is_bounded_and_dies_with_its_generation(app, app_config):
    from forum import create_app
    from forum.core.pagecache import _MISSING, DerivedCache

    assert create_app(dict(app_config, DERIVED_CACHE=True)).extensions["jy_derived"].max_entries == 32
    cache = DerivedCache(max_entries=3, ttl=60)
    for i in range(5):
        cache.put(("readable_containers", i), 7, frozenset({f"g{i}"}))
    assert len(cache.entries) == 3
    assert cache.get(("readable_containers", 0), 7) is _MISSING  # the oldest went first
    assert cache.get(("readable_containers", 4), 7) == frozenset({"g4"})
    assert cache.get(("readable_containers", 4), 8) is _MISSING  # a write since: recomputed
    assert ("readable_containers", 4) not in cache.entries


def test_redis_generation_is_shared_and_failure_means_no_cache(app):
    from forum.core.pagecache import RedisGeneration

    try:
        import redis

        redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_timeout=0.2).ping()
    except Exception:  # noqa: BLE001
        pytest.skip("no Redis on 127.0.0.1:6379")
    one, two = RedisGeneration("redis://127.0.0.1:6379/15"), RedisGeneration("redis://127.0.0.1:6379/15")
    one.client.delete(RedisGeneration.KEY)  # a new or flushed Redis
    assert two.read() is None  # nothing served until the counter is there again…
    before = two.read()
    assert before > 10**18  # …and it starts from the clock, never from a number a stored page carries
    one.bump()
    assert two.read() == before + 1
    down = RedisGeneration("redis://127.0.0.1:1/0")
    assert down.read() is None  # unreachable: nothing is served from the cache
    down.bump()  # and a write does not fail


def test_off_switch(app_config):
    from forum import create_app

    app_config["PAGE_CACHE"] = False
    off = create_app(app_config)
    with off.app_context():
        pass
    assert "jy_pagecache" not in off.extensions
    # …but its writes still move the generation that the serving workers read.
    generation = off.extensions["jy_pagecache_generation"]
    before = generation.read()
    with off.app_context():
        from forum.extensions import db
        from tests.factories import make_user

        make_user()
        db.session.remove()
    assert generation.read() != before
    client = off.test_client()
    assert client.get("/groups").headers.get("X-Page-Cache") is None


def test_visitor_language_switch_needs_no_session_and_signed_in_needs_the_token(app_config):
    from forum import create_app

    app_config["WTF_CSRF_ENABLED"] = True
    app = create_app(app_config)
    client = app.test_client()
    resp = client.post("/lang", data={"lang": "en", "next": "/groups"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/groups")
    assert "locale=en" in resp.headers["Set-Cookie"] and "session=" not in resp.headers["Set-Cookie"]
    assert 'lang="en"' in client.get("/groups").get_data(as_text=True)
    page = client.get("/").get_data(as_text=True)
    assert 'name="csrf_token"' not in page  # nothing personal on a visitor's page
    with app.app_context():
        username = make_user("langswitch").username
    login = client.get("/auth/login")
    assert login.headers.get("X-Page-Cache") is None  # its form holds this visitor's CSRF token
    login_page = login.get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    assert client.post("/auth/login", data={"username": username, "password": PASSWORD,
                                             "csrf_token": token}).status_code == 302
    signed_in = client.get("/groups").get_data(as_text=True)
    token = re.search(r'class="inline-form lang-form">\s*<input type="hidden" name="csrf_token" value="([^"]+)"',
                      signed_in).group(1)
    assert client.post("/lang", data={"lang": "zh_CN", "next": "/"}).status_code == 400  # signed in: checked
    assert client.post("/lang", data={"lang": "zh_CN", "next": "/", "csrf_token": token}).status_code == 302


def test_a_deleted_entry_leaves_every_visitor_page_at_once(app, db, client):
    """Entry page, blog page, its feed, the home page and search: all follow the delete."""
    from forum.blogs import services as blogs
    from tests.factories import make_entry

    group, host, lead, (a, b, c) = prep_group(3)
    from forum.search import indexer

    entry = make_entry(group.blog, a, title="《岳阳楼记》教学反思（缓存）", body="朗读与背诵的层次设计")
    indexer.drain(app)
    paths = [f"/blogs/entries/{entry.id}", f"/blogs/{group.blog.id}", f"/blogs/{group.blog.id}/feed.atom", "/",
             "/search?q=岳阳楼记"]
    feed = paths[2]  # says Cache-Control: private (a reader may be signed in): never kept
    for path in paths:
        html = visit(client, path)[2]
        assert "教学反思（缓存）" in html or f"/blogs/entries/{entry.id}" in html, path
        assert visit(client, path)[1] == (None if path == feed else "hit"), path
    blogs.delete_entry(entry, host, reason="ethics")
    assert visit(client, paths[0])[0] == 404
    visit(client, paths[4])  # kept before the indexer ran…
    indexer.drain(app)  # …and the indexer's commit moves the generation too
    for path in paths[1:]:
        status, cache, html = visit(client, path)
        assert status == 200 and cache == (None if path == feed else "miss") and f"/blogs/entries/{entry.id}" not in html, path
