"""What a reader may search is kept per worker while nothing is written (pagecache.remember), and a
write that changes it is in the very next search."""
from __future__ import annotations

import pytest

from forum.extensions import db
from forum.org import services as org
from forum.search import service
from tests.factories import make_thread

WORD = "葫芦丝"


@pytest.fixture
def app_config(app_config):
    app_config["DERIVED_CACHE"] = True
    return app_config


@pytest.fixture
def computed(monkeypatch):
    """How many times the readable containers were computed (not taken from the worker's memory)."""
    calls = []
    real = service._readable_containers
    monkeypatch.setattr(service, "_readable_containers", lambda user: calls.append(user) or real(user))
    return calls


def found(client, q: str, text: str) -> bool:
    resp = client.get(f"/search?q={q}")
    assert resp.status_code == 200
    return text in resp.get_data(as_text=True)


def test_a_visitor_computes_them_once_and_a_group_made_private_leaves_the_next_search(
        app, client, world, computed):
    thread = make_thread(world["public"].board, world["member"], title=f"{WORD}合奏指导", body=f"{WORD}的指法")
    link = f"/boards/threads/{thread.id}"
    assert found(client, WORD, link)
    assert found(client, f"{WORD} 指法", link)
    assert len(computed) == 1
    group = world["public"]
    group.visibility = "group"
    db.session.commit()
    assert not found(client, f"{WORD}  合奏", link)
    assert len(computed) == 2


def test_a_member_removed_from_a_group_no_longer_finds_its_threads(app, client, world, computed, login):
    private = world["private"]
    thread = make_thread(private.board, world["host"], title=f"{WORD}组内研讨", body=f"{WORD}组内")
    link = f"/boards/threads/{thread.id}"
    login(world["member"])
    assert found(client, WORD, link)
    assert found(client, WORD, link)  # signed in: never a cached page, containers remembered
    assert len(computed) == 1
    org.remove_member(private, world["member"])
    db.session.commit()
    assert not found(client, WORD, link)
    assert len(computed) == 2
    # Another reader has their own entry: the visitor's set is not the member's.
    client.post("/auth/logout")
    assert not found(client, WORD, link)
    assert len(computed) == 3


def test_with_the_cache_off_every_search_computes_them(app, app_config, world, computed, monkeypatch):
    from forum import create_app
    from tests.search.helpers import anonymous

    assert "jy_derived" not in create_app(dict(app_config, DERIVED_CACHE=False)).extensions
    monkeypatch.delitem(app.extensions, "jy_derived")
    with app.test_request_context("/search"):
        app.preprocess_request()
        for _ in range(2):
            service.readable_containers(anonymous())
    assert len(computed) == 2
