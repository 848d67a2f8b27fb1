"""The role policy for groups, blogs and boards; expected outcomes come from the table, not from the policy."""
import pytest
from flask_login import AnonymousUserMixin

from forum.policy import can
from tests.factories import add_member, make_cluster, make_group, make_school, make_user

ROLES = ["anonymous", "member", "host", "same_school", "other_school", "other_host",
         "leader_scoped_in", "leader_scoped_out", "leader_cluster_in", "leader_unscoped", "admin", "suspended_member"]

# (action, target) → visibility → set of roles allowed
EXPECTED = {
    ("read", "group"): {
        "public": set(ROLES) - {"suspended_member"} | {"suspended_member"},
        "school": {"member", "host", "same_school", "other_host", "leader_scoped_in", "leader_cluster_in", "leader_unscoped", "admin"},
        "group": {"member", "host", "leader_scoped_in", "leader_cluster_in", "leader_unscoped", "admin"},
    },
    ("write", "blog"): {v: {"member", "host", "admin"} for v in ("public", "school", "group")},
    ("write", "board"): {v: {"member", "host", "leader_scoped_in", "leader_cluster_in", "leader_unscoped", "admin"}
                         for v in ("public", "school", "group")},
    ("moderate", "group"): {v: {"host", "leader_scoped_in", "leader_cluster_in", "leader_unscoped", "admin"}
                            for v in ("public", "school", "group")},
    ("set_theme", "group"): {v: {"host", "leader_scoped_in", "leader_cluster_in", "leader_unscoped", "admin"}
                             for v in ("public", "school", "group")},
    ("see_audit", "group"): {v: {"host", "leader_scoped_in", "leader_cluster_in", "leader_unscoped", "admin"}
                             for v in ("public", "school", "group")},
    ("manage", "group"): {v: {"admin"} for v in ("public", "school", "group")},
}


@pytest.fixture
def world(app):
    cluster, far_cluster = make_cluster("城区片区"), make_cluster("乡镇片区")
    school = make_school("城关第一小学", cluster)
    other = make_school("柳溪乡小学", far_cluster)
    users = {
        "anonymous": AnonymousUserMixin(),
        "member": make_user(school=school),
        "host": make_user(school=school),
        "same_school": make_user(school=school),
        "other_school": make_user(school=other),
        "other_host": make_user(school=school),
        "leader_scoped_in": make_user(role="leader", scope_school=school),
        "leader_scoped_out": make_user(role="leader", scope_school=other),
        "leader_cluster_in": make_user(role="leader", scope_cluster=cluster),
        "leader_unscoped": make_user(role="leader"),
        "admin": make_user(role="admin"),
        "suspended_member": make_user(school=school),
    }
    groups = {}
    for vis in ("public", "school", "group"):
        group = make_group(f"{vis}组", school=school, visibility=vis,
                           members=[users["member"], users["suspended_member"]], hosts=[users["host"]])
        groups[vis] = group
    elsewhere = make_group("别的组", school=school, hosts=[users["other_host"]])
    users["suspended_member"].is_suspended_indefinitely = True
    from forum.extensions import db
    db.session.commit()
    return users, groups


def _target(group, kind):
    return {"group": group, "blog": group.blog, "board": group.board}[kind]


@pytest.mark.parametrize("action,kind", list(EXPECTED))
@pytest.mark.parametrize("visibility", ["public", "school", "group"])
def test_role_policy_matrix(world, action, kind, visibility):
    users, groups = world
    allowed = EXPECTED[(action, kind)][visibility]
    target = _target(groups[visibility], kind)
    wrong = [role for role in ROLES if can(users[role], action, target) != (role in allowed)]
    assert not wrong, f"{action} {kind} ({visibility}): unexpected for {wrong}"


def test_leaders_and_admins_site_actions(world):
    users, _ = world
    assert can(users["leader_unscoped"], "see_all_tallies") and can(users["admin"], "see_all_tallies")
    assert not can(users["member"], "see_all_tallies") and not can(users["anonymous"], "publish_bulletin")
    assert can(users["admin"], "admin") and not can(users["leader_unscoped"], "admin")


def test_suspend_rules(world):
    users, _ = world
    assert can(users["admin"], "suspend", users["member"])
    assert can(users["leader_scoped_in"], "suspend", users["member"])
    assert not can(users["leader_scoped_out"], "suspend", users["member"])
    assert not can(users["host"], "suspend", users["member"])
    assert not can(users["leader_unscoped"], "suspend", users["admin"])


def test_unknown_action_is_an_error_not_a_silent_yes(world):
    users, groups = world
    with pytest.raises(LookupError):
        can(users["admin"], "teleport", groups["public"])


def test_readable_group_ids_agrees_with_can(world, db):
    from forum.org.models import Group
    from forum.policy import visible_groups_clause

    users, _ = world
    all_groups = db.session.scalars(db.select(Group)).all()
    for role, user in users.items():
        listed = set(db.session.scalars(db.select(Group.id).where(visible_groups_clause(user))))
        expected = {g.id for g in all_groups if can(user, "read", g)}
        assert listed == expected, role


def test_only_unscoped_leaders_and_admins_set_district_targets(world):
    users, _ = world
    assert can(users["leader_unscoped"], "set_targets") and can(users["admin"], "set_targets")
    for role in ("leader_scoped_in", "leader_cluster_in", "host", "member", "anonymous"):
        assert not can(users[role], "set_targets"), role


def test_a_visitor_does_no_members_only_action(world):
    """`asker` and `actions_on` answer No to a visitor for MEMBERS_ONLY without asking the rules:
    the rules must agree, on every kind of public content."""
    from forum.blogs import services as blogs
    from forum.boards import services as boards
    from forum.policy import MEMBERS_ONLY, asker

    users, groups = world
    group = groups["public"]
    thread = boards.start_thread(group.board, users["member"], "公开讨论", "正文")
    post = boards.reply(thread, users["host"], "回复")
    entry = blogs.create_entry(group.blog, users["member"], title="公开日志", body="正文", category="design")
    comment = blogs.add_comment(entry, users["host"], "评论")
    targets = [None, group, group.blog, group.board, thread, post, entry, comment]
    ask = asker(users["anonymous"])
    asked = 0
    for action in sorted(MEMBERS_ONLY):
        for obj in targets:
            try:
                ruled = can(users["anonymous"], action, obj)
            except (TypeError, ValueError, LookupError):
                continue  # an action that does not apply to this kind of object
            asked += 1
            assert ruled is False and ask(action, obj) is False, (action, obj)
    assert asked > len(MEMBERS_ONLY)
