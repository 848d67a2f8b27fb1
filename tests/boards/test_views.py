"""Board pages through the client: forms, edit with revisions, themes, panels, escaping, permissions."""
from sqlalchemy import select

from forum.boards import prep, services, themes
from forum.boards.models import Theme, Thread
from forum.core.revisions import history
from forum.core.timezones import current_month
from tests.boards.helpers import prep_group
from tests.factories import make_group, make_thread, make_user


def test_new_thread_with_tags_and_theme(app, db, client, login):
    group, host, lead, (a, b, c) = prep_group(3)
    theme = themes.set_theme(group, host, current_month(), "单元整体教学设计的实践", "", "立项")
    login(a)
    page = client.get(f"/boards/{group.board.id}/new")
    assert page.status_code == 200 and "单元整体教学设计的实践" in page.get_data(as_text=True)
    resp = client.post(f"/boards/{group.board.id}/new", data={
        "kind": "research", "title": "小课题：课堂提问", "body": "研究计划……", "tags": "提问，课堂评价", "theme_id": theme.id})
    assert resp.status_code == 302
    t = db.session.scalar(select(Thread))
    assert t.kind == "research" and t.theme_id == theme.id and t.tag_names == ["提问", "课堂评价"]


def test_new_thread_empty_title_keeps_text_and_says_why(app, db, client, login):
    group, host, lead, (a, b, c) = prep_group(3)
    login(a)
    resp = client.post(f"/boards/{group.board.id}/new", data={"kind": "discussion", "title": "", "body": "我写了很多字",
                                                                "theme_id": 0})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "我写了很多字" in html


def test_non_member_cannot_post_and_private_board_is_404(app, db, client, login):
    group, host, lead, (a, b, c) = prep_group(3)
    private = make_group(visibility="group", members=[a])
    outsider = make_user()
    login(outsider)
    assert client.get(f"/boards/{group.board.id}/new").status_code == 403
    assert client.get(f"/boards/{private.board.id}").status_code == 404
    thread = make_thread(group.board, a)
    # DESIGN §2: teachers reply wherever they can read, members or not.
    assert client.post(f"/boards/threads/{thread.id}/reply", data={"body": "路过"}).status_code == 302


def test_edit_keeps_revisions(app, db, client, login):
    group, host, lead, (a, b, c) = prep_group(3)
    thread = make_thread(group.board, a, title="初版标题", body="初版正文")
    post = services.reply(thread, b, "初版回复")
    login(a)
    resp = client.post(f"/boards/threads/{thread.id}/edit", data={"title": "新标题", "body": "新正文", "tags": "",
                                                                  "version": 1})
    assert resp.status_code == 302
    assert [r.body for r in history(thread)] == ["初版正文"]
    stale = client.post(f"/boards/threads/{thread.id}/edit", data={"title": "x", "body": "y", "version": 1})
    assert stale.status_code == 409 or "已被他人修改" in stale.get_data(as_text=True)
    assert client.get(f"/boards/threads/{thread.id}/history").status_code == 200
    assert client.post(f"/boards/posts/{post.id}/edit", data={"body": "改别人的"}).status_code == 403
    client.post("/auth/logout")
    login(b)
    assert client.post(f"/boards/posts/{post.id}/edit", data={"body": "改过的回复", "version": 1}).status_code == 302
    assert [r.body for r in history(post)] == ["初版回复"]


def test_user_text_is_escaped_and_markdown_sanitized(app, db, client):
    group, host, lead, (a, b, c) = prep_group(3)
    thread = make_thread(group.board, a, title="<img src=x onerror=alert(1)>标题",
                         body="正文<script>alert(1)</script>")
    services.reply(thread, b, "[点我](javascript:alert(1)) <b onclick=x>粗</b>")
    html = client.get(f"/boards/threads/{thread.id}").get_data(as_text=True)
    assert "<img src=x" not in html and "<script>alert(1)" not in html
    assert 'href="javascript:' not in html and "<b onclick" not in html
    board = client.get(f"/boards/{group.board.id}").get_data(as_text=True)
    assert "<img src=x" not in board


def test_no_inline_script_on_board_pages(app, db, client, login):
    group, host, lead, (a, b, c) = prep_group(3)
    thread = make_thread(group.board, a)
    login(a)
    for url in (f"/boards/{group.board.id}", f"/boards/threads/{thread.id}", f"/boards/{group.board.id}/new"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>" not in html and " onclick=" not in html and " onchange=" not in html


def test_host_toggles_and_deletes_with_reason(app, db, client, login):
    group, host, lead, (a, b, c) = prep_group(3)
    thread = make_thread(group.board, a)
    post = services.reply(thread, b, "不当言论")
    login(a)
    assert client.post(f"/boards/threads/{thread.id}/toggle/locked").status_code == 403
    client.post("/auth/logout")
    login(host)
    for flag in ("pinned", "locked", "featured"):
        assert client.post(f"/boards/threads/{thread.id}/toggle/{flag}").status_code == 302
    db.session.expire_all()
    t = db.session.get(Thread, thread.id)
    assert t.is_pinned and t.is_locked and t.is_featured
    assert client.post(f"/boards/posts/{post.id}/delete", data={"reason": ""}).status_code == 422
    assert client.post(f"/boards/posts/{post.id}/delete", data={"reason": "ethics"}).status_code == 302
    html = client.get(f"/boards/threads/{thread.id}").get_data(as_text=True)
    assert "不当言论" in html  # the host still sees it, marked deleted
    client.post("/auth/logout")
    login(c)
    html = client.get(f"/boards/threads/{thread.id}").get_data(as_text=True)
    assert "不当言论" not in html and "该内容已被删除" in html
    client.post("/auth/logout")
    login(host)
    assert client.post(f"/boards/posts/{post.id}/restore").status_code == 302
    db.session.expire_all()
    assert not db.session.get(type(post), post.id).is_deleted


def test_theme_page_and_group_panels(app, db, client, login):
    group, host, lead, (a, b, c) = prep_group(3)
    login(a)
    assert client.get(f"/boards/groups/{group.id}/theme").status_code == 403
    client.post("/auth/logout")
    login(host)
    month = f"{current_month() // 100}-{current_month() % 100:02d}"
    resp = client.post(f"/boards/groups/{group.id}/theme", data={"month": month, "title": "作业分层设计",
                                                                 "description": "本月研究", "stage": "开题"})
    assert resp.status_code == 302
    theme = db.session.scalar(select(Theme))
    assert theme.stage == "开题" and theme.month == current_month()
    bad = client.post(f"/boards/groups/{group.id}/theme", data={"month": "2026-13", "title": "x", "stage": ""})
    assert bad.status_code == 422
    thread = services.start_thread(group.board, a, "分层作业案例", "案例……", theme_id=theme.id)
    prep.open_prep(group.board, host, title="集体备课：《落花生》", lead_speaker_id=a.id)
    page = client.get(f"/groups/{group.id}").get_data(as_text=True)
    assert "作业分层设计" in page and "分层作业案例" in page and "集体备课：《落花生》" in page
    client.post("/auth/logout")
    login(a)
    home = client.get("/").get_data(as_text=True)
    assert "等我参加的集体备课" in home and "集体备课：《落花生》" in home
    assert thread.title in home  # latest threads


def test_post_permalink_goes_to_its_page(app, db, client):
    from tests.boards.helpers import build_big_thread

    group, host, lead, members = prep_group(3)
    thread = build_big_thread(group.board, members, 200)
    from forum.boards.models import Post

    last = db.session.scalar(select(Post).where(Post.thread_id == thread.id).order_by(Post.id.desc()))
    resp = client.get(f"/boards/posts/{last.id}")
    assert resp.status_code == 302 and "page=5" in resp.headers["Location"] and f"#p-{last.id}" in resp.headers["Location"]


def test_thread_page_in_english(app, db, client, login):
    from forum.boards import prep as prep_service

    group, host, lead, (a, b, c) = prep_group(3)
    thread = prep_service.open_prep(group.board, host, title="集体备课：《琥珀》", lead_speaker_id=a.id)
    from flask_babel import refresh

    refresh()  # the setup above ran _() outside a request; the test's app context cached zh_CN
    login(a)
    client.post("/lang", data={"lang": "en", "next": "/"})
    html = client.get(f"/boards/threads/{thread.id}").get_data(as_text=True)
    assert "Drafting" in html and "起草中" not in html


def test_board_index_lists_readable_boards_only(app, db, client):
    from forum.org.services import create_cluster_board, get_or_create_cluster

    group, host, lead, (a, b, c) = prep_group(3)
    private = make_group("保密组", visibility="group")
    cluster = get_or_create_cluster("城东片区")
    create_cluster_board(cluster, "城东片区联合教研", visibility="public")
    db.session.commit()
    html = client.get("/boards/").get_data(as_text=True)
    assert group.board.name in html and private.board.name not in html and "城东片区联合教研" in html
    assert html.index("城东片区联合教研") < html.index(group.board.name)


def test_versions_and_cursors_too_large_for_a_row_are_422_not_500(app, db, client, login):
    group, host, lead, (a, b, c) = prep_group(3)
    thread = make_thread(group.board, a)
    login(a)
    resp = client.post(f"/boards/threads/{thread.id}/edit",
                       data={"title": "新标题", "body": "新正文", "tags": "", "version": "9" * 24})
    assert resp.status_code == 422
    assert client.get(f"/boards/{group.board.id}?before=0~2026-01-01T00:00:00~{'9' * 24}").status_code == 422
