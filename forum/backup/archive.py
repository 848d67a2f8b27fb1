"""Write and restore one consistent archive of a site: database snapshot, uploads, settings manifest.

The archive is a tar.gz holding `manifest.json` (format, time, settings without secrets, row counts
and a SHA-256 of every other member), `database/jiaoyan.sqlite3` (embedded sites only: a snapshot
taken with SQLite's online backup API, so the site keeps serving), `uploads/…` and, when the site
runs on the generated development key, `secret_key`. The search index is never copied: it is
rebuilt from the database after a restore.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

FORMAT = "jiaoyan-backup"
VERSION = 1
DB_MEMBER = "database/jiaoyan.sqlite3"
MANIFEST = "manifest.json"
# Settings worth knowing when restoring; never secrets, never URLs that may carry passwords.
SETTINGS = ("SITE_NAME", "SITE_TIMEZONE", "SEARCH_BACKEND", "MAX_UPLOAD_MB", "ALLOW_REGISTRATION",
            "TRUSTED_PROXY_HOPS", "RATELIMIT_ENABLED", "BABEL_DEFAULT_LOCALE", "API_TOKEN_DAYS",
            "PRODUCTION")
# Files the application itself creates in an otherwise empty data dir.
HARMLESS = {"secret_key", "search-indexer.lock"}


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass
class Result:
    """What a backup or restore did."""

    path: Path
    dialect: str
    tables: dict = field(default_factory=dict)
    uploads: int = 0
    notes: list = field(default_factory=list)


def sqlite_path(app) -> Path | None:
    """The SQLite database file of the app, or None on another database."""
    from sqlalchemy.engine import make_url

    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database).resolve()


def _dialect(app) -> str:
    from sqlalchemy.engine import make_url

    return make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def snapshot_sqlite(source: Path, target: Path) -> dict:
    """Copy a live SQLite database with the online backup API; returns row counts per table.

    The copy is one read transaction: in WAL mode writers carry on meanwhile and the copy is the
    database as of one instant. The copy is switched to a rollback journal so it is one file.
    """
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.execute("PRAGMA busy_timeout = 30000")
        src.backup(dst)  # pages=-1: everything in one step, so one consistent snapshot
    finally:
        src.close()
    try:
        dst.execute("PRAGMA journal_mode = DELETE")
        check = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"the database snapshot failed its integrity check: {check}")
        return _row_counts(dst)
    finally:
        dst.close()


def _row_counts(conn: sqlite3.Connection) -> dict:
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {name: conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in names}


def _upload_files(upload_dir: Path):
    """Finished upload files (temporary `.part` files of uploads in flight are skipped)."""
    if not upload_dir.is_dir():
        return
    for root, dirs, files in os.walk(upload_dir):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(".part"):
                continue
            path = Path(root) / name
            if path.is_file() and not path.is_symlink():
                yield path


def _add_file(tar: tarfile.TarFile, path: Path, arcname: str, checksums: dict) -> bool:
    """Add one file read in one go (so its size and checksum agree); False if it vanished."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return False
    info = tarfile.TarInfo(arcname)
    info.size = len(data)
    info.mtime = int(path.stat().st_mtime) if path.exists() else 0
    info.mode = 0o600 if arcname == "secret_key" else 0o644
    tar.addfile(info, io.BytesIO(data))
    checksums[arcname] = hashlib.sha256(data).hexdigest()
    return True


def default_name() -> str:
    """jiaoyan-backup-YYYYmmdd-HHMMSS.tar.gz (UTC)."""
    return f"jiaoyan-backup-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}.tar.gz"


def create_backup(app, path: str | os.PathLike | None = None) -> Result:
    """Write the archive to `path` (a file, or a folder to put a dated file in)."""
    target = Path(path) if path else Path.cwd() / default_name()
    if target.is_dir():
        target = target / default_name()
    if not (target.name.endswith(".tar.gz") or target.name.endswith(".tgz")):
        target = target.with_name(target.name + ".tar.gz")
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    data_dir = Path(app.config["JIAOYAN_DATA_DIR"]).resolve()
    upload_dir = Path(app.config["UPLOAD_DIR"]).resolve()
    dialect = _dialect(app)
    result = Result(path=target, dialect=dialect)
    checksums: dict[str, str] = {}

    fd, partial = tempfile.mkstemp(prefix=".backup-", suffix=".part", dir=target.parent)
    os.close(fd)
    try:
        with tempfile.TemporaryDirectory(prefix="jiaoyan-backup-") as scratch, \
                tarfile.open(partial, "w:gz") as tar:
            db_file = sqlite_path(app)
            if db_file is not None:
                if not db_file.exists():
                    raise BackupError(f"no database at {db_file}: nothing to back up")
                copy = Path(scratch) / "jiaoyan.sqlite3"
                result.tables = snapshot_sqlite(db_file, copy)
                _add_file(tar, copy, DB_MEMBER, checksums)
            else:
                result.notes.append(
                    f"database ({dialect}) not included: back it up with pg_dump (docs/operations.md)")
            # Uploads are copied after the snapshot: every file the snapshot refers to was written
            # before its row was committed, so it is here (files newer than the snapshot are harmless).
            for file in _upload_files(upload_dir):
                rel = file.relative_to(upload_dir).as_posix()
                if _add_file(tar, file, f"uploads/{rel}", checksums):
                    result.uploads += 1
            key = data_dir / "secret_key"
            if key.is_file() and key.read_text().strip() == app.config.get("SECRET_KEY"):
                # Only the generated development key; a configured SECRET_KEY never goes in.
                _add_file(tar, key, "secret_key", checksums)
            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "created_at": datetime.now(timezone.utc).isoformat(),
                "database": {"dialect": dialect, "included": db_file is not None,
                             "revision": _revision(copy) if db_file is not None else None},
                "tables": result.tables,
                "uploads": result.uploads,
                "settings": {k: app.config.get(k) for k in SETTINGS},
                "search_index": "not included: rebuilt from the database on restore",
                "files": checksums,
            }
            raw = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(raw)
            info.mtime = int(datetime.now(timezone.utc).timestamp())
            tar.addfile(info, io.BytesIO(raw))
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return result


def _revision(db_copy: Path) -> str | None:
    conn = sqlite3.connect(db_copy)
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return row[0] if row else None
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def read_manifest(path: str | os.PathLike) -> dict:
    """Open the archive, check it is ours and intact (every checksum); returns the manifest."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"no backup archive at {path}")
    try:
        with tarfile.open(path, "r:*") as tar:
            try:
                member = tar.getmember(MANIFEST)
            except KeyError:
                raise BackupError(f"{path} is not a Jiaoyan backup (no {MANIFEST})") from None
            manifest = json.loads(tar.extractfile(member).read().decode("utf-8"))
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                raise BackupError(f"{path} is not a Jiaoyan backup (unknown manifest format)")
            if manifest.get("version") != VERSION:
                raise BackupError(f"{path} is a backup of format version {manifest.get('version')}; "
                                  f"this version of Jiaoyan reads version {VERSION}")
            expected = dict(manifest.get("files") or {})
            for m in tar.getmembers():
                if m.name == MANIFEST:
                    continue
                _check_member_name(m)
                if m.name not in expected:
                    raise BackupError(f"{path} is damaged: unexpected member {m.name!r}")
                digest = hashlib.sha256()
                fh = tar.extractfile(m)
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
                if digest.hexdigest() != expected.pop(m.name):
                    raise BackupError(f"{path} is damaged: checksum mismatch for {m.name}")
            if expected:
                raise BackupError(f"{path} is damaged: missing {', '.join(sorted(expected))}")
    except (tarfile.TarError, EOFError, OSError, UnicodeDecodeError, ValueError) as exc:
        # zlib/gzip/tar errors all mean the same to the operator: not a readable backup
        reason = "not a tar.gz archive" if isinstance(exc, tarfile.ReadError) else f"{exc.__class__.__name__}: {exc}"
        raise BackupError(f"{path} is not a readable Jiaoyan backup archive ({reason}); "
                          "it may be damaged or truncated") from exc
    return manifest


def _check_member_name(member: tarfile.TarInfo) -> None:
    name = member.name
    if not member.isfile() or name.startswith("/") or ".." in Path(name).parts:
        raise BackupError(f"refusing unsafe archive member {name!r}")
    if not (name == DB_MEMBER or name == "secret_key" or name.startswith("uploads/")):
        raise BackupError(f"unexpected archive member {name!r}")


def occupied(app) -> list[str]:
    """What already lives in the data dir (empty list: safe to restore into)."""
    data_dir = Path(app.config["JIAOYAN_DATA_DIR"]).resolve()
    upload_dir = Path(app.config["UPLOAD_DIR"]).resolve()
    found: list[str] = []
    db_file = sqlite_path(app)
    if db_file is not None and db_file.exists() and db_file.stat().st_size > 0:
        conn = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
        try:
            counts = _row_counts(conn)
        finally:
            conn.close()
        rows = sum(n for t, n in counts.items() if t != "alembic_version")
        if rows:
            found.append(f"database {db_file} ({rows} rows)")
    if any(_upload_files(upload_dir)):
        found.append(f"uploads in {upload_dir}")
    skip = {db_file.name if db_file else None, upload_dir.name, "search-index"}
    skip |= {f"{db_file.name}-wal", f"{db_file.name}-shm", f"{db_file.name}-journal"} if db_file else set()
    if data_dir.is_dir():
        for entry in sorted(data_dir.iterdir()):
            if entry.name in skip or entry.name in HARMLESS:
                continue
            if entry.is_dir() and not any(entry.iterdir()):
                continue
            found.append(str(entry))
    return found


def restore_backup(app, path: str | os.PathLike) -> Result:
    """Restore the archive into the app's (empty) data dir; the search index is rebuilt by the caller."""
    manifest = read_manifest(path)
    busy = occupied(app)
    if busy:
        raise BackupError("refusing to restore into a data dir that is not empty: "
                          + "; ".join(busy) + ". Restore into a new, empty JIAOYAN_DATA_DIR.")
    data_dir = Path(app.config["JIAOYAN_DATA_DIR"]).resolve()
    upload_dir = Path(app.config["UPLOAD_DIR"]).resolve()
    dialect = _dialect(app)
    result = Result(path=Path(path), dialect=dialect, tables=manifest.get("tables") or {})
    db_included = bool(manifest.get("database", {}).get("included"))
    db_file = sqlite_path(app)
    if db_included and db_file is None:
        raise BackupError(f"this backup holds a SQLite database but this site uses {dialect}; "
                          "restore it into an embedded site (no DATABASE_URL)")
    if not db_included:
        result.notes.append("the backup holds no database: restore it with pg_restore (docs/operations.md)")

    with tempfile.TemporaryDirectory(prefix=".restore-", dir=data_dir) as scratch:
        with tarfile.open(path, "r:*") as tar:
            members = [m for m in tar.getmembers() if m.name != MANIFEST]
            for m in members:
                _check_member_name(m)
            tar.extractall(scratch, members=members, filter="data")
        staged = Path(scratch)
        if db_included:
            conn = sqlite3.connect(staged / DB_MEMBER)
            try:
                check = conn.execute("PRAGMA integrity_check").fetchone()[0]
                result.tables = _row_counts(conn)
            finally:
                conn.close()
            if check != "ok":
                raise BackupError(f"the archived database fails its integrity check: {check}")
            from forum.extensions import db

            with app.app_context():
                db.engine.dispose()  # no connection may keep the old (empty) file open
            for suffix in ("-wal", "-shm", "-journal"):
                Path(f"{db_file}{suffix}").unlink(missing_ok=True)
            db_file.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged / DB_MEMBER, db_file)
        uploads = staged / "uploads"
        if uploads.is_dir():
            upload_dir.mkdir(parents=True, exist_ok=True)
            for file in _upload_files(uploads):
                dest = upload_dir / file.relative_to(uploads)
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(file, dest)
                result.uploads += 1
        if (staged / "secret_key").is_file():
            # The generated key signs sessions and tokens' cookies; keep users signed in.
            os.replace(staged / "secret_key", data_dir / "secret_key")
            os.chmod(data_dir / "secret_key", 0o600)
            if os.environ.get("SECRET_KEY"):
                result.notes.append("SECRET_KEY is set in the environment: the archived secret_key "
                                    "file is restored but not used")
    index_dir = Path(app.config.get("SEARCH_INDEX_DIR", data_dir / "search-index"))
    if index_dir.is_dir():
        shutil.rmtree(index_dir, ignore_errors=True)  # empty by the check above; start clean
    for key, value in (manifest.get("settings") or {}).items():
        if key in SETTINGS and app.config.get(key) != value:
            result.notes.append(f"setting {key}: archive had {value!r}, this site has {app.config.get(key)!r}")
    return result
