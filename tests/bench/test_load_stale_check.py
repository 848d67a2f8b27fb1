"""bench/load.py's stale-read check: it flags a read that misses an acknowledged entry, in the pages'
own order (published_at, then id), and not one whose higher id rightly sits lower."""
from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench" / "load.py")
load = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(load)


def _run(acks, reads):
    writers = [SimpleNamespace(entry_acks=acks)]
    readers = [SimpleNamespace(reads=[(t, set(ids), None, 200) for t, ids in reads])]
    return load.stale_reads(readers, writers)


def test_a_read_after_an_ack_that_does_not_show_it_is_stale():
    acks = [(1.0, 10, "2026-12-02T10:00:00.100000+00:00"), (2.0, 11, "2026-12-02T10:00:00.900000+00:00")]
    # after the second ack the page still shows only the first entry (and older, seeded ones)
    assert _run(acks, [(2.5, [10, 3, 2])]) == (1, 0, 1)
    assert _run(acks, [(2.5, [11, 10, 3])]) == (1, 0, 0)
    assert _run(acks, [(1.5, [10, 3])]) == (1, 0, 0)  # read before the second ack: not stale
    assert _run(acks, [(0.5, [3, 2])]) == (1, 0, 0)  # before any ack


def test_a_higher_id_with_an_earlier_time_is_not_newer():
    # entry 12 took its time before 11 but got the lock after it: the page lists 11 first, and a
    # page showing 11 but not 12 (12 fell below the page's last row) is up to date
    acks = [(1.0, 11, "2026-12-02T10:00:00.500000+00:00"), (2.0, 12, "2026-12-02T10:00:00.200000+00:00")]
    assert _run(acks, [(2.5, [11])]) == (1, 0, 0)
    assert _run(acks, [(2.5, [12])]) == (1, 0, 1)  # 12 shown but 11, the newest, missing
