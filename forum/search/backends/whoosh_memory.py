"""A search worker's resident set stays its own memory: past a budget, it unmaps index pages.

Whoosh maps each compound segment file read-only (mmap). Every page a search reads stays mapped
in the worker and counts in its RSS (as RssFile), though the page belongs to the kernel's page
cache, shared by every worker and reclaimable: on the 1M index a worker held ~90 MB of them
after the benchmark, beside its ~108 MB of own memory. When a search ends with this process's
mapped-file pages over the budget (SEARCH_MAPPED_MB, shared libraries included), it tells the
kernel it no longer needs the index mappings (madvise MADV_DONTNEED): their page table entries
go, the cached pages stay, and the next search maps what it reads again (a minor fault per
64 KB with the kernel's fault-around). Nothing is read from disk again unless the kernel itself
had evicted the pages, which it may do either way.
"""
from __future__ import annotations

import mmap
import os
import threading
import weakref

_PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024 if hasattr(os, "sysconf") else 4
_mapped_storages: "weakref.WeakSet" = weakref.WeakSet()
# The in-process indexer thread opens segments while a request searches: adding to a WeakSet
# while another thread iterates it raises "set changed size during iteration".
_storages_lock = threading.Lock()


def _remember(storage) -> None:
    with _storages_lock:
        _mapped_storages.add(storage)


def _tracked_storages() -> list:
    with _storages_lock:
        return list(_mapped_storages)


def _track_mapped_storages() -> None:
    """Remember every CompoundStorage that maps its file (weakly: a closed reader lets it go)."""
    from whoosh.filedb.compound import CompoundStorage

    if getattr(CompoundStorage, "_jy_tracked", False):
        return
    stock_init = CompoundStorage.__init__

    def __init__(self, *args, **kwargs):
        stock_init(self, *args, **kwargs)
        if getattr(self, "_source", None) is not None:
            _remember(self)

    CompoundStorage.__init__ = __init__
    CompoundStorage._jy_tracked = True


_track_mapped_storages()


def mapped_kib() -> int:
    """This process's resident file-backed and shared pages (KiB; /proc/self/statm's "shared"),
    0 where /proc is not there."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[2]) * _PAGE_KIB
    except (OSError, IndexError, ValueError):
        return 0


def unmap_index_pages() -> int:
    """Drop this process's page table entries for every mapped index file; returns how many
    mappings were advised."""
    advice = getattr(mmap, "MADV_DONTNEED", None)
    if advice is None:
        return 0
    done = 0
    for storage in _tracked_storages():
        source = getattr(storage, "_source", None)
        if source is None or source.closed:
            continue
        try:
            source.madvise(advice)
        except (OSError, ValueError):  # closed under us, or a kernel that refuses: keep going
            continue
        done += 1
    return done


def keep_within(budget_kib: int) -> bool:
    """Unmap the index pages if this process's mapped pages exceed `budget_kib` (0: never).
    True if it did."""
    if budget_kib <= 0 or not _mapped_storages or mapped_kib() <= budget_kib:
        return False
    return unmap_index_pages() > 0
