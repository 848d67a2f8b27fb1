"""Fingerprinted static URLs with year-long caching, and gzip for text responses."""
from __future__ import annotations

import gzip
import hashlib
import os
import re

import pytest

from tests.factories import make_group, make_thread, make_user

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def _static_links(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_static_urls_carry_the_content_hash_and_are_immutable(app, client):
    links = _static_links(client.get("/").get_data(as_text=True))
    assert any(link.startswith("/static/css/site.css?v=") for link in links), links
    for link in links:
        path, version = link.split("?v=")
        body = client.get(path).data
        assert version == hashlib.sha256(body).hexdigest()[:12]
        resp = client.get(link)
        assert resp.status_code == 200
        assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_stale_or_missing_fingerprint_revalidates(app, client):
    for url in ("/static/css/site.css", "/static/css/site.css?v=000000000000"):
        resp = client.get(url)
        assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-cache"
        assert resp.headers.get("ETag")


def test_an_edited_file_gets_a_new_url_in_debug(app, tmp_path):
    from forum.core.assets import Fingerprints

    (tmp_path / "a.css").write_text("body{color:red}")
    prints = Fingerprints(str(tmp_path), watch=True)
    first = prints.version("a.css")
    (tmp_path / "a.css").write_text("body{color:blue}")
    os.utime(tmp_path / "a.css", (1, 1))
    assert prints.version("a.css") != first
    assert prints.version("../etc/passwd") is None and prints.version("missing.css") is None


def test_html_is_gzipped_when_accepted(app, client):
    group = make_group()
    make_thread(group.board, make_user(), body="长文本。" * 400)
    plain = client.get("/")
    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"]
    packed = client.get("/", headers=GZIP)
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert int(packed.headers["Content-Length"]) == len(packed.data) < len(plain.data)
    assert gzip.decompress(packed.data) == plain.data


def test_small_and_binary_responses_are_sent_as_they_are(app, client):
    resp = client.get("/healthz", headers=GZIP)  # a few bytes of JSON
    assert resp.status_code == 200 and "Content-Encoding" not in resp.headers
    resp = client.get("/static/favicon.svg", headers=GZIP)  # under 1 KB
    assert "Content-Encoding" not in resp.headers


def test_static_css_is_gzipped_and_still_answers_conditional_requests(app, client):
    link = next(u for u in _static_links(client.get("/").get_data(as_text=True)) if "site.css" in u)
    plain = client.get(link).data
    first = client.get(link, headers=GZIP)
    again = client.get(link, headers=GZIP)  # from the per-process cache
    assert first.headers["Content-Encoding"] == "gzip" and gzip.decompress(first.data) == plain
    assert again.data == first.data
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    assert client.get(link, headers={**GZIP, "If-None-Match": etag}).status_code == 304


def test_gzip_can_be_switched_off_for_a_compressing_proxy(app_config):
    from forum import create_app

    app_config["GZIP_LEVEL"] = 0
    other = create_app(app_config)
    with other.app_context():
        resp = other.test_client().get("/static/css/site.css", headers=GZIP)
    assert "Content-Encoding" not in resp.headers


def test_templates_are_not_reloaded_outside_debug(app):
    assert app.debug is False and app.jinja_env.auto_reload is False


@pytest.mark.parametrize("level", [1, 2, 3, 6, 9])
def test_every_level_writes_gzip_that_the_stdlib_reads(level):
    from forum.core.compression import compressor

    page = ("<article class=\"post\">光合作用的探究实验：叶片在光下产生淀粉。</article>\n" * 400).encode()
    packed = compressor(level)(page)
    assert packed[:2] == b"\x1f\x8b"  # a gzip member
    assert gzip.decompress(packed) == page
    assert len(packed) < len(page) / 10


def test_the_fast_levels_use_igzip_and_fall_back_to_zlib_without_it(monkeypatch):
    import sys

    from forum.core import compression

    page = ("集体备课：勾股定理的证明方法与课堂练习设计。" * 300).encode()
    calls = []
    from isal import igzip

    real = igzip.compress
    monkeypatch.setattr(igzip, "compress", lambda data, level, mtime: calls.append(level) or real(data, level, mtime=mtime))
    assert gzip.decompress(compression.compressor(1)(page)) == page
    assert calls == [2]  # GZIP_LEVEL 1 → igzip's level 2
    compression.compressor(6)(page)
    assert calls == [2]  # level 6 is zlib's
    monkeypatch.setitem(sys.modules, "isal", None)  # not installed: import fails
    assert gzip.decompress(compression.compressor(1)(page)) == page
    assert calls == [2]
