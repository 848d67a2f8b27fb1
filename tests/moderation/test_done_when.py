"""The issue's acceptance story, end to end through the browser routes and the API."""
from __future__ import annotations

from forum.blogs import services as blogs
from forum.core.db import utcnow
from forum.core.timezones import local
from tests.factories import make_entry, make_group, make_school, make_user

WORDS = "这条评论里夹带了与教学无关的推销内容"


def _comments(client, token, user_id) -> int:
    month = local(utcnow()).strftime("%Y-%m")
    rows = client.get(f"/api/v1/tallies?month={month}&by=teacher",
                      headers={"Authorization": f"Bearer {token}"}).get_json()["rows"]
    return next((r["comments"] for r in rows if r["id"] == user_id), 0)


def _found(client, text, comment_id) -> bool:
    results = client.get("/api/v1/search", query_string={"q": text, "type": "comment"}).get_json()["results"]
    return any(r["type"] == "comment" and r["id"] == comment_id for r in results)


def test_host_deletes_comment_author_told_leader_sees_log_restore_brings_it_back(app, client, login, api_token):
    school, other = make_school("实验小学"), make_school("育才小学")
    author, host = make_user(school=school, display_name="王丽华"), make_user(school=school, display_name="赵主任")
    leader = make_user(role="leader", school=school, scope_school=school, display_name="孙校长")
    group = make_group("语文组", school=school, members=[author], hosts=[host])
    group_b = make_group("英语组", school=other, members=[author])
    entry = make_entry(group.blog, author, title="《秋天的雨》教学反思")
    comment = blogs.add_comment(entry, author, WORDS)
    elsewhere = blogs.add_comment(make_entry(group_b.blog, author, title="英语组的日志"), author, "英语组的评论")
    leader_token = api_token(leader)
    before = _comments(client, leader_token, author.id)
    assert _found(client, "推销内容", comment.id)

    # A host in a browser deletes the comment with 违背教师职业道德.
    login(host)
    resp = client.post(f"/moderation/comment/{comment.id}/delete",
                       data={"reason": "ethics", "note": "请遵守师德规范", "next": f"/blogs/entries/{entry.id}"})
    assert resp.status_code == 302
    # The same host gets 403 in another group.
    assert client.post(f"/moderation/comment/{elsewhere.id}/delete", data={"reason": "ethics"}).status_code == 403
    assert client.post(f"/blogs/comments/{elsewhere.id}/delete", data={"reason": "ethics"}).status_code == 403

    # Gone for everyone else: page, search, tallies.
    login(author)
    page = client.get(f"/blogs/entries/{entry.id}").get_data(as_text=True)
    assert WORDS not in page
    # The author sees the notification with the reason.
    notes = client.get("/notifications/").get_data(as_text=True)
    assert "主持人处理了你的内容" in notes and "请遵守师德规范" in notes
    assert not _found(client, "推销内容", comment.id)
    assert _comments(client, leader_token, author.id) == before - 1

    # A leader sees it in the audit log.
    login(leader)
    log = client.get("/moderation/audit").get_data(as_text=True)
    assert "违背教师职业道德" in log and "赵主任" in log

    # Restore brings the comment back in page, search and tallies.
    login(host)
    assert client.post(f"/moderation/comment/{comment.id}/restore").status_code == 302
    client.post("/auth/logout")
    assert WORDS in client.get(f"/blogs/entries/{entry.id}").get_data(as_text=True)
    assert _found(client, "推销内容", comment.id)
    assert _comments(client, leader_token, author.id) == before


def test_entry_delete_and_restore_follow_the_feed(app, client, login):
    school = make_school()
    author, host = make_user(school=school), make_user(school=school)
    group = make_group(school=school, members=[author], hosts=[host])
    entry = make_entry(group.blog, author, title="《画杨桃》教学设计")
    feed = f"/blogs/{group.blog.id}/feed.atom"
    assert "画杨桃" in client.get(feed).get_data(as_text=True)
    login(host)
    client.post(f"/moderation/entry/{entry.id}/delete", data={"reason": "duplicate"})
    client.post("/auth/logout")
    assert "画杨桃" not in client.get(feed).get_data(as_text=True)
    assert client.get(f"/blogs/entries/{entry.id}").status_code == 404
    login(host)
    assert "画杨桃" in client.get(f"/blogs/entries/{entry.id}").get_data(as_text=True)  # moderators still open it
    client.post(f"/moderation/entry/{entry.id}/restore")
    client.post("/auth/logout")
    assert "画杨桃" in client.get(feed).get_data(as_text=True)
