"""The short concurrent-writer run of bench/load.py: gunicorn, 10 writers, a few seconds, then the audit."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.xfail(strict=False, reason=(
    "on SQLite every transaction is BEGIN IMMEDIATE (forum/core/db.py), so each request holds the write lock "
    "from its first query (the token lookup) to its commit; on a loaded machine writes queue past the 10 s "
    "busy timeout and are answered 503 (cleanly: nothing half-written). Seen at load average 24."))
def test_short_load_run_is_consistent_on_sqlite():
    """Zero 5xx; every acknowledged write present once with one ledger row and an outbox row."""
    proc = subprocess.run([sys.executable, "bench/load.py", "--db", "sqlite", "--writers", "10", "--seconds", "3"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "consistent" in proc.stdout and "NOT CONSISTENT" not in proc.stdout
