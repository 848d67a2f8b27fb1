"""The moderation API: flags, resolution, audit rows, suspension, purge, errors."""
from __future__ import annotations

from forum.blogs import services as blogs
from forum.extensions import db
from tests.factories import make_entry, make_group, make_school, make_user


def _auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_flag_resolve_audit_suspend_over_the_api(app, client, api_token):
    school = make_school()
    author, reader, host = (make_user(school=school) for _ in range(3))
    admin = make_user(role="admin")
    group = make_group(school=school, members=[author, reader], hosts=[host])
    comment = blogs.add_comment(make_entry(group.blog, author), author, "一条可疑的评论")
    reader_t, host_t, admin_t = api_token(reader), api_token(host), api_token(admin)

    resp = client.post(f"/api/v1/moderation/comment/{comment.id}/flag", json={"reason": "nope"},
                       headers=_auth(reader_t))
    assert resp.status_code == 422 and resp.get_json()["error"]["field"] == "reason"
    resp = client.post(f"/api/v1/moderation/comment/{comment.id}/flag", json={"reason": "spam"},
                       headers=_auth(reader_t))
    assert resp.status_code == 201
    flag_id = resp.get_json()["id"]
    assert client.get("/api/v1/moderation/flags", headers=_auth(reader_t)).status_code == 403
    flags = client.get(f"/api/v1/moderation/flags?group={group.id}", headers=_auth(host_t)).get_json()["flags"]
    assert [f["id"] for f in flags] == [flag_id]
    assert client.get("/api/v1/moderation/flags?group=abc", headers=_auth(host_t)).status_code == 422
    assert client.get(f"/api/v1/moderation/flags?group={2**40}", headers=_auth(host_t)).status_code == 404

    resp = client.post(f"/api/v1/moderation/flags/{flag_id}/resolve", json={"outcome": "delete", "reason": "spam"},
                       headers=_auth(host_t))
    assert resp.status_code == 200 and resp.get_json()["status"] == "deleted"
    assert client.post(f"/api/v1/moderation/flags/{flag_id}/resolve", json={"outcome": "dismiss"},
                       headers=_auth(host_t)).status_code == 409
    entries = client.get("/api/v1/moderation/audit", headers=_auth(host_t)).get_json()["entries"]
    assert {e["action"] for e in entries} == {"delete", "flag_deleted"}

    assert client.post(f"/api/v1/moderation/users/{reader.id}/suspend", json={"reason": "x"},
                       headers=_auth(host_t)).status_code == 403
    resp = client.post(f"/api/v1/moderation/users/{reader.id}/suspend", json={"days": 0, "reason": "x"},
                       headers=_auth(admin_t))
    assert resp.status_code == 422
    resp = client.post(f"/api/v1/moderation/users/{reader.id}/suspend", json={"days": 7, "reason": "刷屏"},
                       headers=_auth(admin_t))
    assert resp.status_code == 200 and resp.get_json()["until"]
    assert client.get("/api/v1/me", headers=_auth(reader_t)).status_code == 401
    assert client.post(f"/api/v1/moderation/users/{reader.id}/unsuspend", headers=_auth(admin_t)).status_code == 200
    assert client.get("/api/v1/me", headers=_auth(reader_t)).status_code == 200

    assert client.delete(f"/api/v1/moderation/comment/{comment.id}", headers=_auth(host_t)).status_code == 403
    assert client.delete(f"/api/v1/moderation/comment/{comment.id}", headers=_auth(admin_t)).status_code == 204
    assert client.delete(f"/api/v1/moderation/comment/{comment.id}", headers=_auth(admin_t)).status_code == 404
    assert client.post("/api/v1/moderation/widget/1/delete", json={}, headers=_auth(admin_t)).status_code == 404
    db.session.expire_all()
    log = client.get("/api/v1/moderation/audit", headers=_auth(admin_t)).get_json()["entries"]
    actions = [e["action"] for e in log]
    assert actions[:3] == ["purge", "unsuspend", "suspend"]


def test_nav_badge_counts_open_flags_for_moderators_only(app, client, login):
    school = make_school()
    author, reader, host = (make_user(school=school) for _ in range(3))
    group = make_group(school=school, members=[author, reader], hosts=[host])
    entry = make_entry(group.blog, author)
    from forum.moderation.flags import flag_content

    flag_content(reader, entry, "offtopic")
    login(host)
    assert 'href="/moderation/queue">举报 <span class="badge">1</span>' in client.get("/").get_data(as_text=True)
    login(reader)
    assert "/moderation/queue" not in client.get("/").get_data(as_text=True)
