"""Editor autosaves (server drafts) and uploads made before the entry exists: privacy, no ledger or index rows,
dropped on save, claimed attachments under the entry's visibility rule, expired-form recovery."""
from __future__ import annotations

import io
import json
import re

import pytest

from forum.blogs import drafts, services
from forum.blogs.models import Attachment, Entry, EntryAutosave
from forum.core.revisions import history
from forum.demo.blogs import tiny_pdf, tiny_png
from forum.extensions import db
from forum.ledger.models import Contribution
from forum.search.models import SearchOutbox

JSON = {"Accept": "application/json"}


def count(model, *where) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model).where(*where)) or 0


def autosave(client, url, **fields):
    data = {"title": "未完成的教学设计", "body": "## 教学目标\n\n草稿正文", "category": "design", "tags": "草稿"}
    data.update(fields)
    return client.post(url, data=data, headers=JSON)


def editor_config(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="editor-config">(.*?)</script>', html, re.S)
    assert m, "no editor config"
    return json.loads(m.group(1))


# --- autosave ------------------------------------------------------------------------------------

def test_autosave_of_new_entry_writes_no_entry_ledger_or_index_row(district, client, login):
    login(district.author)
    before = (count(Entry), count(Contribution), count(SearchOutbox))
    resp = autosave(client, f"/blogs/{district.public_blog.id}/autosave")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.json["saved_at"] and resp.json["csrf_token"]
    row = db.session.scalars(db.select(EntryAutosave)).one()
    assert (row.user_id, row.slot, row.body) == (district.author.id, f"new:{district.public_blog.id}", "## 教学目标\n\n草稿正文")
    assert (count(Entry), count(Contribution), count(SearchOutbox)) == before
    # A second autosave replaces the first: one row per editor.
    assert autosave(client, f"/blogs/{district.public_blog.id}/autosave", body="第二次").status_code == 200
    db.session.expire_all()
    assert [r.body for r in db.session.scalars(db.select(EntryAutosave))] == ["第二次"]


def test_autosave_of_published_entry_leaves_the_published_body_alone(district, client, login):
    entry = services.create_entry(district.public_blog, district.author, title="已发表", body="读者看到的正文",
                                  category="essay")
    login(district.author)
    ledger = count(Contribution)
    outbox = count(SearchOutbox)
    resp = autosave(client, f"/blogs/entries/{entry.id}/autosave", title="改了一半", body="还没改完的正文", version="1")
    assert resp.status_code == 200
    db.session.expire_all()
    entry = db.session.get(Entry, entry.id)
    assert (entry.title, entry.body, entry.version) == ("已发表", "读者看到的正文", 1)
    assert history(entry) == []
    assert (count(Contribution), count(SearchOutbox)) == (ledger, outbox)
    assert "还没改完的正文" not in client.get(f"/blogs/entries/{entry.id}").get_data(as_text=True)
    row = drafts.autosave_of(district.author, f"entry:{entry.id}")
    assert (row.body, row.base_version) == ("还没改完的正文", 1)


def test_anonymous_autosave_is_401(district, client):
    resp = autosave(client, f"/blogs/{district.public_blog.id}/autosave")
    assert resp.status_code == 401 and resp.json["error"]["code"] == "unauthorized"
    assert count(EntryAutosave) == 0


def test_autosave_on_someone_elses_entry_is_refused(district, client, login):
    public = services.create_entry(district.public_blog, district.author, title="公开", body="x", category="essay")
    private = services.create_entry(district.private_blog, district.author, title="组内", body="x", category="essay")
    login(district.colleague)
    assert autosave(client, f"/blogs/entries/{public.id}/autosave").status_code == 403
    login(district.outsider)
    assert autosave(client, f"/blogs/entries/{private.id}/autosave").status_code == 404
    assert autosave(client, f"/blogs/{district.private_blog.id}/autosave").status_code == 404
    assert autosave(client, f"/blogs/{district.public_blog.id}/autosave").status_code == 403
    assert count(EntryAutosave) == 0


def test_autosave_refuses_a_body_over_the_limit(district, client, login):
    login(district.author)
    resp = autosave(client, f"/blogs/{district.public_blog.id}/autosave", body="字" * (services.BODY_MAX + 1))
    assert resp.status_code == 422 and resp.json["error"]["field"] == "body"


def test_server_draft_is_offered_to_its_author_only(district, client, login):
    login(district.author)
    autosave(client, f"/blogs/{district.public_blog.id}/autosave", body="只有我能看到的草稿")
    cfg = editor_config(client.get(f"/blogs/{district.public_blog.id}/new").get_data(as_text=True))
    assert cfg["serverDraft"]["body"] == "只有我能看到的草稿"
    assert cfg["autosaveUrl"] == f"/blogs/{district.public_blog.id}/autosave"
    login(district.colleague)
    page = client.get(f"/blogs/{district.public_blog.id}/new").get_data(as_text=True)
    assert editor_config(page)["serverDraft"] is None and "只有我能看到的草稿" not in page
    assert "只有我能看到的草稿" not in client.get("/blogs/drafts").get_data(as_text=True)
    assert "只有我能看到的草稿" not in client.get(f"/blogs/{district.public_blog.id}").get_data(as_text=True)


def test_restore_fills_the_form_and_drafts_page_lists_it(district, client, login):
    login(district.author)
    autosave(client, f"/blogs/{district.public_blog.id}/autosave", title="恢复我", body="恢复的正文", category="case",
             stage="小学")
    listing = client.get("/blogs/drafts").get_data(as_text=True)
    assert "恢复我" in listing and f"/blogs/{district.public_blog.id}/new?restore=1" in listing
    assert "恢复我" in client.get(f"/blogs/{district.public_blog.id}").get_data(as_text=True)
    page = client.get(f"/blogs/{district.public_blog.id}/new?restore=1").get_data(as_text=True)
    assert 'value="恢复我"' in page and "恢复的正文</textarea>" in page and 'value="小学"' in page
    assert re.search(r'<option value="case"[^>]*selected', page)


def test_publishing_from_the_editor_drops_the_autosave(district, client, login):
    login(district.author)
    blog = district.public_blog
    autosave(client, f"/blogs/{blog.id}/autosave")
    resp = client.post(f"/blogs/{blog.id}/new", data={"title": "存为草稿", "body": "正文", "category": "essay",
                                                      "action": "draft"})
    assert resp.status_code == 302
    assert count(EntryAutosave) == 0
    entry = db.session.scalars(db.select(Entry)).one()
    assert autosave(client, f"/blogs/entries/{entry.id}/autosave", body="继续写", version=str(entry.version)).status_code == 200
    assert count(EntryAutosave) == 1
    # The page after the save tells the browser which local copy is now obsolete.
    page = client.get(f"/blogs/entries/{entry.id}/edit").get_data(as_text=True)
    assert f'name="jy-clear-draft" content="jy-draft-new-{blog.id}"' in page
    resp = client.post(f"/blogs/entries/{entry.id}/edit", data={
        "title": "存为草稿", "body": "继续写", "category": "essay", "version": str(entry.version), "action": "publish"})
    assert resp.status_code == 302
    assert count(EntryAutosave) == 0
    assert count(Contribution, Contribution.source_type == "entry", Contribution.source_id == entry.id) == 1


def test_discard_removes_only_my_autosave(district, client, login):
    blog = district.public_blog
    login(district.colleague)
    autosave(client, f"/blogs/{blog.id}/autosave", body="同事的草稿")
    login(district.author)
    autosave(client, f"/blogs/{blog.id}/autosave", body="我的草稿")
    assert client.post(f"/blogs/{blog.id}/autosave/discard", headers=JSON).status_code == 200
    assert [r.body for r in db.session.scalars(db.select(EntryAutosave))] == ["同事的草稿"]


def test_autosave_of_a_deleted_entry_is_not_listed(district, client, login):
    entry = services.create_entry(district.public_blog, district.author, title="将被删除", body="x", category="essay")
    login(district.author)
    autosave(client, f"/blogs/entries/{entry.id}/autosave", title="删除前的修改")
    services.delete_entry(entry, district.author)
    assert drafts.my_autosaves(district.author) == []
    assert "删除前的修改" not in client.get("/blogs/drafts").get_data(as_text=True)


def test_editor_token_refreshes_for_the_signed_in_user_only(district, client, login):
    assert client.get("/blogs/editor-token", headers=JSON).status_code == 401
    login(district.author)
    resp = client.get("/blogs/editor-token", headers=JSON)
    assert resp.status_code == 200 and resp.json["csrf_token"]


def test_expired_form_keeps_the_text_and_says_so(district, client, login, app):
    login(district.author)
    app.config["WTF_CSRF_ENABLED"] = True
    resp = client.post(f"/blogs/{district.public_blog.id}/new", data={
        "title": "写了一个小时", "body": "一个小时的正文", "category": "reflection", "action": "publish",
        "csrf_token": "stale"})
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert "页面已过期" in page and "一个小时的正文</textarea>" in page and 'value="写了一个小时"' in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    resp = client.post(f"/blogs/{district.public_blog.id}/new", data={
        "title": "写了一个小时", "body": "一个小时的正文", "category": "reflection", "action": "publish",
        "csrf_token": token})
    assert resp.status_code == 302
    assert db.session.scalars(db.select(Entry)).one().body == "一个小时的正文"


def test_expired_session_on_submit_sends_to_login_with_a_message(district, client, app):
    app.config["WTF_CSRF_ENABLED"] = True
    resp = client.post(f"/blogs/{district.public_blog.id}/new", data={
        "title": "t", "body": "b", "category": "essay", "action": "publish", "csrf_token": "stale"})
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
    assert f"next=/blogs/{district.public_blog.id}/new" in resp.headers["Location"].replace("%2F", "/")


# --- uploads before the entry exists ---------------------------------------------------------------

def pending_upload(client, blog, name="板书.png", data=None):
    return client.post(f"/blogs/{blog.id}/attachments", headers=JSON, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data if data is not None else tiny_png()), name)})


def test_pending_upload_is_visible_to_its_uploader_only_until_claimed(district, client, login):
    login(district.author)
    resp = pending_upload(client, district.public_blog, "第一课 板书.png")
    assert resp.status_code == 201, resp.get_data(as_text=True)
    att_id = resp.json["id"]
    assert resp.json["pending"] is True
    assert resp.json["markdown"] == f"![第一课 板书](/blogs/attachments/{att_id}/inline)"
    assert client.get(f"/blogs/attachments/{att_id}/inline").status_code == 200
    login(district.colleague)
    assert client.get(f"/blogs/attachments/{att_id}").status_code == 404
    client.post("/auth/logout")
    assert client.get(f"/blogs/attachments/{att_id}/inline").status_code == 404

    login(district.author)
    resp = client.post(f"/blogs/{district.public_blog.id}/new", data={
        "title": "有板书的反思", "category": "reflection", "action": "publish", "attachment_ids": [str(att_id)],
        "body": f"板书如下：\n\n{resp.json['markdown']}"})
    assert resp.status_code == 302
    entry = db.session.scalars(db.select(Entry)).one()
    assert db.session.get(Attachment, att_id).entry_id == entry.id
    client.post("/auth/logout")
    assert client.get(f"/blogs/attachments/{att_id}/inline").status_code == 200  # public entry: public file
    page = client.get(f"/blogs/entries/{entry.id}").get_data(as_text=True)
    assert page.count(f"/blogs/attachments/{att_id}/inline") == 1  # shown in the text, not repeated below


def test_claim_on_group_only_blog_follows_the_entry_rule(district, client, login):
    login(district.author)
    att_id = pending_upload(client, district.private_blog, "组内资料.pdf", tiny_pdf()).json["id"]
    resp = client.post(f"/blogs/{district.private_blog.id}/new", data={
        "title": "组内", "category": "courseware", "action": "publish",
        "body": f"[组内资料.pdf](/blogs/attachments/{att_id})"})  # claimed through the link in the text
    assert resp.status_code == 302
    assert db.session.get(Attachment, att_id).entry_id is not None
    login(district.colleague)
    assert client.get(f"/blogs/attachments/{att_id}").status_code == 200
    login(district.outsider)
    assert client.get(f"/blogs/attachments/{att_id}").status_code == 404


def test_an_entry_cannot_claim_someone_elses_upload(district, client, login):
    login(district.colleague)
    theirs = pending_upload(client, district.public_blog).json["id"]
    login(district.author)
    client.post(f"/blogs/{district.public_blog.id}/new", data={
        "title": "偷图", "category": "essay", "action": "publish", "attachment_ids": [str(theirs)],
        "body": f"![x](/blogs/attachments/{theirs}/inline)"})
    assert db.session.get(Attachment, theirs).entry_id is None
    client.post("/auth/logout")
    assert client.get(f"/blogs/attachments/{theirs}/inline").status_code == 404


def test_pending_upload_permissions(district, client, login):
    assert pending_upload(client, district.public_blog).status_code == 401
    login(district.outsider)
    assert pending_upload(client, district.private_blog).status_code == 404
    assert pending_upload(client, district.public_blog).status_code == 403
    assert count(Attachment) == 0


@pytest.mark.parametrize("name, data, status, words", [
    ("脚本.html", b"<script>", 422, "不支持的文件类型"),
    ("假图片.png", b"GIF89a....", 422, "不符"),
    ("空.pdf", b"", 422, "空的"),
])
def test_refused_pending_upload_answers_json_with_a_chinese_message(district, client, login, name, data, status, words):
    login(district.author)
    resp = pending_upload(client, district.public_blog, name, data)
    assert resp.status_code == status
    assert words in resp.json["error"]["message"]
    assert count(Attachment) == 0


def test_too_large_pending_upload_is_413_json(district, client, login, app):
    app.config["MAX_UPLOAD_MB"] = 1
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024 + 64 * 1024
    login(district.author)
    resp = pending_upload(client, district.public_blog, "大.pdf", b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024))
    assert resp.status_code == 413 and "文件太大" in resp.json["error"]["message"]


def test_json_upload_to_an_existing_entry(district, client, login):
    entry = services.create_entry(district.public_blog, district.author, title="课件", body="x", category="courseware")
    login(district.author)
    resp = client.post(f"/blogs/entries/{entry.id}/attachments", headers=JSON, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(tiny_pdf()), "第三单元 课件.pdf")})
    assert resp.status_code == 201
    assert resp.json["pending"] is False
    assert resp.json["markdown"] == f"[第三单元 课件.pdf](/blogs/attachments/{resp.json['id']})"
    login(district.colleague)
    resp = client.post(f"/blogs/entries/{entry.id}/attachments", headers=JSON, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(tiny_pdf()), "x.pdf")})
    assert resp.status_code == 403


def test_purge_pending_removes_only_old_unclaimed_uploads(district, client, login, runner, app):
    from datetime import timedelta
    from pathlib import Path

    from forum.core.db import utcnow

    login(district.author)
    old_id = pending_upload(client, district.public_blog, "旧.png").json["id"]
    new_id = pending_upload(client, district.public_blog, "新.png").json["id"]
    entry = services.create_entry(district.public_blog, district.author, title="t", body="x", category="essay")
    kept_id = client.post(f"/blogs/entries/{entry.id}/attachments", headers=JSON, content_type="multipart/form-data",
                          data={"file": (io.BytesIO(tiny_png()), "附.png")}).json["id"]
    for att_id in (old_id, kept_id):
        db.session.get(Attachment, att_id).created_at = utcnow() - timedelta(days=40)
    db.session.commit()
    old_file = Path(app.config["UPLOAD_DIR"]) / db.session.get(Attachment, old_id).stored_name
    assert old_file.exists()
    result = runner.invoke(args=["blogs", "purge-pending", "--days", "30"])
    assert result.exit_code == 0 and "1 pending uploads removed" in result.output
    db.session.expire_all()
    assert db.session.get(Attachment, old_id) is None and not old_file.exists()
    assert db.session.get(Attachment, new_id) is not None and db.session.get(Attachment, kept_id) is not None


def test_profile_lists_my_entries_drafts_and_autosaves(district, client, login):
    services.create_entry(district.public_blog, district.author, title="发表了的反思", body="x", category="reflection")
    services.create_entry(district.public_blog, district.author, title="没写完的设计", body="x", category="design",
                          status="draft")
    login(district.author)
    autosave(client, f"/blogs/{district.public_blog.id}/autosave", title="自动保存的题目")
    page = client.get("/auth/profile").get_data(as_text=True)
    assert "发表了的反思" in page and "没写完的设计" in page and "自动保存的题目" in page
    login(district.colleague)
    page = client.get("/auth/profile").get_data(as_text=True)
    assert "没写完的设计" not in page and "自动保存的题目" not in page and "发表了的反思" not in page


def test_editor_toolbar_and_messages_in_english(district, client, login):
    login(district.author)
    client.post("/lang", data={"lang": "en", "next": "/"})
    page = client.get(f"/blogs/{district.public_blog.id}/new").get_data(as_text=True)
    assert 'role="toolbar" aria-label="Formatting"' in page
    assert 'aria-label="Bold"' in page and ">Image/file<" in page and ">Table<" in page
    cfg = editor_config(page)
    assert cfg["messages"]["restore"] == "Restore draft"
    assert "{n}" in cfg["messages"]["uploadFailed"] and "{m}" in cfg["messages"]["uploadFailed"]


def test_a_base_version_too_large_for_a_row_is_dropped_not_a_500(district, client, login):
    login(district.author)
    resp = autosave(client, f"/blogs/{district.public_blog.id}/autosave", version="9" * 24)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert db.session.scalars(db.select(EntryAutosave)).one().base_version is None
