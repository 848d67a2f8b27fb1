"""Uploads: allowlist, magic bytes, Office zips, HTML in PDF, size limit, traversal and Chinese names, visibility."""
from __future__ import annotations

import io
import os
import zipfile
from urllib.parse import quote

import pytest

from forum.blogs import services
from forum.blogs.attachments import clean_filename, save_upload
from forum.blogs.models import Attachment
from forum.core.errors import ApiError
from forum.demo.blogs import tiny_pdf, tiny_png
from forum.extensions import db


def ooxml(part: str = "ppt/presentation.xml", content_types: bool = True) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        if content_types:
            zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr(part, "<x/>")
    return buf.getvalue()


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64


@pytest.fixture
def entry(district):
    return services.create_entry(district.public_blog, district.author, title="《圆的面积》课件",
                                 body="课件见附件。", category="courseware")


def upload(client, entry, name, data):
    return client.post(f"/blogs/entries/{entry.id}/attachments",
                       data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


@pytest.mark.parametrize("name, data", [
    ("教案.pdf", tiny_pdf()),
    ("说课稿.doc", OLE2),
    ("成绩.xls", OLE2),
    ("旧课件.ppt", OLE2),
    ("金山文档.wps", OLE2),
    ("教案.docx", ooxml("word/document.xml")),
    ("成绩.xlsx", ooxml("xl/workbook.xml")),
    ("第三章 课件.pptx", ooxml()),
    ("板书.png", tiny_png()),
    ("照片.JPG", b"\xff\xd8\xff\xe0" + b"\x00" * 100),
    ("课堂实录.mp4", MP4),
])
def test_allowed_files_upload(district, client, login, entry, app, name, data):
    login(district.author)
    resp = upload(client, entry, name, data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    att = db.session.scalars(db.select(Attachment)).one()
    assert att.original_name == name and att.size == len(data)
    assert att.stored_name != name and os.path.exists(os.path.join(app.config["UPLOAD_DIR"], att.stored_name))


@pytest.mark.parametrize("name, data, message", [
    ("课件.pdf", tiny_png(), "不符"),
    ("图片.png", tiny_pdf(), "不符"),
    ("图片.jpg", b"<html><script>alert(1)</script></html>", "不符"),
    ("课件.pptx", ooxml(content_types=False), "不符"),
    ("课件.pptx", ooxml("word/document.xml"), "不符"),
    ("课件.docx", b"PK\x03\x04 not really a zip", "不符"),
    ("课件.doc", b"{\\rtf1 hello}", "不符"),
    ("视频.mp4", b"\x00" * 64, "不符"),
    ("坏.pdf", tiny_pdf().replace(b"%%EOF", b"<script>alert(1)</script>%%EOF"), "HTML"),
    ("坏2.pdf", b"%PDF-1.4\n<HTML><body>x</body></HTML>", "HTML"),
    ("page.html", b"<html></html>", "不支持"),
    ("x.svg", b"<svg onload=alert(1)>", "不支持"),
    ("run.exe", b"MZ", "不支持"),
    ("课件.pdf.exe", b"MZ", "不支持"),
    ("没有扩展名", b"%PDF-1.4", "不支持"),
    ("空.pdf", b"", "空"),
])
def test_bad_files_are_refused_with_422(district, client, login, entry, name, data, message):
    login(district.author)
    resp = upload(client, entry, name, data)
    assert resp.status_code == 422
    assert message in resp.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Attachment)) == 0


@pytest.mark.parametrize("raw, clean", [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("..\\..\\windows\\win.ini.pdf", "win.ini.pdf"),
    ("/abs/第三章 课件.pptx", "第三章 课件.pptx"),
    ("..", ""),
    (".hidden.pdf", "hidden.pdf"),
    ("a\x00b.pdf", "ab.pdf"),
    ('x<y>:"|?*.pdf', "xy.pdf"),
])
def test_filenames_lose_directories_and_unsafe_characters(raw, clean):
    assert clean_filename(raw) == clean


def test_traversal_name_is_stored_under_generated_name(district, client, login, entry, app):
    login(district.author)
    assert upload(client, entry, "../../../../tmp/evil.pdf", tiny_pdf()).status_code == 302
    att = db.session.scalars(db.select(Attachment)).one()
    assert att.original_name == "evil.pdf"
    assert os.listdir(app.config["UPLOAD_DIR"]) == [att.stored_name]
    assert not os.path.exists("/tmp/evil.pdf") or os.path.getsize("/tmp/evil.pdf") != len(tiny_pdf())


def test_chinese_name_downloads_with_rfc5987_filename(district, client, login, entry):
    login(district.author)
    upload(client, entry, "第三章 课件.pptx", ooxml())
    att = db.session.scalars(db.select(Attachment)).one()
    client.post("/auth/logout")
    resp = client.get(f"/blogs/attachments/{att.id}")
    assert resp.status_code == 200
    cd = resp.headers["Content-Disposition"]
    assert cd.startswith("attachment;")
    assert "filename*=UTF-8''" + quote("第三章 课件.pptx") in cd
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.presentationml")
    assert resp.data == ooxml() or resp.data[:2] == b"PK"


def test_images_and_video_display_inline_others_do_not(district, client, login, entry):
    login(district.author)
    upload(client, entry, "板书.png", tiny_png())
    upload(client, entry, "教案.pdf", tiny_pdf())
    png, pdf = db.session.scalars(db.select(Attachment).order_by(Attachment.id)).all()
    resp = client.get(f"/blogs/attachments/{png.id}/inline")
    assert resp.status_code == 200 and resp.headers["Content-Disposition"].startswith("inline")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/blogs/attachments/{pdf.id}/inline").status_code == 404
    page = client.get(f"/blogs/entries/{entry.id}").get_data(as_text=True)
    assert f'src="/blogs/attachments/{png.id}/inline"' in page
    assert f'href="/blogs/attachments/{pdf.id}"' in page


def test_downloads_follow_entry_visibility(district, client, login):
    private_entry = services.create_entry(district.private_blog, district.author, title="组内课件",
                                          body="仅本组可见", category="courseware")
    att = save_upload(private_entry, district.author, "组内.pdf", io.BytesIO(tiny_pdf()))
    url = f"/blogs/attachments/{att.id}"
    assert client.get(url).status_code == 404
    login(district.outsider)
    assert client.get(url).status_code == 404
    assert client.get(url + "/inline").status_code == 404
    login(district.colleague)
    assert client.get(url).status_code == 200
    services.delete_entry(private_entry, district.author)
    assert client.get(url).status_code == 404


def test_draft_attachments_only_for_author(district, client, login):
    draft = services.create_entry(district.public_blog, district.author, title="草稿", body="未完成",
                                  category="courseware", status="draft")
    att = save_upload(draft, district.author, "草稿.pdf", io.BytesIO(tiny_pdf()))
    login(district.colleague)
    assert client.get(f"/blogs/attachments/{att.id}").status_code == 404
    login(district.author)
    assert client.get(f"/blogs/attachments/{att.id}").status_code == 200


def test_only_editors_upload(district, client, login, entry):
    login(district.colleague)
    assert upload(client, entry, "a.pdf", tiny_pdf()).status_code == 403
    with pytest.raises(ApiError) as exc:
        save_upload(entry, district.outsider, "a.pdf", io.BytesIO(tiny_pdf()))
    assert exc.value.status == 403


def test_service_refuses_stream_over_limit(district, entry, app):
    app.config["MAX_UPLOAD_MB"] = 1
    with pytest.raises(ApiError) as exc:
        save_upload(entry, district.author, "大.pdf", io.BytesIO(b"%PDF-1.4\n" + b"0" * (1024 * 1024)))
    assert exc.value.status == 413 and "1 MB" in exc.value.message


class TestOversizeRequest:
    @pytest.fixture
    def app_config(self, app_config):
        app_config["MAX_UPLOAD_MB"] = 1
        return app_config

    def test_too_big_upload_is_413_with_message_and_draft_kept(self, district, client, login):
        login(district.author)
        resp = client.post(f"/blogs/{district.public_blog.id}/new", data={
            "title": "《匆匆》教学设计", "category": "design", "body": "## 教学目标\n\n草稿内容很重要", "action": "draft"})
        assert resp.status_code == 302
        entry_url = resp.headers["Location"]
        entry_id = int(entry_url.rstrip("/").split("/")[-2])
        resp = client.post(f"/blogs/entries/{entry_id}/attachments",
                           data={"file": (io.BytesIO(b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024)), "大课件.pdf")},
                           content_type="multipart/form-data")
        assert resp.status_code == 413
        html = resp.get_data(as_text=True)
        assert "文件太大" in html and "1 MB" in html
        assert "草稿内容很重要" in html and "《匆匆》教学设计" in html
        assert db.session.scalar(db.select(db.func.count()).select_from(Attachment)) == 0
        resp = client.get(f"/blogs/entries/{entry_id}/edit")
        assert "草稿内容很重要" in resp.get_data(as_text=True)

    def test_too_big_upload_is_caught_before_csrf_check_too(self, district, client, login, app):
        entry = services.create_entry(district.public_blog, district.author, title="草稿", body="保留我",
                                      category="courseware", status="draft")
        login(district.author)
        app.config["WTF_CSRF_ENABLED"] = True
        resp = client.post(f"/blogs/entries/{entry.id}/attachments",
                           data={"file": (io.BytesIO(b"0" * (2 * 1024 * 1024)), "大.pdf")},
                           content_type="multipart/form-data")
        assert resp.status_code == 413
        assert "文件太大" in resp.get_data(as_text=True)
