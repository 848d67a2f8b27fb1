"""Child processes for the crash tests: a CLI command or gunicorn over the test's database, stopped at a fault point."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]


def child_env(app, fault: str | None = None, fault_file: Path | None = None) -> dict:
    """The environment of a process serving the test app's data dir and database."""
    env = {**os.environ, "JIAOYAN_DATA_DIR": app.config["JIAOYAN_DATA_DIR"],
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": app.config["SECRET_KEY"],
           "SEARCH_INDEXER": "off", "RATELIMIT_ENABLED": "0", "PYTHONPATH": str(ROOT)}
    env.pop("JIAOYAN_FAULT", None)
    if fault:
        env.update({"JIAOYAN_FAULT": fault, "JIAOYAN_FAULT_FILE": str(fault_file)})
    return env


def flask(app, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """Run `flask --app wsgi ARGS` to completion against the test app's site."""
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=child_env(app),
                          capture_output=True, text=True, timeout=timeout)


def start(cmd: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for_fault(proc: subprocess.Popen, fault_file: Path, timeout: float = 90) -> int:
    """The pid that stopped at the fault point (fails if the process ended or never got there)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if fault_file.exists() and fault_file.read_text().strip():
            return int(fault_file.read_text())
        if proc.poll() is not None:
            raise AssertionError(f"exited {proc.returncode} before the fault point: {proc.stdout.read()[-3000:]}")
        time.sleep(0.05)
    raise AssertionError("the fault point was never reached")


def kill9(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def integrity_ok(app) -> bool:
    """`PRAGMA integrity_check` on SQLite (PostgreSQL keeps its own WAL: nothing to check here)."""
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if not url.drivername.startswith("sqlite"):
        return True
    conn = sqlite3.connect(url.database)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


def scalar(db, sql: str, **params):
    value = db.session.execute(sa.text(sql), params).scalar()
    db.session.rollback()
    return value


def outbox_count(db) -> int:
    return scalar(db, "SELECT COUNT(*) FROM search_outbox")


def orphans(db) -> int:
    """Ledger or outbox rows whose content row does not exist (a half-present write)."""
    total = 0
    for doc_type, table in (("post", "posts"), ("entry", "entries"), ("thread", "threads"), ("comment", "comments")):
        total += scalar(db, f"SELECT COUNT(*) FROM contributions WHERE source_type = :t AND source_id NOT IN "
                            f"(SELECT id FROM {table})", t=doc_type)
        total += scalar(db, f"SELECT COUNT(*) FROM search_outbox WHERE doc_type = :t AND doc_id NOT IN "
                            f"(SELECT id FROM {table})", t=doc_type)
    return total


def drain_with_worker(app, db, timeout: float = 120) -> None:
    """Start `flask search worker`, wait until the outbox is empty, stop it."""
    worker = start([sys.executable, "-m", "flask", "--app", "wsgi", "search", "worker"], child_env(app))
    try:
        deadline = time.monotonic() + timeout
        while outbox_count(db):
            assert worker.poll() is None, worker.stdout.read()[-3000:]
            assert time.monotonic() < deadline, "the outbox did not drain"
            time.sleep(0.2)
    finally:
        stop(worker)


def verify_ok(app) -> str:
    """`flask search verify` must report the index equal to the database."""
    proc = flask(app, "search", "verify")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "missing: 0" in proc.stdout and "stale: 0" in proc.stdout and "extra: 0" in proc.stdout
    return proc.stdout
