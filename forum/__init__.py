"""Jiaoyan (教研): networked teaching research for schools."""
from __future__ import annotations

import importlib
import os
from pathlib import Path

from flask import Flask

from forum import config as config_module

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Feature packages, in registration order. Each defines `init_app(app)` in its __init__.py.
FEATURES = (
    "main", "auth", "org", "api", "blogs", "boards", "notifications", "moderation",
    "search", "tallies", "backup", "demo",
)


def create_app(config: dict | object | None = None) -> Flask:
    """Build the application: config, extensions, blueprints and CLI. Never touches the database."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    settings = config_module.defaults()
    config_module.load_env_file()
    settings.update(config_module.from_environment())
    if config is not None:
        overrides = config if isinstance(config, dict) else {
            k: getattr(config, k) for k in dir(config) if k.isupper()
        }
        settings.update(overrides)
    config_module.finalize(settings)
    app.config.update(settings)
    app.instance_path = app.config["JIAOYAN_DATA_DIR"]

    _init_extensions(app)
    from forum.core import errors, templating

    errors.init_app(app)
    templating.init_app(app)
    for name in FEATURES:
        module = importlib.import_module(f"forum.{name}")
        init = getattr(module, "init_app", None)
        if init is not None:
            init(app)
    from forum.api import register_api
    from forum.core import security

    register_api(app)
    security.init_app(app)
    from forum.core import faults, submissions

    faults.init_app(app)
    submissions.init_app(app)
    from forum.core import pagecache, viewcounts

    viewcounts.init_app(app)
    pagecache.init_app(app)  # last: its hooks go first in the before/after request lists
    return app


def _init_extensions(app: Flask) -> None:
    from forum import models  # noqa: F401  (every model registered on the metadata)
    from forum.core.db import configure_sqlite
    from forum.core.i18n import init_babel
    from forum.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine, int(app.config.get("SQLITE_BUSY_TIMEOUT_MS", 10_000)))
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    limiter.init_app(app)
    init_babel(app)
