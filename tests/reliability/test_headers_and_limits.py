"""Security headers on every answer; named rate limits per user or trusted client address, shared via Redis."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.factories import make_group, make_thread, make_user

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", ["/", "/search?q=秋天", "/auth/login", "/api/v1/groups", "/no-such-page",
                                  "/api/v1/threads/999"])
def test_security_headers_on_pages_api_and_errors(client, app, path):
    resp = client.get(path)
    csp = resp.headers["Content-Security-Policy"]
    directives = {d.strip().split(" ")[0]: d.strip() for d in csp.split(";")}
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    for needed in ("default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
                   "form-action 'self'"):
        assert directives[needed.split(" ")[0]] == needed
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] in ("strict-origin-when-cross-origin", "same-origin", "no-referrer")
    assert "Strict-Transport-Security" not in resp.headers  # not outside production


def test_hsts_only_in_production(app_config):
    from forum import create_app

    app_config.update(PRODUCTION=True, SECRET_KEY="a-real-secret")
    resp = create_app(app_config).test_client().get("/auth/login")
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")


def test_pages_carry_no_inline_script(client, app):
    import re

    html = client.get("/auth/login").get_data(as_text=True)
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or "nonce=" in tag, tag
    assert not re.search(r"\son[a-z]+=\"", html), "inline event handlers need 'unsafe-inline'"


# -- rate limits -------------------------------------------------------------------------------------

@pytest.fixture
def limited(app_config):
    """An app with limits on (memory storage) and tiny named limits."""
    from forum import create_app

    app_config.update(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", RATELIMIT_POSTING="3 per minute",
                      RATELIMIT_SEARCH="3 per minute", RATELIMIT_REGISTRATION="2 per hour",
                      RATELIMIT_TOKENS="2 per hour", LOGIN_RATE_LIMIT="100 per minute")
    from forum.extensions import limiter

    application = create_app(app_config)
    ctx = application.app_context()
    ctx.push()
    limiter.reset()
    yield application
    ctx.pop()


def test_search_limit_counts_per_address_and_answers_json_429_with_retry_after(limited):
    client = limited.test_client()
    codes = [client.get("/api/v1/search?q=秋天").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    resp = client.get("/api/v1/search?q=秋天")
    assert resp.get_json()["error"]["code"] == "rate_limited"
    assert int(resp.headers["Retry-After"]) > 0
    pages = [client.get("/search?q=秋天", headers={"Accept": "text/html"}) for _ in range(4)]
    page = pages[-1]  # the page has its own count (each limit is scoped to its view)
    assert [p.status_code for p in pages[:3]] == [200, 200, 200]
    assert page.status_code == 429 and "Retry-After" in page.headers and page.mimetype == "text/html"
    # another client address has its own count
    other = limited.test_client().get("/api/v1/search?q=秋天", environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert other.status_code == 200


def test_posting_limit_counts_per_user_not_per_address(limited):
    from forum.extensions import db
    from tests.factories import PASSWORD

    teacher, colleague = make_user("limit_a"), make_user("limit_b")
    group = make_group(members=[teacher, colleague])
    thread_id = make_thread(group.board, teacher).id
    names = {"teacher": teacher.username, "colleague": colleague.username}
    db.session.commit()
    client = limited.test_client()
    tokens = {}
    for i, (who, username) in enumerate(names.items()):
        resp = client.post("/api/v1/tokens", json={"username": username, "password": PASSWORD},
                           environ_base={"REMOTE_ADDR": f"10.0.0.{i + 1}"})
        assert resp.status_code == 201, resp.get_json()
        tokens[who] = resp.get_json()["token"]

    def reply(who):
        return client.post(f"/api/v1/threads/{thread_id}/posts", json={"body": "同意"},
                           headers={"Authorization": f"Bearer {tokens[who]}"}).status_code

    assert [reply("teacher") for _ in range(4)] == [201, 201, 201, 429]
    assert reply("colleague") == 201  # same address (the test client), a different user


def test_registration_and_token_limits(limited):
    client = limited.test_client()
    codes = [client.post("/auth/register", data={"username": f"newbie{i}", "display_name": "新人",
                                                 "password": "a-long-unusual-pass"}).status_code
             for i in range(3)]
    assert codes[-1] == 429 and 429 not in codes[:2]
    tokens = [client.post("/api/v1/tokens", json={"username": "nobody", "password": "x"}).status_code
              for _ in range(3)]
    assert tokens == [401, 401, 429]


def test_forged_x_forwarded_for_does_not_escape_the_limit(app_config):
    """Behind one trusted proxy, only the address the proxy appended counts."""
    from forum import create_app
    from forum.extensions import limiter

    app_config.update(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", RATELIMIT_SEARCH="3 per minute",
                      TRUSTED_PROXY_HOPS=1)
    app = create_app(app_config)
    with app.app_context():
        limiter.reset()
    client = app.test_client()
    codes = []
    for i in range(5):
        # The client forges a fresh address each time; the proxy (10.0.0.1) appends the real one.
        codes.append(client.get("/api/v1/search?q=秋天", environ_base={"REMOTE_ADDR": "10.0.0.1"},
                                headers={"X-Forwarded-For": f"198.51.100.{i}, 203.0.113.7"}).status_code)
    assert codes == [200, 200, 200, 429, 429]
    # A different real client behind the same proxy is counted separately.
    other = client.get("/api/v1/search?q=秋天", environ_base={"REMOTE_ADDR": "10.0.0.1"},
                       headers={"X-Forwarded-For": "203.0.113.8"})
    assert other.status_code == 200


def test_without_trusted_hops_x_forwarded_for_is_ignored(limited):
    client = limited.test_client()
    codes = [client.get("/api/v1/search?q=秋天", headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code
             for i in range(4)]
    assert codes == [200, 200, 200, 429]


def test_posting_keeps_working_when_redis_is_down(app_config):
    """Storage errors are swallowed and counted in memory: a write never fails because Redis did."""
    from forum import create_app
    from forum.extensions import limiter
    from tests.factories import PASSWORD

    app_config.update(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0",  # nothing listens
                      RATELIMIT_POSTING="100 per minute")
    app = create_app(app_config)
    with app.app_context():
        user = make_user("redis_down")
        group = make_group(members=[user])
        thread = make_thread(group.board, user)
        client = app.test_client()
        token = client.post("/api/v1/tokens", json={"username": user.username, "password": PASSWORD}).get_json()
        resp = client.post(f"/api/v1/threads/{thread.id}/posts", json={"body": "Redis 不在也能发帖"},
                           headers={"Authorization": f"Bearer {token['token']}"})
        assert resp.status_code == 201


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


SERVER = r"""
import sys, logging
from werkzeug.serving import make_server
from forum import create_app
from tests.conftest import make_config
from pathlib import Path
logging.getLogger("werkzeug").setLevel(logging.ERROR)
tmp, db_url, redis_url, prefix = sys.argv[1:5]
config = make_config(Path(tmp), db_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=redis_url,
                     RATELIMIT_KEY_PREFIX=prefix, RATELIMIT_SEARCH="4 per minute", RATELIMIT_SWALLOW_ERRORS=False)
server = make_server("127.0.0.1", 0, create_app(config), threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
"""


@pytest.mark.skipif(not _redis_up(), reason="Redis is not running on 127.0.0.1:6379")
def test_redis_storage_is_shared_by_two_app_processes(tmp_path, sqlite_template):
    """Two separate server processes (as two gunicorn workers or hosts) share one count in Redis."""
    import shutil

    import requests

    db_file = tmp_path / "shared.sqlite3"
    shutil.copy(sqlite_template, db_file)
    prefix = f"jy-test-{uuid.uuid4().hex[:8]}"
    procs, ports = [], []
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        for i in range(2):
            proc = subprocess.Popen([sys.executable, "-c", SERVER, str(tmp_path / f"w{i}"), f"sqlite:///{db_file}",
                                     "redis://127.0.0.1:6379/0", prefix], stdout=subprocess.PIPE, env=env, cwd=ROOT)
            procs.append(proc)
            ports.append(int(proc.stdout.readline()))
        codes = [requests.get(f"http://127.0.0.1:{ports[i % 2]}/api/v1/search", params={"q": "秋天"},
                              timeout=10).status_code for i in range(6)]
        assert codes == [200, 200, 200, 200, 429, 429]
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)
        import redis

        client = redis.Redis(host="127.0.0.1", port=6379)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)
