"""Mentions (Chinese names), reply notifications, read-time visibility, unread counter, mark read."""
from sqlalchemy import select

from forum.boards import services
from forum.notifications import services as notes
from forum.notifications.models import Notification
from tests.boards.helpers import prep_group
from tests.factories import make_group, make_thread, make_user


def _kinds(user):
    return sorted(n.kind for n in Notification.query.filter_by(user_id=user.id))


def test_mention_by_chinese_display_name_notifies(app, db):
    group, host, lead, (a, b, c) = prep_group(3)  # 王丽华, 李明, 张伟
    thread = make_thread(group.board, a)
    services.reply(thread, b, "同意 @张伟老师 的看法，也请 @王丽华 补充。")
    assert _kinds(c) == ["mention"]
    assert "reply" in _kinds(a) and "mention" not in _kinds(a)  # one notice for the thread author


def test_mention_by_username_and_unknown_names(app, db):
    group, host, lead, (a, b, c) = prep_group(3)
    thread = make_thread(group.board, a)
    services.reply(thread, b, f"@{c.username} 看一下。@不存在的人 也看看。")
    assert _kinds(c) == ["mention"]


def test_mention_of_someone_who_cannot_read_is_not_notified(app, db):
    group, host, lead, (a, b, c) = prep_group(3, visibility="group")
    outsider = make_user(display_name="周晓燕")
    thread = make_thread(group.board, a)
    services.reply(thread, b, "@周晓燕 你怎么看？")
    assert _kinds(outsider) == []


def test_reply_to_my_post_notifies_me(app, db):
    group, host, lead, (a, b, c) = prep_group(3)
    thread = make_thread(group.board, a)
    mine = services.reply(thread, b, "我的观点")
    services.reply(thread, c, "回复李明", parent_id=mine.id)
    assert _kinds(b) == ["reply"] and _kinds(a) == ["reply", "reply"]


def test_notification_hidden_when_target_no_longer_readable(app, db, client, login):
    group, host, lead, (a, b, c) = prep_group(3)
    thread = make_thread(group.board, a, title="将被删除的帖子")
    post = services.reply(thread, b, "@王丽华 请看")
    login(a)
    page = client.get("/notifications/").get_data(as_text=True)
    assert "将被删除的帖子" in page
    assert notes.unread_count(a) == 1  # the reply; the mention of the thread's author is not doubled
    services.delete_post(post, host, "ethics")
    db.session.expire_all()
    page = client.get("/notifications/").get_data(as_text=True)
    assert "将被删除的帖子" not in page
    assert notes.unread_count(a) == 0


def test_notification_text_is_built_at_read_time(app, db, client, login):
    group, host, lead, (a, b, c) = prep_group(3)
    thread = make_thread(group.board, a, title="旧标题")
    services.reply(thread, b, "回复")
    services.edit_thread(thread, a, "新标题", thread.body)
    login(a)
    page = client.get("/notifications/").get_data(as_text=True)
    assert "新标题" in page and "旧标题" not in page


def test_notification_hidden_after_losing_group_access(app, db, client, login):
    from forum.org.models import Membership
    from forum.policy import forget_memberships

    group, host, lead, (a, b, c) = prep_group(3, visibility="group")
    thread = make_thread(group.board, a, title="组内秘密讨论")
    services.reply(thread, b, "@张伟 看看")
    assert notes.unread_count(c) == 1
    db.session.delete(db.session.scalar(select(Membership).filter_by(user_id=c.id, group_id=group.id)))
    db.session.commit()
    forget_memberships(c)
    assert notes.unread_count(c) == 0
    login(c)
    assert "组内秘密讨论" not in client.get("/notifications/").get_data(as_text=True)


def test_unread_badge_and_mark_read(app, db, client, login):
    group, host, lead, (a, b, c) = prep_group(3)
    thread = make_thread(group.board, a)
    services.reply(thread, b, "一")
    services.reply(thread, c, "二")
    login(a)
    home = client.get("/").get_data(as_text=True)
    assert 'class="badge"' in home and ">2<" in home
    first = Notification.query.filter_by(user_id=a.id).order_by(Notification.id).first()
    assert client.post(f"/notifications/{first.id}/read").status_code == 302
    assert notes.unread_count(a) == 1
    # someone else's notification is not found
    other = make_user()
    foreign = Notification(user_id=other.id, kind="reply", target_type="thread", target_id=thread.id)
    db.session.add(foreign)
    db.session.commit()
    assert client.post(f"/notifications/{foreign.id}/read").status_code == 404
    assert client.post("/notifications/read-all").status_code == 302
    assert notes.unread_count(a) == 0
    assert client.get("/notifications/read-all").status_code == 405


def test_notifications_page_requires_login(app, client):
    resp = client.get("/notifications/")
    assert resp.status_code in (302, 401)


def test_notification_text_escapes_titles(app, db, client, login):
    group, host, lead, (a, b, c) = prep_group(3)
    thread = make_thread(group.board, a, title="<script>alert(1)</script>标题")
    services.reply(thread, b, "回复")
    login(a)
    page = client.get("/notifications/").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page


def test_prep_notifications_for_expected_participants(app, db):
    from forum.boards import prep

    group, host, lead, (a, b, c) = prep_group(3)
    thread = prep.open_prep(group.board, host, title="备课", lead_speaker_id=a.id)
    prep.post_draft(thread, a, "初稿")
    prep.conclude(thread, host, "纪要")
    assert _kinds(c) == ["prep_concluded", "prep_expected", "prep_expected"]
    texts = [n["text"] for n in notes.visible(c, Notification.query.filter_by(user_id=c.id).all())]
    assert any("已定稿" in t for t in texts) and any("开始研讨" in t for t in texts)


def test_author_is_told_when_host_deletes_their_post_without_a_link(app, db, client, login):
    group, host, lead, (a, b, c) = prep_group(3)
    thread = make_thread(group.board, a, title="讨论帖")
    post = services.reply(thread, b, "不合适的回帖")
    services.delete_post(post, host, "ethics", "请注意措辞")
    login(b)
    html = client.get("/notifications/").get_data(as_text=True)
    assert "主持人处理了你的内容：讨论帖" in html and "违背教师职业道德" in html and "请注意措辞" in html
    assert f"/boards/posts/{post.id}" not in html
    # others' notifications about that post (the thread author's reply notice) are hidden
    assert notes.unread_count(a) == 0


def test_mentions_are_linked_in_the_post_but_not_in_code(app, db):
    group, host, lead, (a, b, c) = prep_group(3)  # 王丽华, 李明, 张伟
    thread = make_thread(group.board, a)
    post = services.reply(thread, b, "请 @张伟老师 看看，`@王丽华` 在代码里不算。")
    assert f'href="/blogs/users/{c.id}"' in post.body_html and ">@张伟</a>老师" in post.body_html
    assert f"/blogs/users/{a.id}" not in post.body_html


def test_link_mentions_escapes_and_skips_attributes(app, db):
    from forum.notifications.services import link_mentions

    user = make_user("li.ming", display_name="李明")
    html = '<p><a href="/x?@李明">@李明</a> 与 @li.ming、@李明</p>'
    out = link_mentions(html, [user])
    assert out.count('class="mention"') == 2
    assert out.startswith('<p><a href="/x?@李明">@李明</a>')
