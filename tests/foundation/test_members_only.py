"""policy.MEMBERS_ONLY: no rule grants those actions to a visitor, so a visitor's page may skip asking."""
from __future__ import annotations

from flask_login import AnonymousUserMixin

from forum import policy
from forum.blogs import services as blogs
from forum.boards import services as boards
from forum.boards import prep as prep_service
from forum.extensions import db
from tests.boards.helpers import prep_group
from tests.factories import make_entry, make_thread


def _content(group, host, lead, member):
    """Every kind of content, live and deleted, in a public group, with a 集体备课 under discussion."""
    entry = make_entry(group.blog, member)
    comment = blogs.add_comment(entry, host, "写得很好，第二环节可以再展开。")
    thread = make_thread(group.board, member)
    post = boards.reply(thread, host, "同意，补充一点。")
    prep = prep_service.open_prep(group.board, host, title="《背影》集体备课", body="初稿见附件",
                                  lesson="《背影》", lead_speaker_id=lead.id)
    prep_service.post_draft(prep, lead, "## 教学重难点\n\n父爱的含蓄表达")
    prep_post = boards.reply(prep, member, "建议增加朗读环节")
    gone = boards.reply(thread, member, "这条会被删除")
    boards.delete_post(gone, host, reason="other")
    db.session.commit()
    return [entry, comment, thread, post, prep, prep_post, gone]


def test_no_rule_grants_a_members_only_action_to_a_visitor(app, db):
    group, host, lead, (member, *_rest) = prep_group(2)
    objs = _content(group, host, lead, member)
    visitor = AnonymousUserMixin()
    asked = 0
    for (action, kind), rule in policy._RULES.items():
        if action not in policy.MEMBERS_ONLY:
            continue
        for obj in objs:
            if isinstance(obj, kind):
                asked += 1
                assert not rule(visitor, obj), (action, obj)
    assert asked >= 30
    # ...while the host may do most of them: the rules asked are real, not ones that refuse everyone.
    granted = {action for (action, kind), rule in policy._RULES.items() if action in policy.MEMBERS_ONLY
               for obj in objs if isinstance(obj, kind) and rule(host, obj)}
    assert {"edit", "delete", "restore", "moderate", "see_history", "reply", "comment", "adopt"} <= granted


def test_a_visitors_actions_on_a_page_are_none_and_a_hosts_are_asked(app, db):
    group, host, lead, (member, *_rest) = prep_group(2)
    thread = make_thread(group.board, member)
    posts = [boards.reply(thread, member, f"第{i}条意见") for i in range(3)]
    actions = ("edit", "see_history", "delete", "restore")
    assert policy.actions_on(AnonymousUserMixin(), posts, actions) == {p.id: frozenset() for p in posts}
    assert all({"edit", "delete"} <= acts for acts in policy.actions_on(host, posts, actions).values())
