"""The OpenAPI document matches the code (both directions) and a live server honours it (schemathesis)."""
from __future__ import annotations

import os
import re

import pytest

from forum.api.openapi import build_spec

METHODS = {"get", "post", "put", "patch", "delete"}


def _rule_to_openapi(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def test_spec_paths_and_methods_match_the_url_map_both_ways(app):
    spec = build_spec()
    documented = {(path, method.upper()) for path, item in spec["paths"].items()
                  for method in item if method in METHODS}
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = _rule_to_openapi(rule.rule[len("/api/v1"):])
            served |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert served - documented == set(), "endpoints missing from forum/api/openapi.py"
    assert documented - served == set(), "documented endpoints that the app does not serve"


def test_spec_is_openapi_31_with_resolvable_refs_and_declared_path_parameters(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    spec = resp.get_json()
    assert spec["openapi"].startswith("3.1")
    text = resp.get_data(as_text=True)
    for name in re.findall(r'"#/components/(?:schemas|responses)/([A-Za-z0-9]+)"', text):
        assert name in spec["components"]["schemas"] or name in spec["components"]["responses"], name
    for path, item in spec["paths"].items():
        for method, op in item.items():
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"{([a-z_]+)}", path)), (method, path)
            assert "responses" in op and any(code.startswith("2") for code in op["responses"])
            if method in ("post", "delete") and path != "/tokens":
                assert "401" in op["responses"], (method, path)
    error = spec["components"]["schemas"]["Error"]["properties"]["error"]
    assert set(error["required"]) == {"code", "message"} and "field" in error["properties"]


def test_spec_is_public_and_json(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.mimetype == "application/json"
    assert set(resp.get_json()["paths"]) >= {"/tokens", "/me", "/groups", "/search", "/tallies",
                                             "/boards/{board_id}/threads", "/blogs/{blog_id}/entries"}


@pytest.fixture(scope="module")
def live_site(tmp_path_factory):
    """A real server on 127.0.0.1 over a temporary seeded SQLite site."""
    if os.environ.get("TEST_DATABASE_URL", "").strip():
        pytest.skip("the live site is SQLite either way: run once, on the SQLite pass of make test")
    pytest.importorskip("schemathesis")
    from tests.reliability.live import start_live_site

    site = start_live_site(SEARCH_INDEXER="off")  # the outbox keeps the work; indexing is not under test
    yield site
    site.stop()


def test_schemathesis_finds_no_server_errors_and_no_schema_violations():
    """Bounded run (make test) of bench/schemathesis_long.py, as a teacher and as a host.

    In a child process: hypothesis changes the recursion limit while the live server's threads run,
    and under pytest's assertion rewriting CPython 3.11 then fails an unrelated ast.parse with
    "AST constructor recursion depth mismatch" (cpython#106905) in a later test of the same worker.
    """
    if os.environ.get("TEST_DATABASE_URL", "").strip():
        pytest.skip("the live site is SQLite either way: run once, on the SQLite pass of make test")
    pytest.importorskip("schemathesis")
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "bench/schemathesis_long.py", "--examples", "12", "--derandomize"], cwd=root,
                          capture_output=True, text=True, timeout=900)
    out = proc.stdout + proc.stderr[-3000:]
    assert proc.returncode == 0, out[-6000:]
    for who in ("api_teacher", "api_host"):
        calls = int(re.search(rf"{who}: (\d+) requests, 0 failing", proc.stdout).group(1))
        assert calls > 100, out[-3000:]


def test_token_endpoint_contract(live_site):
    """POST /tokens: good credentials 201, bad ones 401, malformed bodies 4xx, all as documented."""
    import requests

    url = f"{live_site.url}/api/v1/tokens"
    ok = requests.post(url, json={"username": "api_teacher", "password": "correct-horse-battery"}, timeout=10)
    assert ok.status_code == 201 and set(ok.json()) >= {"token", "expires_at", "id"}
    bad = requests.post(url, json={"username": "api_teacher", "password": "wrong"}, timeout=10)
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_credentials"
    assert requests.post(url, data="{", headers={"Content-Type": "application/json"}, timeout=10).status_code == 400
    assert requests.post(url, data="x=1", timeout=10).status_code == 415
    missing = requests.post(url, json={"username": "api_teacher"}, timeout=10)
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "password"
