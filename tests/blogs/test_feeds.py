"""Atom feeds: valid XML, escaped values, same visibility rule as the pages."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from forum.blogs import services
from tests.blogs.test_markup import assert_inert

A = "{http://www.w3.org/2005/Atom}"
NASTY = "<script>alert(1)</script> & ]]> \x0b {{ 7*7 }}"


def parse(resp):
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == "application/atom+xml"
    root = ET.fromstring(resp.data)
    assert root.tag == f"{A}feed"
    for required in ("id", "title", "updated"):
        assert root.find(f"{A}{required}") is not None
    return root


def test_blog_feed_is_valid_atom_with_escaped_values(district, client):
    services.create_entry(district.public_blog, district.author, title="《秋天的雨》" + NASTY.replace("\x0b", ""),
                          body="## 教学目标\n\n<img src=x onerror=alert(1)> " + NASTY.replace("\x0b", ""),
                          category="design", tags=["a&b"])
    root = parse(client.get(f"/blogs/{district.public_blog.id}/feed.atom"))
    (entry,) = root.findall(f"{A}entry")
    assert entry.find(f"{A}title").text.startswith("《秋天的雨》<script>")
    content = entry.find(f"{A}content")
    assert content.get("type") == "html"
    assert_inert(content.text)  # the HTML inside is the sanitized rendering; the payload is text
    for el in ("id", "updated", "published", "author", "link"):
        assert entry.find(f"{A}{el}") is not None
    assert {c.get("term") for c in entry.findall(f"{A}category")} == {"design", "a&b"}
    raw = client.get(f"/blogs/{district.public_blog.id}/feed.atom").get_data(as_text=True)
    assert "<script>" not in raw


def test_category_feed_lists_only_that_category_and_readable_blogs(district, client, login):
    services.create_entry(district.public_blog, district.author, title="公开的设计", body="x", category="design")
    services.create_entry(district.public_blog, district.author, title="公开的反思", body="x", category="reflection")
    services.create_entry(district.private_blog, district.author, title="组内的设计", body="x", category="design")
    titles = lambda r: [e.find(f"{A}title").text for e in parse(r).findall(f"{A}entry")]  # noqa: E731
    assert titles(client.get("/blogs/category/design/feed.atom")) == ["公开的设计"]
    login(district.colleague)
    assert sorted(titles(client.get("/blogs/category/design/feed.atom"))) == ["公开的设计", "组内的设计"]
    assert titles(client.get(f"/blogs/{district.public_blog.id}/feed.atom?category=reflection")) == ["公开的反思"]


def test_private_blog_feed_is_404_for_outsiders(district, client, login):
    services.create_entry(district.private_blog, district.author, title="组内", body="x", category="essay")
    assert client.get(f"/blogs/{district.private_blog.id}/feed.atom").status_code == 404
    login(district.outsider)
    assert client.get(f"/blogs/{district.private_blog.id}/feed.atom").status_code == 404
    login(district.colleague)
    assert len(parse(client.get(f"/blogs/{district.private_blog.id}/feed.atom")).findall(f"{A}entry")) == 1


def test_feed_leaves_out_drafts_and_deleted(district, client):
    services.create_entry(district.public_blog, district.author, title="草稿", body="x", category="essay", status="draft")
    gone = services.create_entry(district.public_blog, district.author, title="已删", body="x", category="essay")
    services.delete_entry(gone, district.author)
    assert parse(client.get(f"/blogs/{district.public_blog.id}/feed.atom")).findall(f"{A}entry") == []


@pytest.mark.parametrize("url", ["/blogs/category/poem/feed.atom", "/blogs/9999/feed.atom"])
def test_unknown_feed_is_404(district, client, url):
    assert client.get(url).status_code == 404


def test_empty_feed_is_still_valid(district, client):
    parse(client.get("/blogs/category/research/feed.atom"))
