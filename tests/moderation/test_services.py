"""Moderation services and pages: reasoned deletes, audit, flags, toggles, move, purge, suspension."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from forum.blogs import services as blogs
from forum.boards import services as boards
from forum.core.errors import ApiError
from forum.extensions import db
from forum.ledger.models import Contribution
from forum.moderation import flags, services
from forum.moderation.audit import AuditLogIsAppendOnly
from forum.moderation.models import AuditLog, Flag
from forum.notifications.models import Notification
from forum.search.models import SearchOutbox
from tests.factories import make_entry, make_group, make_school, make_thread, make_user


@pytest.fixture
def app_config(app_config):
    """No indexer: the search outbox rows stay visible to the assertions."""
    app_config["SEARCH_INDEXER"] = "off"
    return app_config


@pytest.fixture
def world(app):
    """Two groups of one school, their hosts and members, a school-scoped leader and an admin."""
    school = make_school("实验小学")
    other_school = make_school("育才小学")
    author, reader, host, host2 = (make_user(school=school, display_name=n) for n in ("王丽华", "李明", "赵主任", "钱主任"))
    group = make_group("语文组", school=school, members=[author, reader], hosts=[host])
    group2 = make_group("数学组", school=school, members=[author], hosts=[host2])
    leader = make_user(role="leader", school=school, scope_school=school, display_name="孙校长")
    leader_out = make_user(role="leader", scope_school=other_school, display_name="周校长")
    admin = make_user(role="admin", display_name="管理员")
    entry = make_entry(group.blog, author)
    comment = blogs.add_comment(entry, author, "这节课的朗读环节设计得很好，学生参与度高。")
    thread = make_thread(group.board, author)
    post = boards.reply(thread, author, "我同意，单元整体教学要先梳理目标。")
    return dict(school=school, group=group, group2=group2, author=author, reader=reader, host=host, host2=host2,
                leader=leader, leader_out=leader_out, admin=admin, entry=entry, comment=comment,
                thread=thread, post=post)


def _audits(**where):
    stmt = select(AuditLog)
    for k, v in where.items():
        stmt = stmt.where(getattr(AuditLog, k) == v)
    return db.session.scalars(stmt.order_by(AuditLog.id)).all()


def _ledger_deleted(source_type, source_id) -> set[bool]:
    return set(db.session.scalars(select(Contribution.is_deleted).where(
        Contribution.source_type == source_type, Contribution.source_id == source_id)))


def test_host_deletes_comment_with_reason_author_notified_and_logged(world):
    w = world
    services.delete_content(w["comment"], w["host"], "ethics", "请注意言辞")
    assert w["comment"].is_deleted and w["comment"].deleted_reason == "ethics"
    note = db.session.scalar(select(Notification).where(Notification.user_id == w["author"].id,
                                                        Notification.kind == "moderation"))
    assert note.reason_code == "ethics" and note.target_id == w["comment"].id
    [row] = _audits(action="delete", target_type="comment")
    assert (row.actor_id, row.group_id, row.reason_code, row.reason_text) == (
        w["host"].id, w["group"].id, "ethics", "请注意言辞")
    assert _ledger_deleted("comment", w["comment"].id) == {True}
    assert db.session.scalar(select(SearchOutbox).where(SearchOutbox.doc_type == "comment",
                                                        SearchOutbox.op == "delete")) is not None
    services.restore_content(w["comment"], w["host"])
    assert not w["comment"].is_deleted
    assert _ledger_deleted("comment", w["comment"].id) == {False}
    assert [a.action for a in _audits(target_type="comment")] == ["delete", "restore"]


def test_moderator_delete_needs_a_reason_and_other_needs_text(world):
    w = world
    for reason, note in ((None, ""), ("nonsense", ""), ("other", "  ")):
        with pytest.raises(ApiError) as exc:
            services.delete_content(w["post"], w["host"], reason, note)
        assert exc.value.status == 422
    assert not w["post"].is_deleted and _audits() == []


def test_host_of_another_group_is_refused(world):
    with pytest.raises(ApiError) as exc:
        services.delete_content(world["comment"], world["host2"], "spam")
    assert exc.value.status == 403
    assert _audits() == []


def test_audit_log_scope(world, client, login):
    w = world
    services.delete_content(w["post"], w["host"], "offtopic")
    from forum.moderation.audit import visible_log
    assert len(db.session.scalars(visible_log(w["leader"])).all()) == 1
    assert db.session.scalars(visible_log(w["leader_out"])).all() == []
    assert db.session.scalars(visible_log(w["host2"])).all() == []
    assert len(db.session.scalars(visible_log(w["admin"])).all()) == 1
    login(w["leader"])
    page = client.get("/moderation/audit")
    assert page.status_code == 200 and "离题" in page.get_data(as_text=True)
    assert client.get(f"/moderation/audit?group={w['group'].id}").status_code == 200


def test_audit_rows_cannot_be_changed_or_deleted(world, client, login):
    services.delete_content(world["post"], world["host"], "spam")
    row = _audits()[0]
    row.reason_text = "改写历史"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    row = _audits()[0]
    db.session.delete(row)
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    assert len(_audits()) == 1
    login(world["admin"])
    for method in ("post", "put", "delete"):
        assert getattr(client, method)(f"/moderation/audit/{row.id}").status_code in (404, 405)


def test_other_features_moderation_is_audited_too(world):
    """The boards/blogs services' own delete, toggle and moderator edit land in the log."""
    w = world
    boards.delete_post(w["post"], w["host"], "spam")
    boards.toggle(w["thread"], w["host"], "locked")
    boards.edit_thread(w["thread"], w["leader"], "改过的标题", "改过的正文，内容更规范。")
    blogs.delete_comment(w["comment"], w["author"])  # the author's own delete is not moderation
    actions = [(a.action, a.target_type) for a in _audits()]
    assert ("delete", "post") in actions and ("edit", "thread") in actions
    assert not any(t == "comment" for _a, t in actions)
    edit = _audits(action="edit")[0]
    assert json.loads(edit.before)["title"] == "关于单元整体教学的讨论"
    assert json.loads(edit.after)["title"] == "改过的标题"


def test_feature_writes_ledger_row_and_unfeature_withdraws_it(world):
    w = world
    assert services.set_toggle(w["entry"], w["host"], "feature") is True
    rows = db.session.scalars(select(Contribution).where(Contribution.kind == "featured")).all()
    assert len(rows) == 1 and not rows[0].is_deleted and rows[0].user_id == w["author"].id
    assert services.set_toggle(w["entry"], w["host"], "feature") is False
    db.session.refresh(rows[0])
    assert rows[0].is_deleted
    services.set_toggle(w["entry"], w["host"], "feature", True)
    assert db.session.scalar(select(Contribution).where(Contribution.kind == "featured")).is_deleted is False
    assert len(db.session.scalars(select(Contribution).where(Contribution.kind == "featured")).all()) == 1
    services.set_toggle(w["thread"], w["host"], "pin")
    services.set_toggle(w["thread"], w["host"], "lock")
    assert w["thread"].is_pinned and w["thread"].is_locked
    assert [a.action for a in _audits()] == ["feature", "unfeature", "feature", "pin", "lock"]
    with pytest.raises(ApiError):
        services.set_toggle(w["entry"], w["host"], "lock")  # entries cannot be locked


def test_move_thread_in_scope_posts_ledger_and_index_follow(world):
    w = world
    w["group2"].board  # noqa: B018 - load
    # The host moderates only their own group: no target board.
    with pytest.raises(ApiError) as exc:
        services.move_thread(w["thread"], w["host"], w["group2"].board)
    assert exc.value.status == 403
    db.session.query(SearchOutbox).delete()
    services.move_thread(w["thread"], w["leader"], w["group2"].board, "更适合数学组")
    assert w["thread"].board_id == w["group2"].board.id
    groups = set(db.session.scalars(select(Contribution.group_id).where(
        Contribution.source_type.in_(["thread", "post"]))))
    assert groups == {w["group2"].id}
    queued = {(o.doc_type, o.doc_id) for o in db.session.scalars(select(SearchOutbox))}
    assert {("thread", w["thread"].id), ("post", w["post"].id)} <= queued
    move = _audits(action="move")[0]
    assert json.loads(move.before)["board_id"] == w["group"].board.id
    assert _audits(action="move_in")[0].group_id == w["group2"].id


def test_moderator_edit_keeps_revision_marked(world):
    from forum.core.revisions import history

    services.edit_as_moderator(world["post"], world["host"], body="（主持人修改）请围绕单元目标讨论。")
    [rev] = history(world["post"])
    assert rev.is_moderator_edit and rev.editor_id == world["host"].id
    assert len(_audits(action="edit")) == 1


def test_flag_queue_resolve_and_flagger_notified(world, client, login):
    w = world
    flag = flags.flag_content(w["reader"], w["comment"], "spam", "广告链接")
    with pytest.raises(ApiError) as exc:
        flags.flag_content(w["reader"], w["comment"], "spam")
    assert exc.value.status == 409
    assert flags.open_flag_count(w["host"]) == 1
    assert flags.open_flag_count(w["host2"]) == 0
    assert flags.open_flag_count(w["leader"]) == 1
    login(w["host"])
    page = client.get("/moderation/queue").get_data(as_text=True)
    assert "广告链接" in page and 'class="badge">1<' in page
    resp = client.post(f"/moderation/flags/{flag.id}/resolve", data={"outcome": "delete", "reason": "spam"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert flag.status == "deleted" and w["comment"].is_deleted
    outcome = db.session.scalar(select(Notification).where(Notification.user_id == w["reader"].id,
                                                           Notification.kind == "flag_outcome"))
    assert outcome.reason_code == "deleted"
    assert {a.action for a in _audits()} == {"flag_deleted", "delete"}
    assert flags.open_flag_count(w["host"]) == 0
    login(w["reader"])
    assert "你举报的内容已被删除" in client.get("/notifications/").get_data(as_text=True)


def test_flag_dismiss(world):
    w = world
    flag = flags.flag_content(w["reader"], w["post"], "offtopic")
    with pytest.raises(ApiError) as exc:
        flags.resolve_flag(flag, w["host2"], "dismiss")
    assert exc.value.status == 403
    flags.resolve_flag(flag, w["host"], "dismiss")
    assert flag.status == "dismissed" and not w["post"].is_deleted


def test_purge_is_admin_only_and_logged(world):
    w = world
    with pytest.raises(ApiError):
        services.purge_content(w["comment"], w["host"])
    comment_id = w["comment"].id
    services.purge_content(w["comment"], w["admin"])
    from forum.blogs.models import Comment
    assert db.session.get(Comment, comment_id) is None
    assert _ledger_deleted("comment", comment_id) == set()
    assert _audits(action="purge")[0].target_id == comment_id


def test_deleted_post_leaves_placeholder(world, client, login):
    w = world
    child = boards.reply(w["thread"], w["reader"], "楼上说得对，我补充一点。", parent_id=w["post"].id)
    services.delete_content(w["post"], w["host"], "offtopic")
    html = client.get(f"/boards/threads/{w['thread'].id}").get_data(as_text=True)
    assert "已被删除" in html and child.body in html and w["post"].body not in html
    login(w["host"])
    assert w["post"].body in client.get(f"/boards/threads/{w['thread'].id}").get_data(as_text=True)


def test_suspension_stops_sessions_and_tokens_at_once(world, client, login, api_token):
    w = world
    token = api_token(w["reader"])
    login(w["reader"])
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with pytest.raises(ApiError):
        services.suspend_user(w["host"], w["reader"], days=3, reason="多次发广告")  # hosts cannot
    services.suspend_user(w["leader"], w["reader"], days=3, reason="多次发广告")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert client.get("/moderation/my-flags").status_code == 302  # the session ended
    assert client.post("/auth/login", data={"username": w["reader"].username,
                                            "password": "correct-horse-battery"}).status_code != 302
    assert db.session.get(type(w["reader"]), w["reader"].id) is not None
    assert _audits(action="suspend")[0].school_id == w["school"].id
    services.unsuspend_user(w["leader"], w["reader"])
    login(w["reader"])
    assert client.get("/moderation/my-flags").status_code == 200
    with pytest.raises(ApiError):
        services.suspend_user(w["leader_out"], w["author"], days=None, reason="越权")


def test_suspend_page(world, client, login):
    w = world
    login(w["admin"])
    url = f"/moderation/users/{w['author'].id}/suspend"
    assert client.get(url).status_code == 200
    assert client.post(url, data={"reason": "x"}).status_code == 422
    assert client.post(url, data={"indefinite": "y", "reason": "严重违规"}).status_code == 302
    db.session.expire_all()
    assert w["author"].is_suspended_indefinitely
    login(w["host"])
    assert client.get(url).status_code == 403


def test_actions_macro_renders_buttons_by_policy(world, app, login, client):
    from flask import render_template_string
    from flask_login import login_user

    tpl = '{% from "moderation/_actions.html" import content_actions with context %}{{ content_actions(obj) }}'
    with app.test_request_context("/"):
        login_user(world["host"])
        html = render_template_string(tpl, obj=world["thread"])
        assert "置顶" in html and "违背教师职业道德" in html and "移动" in html
    with app.test_request_context("/"):
        login_user(world["reader"])
        html = render_template_string(tpl, obj=world["thread"])
        assert "置顶" not in html and "举报" in html


def test_move_page_lists_boards_in_scope_and_moves(world, client, login):
    w = world
    login(w["leader"])
    page = client.get(f"/moderation/thread/{w['thread'].id}/move").get_data(as_text=True)
    assert "数学组" in page
    resp = client.post(f"/moderation/thread/{w['thread'].id}/move",
                       data={"board_id": str(w["group2"].board.id), "note": "更适合数学组"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert w["thread"].board_id == w["group2"].board.id
    login(w["host"])  # the thread left the host's group: they no longer moderate it
    assert client.get(f"/moderation/thread/{w['thread'].id}/move").status_code == 403


def test_english_audit_log(world, client, login):
    services.delete_content(world["post"], world["host"], "ethics")
    login(world["admin"])
    client.post("/lang", data={"lang": "en", "next": "/"})
    html = client.get("/moderation/audit").get_data(as_text=True)
    assert "Audit log" in html and "Breaches teachers’ professional ethics" in html


def test_purge_thread_and_entry_take_their_children(world):
    import io

    from forum.blogs.attachments import path_of, save_upload
    from forum.blogs.models import Attachment, Comment, Entry
    from forum.boards import prep as prep_service
    from forum.boards.models import Post, Thread

    w = world
    att = save_upload(w["entry"], w["author"], "板书.png", io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\0" * 32))
    stored = path_of(att)
    assert stored.exists()
    ids = (w["thread"].id, w["post"].id, w["entry"].id, w["comment"].id, att.id)
    prep = prep_service.open_prep(w["group"].board, w["host"], title="集体备课", body="准备",
                                  lead_speaker_id=w["author"].id)
    services.purge_content(w["thread"], w["admin"])
    services.purge_content(w["entry"], w["admin"])
    services.purge_content(prep, w["admin"])
    db.session.expire_all()
    assert db.session.get(Thread, ids[0]) is None and db.session.get(Post, ids[1]) is None
    assert db.session.get(Entry, ids[2]) is None and db.session.get(Comment, ids[3]) is None
    assert db.session.get(Attachment, ids[4]) is None and not stored.exists()
    assert db.session.get(Thread, prep.id) is None
    assert _ledger_deleted("post", ids[1]) == set() and _ledger_deleted("comment", ids[3]) == set()
    assert [a.action for a in _audits(action="purge")] == ["purge", "purge", "purge"]


def test_pages_offer_moderation_tools_by_policy(world, client, login):
    w = world
    blogs.add_guestbook_message(w["group"].blog, w["author"], "欢迎交流")
    login(w["host"])
    entry_page = client.get(f"/blogs/entries/{w['entry'].id}").get_data(as_text=True)
    assert f"/moderation/entry/{w['entry'].id}/feature" in entry_page
    assert f"/moderation/thread/{w['thread'].id}/move" in client.get(f"/boards/threads/{w['thread'].id}").get_data(
        as_text=True)
    login(w["reader"])
    entry_page = client.get(f"/blogs/entries/{w['entry'].id}").get_data(as_text=True)
    assert f"/moderation/entry/{w['entry'].id}/flag" in entry_page
    assert f"/moderation/comment/{w['comment'].id}/flag" in entry_page
    assert "/feature" not in entry_page
    assert "/moderation/guestbook/" in client.get(f"/blogs/{w['group'].blog.id}").get_data(as_text=True)
