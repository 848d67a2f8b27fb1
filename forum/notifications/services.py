"""Creating notifications and finding @mentions (Chinese display names included)."""
from __future__ import annotations

import re
from typing import Iterable

from sqlalchemy import or_, select

from forum.auth.models import User
from forum.extensions import db
from forum.notifications.models import Notification

# @username (letters, digits, _ . -) or @显示名 (CJK names, 2–8 characters).
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_.\-]{2,40}|[\u3400-\u9fff·]{2,8})")


def mention_candidates(text: str) -> list[str]:
    """The names written after @ in `text`, in order, without duplicates."""
    seen: list[str] = []
    for m in _MENTION.finditer(text or ""):
        name = m.group(1).rstrip(".-")
        if name and name not in seen:
            seen.append(name)
    return seen


def find_mentions(text: str, limit: int = 20) -> list[User]:
    """Users mentioned in `text` by username or by (unique) display name."""
    names = mention_candidates(text)[:limit]
    if not names:
        return []
    lowered = [n.lower() for n in names]
    prefixes = {n[:cut] for n in names if not n.isascii() for cut in range(2, len(n) + 1)}
    rows = db.session.scalars(select(User).where(or_(User.username.in_(lowered),
                                                     User.display_name.in_(list(prefixes | set(names)))))).all()
    by_username = {u.username: u for u in rows}
    by_display: dict[str, list[User]] = {}
    for u in rows:
        by_display.setdefault(u.display_name, []).append(u)
    found: list[User] = []
    for name in names:
        user = by_username.get(name.lower())
        if user is None:
            # A Chinese name may be written without the full name being unique; CJK names may
            # also be followed directly by text (@王丽华老师): try the longest unique prefix.
            for cut in range(len(name), 1, -1):
                matches = by_display.get(name[:cut]) or []
                if len(matches) == 1:
                    user = matches[0]
                    break
        if user is not None and user not in found:
            found.append(user)
    return found


def notify(user_ids: Iterable[int], kind: str, *, actor_id: int | None, target_type: str, target_id: int,
           reason_code: str | None = None, note: str = "") -> int:
    """Queue one notification per recipient (never the actor); caller commits. Returns the count."""
    count = 0
    for uid in dict.fromkeys(user_ids):
        if uid is None or uid == actor_id:
            continue
        db.session.add(Notification(user_id=uid, kind=kind, actor_id=actor_id, target_type=target_type,
                                    target_id=target_id, reason_code=reason_code, note=(note or "")[:500]))
        count += 1
    return count
