"""Rebuilding the Whoosh index beside the live one, with parallel writers, resumable."""
from __future__ import annotations

import json
import os
import shutil
from typing import Iterable

from whoosh import index as whoosh_index

from forum.search.backends.base import SearchDoc
from forum.search.backends.whoosh_schema import fields_for, fields_of, make_schema



def machine_mb() -> int:
    """The machine's physical memory in MB (4,096 if it cannot be read)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 1_000_000
    except (ValueError, OSError, AttributeError):
        return 4096


def default_writer_mb() -> int:
    """SEARCH_REBUILD_MB, else a quarter of the machine's memory, between 1,024 and 8,192 MB.

    The rebuild commits a segment whenever its writers' pools fill, and every search pays a set-up
    per segment: with 1,024 MB the 1M benchmark data became 268 segments, and the few-hit search's
    index query cost 8.9 ms of CPU instead of 1.4 ms on 28 segments (12,000 MB).
    """
    raw = os.environ.get("SEARCH_REBUILD_MB", "").strip()
    if raw.isdigit():
        return max(64, int(raw))
    return max(1024, min(8192, machine_mb() // 4))


WRITER_MB = default_writer_mb()  # rebuild memory, shared by its writer processes
# Whoosh budgets ~170 bytes per posting and a document has ~1.3 postings per character; a rebuild
# commits before its writers' pools would spill to disk (a spilled pool costs 40 % more CPU).
BYTES_PER_CHAR = 220
BATCHSIZE = 500  # documents handed to a writer process at a time


class WhooshRebuild:
    """A new index built beside the live one (`<path>.rebuild`), then swapped in by rename.

    Documents go through a multi-process writer (`procs` segments at a time, no merge into one)
    and are committed whenever the writers' memory (WRITER_MB) would be full and at the end of
    each document type; only committed work is recorded in the progress file, so an interrupted
    run resumes there.
    """

    def __init__(self, backend, procs: int | None = None):
        self.backend = backend
        self.procs = procs if procs is not None else default_procs()
        self.path = backend.path + ".rebuild"
        self.progress_file = os.path.join(self.path, "rebuild-progress.json")
        if not (os.path.isdir(self.path) and os.path.exists(self.progress_file)):
            if os.path.isdir(self.path):
                shutil.rmtree(self.path)
            os.makedirs(self.path)
            whoosh_index.create_in(self.path, make_schema())
            self._save({})
        self.ix = whoosh_index.open_dir(self.path)
        self.writer = None
        self.pending = 0  # characters added since the last commit
        self.progress = self.done_upto()

    def _save(self, progress: dict) -> None:
        tmp = self.progress_file + ".tmp"
        with open(tmp, "w") as fh:
            json.dump(progress, fh)
        os.replace(tmp, self.progress_file)

    def done_upto(self) -> dict[str, int]:
        with open(self.progress_file) as fh:
            return json.load(fh)

    def _writer(self, bulk: bool = True):
        if self.writer is not None and bulk != self._bulk:
            self._commit()
        if self.writer is None:
            self._bulk = bulk
            if bulk and self.procs > 1:
                self.writer = self.ix.writer(procs=self.procs, multisegment=True, limitmb=WRITER_MB // self.procs,
                                             batchsize=BATCHSIZE)
            else:
                self.writer = self.ix.writer(limitmb=WRITER_MB)
        return self.writer

    def _commit(self) -> None:
        if self.writer is not None:
            self.writer.commit(merge=False)  # segments stay as written; no rewrite of the big ones
            self.writer = None
        self.pending = 0
        self._save(self.progress)

    def replace(self, docs: list[SearchDoc]) -> None:
        w = self._writer(bulk=False)
        for doc in docs:
            w.update_document(**fields_for(w.schema, doc))

    def add(self, docs: list[SearchDoc]) -> None:
        w = self._writer()
        for doc in docs:  # a fresh index, and uncommitted batches vanish on a crash: no duplicates
            w.add_document(**fields_of(doc))
            self.pending += len(doc.title) + len(doc.body)

    def remove(self, keys: Iterable[str]) -> None:
        w = self._writer(bulk=False)
        for key in keys:
            w.delete_by_term("key", key)

    def checkpoint(self, doc_type: str, last_id: int, final: bool = False) -> None:
        self.progress[doc_type] = last_id
        if final or self.pending * BYTES_PER_CHAR >= 0.8 * WRITER_MB * 1_000_000:
            self._commit()

    def finish(self) -> None:
        self._commit()
        os.remove(self.progress_file)
        old = self.backend.path + ".old"
        if os.path.isdir(old):
            shutil.rmtree(old)
        if os.path.isdir(self.backend.path):
            os.rename(self.backend.path, old)
        os.rename(self.path, self.backend.path)
        shutil.rmtree(old, ignore_errors=True)


def default_procs() -> int:
    """Writer processes for a rebuild: SEARCH_REBUILD_PROCS, else one per core up to 2."""
    raw = os.environ.get("SEARCH_REBUILD_PROCS", "")
    if raw.strip().isdigit():
        return max(1, int(raw))
    return max(1, min(2, os.cpu_count() or 1))
