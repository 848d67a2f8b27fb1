"""Fixtures for the tallies: a small district with every kind of viewer, and a ledger writer."""
from __future__ import annotations

import itertools
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from tests.factories import make_cluster, make_group, make_school, make_user

_source_ids = itertools.count(1)

SUBSTANTIVE = "本节课的导入设计很有新意，建议在小组合作环节增加任务单，帮助学生聚焦问题。"


@pytest.fixture
def district(db):
    """Two clusters, three schools, three groups; teachers, a host, leaders (all, school, cluster) and an admin."""
    c1, c2 = make_cluster("东片区"), make_cluster("西片区")
    a, b, c = make_school("东城小学", c1), make_school("东湖小学", c1), make_school("西山村小", c2)
    t1 = make_user("t1", school=a, display_name="王老师")
    t2 = make_user("t2", school=a, display_name="李老师")
    host = make_user("host", school=a, display_name="张组长")
    t3 = make_user("t3", school=b, display_name="赵老师")
    t4 = make_user("t4", school=c, display_name="陈老师")
    ga = make_group("语文组", school=a, members=[t1, t2], hosts=[host])
    gb = make_group("数学组", school=b, members=[t3])
    gc = make_group("英语组", school=c, members=[t4])
    leader = make_user("leader", role="leader", display_name="教研员")
    leader_a = make_user("leader_a", role="leader", scope_school=a, display_name="东城校长")
    leader_c1 = make_user("leader_c1", role="leader", scope_cluster=c1, display_name="东片区教研员")
    admin = make_user("admin", role="admin", display_name="管理员")
    return SimpleNamespace(c1=c1, c2=c2, a=a, b=b, c=c, t1=t1, t2=t2, host=host, t3=t3, t4=t4,
                           ga=ga, gb=gb, gc=gc, leader=leader, leader_a=leader_a, leader_c1=leader_c1,
                           admin=admin)


@pytest.fixture
def contribute(db):
    """contribute(user, group, kind, when=..., text=...) writes one ledger row through the write path."""
    from forum.core.writepath import Credit, add_contribution

    def _write(user, group, kind="reply", when: datetime | None = None, text: str = SUBSTANTIVE,
               theme_id: int | None = None, source_type: str = "post"):
        when = when or datetime.now(timezone.utc)
        credit = Credit(kind, user.id, group.id if group else None,
                        group.school_id if group else user.school_id, text, theme_id, when)
        row = add_contribution(credit, source_type, next(_source_ids))
        db.session.commit()
        return row
    return _write


def month_of(when: datetime) -> str:
    return when.strftime("%Y-%m")
