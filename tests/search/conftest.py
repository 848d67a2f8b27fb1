"""Search tests run on every backend: Whoosh always, PostgreSQL when TEST_DATABASE_URL is set."""
from __future__ import annotations

import pytest

from tests.conftest import PG_URL


@pytest.fixture(params=["whoosh", "postgres"])
def app_config(app_config, request):
    """The shared test configuration with SEARCH_BACKEND set to each backend in turn."""
    if request.param == "postgres" and not PG_URL:
        pytest.skip("PostgreSQL backend: set TEST_DATABASE_URL")
    app_config["SEARCH_BACKEND"] = request.param
    app_config["SEARCH_INDEXER"] = "sync"
    return app_config


@pytest.fixture
def world(app):
    """A small district: two schools, a public, a school-only and a group-only group, people in roles."""
    from tests.factories import make_cluster, make_group, make_school, make_user

    cluster = make_cluster("东城片区")
    school_a = make_school("实验小学", cluster)
    school_b = make_school("育才中学", cluster)
    member = make_user("member", school=school_a, display_name="李老师")
    host = make_user("host", school=school_a, display_name="王主任")
    colleague = make_user("colleague", school=school_a, display_name="同校老师")
    outsider = make_user("outsider", school=school_b, display_name="外校老师")
    leader = make_user("leader", role="leader", display_name="教研员")
    scoped_leader = make_user("leader_b", role="leader", scope_school=school_b, display_name="育才校长")
    admin = make_user("admin", role="admin", display_name="管理员")
    public = make_group("语文组", school=school_a, visibility="public", members=[member], hosts=[host])
    school_only = make_group("数学组", school=school_a, visibility="school", members=[member], hosts=[host])
    private = make_group("英语组", school=school_a, visibility="group", members=[member], hosts=[host])
    return {
        "cluster": cluster, "school_a": school_a, "school_b": school_b, "member": member, "host": host,
        "colleague": colleague, "outsider": outsider, "leader": leader, "scoped_leader": scoped_leader,
        "admin": admin, "public": public, "school_only": school_only, "private": private,
    }
