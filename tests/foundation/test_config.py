"""Configuration and the application factory."""
import os

import pytest

from forum import create_app
from forum.config import ConfigError


def test_factory_uses_data_dir_for_sqlite_index_and_uploads(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"JIAOYAN_DATA_DIR": str(tmp_path / "d"), "TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'd' / 'jiaoyan.sqlite3'}"
    assert app.config["UPLOAD_DIR"].startswith(str(tmp_path / "d"))
    assert app.config["SEARCH_INDEX_DIR"].startswith(str(tmp_path / "d"))


def test_environment_variables_are_read(tmp_path, monkeypatch):
    monkeypatch.setenv("JIAOYAN_DATA_DIR", str(tmp_path / "env"))
    monkeypatch.setenv("SITE_TIMEZONE", "Asia/Urumqi")
    monkeypatch.setenv("MAX_UPLOAD_MB", "7")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@127.0.0.1/x")
    app = create_app()
    assert app.config["SITE_TIMEZONE"] == "Asia/Urumqi"
    assert app.config["MAX_CONTENT_LENGTH"] == 7 * 1024 * 1024
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert app.config["JIAOYAN_DATA_DIR"] == str(tmp_path / "env")


def test_dotenv_file_is_read_without_overriding_environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("SITE_TIMEZONE=Asia/Hong_Kong\nJIAOYAN_DATA_DIR=fromdotenv\n")
    monkeypatch.delenv("SITE_TIMEZONE", raising=False)
    monkeypatch.delenv("JIAOYAN_DATA_DIR", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    try:
        app = create_app()
    finally:
        # python-dotenv writes into os.environ itself; don't leak into later tests.
        os.environ.pop("SITE_TIMEZONE", None)
        os.environ.pop("JIAOYAN_DATA_DIR", None)
    assert app.config["SITE_TIMEZONE"] == "Asia/Hong_Kong"
    assert app.config["JIAOYAN_DATA_DIR"] == str(tmp_path / "fromdotenv")


def test_development_secret_key_is_generated_once(tmp_path):
    cfg = {"JIAOYAN_DATA_DIR": str(tmp_path / "k")}
    first = create_app(dict(cfg)).config["SECRET_KEY"]
    second = create_app(dict(cfg)).config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "k" / "secret_key").exists()


def test_production_refuses_to_start_without_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app({"JIAOYAN_DATA_DIR": str(tmp_path), "PRODUCTION": True})


def test_production_refuses_debug(tmp_path):
    with pytest.raises(ConfigError):
        create_app({"JIAOYAN_DATA_DIR": str(tmp_path), "PRODUCTION": True, "SECRET_KEY": "x" * 40, "DEBUG": True})


def test_production_turns_on_secure_cookies_and_hsts(tmp_path):
    app = create_app({"JIAOYAN_DATA_DIR": str(tmp_path), "PRODUCTION": True, "SECRET_KEY": "x" * 40})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    resp = app.test_client().get("/healthz")
    assert "Strict-Transport-Security" in resp.headers


def test_factory_does_not_touch_the_database(tmp_path):
    create_app({"JIAOYAN_DATA_DIR": str(tmp_path / "nodb")})
    assert not (tmp_path / "nodb" / "jiaoyan.sqlite3").exists()


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(app, db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_sqlite_write_transactions_begin_immediate(app, db):
    """A second writer waits for the lock instead of failing at once with 'database is locked'."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    import sqlite3
    import threading
    import time

    from forum.org.models import Cluster

    path = db.engine.url.database
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO clusters (name, description) VALUES ('锁测试', '')")

    def release():
        time.sleep(0.5)
        holder.execute("COMMIT")

    threading.Thread(target=release).start()
    started = time.monotonic()
    with app.app_context():
        db.session.add(Cluster(name="等待者", description=""))
        db.session.commit()
    assert time.monotonic() - started >= 0.4
    assert db.session.scalar(db.select(db.func.count()).select_from(Cluster)) == 2


def test_security_headers_on_every_page(client):
    resp = client.get("/")
    csp = resp.headers["Content-Security-Policy"]
    for part in ("default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
                 "form-action 'self'"):
        assert part in csp
    assert "unsafe-inline" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"]


def test_utc_datetime_column_refuses_naive_values(app, db):
    from datetime import datetime

    from sqlalchemy.exc import StatementError

    from forum.org.models import Cluster

    db.session.add(Cluster(name="x"))
    db.session.commit()
    from forum.auth.models import ApiToken
    from tests.factories import make_user

    user = make_user()
    db.session.add(ApiToken(user_id=user.id, token_hash="h" * 64, prefix="p", expires_at=datetime(2030, 1, 1)))
    with pytest.raises(StatementError):
        db.session.commit()
    db.session.rollback()
