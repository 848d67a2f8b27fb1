"""The blog API of DESIGN.md §5: 201 with id and url, 422 naming the field, 401/403/404, 415/400."""
from __future__ import annotations

import pytest

from forum.blogs import services
from forum.blogs.models import Comment, Entry
from forum.extensions import db


def auth(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def tokens(district, api_token):
    return {name: api_token(getattr(district, name)) for name in ("author", "colleague", "host", "outsider")}


@pytest.fixture
def entry(district):
    return services.create_entry(district.public_blog, district.author, title="《桂林山水》教学设计",
                                 body="## 教学目标\n\n会认生字。", category="design", tags=["语文"])


GOOD = {"title": "《匆匆》教学反思", "body": "## 成功之处\n\n学生读得很投入。", "category": "reflection", "tags": ["朗读"]}


def test_create_entry_answers_201_with_id_and_url(district, client, tokens):
    resp = client.post(f"/api/v1/blogs/{district.public_blog.id}/entries", json=GOOD, headers=auth(tokens["author"]))
    assert resp.status_code == 201, resp.get_json()
    data = resp.get_json()
    assert data["id"] and data["url"] == f"/blogs/entries/{data['id']}"
    assert data["category"] == "reflection" and data["tags"] == ["朗读"] and data["status"] == "published"
    assert 'id="h-成功之处"' in data["html"]
    assert client.get(data["url"]).status_code == 200


def test_list_entries_shows_published_only(district, client, entry):
    services.create_entry(district.public_blog, district.author, title="草稿", body="x", category="essay",
                          status="draft")
    data = client.get(f"/api/v1/blogs/{district.public_blog.id}/entries").get_json()
    assert data["total"] == 1 and [e["id"] for e in data["entries"]] == [entry.id]
    assert data["entries"][0]["url"] == f"/blogs/entries/{entry.id}"
    assert client.get(f"/api/v1/blogs/{district.public_blog.id}/entries?category=design").get_json()["total"] == 1
    assert client.get(f"/api/v1/blogs/{district.public_blog.id}/entries?tag=语文").get_json()["total"] == 1
    assert client.get(f"/api/v1/blogs/{district.public_blog.id}/entries?category=essay").get_json()["total"] == 0


def test_user_strings_stay_strings_in_json(district, client, tokens):
    body = dict(GOOD, title="</script><script>alert(1)</script>{{ 7*7 }}")
    resp = client.post(f"/api/v1/blogs/{district.public_blog.id}/entries", json=body, headers=auth(tokens["author"]))
    assert resp.mimetype == "application/json"
    assert resp.get_json()["title"] == body["title"]
    page = client.get(resp.get_json()["url"]).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "{{ 7*7 }}" in page


@pytest.mark.parametrize("who, blog, status", [
    (None, "public_blog", 401),
    ("outsider", "public_blog", 403),   # can read a public group blog, may not write there
    ("outsider", "private_blog", 404),  # may not even know it exists
    ("colleague", "private_blog", 201),
])
def test_create_entry_permissions(district, client, tokens, who, blog, status):
    headers = auth(tokens[who]) if who else {}
    resp = client.post(f"/api/v1/blogs/{getattr(district, blog).id}/entries", json=GOOD, headers=headers)
    assert resp.status_code == status
    if status >= 400:
        assert resp.get_json()["error"]["code"]


def test_unknown_blog_is_404(district, client, tokens):
    assert client.get("/api/v1/blogs/9999/entries").status_code == 404
    resp = client.post("/api/v1/blogs/9999/entries", json=GOOD, headers=auth(tokens["author"]))
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"


def test_invisible_blog_listing_is_404(district, client, tokens):
    assert client.get(f"/api/v1/blogs/{district.private_blog.id}/entries").status_code == 404
    assert client.get(f"/api/v1/blogs/{district.private_blog.id}/entries",
                      headers=auth(tokens["outsider"])).status_code == 404
    assert client.get(f"/api/v1/blogs/{district.private_blog.id}/entries",
                      headers=auth(tokens["colleague"])).status_code == 200


def test_bad_token_is_401(district, client):
    resp = client.get(f"/api/v1/blogs/{district.public_blog.id}/entries", headers=auth("nope"))
    assert resp.status_code == 401


def test_huge_page_is_an_empty_page_not_a_500(district, client, entry):
    resp = client.get(f"/api/v1/blogs/{district.public_blog.id}/entries?tag=&page=25897004217966347626393632768")
    assert resp.status_code == 200 and resp.get_json()["entries"] == []


@pytest.mark.parametrize("query, field", [("category=poem", "category"), ("page=x", "page"), ("page=0", "page")])
def test_list_bad_query_is_422(district, client, query, field):
    resp = client.get(f"/api/v1/blogs/{district.public_blog.id}/entries?{query}")
    assert resp.status_code == 422 and resp.get_json()["error"]["field"] == field


@pytest.mark.parametrize("change, field", [
    ({"title": None}, "title"),
    ({"body": None}, "body"),
    ({"category": None}, "category"),
    ({"title": ""}, "title"),
    ({"title": "   "}, "title"),
    ({"title": 42}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"title": "一\n二"}, "title"),
    ({"body": ""}, "body"),
    ({"body": ["list"]}, "body"),
    ({"body": "x" * 100_001}, "body"),
    ({"category": "poem"}, "category"),
    ({"category": 3}, "category"),
    ({"tags": "x" * 41}, "tags"),
    ({"tags": [1, 2]}, "tags"),
    ({"tags": {"a": 1}}, "tags"),
    ({"status": "secret"}, "status"),
    ({"grade": 3}, "grade"),
    ({"unit": "x" * 121}, "unit"),
])
def test_invalid_entry_is_422_naming_the_field(district, client, tokens, change, field):
    body = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    resp = client.post(f"/api/v1/blogs/{district.public_blog.id}/entries", json=body, headers=auth(tokens["author"]))
    assert resp.status_code == 422, resp.get_json()
    err = resp.get_json()["error"]
    assert err["code"] == "invalid" and err["field"] == field and err["message"]
    assert db.session.scalar(db.select(db.func.count()).select_from(Entry)) == 0


def test_not_json_is_415_and_malformed_is_400_and_non_object_is_422(district, client, tokens):
    url = f"/api/v1/blogs/{district.public_blog.id}/entries"
    h = auth(tokens["author"])
    form = "application/x-www-form-urlencoded"
    assert client.post(url, data="title=x", headers=h, content_type=form).status_code == 415
    assert client.post(url, data="{bad", headers=h, content_type="application/json").status_code == 400
    assert client.post(url, json=["x"], headers=h).status_code == 422


def test_draft_via_api_is_hidden_from_others(district, client, tokens):
    resp = client.post(f"/api/v1/blogs/{district.public_blog.id}/entries", json=dict(GOOD, status="draft"),
                       headers=auth(tokens["author"]))
    assert resp.status_code == 201
    eid = resp.get_json()["id"]
    assert client.get(f"/api/v1/entries/{eid}", headers=auth(tokens["colleague"])).status_code == 404
    assert client.get(f"/api/v1/entries/{eid}", headers=auth(tokens["author"])).status_code == 200


# --- comments ------------------------------------------------------------------------------------

def test_comment_answers_201_with_id_url_and_parent(district, client, tokens, entry):
    url = f"/api/v1/entries/{entry.id}/comments"
    first = client.post(url, json={"body": "目标很清楚。"}, headers=auth(tokens["colleague"]))
    assert first.status_code == 201
    c1 = first.get_json()
    assert c1["id"] and c1["url"] == f"/blogs/entries/{entry.id}#comment-{c1['id']}"
    reply = client.post(url, json={"body": "谢谢！", "parent_id": c1["id"]}, headers=auth(tokens["author"]))
    assert reply.status_code == 201 and reply.get_json()["parent_id"] == c1["id"]
    # An outsider may read a public group blog and comment on it.
    assert client.post(url, json={"body": "外校老师来学习"}, headers=auth(tokens["outsider"])).status_code == 201


@pytest.mark.parametrize("body, field", [
    ({}, "body"), ({"body": ""}, "body"), ({"body": 5}, "body"), ({"body": "x" * 10_001}, "body"),
    ({"body": "ok", "parent_id": "1"}, "parent_id"), ({"body": "ok", "parent_id": True}, "parent_id"),
    ({"body": "ok", "parent_id": 9999}, "parent_id"),
])
def test_invalid_comment_is_422(district, client, tokens, entry, body, field):
    resp = client.post(f"/api/v1/entries/{entry.id}/comments", json=body, headers=auth(tokens["colleague"]))
    assert resp.status_code == 422 and resp.get_json()["error"]["field"] == field


def test_comment_errors_401_404(district, client, tokens, entry):
    assert client.post(f"/api/v1/entries/{entry.id}/comments", json={"body": "x"}).status_code == 401
    assert client.post("/api/v1/entries/9999/comments", json={"body": "x"},
                       headers=auth(tokens["colleague"])).status_code == 404
    private = services.create_entry(district.private_blog, district.author, title="组内", body="x", category="essay")
    assert client.post(f"/api/v1/entries/{private.id}/comments", json={"body": "x"},
                       headers=auth(tokens["outsider"])).status_code == 404
    draft = services.create_entry(district.public_blog, district.author, title="草稿", body="x", category="essay",
                                  status="draft")
    assert client.post(f"/api/v1/entries/{draft.id}/comments", json={"body": "x"},
                       headers=auth(tokens["colleague"])).status_code == 404


def test_author_cannot_comment_on_own_draft_403(district, client, tokens):
    draft = services.create_entry(district.public_blog, district.author, title="草稿", body="x", category="essay",
                                  status="draft")
    resp = client.post(f"/api/v1/entries/{draft.id}/comments", json={"body": "x"}, headers=auth(tokens["author"]))
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden"


# --- deletes -------------------------------------------------------------------------------------

def test_author_deletes_own_entry_without_reason(district, client, tokens, entry):
    resp = client.delete(f"/api/v1/entries/{entry.id}", headers=auth(tokens["author"]))
    assert resp.status_code == 200 and resp.get_json() == {"id": entry.id, "deleted": True, "reason": "author"}
    assert client.get(f"/api/v1/entries/{entry.id}", headers=auth(tokens["colleague"])).status_code == 404
    assert client.get(f"/api/v1/entries/{entry.id}", headers=auth(tokens["host"])).status_code == 200


def test_host_delete_needs_a_valid_reason(district, client, tokens, entry):
    url = f"/api/v1/entries/{entry.id}"
    h = auth(tokens["host"])
    r = client.delete(url, headers=h)
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "reason"
    r = client.delete(url, json={"reason": "bad-code"}, headers=h)
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "reason"
    r = client.delete(url, json={"reason": 5}, headers=h)
    assert r.status_code == 422
    r = client.delete(url, data="{oops", headers=h, content_type="application/json")
    assert r.status_code == 400
    r = client.delete(url, json={"reason": "ethics", "note": "违背师德"}, headers=h)
    assert r.status_code == 200 and r.get_json()["reason"] == "ethics"


@pytest.mark.parametrize("who, status", [(None, 401), ("colleague", 403), ("outsider", 403)])
def test_delete_entry_refusals(district, client, tokens, entry, who, status):
    headers = auth(tokens[who]) if who else {}
    assert client.delete(f"/api/v1/entries/{entry.id}", json={"reason": "spam"}, headers=headers).status_code == status


def test_delete_unknown_or_invisible_entry_is_404(district, client, tokens):
    assert client.delete("/api/v1/entries/9999", headers=auth(tokens["host"])).status_code == 404
    private = services.create_entry(district.private_blog, district.author, title="组内", body="x", category="essay")
    assert client.delete(f"/api/v1/entries/{private.id}", json={"reason": "spam"},
                         headers=auth(tokens["outsider"])).status_code == 404


def test_delete_comment_rules(district, client, tokens, entry):
    c = services.add_comment(entry, district.colleague, "一条评论")
    url = f"/api/v1/comments/{c.id}"
    assert client.delete(url).status_code == 401
    assert client.delete(url, json={"reason": "spam"}, headers=auth(tokens["outsider"])).status_code == 403
    # The entry's author is not the blog's host: comments on a group blog are the host's to moderate.
    assert client.delete(url, json={"reason": "spam"}, headers=auth(tokens["author"])).status_code == 403
    r = client.delete(url, headers=auth(tokens["host"]))
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "reason"
    assert client.delete(url, json={"reason": "offtopic"}, headers=auth(tokens["host"])).status_code == 200
    assert db.session.get(Comment, c.id).is_deleted
    assert client.delete(url, headers=auth(tokens["colleague"])).status_code == 404
    assert client.delete("/api/v1/comments/9999", headers=auth(tokens["host"])).status_code == 404


def test_comment_author_deletes_own_comment(district, client, tokens, entry):
    c = services.add_comment(entry, district.colleague, "写错了")
    r = client.delete(f"/api/v1/comments/{c.id}", headers=auth(tokens["colleague"]))
    assert r.status_code == 200 and r.get_json()["reason"] == "author"


def test_ids_beyond_any_integer_are_404(district, client, tokens):
    huge = 10 ** 30
    assert client.get(f"/api/v1/entries/{huge}").status_code == 404
    assert client.delete(f"/api/v1/comments/{huge}", headers=auth(tokens["host"])).status_code == 404
    assert client.get(f"/blogs/entries/{huge}").status_code == 404
    assert client.get(f"/blogs/attachments/{huge}").status_code == 404
    assert client.get(f"/blogs/{huge}").status_code == 404
