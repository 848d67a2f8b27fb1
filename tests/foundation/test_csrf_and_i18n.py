"""CSRF protection on forms, and the language switch."""
import re

import pytest

from tests.factories import PASSWORD, make_user


@pytest.fixture
def csrf_app(app_config):
    from forum import create_app

    app_config["WTF_CSRF_ENABLED"] = True
    return create_app(app_config)


def test_login_form_without_csrf_token_is_rejected(csrf_app):
    with csrf_app.app_context():
        make_user("csrfuser")
    client = csrf_app.test_client()
    resp = client.post("/auth/login", data={"username": "csrfuser", "password": PASSWORD})
    assert resp.status_code == 400
    assert "CSRF" in resp.get_data(as_text=True)


def test_login_form_with_csrf_token_works(csrf_app):
    with csrf_app.app_context():
        make_user("csrfok")
    client = csrf_app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    resp = client.post("/auth/login", data={"username": "csrfok", "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302


def test_csrf_token_does_not_expire_for_long_drafts(csrf_app):
    assert csrf_app.config["WTF_CSRF_TIME_LIMIT"] is None


def test_api_is_not_subject_to_csrf_but_needs_a_token(csrf_app):
    client = csrf_app.test_client()
    resp = client.get("/api/v1/me")
    assert resp.status_code == 401
    assert resp.get_json()["error"]["code"] == "unauthorized"


def test_interface_is_chinese_by_default(client):
    page = client.get("/").get_data(as_text=True)
    assert 'lang="zh-CN"' in page and "首页" in page


def test_language_switch_to_english_is_remembered_per_user(client, login, db):
    from forum.auth.models import User

    user = make_user()
    login(user)
    resp = client.post("/lang", data={"lang": "en", "next": "/"})
    assert resp.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert 'lang="en"' in page and "Home" in page
    assert db.session.get(User, user.id).locale == "en"


def test_language_switch_rejects_unknown_language(client):
    assert client.post("/lang", data={"lang": "xx"}).status_code == 422


def test_every_chinese_message_has_an_english_translation():
    """The English catalogues are complete: no msgid without a msgstr."""
    from babel.messages.pofile import read_po

    from forum.core.i18n import translation_directories

    missing = []
    for directory in translation_directories().split(";"):
        from pathlib import Path

        po = Path(directory) / "en" / "LC_MESSAGES" / "messages.po"
        if not po.exists():
            continue
        with po.open("rb") as fh:
            catalog = read_po(fh)
        for message in catalog:
            if message.id and not message.string and not message.fuzzy:
                missing.append((po.parent.parent.parent.parent.name, message.id))
            if message.id and isinstance(message.string, tuple) and not all(message.string):
                missing.append((po.parent.parent.parent.parent.name, message.id))
    assert not missing, f"{len(missing)} untranslated, e.g. {missing[:5]}"


def test_compiled_catalogues_are_up_to_date():
    """Every .mo matches its .po (run `make i18n` after editing translations)."""
    from pathlib import Path

    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    from forum.core.i18n import translation_directories

    for directory in translation_directories().split(";"):
        po = Path(directory) / "en" / "LC_MESSAGES" / "messages.po"
        mo = po.with_suffix(".mo")
        if not po.exists():
            continue
        assert mo.exists(), f"{mo} missing"
        with po.open("rb") as fh:
            source = {m.id: m.string for m in read_po(fh) if m.id and m.string and not m.fuzzy}
        with mo.open("rb") as fh:
            compiled = {m.id: m.string for m in read_mo(fh) if m.id}
        assert source == compiled, f"{mo} is stale"


def test_chinese_page_offers_english_switch(client):
    page = client.get("/").get_data(as_text=True)
    assert 'value="en"' in page and ">English<" in page
