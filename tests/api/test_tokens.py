"""API foundation: tokens, /me, /groups, JSON errors."""
from datetime import timedelta

import pytest

from tests.factories import PASSWORD, make_group, make_school, make_user


def test_token_then_me_for_a_user_made_with_the_cli(app, runner, client):
    result = runner.invoke(args=["users", "create", "zhaomin", "--password", "a-long-unusual-pass",
                                 "--role", "teacher", "--school", "实验小学", "--display-name", "赵敏"])
    assert result.exit_code == 0, result.output
    resp = client.post("/api/v1/tokens", json={"username": "zhaomin", "password": "a-long-unusual-pass"})
    assert resp.status_code == 201
    token = resp.get_json()["token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    body = me.get_json()
    assert body["username"] == "zhaomin" and body["display_name"] == "赵敏" and body["school"] == "实验小学"


def test_token_is_stored_hashed(app, db, api_token):
    from forum.auth.models import ApiToken

    user = make_user()
    raw = api_token(user)
    stored = db.session.scalar(db.select(ApiToken))
    assert raw not in (stored.token_hash, stored.prefix) and stored.token_hash == ApiToken.digest(raw)


def test_wrong_password_gets_401_json(client):
    make_user("apiuser")
    resp = client.post("/api/v1/tokens", json={"username": "apiuser", "password": "wrong-password"})
    assert resp.status_code == 401
    assert resp.get_json()["error"]["code"] == "invalid_credentials"


@pytest.mark.parametrize("body,status,field", [
    ({"username": "x"}, 422, "password"),
    ({"password": "x"}, 422, "username"),
    ({"username": 5, "password": "x"}, 422, "username"),
    ([1, 2], 422, None),
])
def test_token_request_validation(client, body, status, field):
    resp = client.post("/api/v1/tokens", json=body)
    assert resp.status_code == status
    error = resp.get_json()["error"]
    assert error["message"]
    if field:
        assert error["field"] == field


def test_token_request_must_be_json(client):
    resp = client.post("/api/v1/tokens", data="username=a&password=b",
                       content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 415
    resp = client.post("/api/v1/tokens", data="{not json", content_type="application/json")
    assert resp.status_code == 400


def test_expired_token_is_refused(app, db, client, api_token):
    from forum.auth.models import ApiToken
    from forum.core.db import utcnow

    user = make_user()
    raw = api_token(user)
    token = db.session.scalar(db.select(ApiToken))
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    resp = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "invalid_token"


def test_revoked_token_is_refused(app, client, api_token, db):
    from forum.auth.models import ApiToken

    user = make_user()
    raw = api_token(user)
    token_id = db.session.scalar(db.select(ApiToken.id))
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_tokens_are_listed_and_revocable_from_the_profile(app, client, login, api_token, db):
    from forum.auth.models import ApiToken

    user = make_user()
    raw = api_token(user, PASSWORD)
    login(user)
    page = client.get("/auth/profile").get_data(as_text=True)
    assert raw[:10] in page
    token_id = db.session.scalar(db.select(ApiToken.id))
    assert client.post(f"/auth/tokens/{token_id}/revoke").status_code == 302
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_cannot_revoke_someone_elses_token(app, client, login, api_token, db):
    from forum.auth.models import ApiToken

    owner, other = make_user(), make_user()
    api_token(owner)
    token_id = db.session.scalar(db.select(ApiToken.id))
    login(other)
    assert client.post(f"/auth/tokens/{token_id}/revoke").status_code == 404


@pytest.mark.parametrize("header", ["Bearer", "Basic abc", "Bearer not-a-token", "bearer " + "x" * 300])
def test_malformed_authorization_is_401_json(client, header):
    resp = client.get("/api/v1/me", headers={"Authorization": header})
    assert resp.status_code == 401
    assert resp.is_json


def test_unknown_api_path_and_method_answer_json(client):
    resp = client.get("/api/v1/nothing-here")
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"
    resp = client.put("/api/v1/me")
    assert resp.status_code == 405 and resp.is_json


def test_groups_lists_only_visible_groups_with_blog_and_board(app, client, api_token):
    school_a, school_b = make_school("甲小学"), make_school("乙小学")
    teacher = make_user(school=school_a)
    public = make_group("语文组", school=school_b, visibility="public")
    same_school = make_group("数学组", school=school_a, visibility="school")
    other_school = make_group("英语组", school=school_b, visibility="school")
    own = make_group("一年组", school=school_a, visibility="group", members=[teacher])
    private = make_group("科学组", school=school_a, visibility="group")

    anon = client.get("/api/v1/groups").get_json()["groups"]
    assert {g["id"] for g in anon} == {public.id}

    token = api_token(teacher)
    seen = client.get("/api/v1/groups", headers={"Authorization": f"Bearer {token}"}).get_json()["groups"]
    assert {g["id"] for g in seen} == {public.id, same_school.id, own.id}
    assert other_school.id not in {g["id"] for g in seen} and private.id not in {g["id"] for g in seen}
    first = next(g for g in seen if g["id"] == public.id)
    assert first["blog_id"] == public.blog.id and first["board_id"] == public.board.id
    assert first["school"] == "乙小学" and first["visibility"] == "public"


def test_suspended_users_token_stops_working_at_once(app, client, api_token, db):
    user = make_user()
    raw = api_token(user)
    user.is_suspended_indefinitely = True
    db.session.commit()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_login_is_rate_limited(app_config):
    from forum import create_app

    app_config.update(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    application = create_app(app_config)
    client = application.test_client()
    codes = [client.post("/auth/login", data={"username": "x", "password": "y"}).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[-1] == 429
    resp = client.post("/api/v1/tokens", json={"username": "x", "password": "y"})
    codes = [client.post("/api/v1/tokens", json={"username": "x", "password": "y"}).status_code for _ in range(4)]
    assert codes[-1] == 429
    last = client.post("/api/v1/tokens", json={"username": "x", "password": "y"})
    assert last.get_json()["error"]["code"] == "rate_limited" and last.headers.get("Retry-After")
