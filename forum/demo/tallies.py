"""Demo tallies: the district's targets and the published bulletin for last month (seeded last)."""
from __future__ import annotations

from sqlalchemy import select

from forum.core.timezones import current_month
from forum.extensions import db
from forum.tallies import bulletins
from forum.tallies import targets as targets_service
from forum.tallies.models import DEFAULT_TARGETS, Bulletin
from forum.tallies.periods import add_months

BULLETIN_TEXT = """各学校、各教研组：

上月全区网络教研总体平稳，多数教研组按计划完成了两次集体备课，
**城区学校的博文数量领先，村小教研组人均实质性贡献表现突出**。

请各组注意：

1. 回帖请围绕问题发表具体意见，“顶”“学习了”类回复不计入实质性贡献；
2. 尚未完成月度主题研讨的教研组，请在本月内补齐；
3. 本学期每位教师至少撰写 3 篇实质性教学博文（设计、反思或案例）。

区教研室
"""


def seed(leader) -> None:
    """Save the district's targets and publish last month's bulletin as `leader`.

    Accepts the leader user, or the demo context that carries it (`ctx.leader`).
    """
    user = getattr(leader, "leader", None) or leader
    specs = [dict(spec, is_active=True) for spec in DEFAULT_TARGETS]
    specs.append({"metric": "teacher_substantive", "period": "month", "threshold": 4, "is_active": True})
    targets_service.save_targets(user, specs)
    month = add_months(current_month(), -1)
    if db.session.scalar(select(Bulletin.id).where(Bulletin.month == month)) is None:
        bulletins.publish(user, month, "", BULLETIN_TEXT)
