"""Fixtures: an app with a fresh database (SQLite always; PostgreSQL when TEST_DATABASE_URL is set)."""
from __future__ import annotations

import os
import shutil
import uuid

import pytest
import sqlalchemy as sa

from forum import create_app
from forum.extensions import db as _db

PG_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
FAST_HASH = "scrypt:1024:8:1"  # tests only; the application default is N=2^17


def _pg_admin_url(url: str) -> sa.URL:
    u = sa.make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u


@pytest.fixture(scope="session")
def pg_database():
    """A fresh PostgreSQL database for this test run (and this xdist worker), dropped afterwards."""
    if not PG_URL:
        yield None
        return
    base = _pg_admin_url(PG_URL)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    name = f"jiaoyan_test_{worker}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name)
    engine = sa.create_engine(url)
    from forum import models  # noqa: F401
    _db.metadata.create_all(engine)
    engine.dispose()
    yield url.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A SQLite file with the schema, copied for each test (faster than create_all every time)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = sa.create_engine(f"sqlite:///{path}")
    from forum import models  # noqa: F401
    _db.metadata.create_all(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode = WAL")  # persistent, as on a real site
    engine.dispose()
    return path


def make_config(tmp_path, database_url: str, **extra) -> dict:
    """Test settings: temporary data dir, fast hashing, limits off, synchronous indexing."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "JIAOYAN_DATA_DIR": str(tmp_path / "data"),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "PASSWORD_HASH_METHOD": FAST_HASH,
        "SEARCH_INDEXER": "sync",
        "SERVER_NAME": None,
    }
    config.update(extra)
    return config


@pytest.fixture
def app_config(tmp_path, pg_database, sqlite_template):
    """The configuration the `app` fixture uses; tests may override keys before `app` is built."""
    if pg_database:
        url = pg_database
    else:
        target = tmp_path / "test.sqlite3"
        shutil.copy(sqlite_template, target)
        url = f"sqlite:///{target}"
    return make_config(tmp_path, url)


@pytest.fixture
def app(app_config, pg_database):
    """A fresh application with an empty database."""
    application = create_app(app_config)
    ctx = application.app_context()
    ctx.push()
    yield application
    _db.session.remove()
    if pg_database:
        # DELETE of a few rows is far cheaper than TRUNCATE of ~30 tables (which rewrites files).
        with _db.engine.begin() as conn:
            for table in reversed(_db.metadata.sorted_tables):
                conn.execute(table.delete())
    stop = application.extensions.get("jy_shutdown")
    if stop:
        stop()
    _db.engine.dispose()
    ctx.pop()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def login(client):
    """login(user) signs the test client in as `user` (password from the factories)."""
    from tests.factories import PASSWORD

    def _login(user, password: str = PASSWORD, remember: bool = False):
        resp = client.post("/auth/login", data={"username": user.username, "password": password,
                                                 "remember": "y" if remember else ""})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return resp
    return _login


@pytest.fixture
def api_token(client):
    """api_token(user) → a bearer token for `user`."""
    from tests.factories import PASSWORD

    def _token(user, password: str = PASSWORD) -> str:
        resp = client.post("/api/v1/tokens", json={"username": user.username, "password": password})
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()["token"]
    return _token
