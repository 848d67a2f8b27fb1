"""Safe redirect targets: `?next=` only ever leads to a path on this site."""
from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None, fallback: str = "/") -> str:
    """`target` if it is a local path (not //host, /\\host, scheme:…), else `fallback`."""
    if not target or not isinstance(target, str) or len(target) > 2000:
        return fallback
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return fallback
    candidate = target.replace("\\", "/")
    if not candidate.startswith("/") or candidate.startswith("//"):
        return fallback
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc:
        return fallback
    return target.replace("\\", "/")
