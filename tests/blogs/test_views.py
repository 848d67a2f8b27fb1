"""Blog pages through the client: editor flow, preview, visibility, history, escaping, panels."""
from __future__ import annotations

import re

import pytest

from forum.blogs import services
from forum.blogs.models import Entry, GuestbookMessage
from forum.extensions import db


def text(resp) -> str:
    return resp.get_data(as_text=True)


def _new(client, blog, **data):
    form = {"title": "《秋天的雨》教学设计", "category": "design", "body": "## 学情分析\n\n三年级\n\n## 教学目标\n\n认字",
            "tags": "语文，三年级", "action": "publish"}
    form.update(data)
    return client.post(f"/blogs/{blog.id}/new", data=form)


def test_editor_prefills_outline_per_category(district, client, login):
    login(district.author)
    def body(category=""):
        page = text(client.get(f"/blogs/{district.public_blog.id}/new" + (f"?category={category}" if category else "")))
        return re.search(r"<textarea[^>]*>(.*?)</textarea>", page, re.S).group(1), page

    design, page = body()
    for heading in ("学情分析", "教学目标", "教学重难点", "教学过程", "作业设计", "教学反思"):
        assert f"## {heading}" in design
    reflection, _page = body("reflection")
    assert "## 成功之处" in reflection and "## 学情分析" not in reflection
    case, _page = body("case")
    assert "## 案例背景" in case and "## 成功之处" not in case
    assert "<script>" not in re.sub(r'<script src="[^"]+" defer></script>', "", page)


def test_write_draft_then_publish_then_edit_and_delete(district, client, login):
    login(district.author)
    resp = _new(client, district.public_blog, action="draft")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/edit")
    entry = db.session.scalars(db.select(Entry)).one()
    assert entry.status == "draft" and entry.tag_names == ["三年级", "语文"]
    assert "我的草稿" in text(client.get(f"/blogs/{district.public_blog.id}"))
    login(district.colleague)
    assert entry.title not in text(client.get(f"/blogs/{district.public_blog.id}"))
    assert client.get(f"/blogs/entries/{entry.id}").status_code == 404
    login(district.author)
    resp = client.post(f"/blogs/entries/{entry.id}/edit", data={
        "title": entry.title, "category": "design", "body": entry.body, "version": "1", "action": "publish"})
    assert resp.status_code == 302
    db.session.refresh(entry)
    assert entry.status == "published" and entry.version == 2
    page = text(client.get(f"/blogs/entries/{entry.id}"))
    assert 'class="toc' in page and 'href="#h-学情分析"' in page and 'id="h-教学目标"' in page
    resp = client.post(f"/blogs/entries/{entry.id}/delete", data={})
    assert resp.status_code == 302
    db.session.refresh(entry)
    assert entry.is_deleted
    client.post("/auth/logout")
    assert client.get(f"/blogs/entries/{entry.id}").status_code == 404


def test_preview_uses_the_one_renderer(district, client, login):
    login(district.author)
    resp = client.post("/blogs/preview", data={"body": "## 教学目标\n\n<script>alert(1)</script>[x](javascript:alert(1))"})
    data = resp.get_json()
    assert 'id="h-教学目标"' in data["html"] and "<script>" not in data["html"] and "href=\"javascript" not in data["html"]
    assert data["toc"] == [{"level": 2, "id": "h-教学目标", "text": "教学目标"}]
    # Without JavaScript, the preview button re-renders the editor with the preview and the text kept.
    resp = _new(client, district.public_blog, action="preview", body="**加粗** <b>x</b>")
    page = text(resp)
    assert resp.status_code == 200 and "<strong>加粗</strong>" in page and "&lt;b&gt;x&lt;/b&gt;" in page
    assert db.session.scalar(db.select(db.func.count()).select_from(Entry)) == 0


def test_preview_requires_login(district, client):
    assert client.post("/blogs/preview", data={"body": "x"}).status_code in (302, 401)


def test_invalid_form_keeps_text_and_says_why(district, client, login):
    login(district.author)
    resp = _new(client, district.public_blog, title="", body="我写了很久的内容")
    assert resp.status_code == 422
    assert "我写了很久的内容" in text(resp)


def test_stale_edit_is_409_with_text_kept(district, client, login):
    e = services.create_entry(district.public_blog, district.author, title="原题", body="原文", category="essay")
    services.update_entry(e, district.host, version=1, title="主持人改的", body="原文", category="essay")
    login(district.author)
    resp = client.post(f"/blogs/entries/{e.id}/edit", data={
        "title": "我的改动", "category": "essay", "body": "我的新正文", "version": "1", "action": "publish"})
    assert resp.status_code == 409
    page = text(resp)
    assert "我的新正文" in page and "已被他人修改" in page
    assert "主持人改的" in page  # the saved version is shown for merging
    assert 'name="version" type="hidden" value="2"' in page or 'value="2"' in page
    db.session.expire_all()
    assert db.session.get(Entry, e.id).title == "主持人改的"
    # Saving again after seeing the conflict is deliberate: it replaces v2, which stays in the history.
    resp = client.post(f"/blogs/entries/{e.id}/edit", data={
        "title": "我的改动", "category": "essay", "body": "我的新正文", "version": "2", "action": "publish"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Entry, e.id).title == "我的改动"


def test_user_strings_are_escaped_everywhere(district, client, login):
    nasty = "<script>alert(1)</script>{{ 7*7 }}"
    e = services.create_entry(district.public_blog, district.author, title=nasty, body="正文 " + nasty,
                              category="essay", tags=["<b>标签</b>"])
    services.add_comment(e, district.colleague, "评论 " + nasty)
    for url in (f"/blogs/entries/{e.id}", f"/blogs/{district.public_blog.id}", "/blogs/", "/",
                f"/groups/{district.public.id}"):
        page = text(client.get(url))
        assert "<script>alert(1)</script>" not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;{{ 7*7 }}" in page, url
        assert ">49<" not in page
    title = re.search(r"<title>(.*?)</title>", text(client.get(f"/blogs/entries/{e.id}")), re.S).group(1)
    assert "&lt;script&gt;" in title
    login(district.author)
    assert "<script>alert(1)</script>" not in text(client.get(f"/blogs/entries/{e.id}/edit"))


def test_other_school_member_reads_public_group_blog_and_nothing_of_group_only(district, client, login):
    pub = services.create_entry(district.public_blog, district.author, title="公开日志", body="公开内容",
                                category="essay")
    priv = services.create_entry(district.private_blog, district.author, title="组内日志", body="组内内容",
                                 category="design")
    services.add_guestbook_message(district.private_blog, district.colleague, "组内留言")
    login(district.outsider)
    assert client.get(f"/blogs/{district.public_blog.id}").status_code == 200
    assert client.get(f"/blogs/entries/{pub.id}").status_code == 200
    for url in (f"/blogs/{district.private_blog.id}", f"/blogs/entries/{priv.id}",
                f"/blogs/{district.private_blog.id}/feed.atom", f"/blogs/entries/{priv.id}/history",
                f"/blogs/entries/{priv.id}/diff", f"/api/v1/entries/{priv.id}"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/blogs/entries/{priv.id}/comments", data={"body": "x"}).status_code == 404
    assert client.post(f"/blogs/{district.private_blog.id}/guestbook", data={"body": "x"}).status_code == 404
    for url in ("/", "/blogs/", "/blogs/category/design/feed.atom", f"/groups/{district.public.id}"):
        page = text(client.get(url))
        assert "组内日志" not in page and "组内内容" not in page
    assert "公开日志" in text(client.get("/blogs/"))


def test_group_page_and_home_show_blog_panels(district, client, login):
    e = services.create_entry(district.public_blog, district.author, title="《找春天》教学设计", body="x",
                              category="design")
    assert e.title in text(client.get(f"/groups/{district.public.id}"))
    assert e.title in text(client.get("/"))
    login(district.colleague)
    page = text(client.get(f"/groups/{district.public.id}"))
    assert f"/blogs/{district.public_blog.id}/new" in page
    login(district.outsider)
    assert f"/blogs/{district.public_blog.id}/new" not in text(client.get(f"/groups/{district.public.id}"))


def test_blog_filters_and_paging(district, client):
    for i in range(17):
        services.create_entry(district.public_blog, district.author, title=f"随笔{i:02d}", body="x", category="essay",
                              tags=["双减"] if i % 2 else None)
    services.create_entry(district.public_blog, district.author, title="唯一的设计", body="x", category="design")
    page1 = text(client.get(f"/blogs/{district.public_blog.id}"))
    assert "唯一的设计" in page1 and "第 1 / 2 页" in page1
    assert "随笔00" in text(client.get(f"/blogs/{district.public_blog.id}?page=2"))
    only = text(client.get(f"/blogs/{district.public_blog.id}?category=design"))
    assert "唯一的设计" in only and "随笔01" not in only
    tagged = text(client.get(f"/blogs/{district.public_blog.id}?tag=双减"))
    assert "随笔01" in tagged and "随笔02" not in tagged


@pytest.mark.parametrize("who, allowed", [
    ("author", True), ("host", True), ("leader", True), ("admin", True),
    ("colleague", False), ("outsider", False), (None, False),
])
def test_revision_history_visibility(district, client, login, who, allowed):
    e = services.create_entry(district.public_blog, district.author, title="v1 标题", body="第一版正文",
                              category="design")
    services.update_entry(e, district.author, version=1, title="v2 标题", body="第二版正文", category="design")
    if who:
        login(getattr(district, who))
    hist = client.get(f"/blogs/entries/{e.id}/history")
    diff = client.get(f"/blogs/entries/{e.id}/diff?a=1&b=2")
    entry_page = text(client.get(f"/blogs/entries/{e.id}"))
    if allowed:
        assert hist.status_code == 200 and "v1 标题" in text(hist)
        assert diff.status_code == 200
        body = text(diff)
        assert "- 第一版正文" in body and "+ 第二版正文" in body
        assert "修改历史" in entry_page
    else:
        assert hist.status_code in (302, 403) and diff.status_code in (302, 403)
        assert "第一版正文" not in text(hist) + text(diff)
        assert f"/blogs/entries/{e.id}/history" not in entry_page
    api = client.get(f"/api/v1/entries/{e.id}").get_json()
    assert "第一版正文" not in str(api)


def test_diff_between_any_two_versions(district, client, login):
    e = services.create_entry(district.public_blog, district.author, title="t", body="a\nb\nc", category="essay")
    for v, body in ((1, "a\nB\nc"), (2, "a\nB\nc\nd")):
        services.update_entry(e, district.author, version=v, title="t", body=body, category="essay")
    login(district.author)
    page = text(client.get(f"/blogs/entries/{e.id}/diff?a=1&b=3"))
    assert "- b" in page and "+ B" in page and "+ d" in page
    assert client.get(f"/blogs/entries/{e.id}/diff?a=1&b=9").status_code == 404
    assert client.get(f"/blogs/entries/{e.id}/diff?a=x").status_code == 400


def test_comment_and_reply_through_the_page(district, client, login):
    e = services.create_entry(district.public_blog, district.author, title="t", body="x", category="essay")
    login(district.colleague)
    resp = client.post(f"/blogs/entries/{e.id}/comments", data={"body": "很好 @王丽"})
    assert resp.status_code == 302 and "#comment-" in resp.headers["Location"]
    cid = int(resp.headers["Location"].split("#comment-")[1])
    login(district.author)
    resp = client.post(f"/blogs/entries/{e.id}/comments", data={"body": "谢谢", "parent_id": str(cid)})
    assert resp.status_code == 302
    page = text(client.get(f"/blogs/entries/{e.id}"))
    assert "很好 @王丽" in page and f'href="#comment-{cid}"' in page
    resp = client.post(f"/blogs/entries/{e.id}/comments", data={"body": ""})
    assert resp.status_code == 422


def test_host_deletes_comment_with_reason_from_page(district, client, login):
    e = services.create_entry(district.public_blog, district.author, title="t", body="x", category="essay")
    c = services.add_comment(e, district.colleague, "不当言论")
    login(district.host)
    page = text(client.get(f"/blogs/entries/{e.id}"))
    assert f"/blogs/comments/{c.id}/delete" in page and 'value="ethics"' in page
    resp = client.post(f"/blogs/comments/{c.id}/delete", data={"reason": ""})
    assert resp.status_code == 302 and not c.is_deleted
    client.post(f"/blogs/comments/{c.id}/delete", data={"reason": "ethics"})
    db.session.refresh(c)
    assert c.is_deleted and c.deleted_reason == "ethics"
    login(district.outsider)
    assert "不当言论" not in text(client.get(f"/blogs/entries/{e.id}"))
    assert client.post(f"/blogs/comments/{c.id}/restore").status_code == 404


def test_guestbook_on_personal_blog(district, client, login):
    blog = services.ensure_personal_blog(district.author)
    db.session.commit()
    login(district.outsider)
    resp = client.post(f"/blogs/{blog.id}/guestbook", data={"body": "王老师好！<i>x</i>"})
    assert resp.status_code == 302
    page = text(client.get(f"/blogs/{blog.id}"))
    assert "王老师好！" in page and "&lt;i&gt;" in page
    msg = db.session.scalars(db.select(GuestbookMessage)).one()
    login(district.author)
    assert client.post(f"/blogs/guestbook/{msg.id}/delete", data={"reason": "spam"}).status_code == 302
    db.session.refresh(msg)
    assert msg.is_deleted


def test_my_blog_and_user_blog_redirects(district, client, login):
    login(district.author)
    resp = client.get("/blogs/me")
    assert resp.status_code == 302
    blog_url = resp.headers["Location"]
    assert client.get(f"/blogs/users/{district.author.id}").headers["Location"] == blog_url
    assert "王丽的博客" in text(client.get(blog_url))
    assert client.get("/blogs/users/9999").status_code == 404


def test_outsider_cannot_open_editor_of_group_blog(district, client, login):
    login(district.outsider)
    assert client.get(f"/blogs/{district.public_blog.id}/new").status_code == 403
    assert _new(client, district.public_blog).status_code == 403
    e = services.create_entry(district.public_blog, district.author, title="t", body="x", category="essay")
    assert client.get(f"/blogs/entries/{e.id}/edit").status_code == 403


def test_anonymous_editor_redirects_to_login(district, client):
    resp = client.get(f"/blogs/{district.public_blog.id}/new")
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]


def test_pages_have_no_inline_scripts_or_handlers(district, client, login):
    e = services.create_entry(district.public_blog, district.author, title="t", body="## a\n\n## b", category="design")
    login(district.author)
    for url in (f"/blogs/entries/{e.id}", f"/blogs/entries/{e.id}/edit", f"/blogs/{district.public_blog.id}"):
        page = text(client.get(url))
        # Only script files, and JSON data blocks (never executed, so CSP has nothing to refuse).
        assert not re.search(r"<script(?![^>]*\b(src=|type=\"application/json\"))", page), url
        assert not re.search(r"\son[a-z]+=", page), url
