"""A full disk during an upload or a write: a clean 503, no partial file or row left, the user's text kept."""
from __future__ import annotations

import errno
import io
import pathlib
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import event, func, select

from forum.demo.blogs import tiny_pdf
from tests.factories import make_entry, make_group, make_thread, make_user


@pytest.fixture
def world(app, db):
    teacher = make_user("disk_teacher", display_name="李老师")
    group = make_group("语文组", members=[teacher])
    entry = make_entry(group.blog, teacher, title="《圆的面积》课件", body="课件见附件，这是我的日志正文。")
    thread = make_thread(group.board, teacher, title="磁盘的讨论")
    db.session.commit()
    # Only plain values: the full_database fixture ends the session.
    return {"teacher": SimpleNamespace(username=teacher.username), "entry": entry.id, "thread": thread.id}


def files_in(app) -> list[str]:
    return sorted(p.name for p in Path(app.config["UPLOAD_DIR"]).iterdir())


def count(db, model) -> int:
    n = db.session.scalar(select(func.count()).select_from(model))
    db.session.rollback()
    return n


@pytest.fixture
def full_disk(monkeypatch):
    """Path.write_bytes writes half the data, then fails with ENOSPC, as a filling disk does."""
    real = pathlib.Path.write_bytes

    def write_half(self, data):
        real(self, bytes(data)[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(pathlib.Path, "write_bytes", write_half)


def test_upload_on_a_full_disk_leaves_no_partial_file(app, db, client, login, world, full_disk):
    from forum.blogs.models import Attachment

    login(world["teacher"])
    before = files_in(app)
    resp = client.post(f"/blogs/entries/{world['entry']}/attachments",
                       data={"file": (io.BytesIO(tiny_pdf() * 50), "教案.pdf")}, content_type="multipart/form-data")
    assert resp.status_code == 503
    page = resp.get_data(as_text=True)
    assert "磁盘空间不足" in page
    assert "课件见附件，这是我的日志正文。" in page  # the editor comes back with the entry's text
    assert files_in(app) == before  # no .part file, no half file
    assert count(db, Attachment) == 0


def test_upload_failing_for_another_io_error_is_a_clean_503(app, db, client, login, world, monkeypatch):
    from forum.blogs.models import Attachment

    def broken(self, data):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(pathlib.Path, "write_bytes", broken)
    login(world["teacher"])
    resp = client.post(f"/blogs/entries/{world['entry']}/attachments",
                       data={"file": (io.BytesIO(tiny_pdf()), "教案.pdf")}, content_type="multipart/form-data")
    assert resp.status_code == 503 and "附件写入失败" in resp.get_data(as_text=True)
    assert files_in(app) == [] and count(db, Attachment) == 0


@pytest.fixture
def full_database(app, db):
    """SQLite cannot grow the file (max_page_count = its size now): every write needing a page is SQLITE_FULL."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's max_page_count")
    db.session.remove()
    db.engine.dispose()

    def cap(dbapi_conn, _record):
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    event.listen(db.engine, "connect", cap)
    yield
    event.remove(db.engine, "connect", cap)
    db.session.remove()
    db.engine.dispose()


def test_reply_on_a_full_database_is_a_503_page_with_the_text(app, db, client, login, world, full_database):
    from forum.boards.models import Post

    login(world["teacher"])
    before = count(db, Post)
    draft = "我的回复：" + "关于圆的面积公式推导，我有三点体会。" * 400  # needs new pages
    resp = client.post(f"/boards/threads/{world['thread']}/reply", data={"body": draft})
    assert resp.status_code == 503
    page = resp.get_data(as_text=True)
    assert "磁盘已满" in page and draft in page
    assert count(db, Post) == before


def test_api_entry_on_a_full_database_is_a_json_503(app, db, client, api_token, world, full_database):
    from forum.blogs.models import Entry
    from forum.org.models import Group

    token = api_token(world["teacher"])
    blog_id = db.session.scalar(select(Group)).blog.id
    before = count(db, Entry)
    resp = client.post(f"/api/v1/blogs/{blog_id}/entries", headers={"Authorization": f"Bearer {token}"},
                       json={"title": "教学反思", "body": "正文" * 5000, "category": "reflection"})
    assert resp.status_code == 503
    assert resp.get_json()["error"]["code"] == "disk_full" and resp.headers["Retry-After"]
    assert count(db, Entry) == before
