"""`flask backup` / `flask restore`: a consistent archive of a live embedded site, restored elsewhere."""
from __future__ import annotations

import io
import json
import shutil
import sqlite3
import tarfile
import threading

import pytest

from forum import create_app
from forum.extensions import db as _db
from tests.conftest import make_config
from tests.factories import make_entry, make_group, make_thread, make_user

PDF_BYTES = "%PDF-1.4 教学设计\n".encode() * 100


def _sqlite_app(tmp_path, sqlite_template, name: str, *, copy_schema: bool = True):
    """An embedded site (always SQLite, even in the PostgreSQL run) with its own data dir."""
    root = tmp_path / name
    (root / "data").mkdir(parents=True)
    target = root / "data" / "jiaoyan.sqlite3"
    if copy_schema:
        shutil.copy(sqlite_template, target)
    config = make_config(root, f"sqlite:///{target}")
    del config["SECRET_KEY"]  # run on the generated key in the data dir, as a fresh site does
    return create_app(config)


def _counts(path) -> dict:
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
        return {n: conn.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0] for n in names}
    finally:
        conn.close()


@pytest.fixture
def live_site(tmp_path, sqlite_template):
    """A seeded embedded site: a group with a blog and a board, content and one upload."""
    app = _sqlite_app(tmp_path, sqlite_template, "live")
    with app.app_context():
        host = make_user("backup_host", display_name="王老师")
        teacher = make_user("backup_teacher", display_name="李老师")
        group = make_group("语文组", members=[teacher], hosts=[host])
        for i in range(5):
            make_entry(group.blog, teacher, title=f"《秋天的雨》教学反思 {i}", body=f"第{i}次反思：朗读与体会。")
            make_thread(group.board, host, title=f"单元整体教学讨论 {i}", body=f"讨论内容 {i}")
        ids = {"board": group.board.id, "host": host.id}
        _db.session.remove()
    upload = tmp_path / "live" / "data" / "uploads" / "ab" / "lesson-design.pdf"
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_bytes(PDF_BYTES)
    yield app, ids
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


def test_backup_of_live_site_restores_elsewhere_with_same_content(live_site, tmp_path, sqlite_template):
    app, ids = live_site
    db_path = tmp_path / "live" / "data" / "jiaoyan.sqlite3"
    before = _counts(db_path)["threads"]
    stop = threading.Event()
    written = []

    def writer():
        """Keep posting through the write path while the backup runs."""
        from forum.boards.models import Board
        from forum.auth.models import User

        with app.app_context():
            board = _db.session.get(Board, ids["board"])
            host = _db.session.get(User, ids["host"])
            n = 0
            while not stop.is_set() or n < 3:
                make_thread(board, host, title=f"备份期间的帖子 {n}", body="并发写入")
                written.append(n)
                n += 1
            _db.session.remove()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        archive = tmp_path / "site.tar.gz"
        result = app.test_cli_runner().invoke(args=["backup", str(archive)])
    finally:
        stop.set()
        thread.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert "search index: not included" in result.output
    assert written, "the writer should have posted while the backup ran"

    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert {"manifest.json", "database/jiaoyan.sqlite3", "uploads/ab/lesson-design.pdf", "secret_key"} <= names
    assert not any(n.startswith("search-index") for n in names)
    assert manifest["settings"]["SITE_TIMEZONE"] == "Asia/Shanghai"
    assert "SECRET_KEY" not in json.dumps(manifest)

    target = _sqlite_app(tmp_path, sqlite_template, "restored", copy_schema=False)
    out = target.test_cli_runner().invoke(args=["restore", str(archive)])
    assert out.exit_code == 0, out.output
    assert "indexed" in out.output  # the index was rebuilt, not copied

    restored = _counts(tmp_path / "restored" / "data" / "jiaoyan.sqlite3")
    assert restored == manifest["tables"]
    live_after = _counts(db_path)
    # The snapshot lies between "before the writer" and "after the writer", as of one instant:
    assert before <= restored["threads"] <= live_after["threads"]
    for table in ("users", "groups", "entries", "blogs", "boards"):
        assert restored[table] == live_after[table]
    conn = sqlite3.connect(tmp_path / "restored" / "data" / "jiaoyan.sqlite3")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        titles = [r[0] for r in conn.execute("SELECT title FROM entries ORDER BY id")]
        assert titles == [f"《秋天的雨》教学反思 {i}" for i in range(5)]
        # write-path atomicity survives the snapshot: every thread has exactly one ledger row
        orphans = conn.execute(
            "SELECT COUNT(*) FROM threads t WHERE (SELECT COUNT(*) FROM contributions c "
            "WHERE c.source_type='thread' AND c.source_id=t.id) != 1").fetchone()[0]
        assert orphans == 0
    finally:
        conn.close()
    pdf = tmp_path / "restored" / "data" / "uploads" / "ab" / "lesson-design.pdf"
    assert pdf.read_bytes() == PDF_BYTES
    assert (tmp_path / "restored" / "data" / "secret_key").read_text() == \
        (tmp_path / "live" / "data" / "secret_key").read_text()

    # The restored site serves its content, and search works on the rebuilt index.
    client = target.test_client()
    resp = client.get("/api/v1/search?q=秋天")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json()["total"] >= 1

    # A second restore into the now non-empty data dir is refused, and changes nothing.
    again = target.test_cli_runner().invoke(args=["restore", str(archive)])
    assert again.exit_code != 0
    assert "not empty" in again.output
    assert _counts(tmp_path / "restored" / "data" / "jiaoyan.sqlite3") == restored
    with target.app_context():
        _db.engine.dispose()


def _tar_gz(members: dict) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.mark.parametrize("kind, expected", [
    ("garbage", "not a readable Jiaoyan backup"),
    ("truncated", "not a readable Jiaoyan backup"),
    ("no_manifest", "not a Jiaoyan backup"),
    ("foreign_manifest", "not a Jiaoyan backup"),
    ("tampered", "damaged"),
    ("traversal", "unsafe"),
    ("missing", "no backup archive"),
])
def test_corrupt_or_unknown_archive_is_refused_clearly(live_site, tmp_path, sqlite_template, kind, expected):
    app, _ids = live_site
    good = tmp_path / "good.tar.gz"
    assert app.test_cli_runner().invoke(args=["backup", str(good)]).exit_code == 0
    bad = tmp_path / "bad.tar.gz"
    if kind == "garbage":
        bad.write_bytes(b"this is not an archive at all" * 10)
    elif kind == "truncated":
        bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    elif kind == "no_manifest":
        bad.write_bytes(_tar_gz({"uploads/x.pdf": b"%PDF"}))
    elif kind == "foreign_manifest":
        bad.write_bytes(_tar_gz({"manifest.json": b'{"format": "something-else"}'}))
    elif kind == "tampered":
        with tarfile.open(good) as tar:
            members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
        members["uploads/ab/lesson-design.pdf"] = b"%PDF tampered"
        bad.write_bytes(_tar_gz(members))
    elif kind == "traversal":
        manifest = {"format": "jiaoyan-backup", "version": 1, "database": {"included": False},
                    "files": {"../evil": "0" * 64}}
        bad.write_bytes(_tar_gz({"manifest.json": json.dumps(manifest).encode(), "../evil": b"x"}))
    else:
        bad = tmp_path / "does-not-exist.tar.gz"
    target = _sqlite_app(tmp_path, sqlite_template, "target", copy_schema=False)
    out = target.test_cli_runner().invoke(args=["restore", str(bad)])
    assert out.exit_code != 0
    assert expected in out.output
    assert "Traceback" not in out.output
    data = tmp_path / "target" / "data"
    assert not (data / "jiaoyan.sqlite3").exists() or _counts(data / "jiaoyan.sqlite3").get("users", 0) == 0
    assert not any((data / "uploads").iterdir())
    assert not (tmp_path / "target" / "evil").exists()


def test_postgres_backup_holds_uploads_only(live_site, tmp_path, monkeypatch):
    """On PostgreSQL the archive carries the uploads and says to use pg_dump for the database."""
    from forum.backup import archive

    app, _ids = live_site
    monkeypatch.setattr(archive, "sqlite_path", lambda _app: None)
    monkeypatch.setattr(archive, "_dialect", lambda _app: "postgresql")
    out = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "pg.tar.gz")])
    assert out.exit_code == 0, out.output
    assert "pg_dump" in out.output
    with tarfile.open(tmp_path / "pg.tar.gz") as tar:
        names = set(tar.getnames())
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert "database/jiaoyan.sqlite3" not in names
    assert "uploads/ab/lesson-design.pdf" in names
    assert manifest["database"] == {"dialect": "postgresql", "included": False, "revision": None}
