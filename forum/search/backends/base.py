"""What every search backend stores and answers: the documents, the filters, the hits."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, Protocol

from forum.search.analyzer import ParsedQuery

DOC_TYPES = ("entry", "thread", "post", "comment")
SORTS = ("relevance", "newest")


@dataclass
class SearchDoc:
    """One indexed document: what is searched, filtered on, and who may read it.

    `container` names what decides visibility: `g<group id>` (a group's blog or board),
    `b<blog id>` (a personal blog) or `c<board id>` (a cluster board). Readers are resolved
    at query time, so a change of a group's visibility needs no reindexing.
    """

    doc_type: str
    doc_id: int
    title: str
    body: str
    author_id: int
    author_name: str
    group_id: int | None
    school_id: int | None
    category: str
    tags: list[str]
    created_at: datetime
    container: str

    @property
    def key(self) -> str:
        return doc_key(self.doc_type, self.doc_id)

    @property
    def stamp(self) -> str:
        """A digest of everything indexed: differs when the index copy is stale."""
        parts = [self.doc_type, str(self.doc_id), self.title, self.body, str(self.author_id),
                 self.author_name, str(self.group_id), str(self.school_id), self.category,
                 ",".join(self.tags), str(int(self.created_at.timestamp())), self.container]
        return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:20]


def doc_key(doc_type: str, doc_id: int) -> str:
    """The unique key of a document in every backend."""
    return f"{doc_type}:{doc_id}"


def split_key(key: str) -> tuple[str, int]:
    """Inverse of doc_key()."""
    doc_type, _, raw = key.partition(":")
    return doc_type, int(raw)


@dataclass
class Filters:
    """Narrowing chosen by the user (all optional) plus the reader's visibility."""

    doc_type: str | None = None
    group_id: int | None = None
    school_id: int | None = None
    author_id: int | None = None
    category: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    # Containers the reader may read; None means everything (admins).
    containers: frozenset[str] | None = None


@dataclass
class Hit:
    """One matching document."""

    doc_type: str
    doc_id: int
    score: float


@dataclass
class HitPage:
    """A page of hits and the number of matching documents.

    `exact` is False when the count stopped at the backends' cap (COUNT_CAP): "1,000+".
    """

    total: int
    hits: list[Hit] = field(default_factory=list)
    exact: bool = True


class Backend(Protocol):
    """The interface of an index. Only the indexer (one per site) calls the writing methods."""

    name: str

    def apply(self, upserts: Iterable[SearchDoc], deletes: Iterable[str]) -> None:
        """Add or replace `upserts` and remove the documents keyed `deletes`, atomically if possible."""

    def search(self, query: ParsedQuery, filters: Filters, sort: str, offset: int, limit: int) -> HitPage:
        """The hits of one page for an already parsed query."""

    def stamps(self) -> dict[str, str]:
        """{key: stamp} of every indexed document (for verify)."""

    def count(self) -> int:
        """The number of indexed documents."""

    def begin_rebuild(self) -> "RebuildTarget":
        """Start (or resume) building a fresh copy of the index."""

    def clear(self) -> None:
        """Remove every document."""


class RebuildTarget(Protocol):
    """A fresh index being built; swapped in by finish()."""

    def done_upto(self) -> dict[str, int]:
        """{doc_type: last doc id written} from a previous, interrupted run."""

    def add(self, docs: list[SearchDoc]) -> None:
        """Write a batch of documents."""

    def checkpoint(self, doc_type: str, last_id: int, final: bool = False) -> None:
        """Remember how far the build got; durable at least when `final` (a type is done)."""

    def finish(self, keys_written: set[str] | None = None) -> None:
        """Replace the live index with the new one."""
