"""Register, log in, log out, sessions, redirects."""
import pytest

from tests.factories import PASSWORD, make_school, make_user


def test_login_with_right_password_signs_in(client, app):
    user = make_user("wanglihua", display_name="王丽华")
    resp = client.post("/auth/login", data={"username": "wanglihua", "password": PASSWORD})
    assert resp.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "王丽华" in page


def test_login_failure_does_not_reveal_whether_user_exists(client, app):
    make_user("zhangwei")
    wrong_pw = client.post("/auth/login", data={"username": "zhangwei", "password": "not-the-password"})
    no_user = client.post("/auth/login", data={"username": "nobody-here", "password": "not-the-password"})
    assert wrong_pw.status_code == no_user.status_code == 200
    msg = "用户名或密码不正确"
    assert msg in wrong_pw.get_data(as_text=True) and msg in no_user.get_data(as_text=True)


def test_register_creates_teacher_and_personal_blog(client, app, db):
    from forum.auth.models import User
    from forum.blogs.models import Blog

    school = make_school("城关第一小学")
    resp = client.post("/auth/register", data={"username": "LiMing", "display_name": "李明",
                                               "school_id": school.id, "password": "a-long-unusual-pass"})
    assert resp.status_code == 302
    user = db.session.scalar(db.select(User).where(User.username == "liming"))
    assert user.role == "teacher" and user.school_id == school.id
    assert db.session.scalar(db.select(Blog).where(Blog.owner_id == user.id)) is not None


@pytest.mark.parametrize("password,problem", [
    ("short1", "至少需要 8 个字符"),
    ("12345678", "太常见"),
    ("password123", "太常见"),
    ("woaini1314", "太常见"),
])
def test_register_refuses_weak_passwords(client, app, password, problem):
    resp = client.post("/auth/register", data={"username": "newteacher", "display_name": "新老师",
                                               "password": password})
    assert resp.status_code == 200
    assert problem in resp.get_data(as_text=True)


def test_register_accepts_very_long_passphrase(client, app):
    resp = client.post("/auth/register", data={"username": "longpass", "display_name": "长密码",
                                               "password": "春眠不觉晓处处闻啼鸟" * 8})
    assert resp.status_code == 302


def test_register_taken_username_gives_generic_message(client, app):
    make_user("taken")
    resp = client.post("/auth/register", data={"username": "TAKEN", "display_name": "某",
                                               "password": "a-long-unusual-pass"})
    assert resp.status_code == 200
    assert "该用户名不可用" in resp.get_data(as_text=True)


@pytest.mark.parametrize("username", [
    "wang\u200bli",   # zero-width space
    "wang\u202eli",   # right-to-left override
    "wang\u2066li",   # isolate
    "wang\ufeffli",   # BOM
    "wang li",        # space
])
def test_register_refuses_invisible_and_bidi_characters(client, app, username):
    resp = client.post("/auth/register", data={"username": username, "display_name": "某",
                                               "password": "a-long-unusual-pass"})
    assert resp.status_code == 200
    assert "Location" not in resp.headers


def test_fullwidth_username_is_nfkc_normalised_before_uniqueness(client, app):
    make_user("admin2")
    resp = client.post("/auth/register", data={"username": "ａｄｍｉｎ２", "display_name": "冒充",
                                               "password": "a-long-unusual-pass"})
    assert resp.status_code == 200
    assert "该用户名不可用" in resp.get_data(as_text=True)


def test_registration_can_be_switched_off(app_config, tmp_path):
    from forum import create_app

    app_config["ALLOW_REGISTRATION"] = False
    application = create_app(app_config)
    resp = application.test_client().get("/auth/register")
    assert resp.status_code == 403


def test_logout_ends_the_session(client, app, login):
    user = make_user()
    login(user)
    assert client.get("/auth/profile").status_code == 200
    client.post("/auth/logout")
    assert client.get("/auth/profile").status_code == 302


def test_logout_ends_other_sessions_too(app, login, client):
    user = make_user()
    other = app.test_client()
    other.post("/auth/login", data={"username": user.username, "password": PASSWORD})
    assert other.get("/auth/profile").status_code == 200
    login(user)
    client.post("/auth/logout")
    assert other.get("/auth/profile").status_code == 302


def test_password_change_ends_other_sessions_but_keeps_this_one(app, client, login, db):
    user = make_user()
    other = app.test_client()
    other.post("/auth/login", data={"username": user.username, "password": PASSWORD})
    login(user)
    resp = client.post("/auth/password", data={"current_password": PASSWORD, "new_password": "another-long-secret"})
    assert resp.status_code == 302
    assert client.get("/auth/profile").status_code == 200
    assert other.get("/auth/profile").status_code == 302


def test_password_change_requires_current_password(client, login):
    user = make_user()
    login(user)
    resp = client.post("/auth/password", data={"current_password": "wrong-wrong", "new_password": "another-long-secret"})
    assert resp.status_code == 200
    assert "当前密码不正确" in resp.get_data(as_text=True)


def test_remember_me_sets_a_14_day_cookie(client, login):
    user = make_user()
    resp = login(user, remember=True)
    cookies = resp.headers.getlist("Set-Cookie")
    remember = [c for c in cookies if c.startswith("remember_token=")]
    assert remember and "HttpOnly" in remember[0]


def test_replayed_cookie_after_logout_is_refused(app, client, login):
    user = make_user()
    login(user)
    saved = client.get_cookie("session").value
    client.post("/auth/logout")
    replay = app.test_client()
    replay.set_cookie("session", saved)
    assert replay.get("/auth/profile").status_code == 302


@pytest.mark.parametrize("target", [
    "//evil.com", "////evil.com", "/\\evil.com", "https://evil.com", "http:evil.com",
    "\\\\evil.com", "/%09/evil.com", "javascript:alert(1)", " //evil.com",
])
def test_next_never_leaves_the_site(client, target):
    make_user("redirectme")
    resp = client.post(f"/auth/login?next={target}", data={"username": "redirectme", "password": PASSWORD})
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert location.startswith("/") and not location.startswith("//") and not location.startswith("/\\")
    assert "evil.com" not in location.split("?")[0] or location.startswith("/%09")


def test_next_keeps_local_paths(client):
    make_user("localnext")
    resp = client.post("/auth/login?next=/groups", data={"username": "localnext", "password": PASSWORD})
    assert resp.headers["Location"] == "/groups"


def test_session_cookie_flags(client, login):
    user = make_user()
    resp = login(user)
    session_cookie = [c for c in resp.headers.getlist("Set-Cookie") if c.startswith("session=")][0]
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie


def test_default_password_hash_is_scrypt_2_17_or_stronger():
    from forum.config import defaults

    method = defaults()["PASSWORD_HASH_METHOD"]
    algo, n, *_rest = method.split(":")
    assert algo == "scrypt" and int(n) >= 2 ** 17
