"""Pages composed from features: the home page and the group page ask registered panels.

A feature registers `panel(kind, order)(fn)`; fn(context) returns Markup (or "" to skip).
This keeps, say, the group page in `org` while its blog list lives in `blogs`.
"""
from __future__ import annotations

from typing import Callable

from flask import current_app
from markupsafe import Markup

_KINDS = ("home", "home_side", "group", "group_side", "profile")


def register(app, kind: str, order: int, fn: Callable) -> None:
    """Add a panel renderer for `kind` pages."""
    assert kind in _KINDS, kind
    app.extensions.setdefault("jy_panels", {}).setdefault(kind, []).append((order, fn))


def render(kind: str, **context) -> list[Markup]:
    """Render every panel of `kind`, in order, skipping empty ones."""
    out = []
    for _order, fn in sorted(current_app.extensions.get("jy_panels", {}).get(kind, []), key=lambda p: p[0]):
        html = fn(**context)
        if html:
            out.append(Markup(html))
    return out
