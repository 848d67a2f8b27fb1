"""The committed migrations build the schema from empty and agree with the models."""
import os
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from forum import create_app
from forum.extensions import db


def _upgrade(url: str, tmp_path):
    from flask_migrate import upgrade

    app = create_app({"JIAOYAN_DATA_DIR": str(tmp_path / "mig"), "SQLALCHEMY_DATABASE_URI": url,
                      "SECRET_KEY": "t", "TESTING": True})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
            diff = compare_metadata(ctx, db.metadata)
            tables = set(sa.inspect(conn).get_table_names())
        db.engine.dispose()
    return diff, tables


def test_sqlite_upgrade_from_empty_matches_models(tmp_path):
    diff, tables = _upgrade(f"sqlite:///{tmp_path / 'fresh.sqlite3'}", tmp_path)
    assert "users" in tables and "contributions" in tables and "search_outbox" in tables
    assert diff == [], f"models and migrations disagree: {diff}"


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL")
def test_postgresql_upgrade_from_empty_matches_models(tmp_path):
    base = sa.make_url(os.environ["TEST_DATABASE_URL"]).set(drivername="postgresql+psycopg")
    name = f"jiaoyan_mig_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        diff, tables = _upgrade(base.set(database=name).render_as_string(hide_password=False), tmp_path)
        assert "users" in tables and "contributions" in tables
        assert diff == [], f"models and migrations disagree: {diff}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
