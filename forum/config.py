"""Configuration: defaults, then environment variables (and an optional .env file)."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


class ConfigError(RuntimeError):
    """Raised when the configuration cannot be used safely."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def load_env_file() -> None:
    """Read `.env` from the working directory if present (never overrides the environment)."""
    try:
        from dotenv import load_dotenv
    except ImportError:  # pragma: no cover - python-dotenv is a runtime dependency
        return
    load_dotenv(os.path.join(os.getcwd(), ".env"), override=False)


def defaults() -> dict:
    """Settings that hold unless the environment or the caller says otherwise."""
    return {
        "PRODUCTION": False,
        "JIAOYAN_DATA_DIR": os.path.abspath("instance"),
        "SITE_TIMEZONE": "Asia/Shanghai",
        "SITE_NAME": "教研网",
        "SEARCH_BACKEND": "whoosh",
        "SEARCH_INDEXER": "thread",  # "thread" (in-process), "sync" (tests), "off" (external worker)
        # Mapped-file pages (index and libraries) a worker keeps after a search; 0: no limit.
        "SEARCH_MAPPED_MB": 32,
        "ALLOW_REGISTRATION": True,
        "MAX_UPLOAD_MB": 50,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        # Redis down: count in memory and carry on rather than fail the request (docs/operations.md).
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "TRUSTED_PROXY_HOPS": 0,
        "GZIP_LEVEL": 1,  # gzip text responses in the app; 0 when the reverse proxy compresses
        "LOGIN_RATE_LIMIT": "10 per minute;100 per hour",
        "PASSWORD_HASH_METHOD": "scrypt:131072:8:1",
        "API_TOKEN_DAYS": 90,
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": ["zh_CN", "en"],
        "WTF_CSRF_TIME_LIMIT": None,  # long drafts must not be lost to an expiring token
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_DURATION": 14 * 24 * 3600,
        # SQLite: how long a write waits for the write lock before the request answers 503.
        "SQLITE_BUSY_TIMEOUT_MS": 10_000,
        "SEMESTERS": [((9, 1), (1, 31)), ((2, 1), (7, 31))],
    }


def from_environment() -> dict:
    """Settings named in DESIGN.md §4, read from the environment."""
    env = os.environ
    out: dict = {}
    if "JIAOYAN_DATA_DIR" in env:
        out["JIAOYAN_DATA_DIR"] = os.path.abspath(env["JIAOYAN_DATA_DIR"])
    for key in ("DATABASE_URL", "SECRET_KEY", "SITE_TIMEZONE", "SEARCH_BACKEND",
                "RATELIMIT_STORAGE_URI", "SEARCH_INDEXER", "SITE_NAME"):
        if env.get(key):
            out[key] = env[key]
    if "RATELIMIT_ENABLED" in env:
        out["RATELIMIT_ENABLED"] = _bool(env["RATELIMIT_ENABLED"], True)
    if "ALLOW_REGISTRATION" in env:
        out["ALLOW_REGISTRATION"] = _bool(env["ALLOW_REGISTRATION"], True)
    if "JIAOYAN_PRODUCTION" in env or "PRODUCTION" in env:
        out["PRODUCTION"] = _bool(env.get("JIAOYAN_PRODUCTION", env.get("PRODUCTION")))
    if "MAX_UPLOAD_MB" in env:
        out["MAX_UPLOAD_MB"] = _int("MAX_UPLOAD_MB", 50)
    if "TRUSTED_PROXY_HOPS" in env:
        out["TRUSTED_PROXY_HOPS"] = _int("TRUSTED_PROXY_HOPS", 0)
    if "GZIP_LEVEL" in env:
        out["GZIP_LEVEL"] = max(0, min(9, _int("GZIP_LEVEL", 1)))
    if "SEARCH_MAPPED_MB" in env:
        out["SEARCH_MAPPED_MB"] = max(0, _int("SEARCH_MAPPED_MB", 32))
    if "SQLITE_BUSY_TIMEOUT_MS" in env:
        out["SQLITE_BUSY_TIMEOUT_MS"] = _int("SQLITE_BUSY_TIMEOUT_MS", 10_000)
    # The visitors' page cache (forum/core/pagecache.py): on unless TESTING; PAGE_CACHE=0 turns it off.
    if "PAGE_CACHE" in env:
        out["PAGE_CACHE"] = _bool(env["PAGE_CACHE"], True)
    # Derived data kept under the same generation (pagecache.remember): on unless TESTING.
    if "DERIVED_CACHE" in env:
        out["DERIVED_CACHE"] = _bool(env["DERIVED_CACHE"], True)
    if "PAGE_CACHE_TTL" in env:
        out["PAGE_CACHE_TTL"] = max(0, _int("PAGE_CACHE_TTL", 30))
    if "PAGE_CACHE_MAX_BYTES" in env:
        out["PAGE_CACHE_MAX_BYTES"] = max(0, _int("PAGE_CACHE_MAX_BYTES", 32 << 20))
    if env.get("PAGE_CACHE_GENERATION"):
        out["PAGE_CACHE_GENERATION"] = env["PAGE_CACHE_GENERATION"]
    return out


def finalize(config: dict) -> None:
    """Derive dependent settings and refuse unsafe combinations (mutates `config`)."""
    data_dir = Path(config["JIAOYAN_DATA_DIR"])
    data_dir.mkdir(parents=True, exist_ok=True)
    config.setdefault("UPLOAD_DIR", str(data_dir / "uploads"))
    config.setdefault("SEARCH_INDEX_DIR", str(data_dir / "search-index"))
    Path(config["UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)

    url = config.get("SQLALCHEMY_DATABASE_URI") or config.get("DATABASE_URL")
    if not url:
        url = f"sqlite:///{data_dir / 'jiaoyan.sqlite3'}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    config["SQLALCHEMY_DATABASE_URI"] = url
    # A server connection can drop between requests: test it at checkout. An SQLite file cannot,
    # and the ping was a statement per request.
    if not url.startswith("sqlite"):
        config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {}).setdefault("pool_pre_ping", True)

    config["MAX_CONTENT_LENGTH"] = int(config["MAX_UPLOAD_MB"]) * 1024 * 1024

    if config.get("PRODUCTION"):
        if not config.get("SECRET_KEY"):
            raise ConfigError("SECRET_KEY must be set in production")
        if config.get("DEBUG"):
            raise ConfigError("debug mode is refused in production")
        config["SESSION_COOKIE_SECURE"] = True
        config["REMEMBER_COOKIE_SECURE"] = True
    elif not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _development_key(data_dir)


def _development_key(data_dir: Path) -> str:
    """Generate a development key once and keep it in the data dir."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
