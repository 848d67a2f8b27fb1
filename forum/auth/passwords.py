"""Password rules: length, and a list of the most common passwords (incl. Chinese favourites)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

MIN_LENGTH = 8
MAX_LENGTH = 1024  # long passphrases are welcome; this only bounds hashing work


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The refused passwords, lowercased."""
    path = Path(__file__).with_name("common_passwords.txt")
    return frozenset(line.strip().lower() for line in path.read_text("utf-8").splitlines() if line.strip())


def password_problem(password: str, username: str = "") -> str | None:
    """A message saying what is wrong with `password`, or None if it is acceptable."""
    from flask_babel import gettext as _

    if len(password) < MIN_LENGTH:
        return _("密码至少需要 %(n)s 个字符。", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("密码太长了（最多 %(n)s 个字符）。", n=MAX_LENGTH)
    lowered = password.lower()
    if lowered in common_passwords():
        return _("这个密码太常见，很容易被猜到，请换一个。")
    if username and lowered == username.lower():
        return _("密码不能与用户名相同。")
    return None
