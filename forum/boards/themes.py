"""Monthly themes / small research topics (月度主题/小课题): one per group per month."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from forum.auth.models import User
from forum.boards.models import THEME_STAGES, Theme, Thread
from forum.core.errors import fail
from forum.core.timezones import current_month
from forum.extensions import db
from forum.org.models import Group
from forum.policy import can


def set_theme(group: Group, user: User, month: int, title: str, description: str = "", stage: str = "",
              *, created_at=None, commit: bool = True) -> Theme:
    """Create or replace the group's theme for `month` (YYYYMM); hosts only."""
    if not can(user, "set_theme", group):
        fail(403, _("只有主持人可以设置月度主题。"))
    if not isinstance(title, str) or not title.strip():
        fail(422, _("请填写主题名称。"), field="title")
    if len(title) > 200:
        fail(422, _("主题名称太长。"), field="title")
    if stage not in THEME_STAGES:
        fail(422, _("小课题阶段无效。"), field="stage")
    if not (197001 <= int(month) <= 999912 and 1 <= int(month) % 100 <= 12):
        fail(422, _("月份无效。"), field="month")
    theme = db.session.scalar(select(Theme).where(Theme.group_id == group.id, Theme.month == month))
    if theme is None:
        theme = Theme(group_id=group.id, month=month, title=title.strip(), created_by_id=user.id)
        if created_at is not None:
            theme.created_at = created_at
        db.session.add(theme)
    theme.title = title.strip()
    theme.description = (description or "").strip()[:5000]
    theme.stage = stage
    db.session.flush()
    if commit:
        db.session.commit()
    return theme


def theme_for(group: Group, month: int | None = None) -> Theme | None:
    """The group's theme for `month` (this month by default)."""
    return db.session.scalar(select(Theme).where(Theme.group_id == group.id,
                                                 Theme.month == (month or current_month())))


def recent_themes(group: Group, limit: int = 6) -> list[Theme]:
    """The group's latest themes, newest month first."""
    return list(db.session.scalars(select(Theme).where(Theme.group_id == group.id)
                                   .order_by(Theme.month.desc()).limit(limit)))


def contributions(theme: Theme, user: User, limit: int = 20):
    """Threads and entries attached to the theme that `user` may read: (threads, entries)."""
    from forum.blogs.models import Entry

    threads = [t for t in db.session.scalars(
        select(Thread).where(Thread.theme_id == theme.id, Thread.is_deleted.is_(False))
        .options(joinedload(Thread.author)).order_by(Thread.created_at.desc()).limit(limit)).unique()
        if can(user, "read", t)]
    entries = [e for e in db.session.scalars(
        select(Entry).where(Entry.theme_id == theme.id, Entry.is_deleted.is_(False), Entry.status == "published")
        .options(joinedload(Entry.author)).order_by(Entry.published_at.desc()).limit(limit)).unique()
        if can(user, "read", e)]
    return threads, entries


def theme_choices(group: Group | None) -> list[tuple[int, str]]:
    """(id, label) of the group's recent themes, for the new-thread form."""
    if group is None:
        return []
    return [(t.id, f"{t.month // 100}-{t.month % 100:02d} {t.title}") for t in recent_themes(group, 12)]
