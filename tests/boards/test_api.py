"""Board API: creation (201 + id + url), tree with parent_id, conclude, delete, and errors."""
import pytest
from sqlalchemy import select

from forum.boards import prep, services
from forum.boards.models import Post, Thread
from tests.boards.helpers import prep_group
from tests.factories import make_group, make_thread, make_user


def _auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_create_thread_and_reply_tree(app, db, client, api_token):
    group, host, lead, (a, b, c) = prep_group(3)
    tok = api_token(a)
    resp = client.post(f"/api/v1/boards/{group.board.id}/threads", headers=_auth(tok),
                       json={"title": "作业设计怎么减负？", "body": "请大家谈谈。", "kind": "question", "tags": ["作业", "双减"]})
    assert resp.status_code == 201
    data = resp.get_json()
    assert data["id"] and data["url"] == f"/boards/threads/{data['id']}" and data["tags"] == ["作业", "双减"]
    tid = data["id"]
    r1 = client.post(f"/api/v1/threads/{tid}/posts", headers=_auth(api_token(b)), json={"body": "分层作业。"})
    assert r1.status_code == 201 and r1.get_json()["url"]
    p1 = r1.get_json()["id"]
    r2 = client.post(f"/api/v1/threads/{tid}/posts", headers=_auth(tok), json={"body": "赞同", "parent_id": p1})
    assert r2.status_code == 201 and r2.get_json()["parent_id"] == p1
    got = client.get(f"/api/v1/threads/{tid}").get_json()
    assert [(p["id"], p["parent_id"]) for p in got["posts"]] == [(p1, None), (r2.get_json()["id"], p1)]
    listing = client.get(f"/api/v1/boards/{group.board.id}/threads").get_json()
    assert [t["id"] for t in listing["threads"]] == [tid]


def test_api_prep_conclude_returns_entry_and_second_call_is_409(app, db, client, api_token):
    group, host, lead, members = prep_group(3)
    resp = client.post(f"/api/v1/boards/{group.board.id}/threads", headers=_auth(api_token(host)),
                       json={"title": "集体备课：分数的意义", "kind": "prep", "lead_speaker_id": lead.id,
                             "lesson": "五年级下册《分数的意义》", "deadline_at": "2030-01-01T18:00"})
    assert resp.status_code == 201, resp.get_json()
    tid = resp.get_json()["id"]
    assert resp.get_json()["prep"]["state"] == "drafting"
    lead_tok = api_token(lead)
    early = client.post(f"/api/v1/threads/{tid}/conclude", headers=_auth(lead_tok), json={"summary": "太早"})
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "invalid_state"
    assert client.post(f"/api/v1/threads/{tid}/draft", headers=_auth(lead_tok), json={"body": "初稿"}).status_code == 200
    missing = client.post(f"/api/v1/threads/{tid}/conclude", headers=_auth(lead_tok), json={})
    assert missing.status_code == 422 and missing.get_json()["error"]["field"] == "summary"
    ok = client.post(f"/api/v1/threads/{tid}/conclude", headers=_auth(lead_tok), json={"summary": "定稿内容"})
    assert ok.status_code == 201
    entry = ok.get_json()
    assert entry["category"] == "prep_summary" and entry["prep_thread_id"] == tid and entry["id"]
    again = client.post(f"/api/v1/threads/{tid}/conclude", headers=_auth(lead_tok), json={"summary": "定稿内容"})
    assert again.status_code == 409


def test_locked_thread_rejects_reply(app, db, client, api_token, login):
    group, host, lead, (a, b, c) = prep_group(3)
    thread = make_thread(group.board, a)
    services.toggle(thread, host, "locked")
    resp = client.post(f"/api/v1/threads/{thread.id}/posts", headers=_auth(api_token(b)), json={"body": "还能回吗"})
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "locked"
    login(b)
    page = client.post(f"/boards/threads/{thread.id}/reply", data={"body": "还能回吗"})
    assert page.status_code == 409 and "该帖已锁定，不能回复" in page.get_data(as_text=True)
    assert "该帖已锁定，不能回复" in client.get(f"/boards/threads/{thread.id}").get_data(as_text=True)
    assert db.session.scalar(select(Post)) is None


def test_api_errors(app, db, client, api_token):
    group, host, lead, (a, b, c) = prep_group(3)
    private = make_group(visibility="group", members=[b])
    outsider = make_user()
    thread = make_thread(group.board, a)
    secret = make_thread(private.board, b, title="组内讨论")
    tok_a, tok_out = api_token(a), api_token(outsider)
    url = f"/api/v1/boards/{group.board.id}/threads"
    # 401 without a token on writes
    assert client.post(url, json={"title": "x", "body": "y"}).status_code == 401
    # 403: readable board, not a member
    r = client.post(url, headers=_auth(tok_out), json={"title": "x", "body": "y"})
    assert r.status_code == 403
    # 404: unreadable or missing
    assert client.get(f"/api/v1/threads/{secret.id}", headers=_auth(tok_a)).status_code == 404
    assert client.get("/api/v1/threads/999999").status_code == 404
    assert client.post(f"/api/v1/boards/{private.board.id}/threads", headers=_auth(tok_a),
                       json={"title": "x", "body": "y"}).status_code == 404
    # 422 naming the field
    for body, field in [({"body": "没有标题"}, "title"), ({"title": "没有正文"}, "body"),
                        ({"title": "t", "body": "b", "kind": "chat"}, "kind"),
                        ({"title": "t" * 201, "body": "b"}, "title")]:
        r = client.post(url, headers=_auth(tok_a), json=body)
        assert r.status_code == 422 and r.get_json()["error"]["field"] == field, (body, r.get_json())
    r = client.post(f"/api/v1/threads/{thread.id}/posts", headers=_auth(tok_a), json={"body": "x", "parent_id": "1"})
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "parent_id"
    r = client.post(f"/api/v1/threads/{thread.id}/posts", headers=_auth(tok_a), json={"body": "x", "parent_id": 424242})
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "parent_id"
    # 415 / 400
    assert client.post(url, headers=_auth(tok_a), data="title=x").status_code == 415
    assert client.post(url, headers={**_auth(tok_a), "Content-Type": "application/json"}, data="{").status_code == 400
    # conclude on a discussion thread
    r = client.post(f"/api/v1/threads/{thread.id}/conclude", headers=_auth(tok_a), json={"summary": "x"})
    assert r.status_code == 409


def test_api_delete_thread_and_post(app, db, client, api_token):
    group, host, lead, (a, b, c) = prep_group(3)
    thread = make_thread(group.board, a)
    post = services.reply(thread, b, "要被删除的回帖")
    own = services.reply(thread, c, "我自己删")
    # someone else's post: a teacher may not delete it
    assert client.delete(f"/api/v1/posts/{post.id}", headers=_auth(api_token(c)), json={"reason": "spam"}).status_code == 403
    # the host must give a reason
    host_tok = api_token(host)
    r = client.delete(f"/api/v1/posts/{post.id}", headers=_auth(host_tok), json={})
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "reason"
    assert client.delete(f"/api/v1/posts/{post.id}", headers=_auth(host_tok), json={"reason": "ethics"}).status_code == 204
    assert client.delete(f"/api/v1/posts/{own.id}", headers=_auth(api_token(c))).status_code == 204
    # deleted posts keep their place in the tree but show nothing to readers
    posts = client.get(f"/api/v1/threads/{thread.id}", headers=_auth(api_token(a))).get_json()["posts"]
    assert [p["body"] for p in posts] == ["", ""]
    assert client.delete(f"/api/v1/threads/{thread.id}", headers=_auth(host_tok),
                         json={"reason": "违背教师职业道德"}).status_code == 204
    assert client.get(f"/api/v1/threads/{thread.id}", headers=_auth(api_token(a))).status_code == 404
    db.session.expire_all()
    t = db.session.get(Thread, thread.id)
    assert t.is_deleted and t.deleted_reason == "other" and "职业道德" in t.deleted_note
