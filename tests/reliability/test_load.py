"""The short concurrent-writer run of bench/load.py: gunicorn, 10 writers, a few seconds, then the audit."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import os

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The run takes minutes (it seeds a site and starts gunicorn) and is known not to meet its goal on
# SQLite yet (see the xfail reason), so `make test` leaves it out unless asked: JIAOYAN_LOAD_TEST=1.
pytestmark = pytest.mark.skipif(not os.environ.get("JIAOYAN_LOAD_TEST"),
                                reason="set JIAOYAN_LOAD_TEST=1 to run the short load test")


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
