"""The short concurrent-writer run of bench/load.py: gunicorn, 10 writers, a few seconds, then the audit.

It runs on the database of the pass: SQLite, or PostgreSQL when TEST_DATABASE_URL is set.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_short_load_run_has_no_5xx_and_a_consistent_audit():
    """Zero 5xx; every acknowledged write present once with one ledger row and an outbox row."""
    pg = os.environ.get("TEST_DATABASE_URL", "").strip()
    args = ["--db", "postgres", "--pg-url", pg] if pg else ["--db", "sqlite"]
    proc = subprocess.run([sys.executable, "bench/load.py", *args, "--writers", "10", "--seconds", "4"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr[-3000:]
    assert proc.returncode == 0, out[-4000:]
    assert "5xx: 0" in proc.stdout and "  consistent" in proc.stdout, out[-4000:]
    reads = re.search(r"visitor reads (\d+) \((\d+) from the page cache\); stale: (\d+)", proc.stdout)
    assert reads and int(reads.group(1)) > 0 and int(reads.group(3)) == 0, out[-4000:]
    acknowledged = int(re.search(r"acknowledged (\d+)", proc.stdout).group(1))
    assert acknowledged >= 10, out[-4000:]  # the writers did write
