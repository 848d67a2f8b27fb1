"""A small district for blog tests: two schools, a public and a group-only group, a host, a leader."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.factories import make_group, make_school, make_user


@pytest.fixture
def district(app):
    """school A with a public 语文组 and a group-only 数学组; school B with an outsider."""
    school_a = make_school("第一实验小学")
    school_b = make_school("第二实验小学")
    author = make_user("wangli", school=school_a, display_name="王丽")
    colleague = make_user("zhaomin", school=school_a, display_name="赵敏")
    host = make_user("host1", school=school_a, display_name="李主持")
    outsider = make_user("outsider", school=school_b, display_name="外校老师")
    leader = make_user("leader1", role="leader", display_name="教研员")
    admin = make_user("admin1", role="admin", display_name="管理员")
    public = make_group("语文组", school=school_a, visibility="public", members=[author, colleague], hosts=[host])
    private = make_group("数学组", school=school_a, visibility="group", subject="数学",
                         members=[author, colleague], hosts=[host])
    return SimpleNamespace(school_a=school_a, school_b=school_b, author=author, colleague=colleague, host=host,
                           outsider=outsider, leader=leader, admin=admin, public=public, private=private,
                           public_blog=public.blog, private_blog=private.blog)
