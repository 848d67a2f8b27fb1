"""The rule registry: `rule(action, *types)` registers a rule, `can(user, action, obj)` asks it."""
from __future__ import annotations

from typing import Callable

from werkzeug.local import LocalProxy

_RULES: dict[tuple[str, type], Callable] = {}
_SITE_RULES: dict[str, Callable] = {}  # actions with no object (forum/policy/site.py)


def rule(action: str, *types: type):
    """Register a function as the rule for `action` on the given model types."""
    def decorate(fn):
        for t in types:
            _RULES[(action, t)] = fn
        return fn
    return decorate


def can(user, action: str, obj=None) -> bool:
    """True if `user` (possibly anonymous) may do `action` on `obj`."""
    if isinstance(user, LocalProxy):
        # Flask-Login's current_user: the rules read many of its attributes, each one a context
        # lookup through the proxy (a quarter of a leader's tallies dashboard, 500 groups asked).
        user = user._get_current_object()
    if obj is None:
        fn = _SITE_RULES.get(action)
        return bool(fn and fn(user))
    fn = _RULES.get((action, type(obj)))
    if fn is None:
        raise LookupError(f"no policy for {action!r} on {type(obj).__name__}")
    return bool(fn(user, obj))
