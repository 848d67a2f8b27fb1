"""The substantive-contribution rule: one function, thresholds from settings.

A contribution is substantive when its meaningful text (quotes, @mentions, URLs, emoji,
punctuation and whitespace removed) has at least SUBSTANTIVE_MIN_CJK CJK characters or
SUBSTANTIVE_MIN_LATIN Latin letters/digits, is not made only of bump phrases (顶, 学习了, mark …,
BUMP_PHRASES) or of one short unit repeated (哈哈哈…, 666…), and is not a near-duplicate of the
same author's contributions in the previous DUPLICATE_WINDOW_DAYS days.

"Near-duplicate" means the same normalised text (case, width, traditional/simplified characters,
punctuation and whitespace ignored) or a very high similarity: a Jaccard index of the two texts'
character trigrams of at least NEAR_DUPLICATE_SIMILARITY (0.8). The ledger's `fingerprint`
column holds both: 16 hex digits of an exact hash, then a bottom-k sketch of the trigrams.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime, timedelta
from functools import lru_cache

from flask import current_app, has_app_context

DEFAULT_BUMP_PHRASES = (
    "顶", "顶顶", "顶一下", "学习了", "学习", "支持", "赞", "点赞", "同意", "好", "很好", "不错",
    "mark", "路过", "谢谢分享", "感谢分享", "收藏", "受教了", "学习学习", "好文", "沙发", "+1",
    "谢谢", "感谢", "辛苦了", "楼主辛苦了", "同意楼上", "赞同", "受益匪浅", "收获很大", "好帖",
    "thanks", "thank you", "thx", "nice", "good", "great", "agree", "me too", "bump", "up",
)

_QUOTE = re.compile(r"^\s*>.*$", re.MULTILINE)
_BBQUOTE = re.compile(r"\[quote[^\]]*\].*?\[/quote\]", re.IGNORECASE | re.DOTALL)
_MENTION = re.compile(r"@[\w\u3400-\u9fff\-.]+")
_URL = re.compile(r"(?:https?://|ftp://|www\.)\S+", re.IGNORECASE)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z0-9]")
_EXACT_LEN = 16  # hex digits of the exact hash inside a fingerprint
SKETCH_SIZE = 32  # trigram hashes kept in a fingerprint (16 + 32 × 6 = 208 characters)


def _setting(name: str, default):
    if has_app_context():
        return current_app.config.get(name, default)
    return default


def meaningful_text(text: str) -> str:
    """Text without quotes, @mentions, URLs, emoji, punctuation and whitespace."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _BBQUOTE.sub("", text)
    text = _QUOTE.sub("", text)
    text = _URL.sub("", text)
    text = _MENTION.sub("", text)
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in ("L", "N"))


@lru_cache(maxsize=1)
def _converter():
    """Traditional → simplified converter, or None when OpenCC is not installed."""
    try:
        import opencc  # opencc-python-reimplemented
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    return opencc.OpenCC("t2s")


def normalised(text: str) -> str:
    """Meaningful text, lowercased, traditional characters folded to simplified."""
    core = meaningful_text(text).lower()
    conv = _converter()
    return conv.convert(core) if conv is not None and _CJK.search(core) else core


def _sketch(core: str) -> list[int]:
    """Bottom-k sketch: the SKETCH_SIZE smallest 24-bit hashes of the text's character trigrams.

    For short text (up to SKETCH_SIZE trigrams: most comments and replies) the sketch is the
    whole shingle set, so the similarity below is the exact Jaccard index.
    """
    grams = {core[i:i + 3] for i in range(max(len(core) - 2, 1))}
    hashes = {int.from_bytes(hashlib.blake2b(g.encode("utf-8"), digest_size=3).digest(), "big") for g in grams}
    return sorted(hashes)[:SKETCH_SIZE]


def fingerprint(text: str) -> str:
    """Exact hash (16 hex) + trigram sketch (6 hex per value) of the normalised text; '' if empty."""
    core = normalised(text)
    if not core:
        return ""
    exact = hashlib.sha256(core.encode("utf-8")).hexdigest()[:_EXACT_LEN]
    return exact + "".join(f"{h:06x}" for h in _sketch(core))


def _parse_sketch(fp: str) -> list[int]:
    body = fp[_EXACT_LEN:]
    try:
        return [int(body[i:i + 6], 16) for i in range(0, len(body) - 5, 6)]
    except ValueError:
        return []


def similarity(fp_a: str, fp_b: str) -> float:
    """Estimated Jaccard similarity of two texts' trigram sets, from their fingerprints."""
    if not fp_a or not fp_b:
        return 0.0
    if fp_a[:_EXACT_LEN] == fp_b[:_EXACT_LEN]:
        return 1.0
    a, b = set(_parse_sketch(fp_a)), set(_parse_sketch(fp_b))
    if not a or not b:
        return 0.0
    union = sorted(a | b)[:SKETCH_SIZE]
    both = sum(1 for h in union if h in a and h in b)
    return both / len(union)


def near_duplicate(fp_a: str, fp_b: str) -> bool:
    """Same normalised text, or trigram similarity of at least NEAR_DUPLICATE_SIMILARITY (0.8)."""
    if not fp_a or not fp_b:
        return False
    if fp_a[:_EXACT_LEN] == fp_b[:_EXACT_LEN]:
        return True
    return similarity(fp_a, fp_b) >= _setting("NEAR_DUPLICATE_SIMILARITY", 0.8)


def _bump_set() -> frozenset[str]:
    phrases = _setting("BUMP_PHRASES", DEFAULT_BUMP_PHRASES)
    return _normalised_phrases(tuple(phrases))


@lru_cache(maxsize=8)
def _normalised_phrases(phrases: tuple[str, ...]) -> frozenset[str]:
    return frozenset(p for p in (meaningful_text(x).lower() for x in phrases) if p)


def _made_of(core: str, pieces: frozenset[str]) -> bool:
    """True when `core` splits entirely into `pieces` (word break by dynamic programming)."""
    if not pieces:
        return False
    longest = max(len(p) for p in pieces)
    ok = [True] + [False] * len(core)
    for end in range(1, len(core) + 1):
        for start in range(max(0, end - longest), end):
            if ok[start] and core[start:end] in pieces:
                ok[end] = True
                break
    return ok[len(core)]


def _repeated_unit(core: str, max_unit: int = 4) -> bool:
    """哈哈哈哈哈哈 / 666666 / abababab: one short unit repeated over the whole text."""
    for size in range(1, max_unit + 1):
        if len(core) >= 2 * size and len(core) % size == 0 and core == core[:size] * (len(core) // size):
            return True
    return False


def is_bump(core: str) -> bool:
    """True when the meaningful text is only bump phrases (顶, 学习了, mark …) or a repeated unit."""
    lowered = core.lower()
    if not lowered:
        return False
    return _made_of(lowered, _bump_set()) or _repeated_unit(lowered)


def has_enough_text(core: str) -> bool:
    """At least SUBSTANTIVE_MIN_CJK CJK characters or SUBSTANTIVE_MIN_LATIN Latin letters/digits."""
    cjk = len(_CJK.findall(core))
    latin = len(_LATIN.findall(core))
    return cjk >= _setting("SUBSTANTIVE_MIN_CJK", 10) or latin >= _setting("SUBSTANTIVE_MIN_LATIN", 20)


def is_substantive(text: str, user_id: int | None = None, when: datetime | None = None,
                   fp: str | None = None) -> bool:
    """The rule: enough meaningful text, not a bump, not a recent near-duplicate by the same author."""
    core = meaningful_text(text)
    if not has_enough_text(core) or is_bump(core):
        return False
    if user_id is not None and when is not None:
        return not recent_duplicate(user_id, when, fp if fp is not None else fingerprint(text))
    return True


def recent_duplicate(user_id: int, when: datetime, fp: str) -> bool:
    """The author wrote the same or nearly the same text within DUPLICATE_WINDOW_DAYS before `when`."""
    if not fp:
        return False
    from forum.extensions import db
    from forum.ledger.models import Contribution

    days = _setting("DUPLICATE_WINDOW_DAYS", 7)
    # The author's recent fingerprints are few (one window of one person's writing).
    recent = db.session.scalars(
        db.select(Contribution.fingerprint).where(
            Contribution.user_id == user_id,
            Contribution.created_at >= when - timedelta(days=days),
            Contribution.created_at <= when,
            Contribution.is_deleted.is_(False),
            Contribution.fingerprint != "",
        ).order_by(Contribution.created_at.desc()).limit(500)
    ).all()
    return any(near_duplicate(fp, other) for other in recent)


_recent_duplicate = recent_duplicate  # the name writepath callers knew
