"""Blog services: write path (ledger + outbox), revisions and conflicts, comments, guestbook, deletes."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.blogs import services
from forum.blogs.models import Comment, Entry
from forum.core.errors import ApiError
from forum.core.revisions import history
from forum.extensions import db
from forum.ledger.models import Contribution
from forum.notifications.models import Notification
from forum.search.models import SearchOutbox



@pytest.fixture
def app_config(app_config):
    """Keep the outbox rows: the indexer runs in another process, so the test can see them."""
    app_config["SEARCH_INDEXER"] = "off"
    return app_config


BODY = "## 学情分析\n\n三年级学生已经能借助拼音朗读课文，对秋天有丰富的生活体验。"


def _ledger(source_type, source_id):
    return db.session.scalars(select(Contribution).where(Contribution.source_type == source_type,
                                                         Contribution.source_id == source_id)).all()


def _outbox(doc_type, doc_id):
    return [o.op for o in db.session.scalars(select(SearchOutbox).where(
        SearchOutbox.doc_type == doc_type, SearchOutbox.doc_id == doc_id).order_by(SearchOutbox.id))]


def _entry(d, **kw):
    args = dict(title="《秋天的雨》教学设计", body=BODY, category="design", tags="语文 三年级")
    args.update(kw)
    return services.create_entry(d.public_blog, d.author, **args)


def test_published_entry_writes_ledger_and_outbox_in_one_commit(district):
    e = _entry(district)
    (row,) = _ledger("entry", e.id)
    assert row.kind == "entry" and row.user_id == district.author.id
    assert row.group_id == district.public.id and row.school_id == district.school_a.id
    assert _outbox("entry", e.id) == ["upsert"]
    assert e.tag_names == ["三年级", "语文"]


def test_draft_has_no_ledger_row_until_published(district):
    e = _entry(district, status="draft")
    assert _ledger("entry", e.id) == []
    services.update_entry(e, district.author, version=e.version, title=e.title, body=e.body, category="design",
                          status="published")
    assert len(_ledger("entry", e.id)) == 1
    assert e.published_at is not None


def test_personal_blog_entry_counts_for_author_school(district):
    blog = services.ensure_personal_blog(district.author)
    e = services.create_entry(blog, district.author, title="随笔", body="今天的课很顺利，学生很投入。", category="essay")
    (row,) = _ledger("entry", e.id)
    assert row.group_id is None and row.school_id == district.school_a.id


def test_backdated_entry_ledger_row_uses_given_time(district):
    from datetime import datetime, timezone

    when = datetime(2026, 9, 15, 2, 0, tzinfo=timezone.utc)
    e = _entry(district, created_at=when)
    (row,) = _ledger("entry", e.id)
    assert row.created_at == when and row.month == 202609
    assert e.published_at == when


def test_delete_and_restore_flip_ledger_and_queue_index(district):
    e = _entry(district)
    services.delete_entry(e, district.author)
    assert e.is_deleted and e.deleted_reason == "author"
    assert all(r.is_deleted for r in _ledger("entry", e.id))
    services.restore_entry(e, district.host)
    assert not e.is_deleted
    assert not any(r.is_deleted for r in _ledger("entry", e.id))
    assert _outbox("entry", e.id) == ["upsert", "delete", "upsert"]


def test_host_delete_needs_reason_and_notifies_author(district):
    e = _entry(district)
    with pytest.raises(ApiError) as exc:
        services.delete_entry(e, district.host)
    assert exc.value.status == 422 and exc.value.field == "reason"
    services.delete_entry(e, district.host, "ethics", "请修改后重发")
    assert e.deleted_reason == "ethics"
    assert db.session.scalar(select(Notification).where(Notification.user_id == district.author.id,
                                                        Notification.kind == "moderation"))


def test_only_author_may_restore_not_author(district):
    e = _entry(district)
    services.delete_entry(e, district.author)
    with pytest.raises(ApiError) as exc:
        services.restore_entry(e, district.author)
    assert exc.value.status == 403


def test_colleague_cannot_delete_others_entry(district):
    e = _entry(district)
    with pytest.raises(ApiError) as exc:
        services.delete_entry(e, district.colleague, "spam")
    assert exc.value.status == 403


def test_edit_keeps_revision_and_bumps_version(district):
    e = _entry(district)
    services.update_entry(e, district.author, version=1, title="《秋天的雨》教学设计（修改稿）", body=BODY + "\n\n补充。",
                          category="design", tags=["语文"])
    assert e.version == 2 and e.tag_names == ["语文"]
    (rev,) = history(e)
    assert rev.title == "《秋天的雨》教学设计" and rev.body == BODY and not rev.is_moderator_edit
    assert _outbox("entry", e.id) == ["upsert", "upsert"]


def test_stale_version_is_a_conflict_not_an_overwrite(district):
    e = _entry(district)
    services.update_entry(e, district.author, version=1, title="第一次修改", body=BODY, category="design")
    with pytest.raises(ApiError) as exc:
        services.update_entry(e, district.host, version=1, title="基于旧版本的修改", body="旧", category="design")
    assert exc.value.status == 409
    db.session.expire_all()
    fresh = db.session.get(Entry, e.id)
    assert fresh.title == "第一次修改" and fresh.version == 2 and len(history(fresh)) == 1


def test_host_edit_is_marked_as_moderator_edit(district):
    e = _entry(district)
    services.update_entry(e, district.host, version=1, title=e.title, body=BODY + "（主持人补充）", category="design")
    assert history(e)[0].is_moderator_edit


def test_published_entry_cannot_go_back_to_draft(district):
    e = _entry(district)
    with pytest.raises(ApiError) as exc:
        services.update_entry(e, district.author, version=1, title=e.title, body=BODY, category="design",
                              status="draft")
    assert exc.value.field == "status"


@pytest.mark.parametrize("field, kwargs", [
    ("title", {"title": ""}),
    ("title", {"title": "x" * 201}),
    ("title", {"title": "坏\x07标题"}),
    ("body", {"body": "   "}),
    ("body", {"body": "a\x00b"}),
    ("category", {"category": "poem"}),
    ("tags", {"tags": ["x" * 41]}),
    ("tags", {"tags": [str(i) for i in range(11)]}),
    ("tags", {"tags": 5}),
    ("status", {"status": "hidden"}),
])
def test_invalid_entry_names_the_field(district, field, kwargs):
    with pytest.raises(ApiError) as exc:
        _entry(district, **kwargs)
    assert exc.value.status == 422 and exc.value.field == field


def test_outsider_cannot_write_group_blog(district):
    with pytest.raises(ApiError) as exc:
        services.create_entry(district.public_blog, district.outsider, title="t", body="b", category="essay")
    assert exc.value.status == 403


def test_comment_reply_mentions_and_counts(district):
    e = _entry(district)
    c1 = services.add_comment(e, district.colleague, "目标设计得很具体，值得学习。")
    c2 = services.add_comment(e, district.host, "同意 @赵敏 的看法，@outsider 也来看看", parent_id=c1.id)
    assert c2.parent_id == c1.id and e.comment_count == 2
    kinds = {(n.user_id, n.kind) for n in db.session.scalars(select(Notification))}
    assert (district.author.id, "comment") in kinds
    assert (district.colleague.id, "reply") in kinds
    assert (district.colleague.id, "mention") in kinds
    # The outsider can read a public group blog, so the mention reaches them.
    assert (district.outsider.id, "mention") in kinds
    (row,) = _ledger("comment", c1.id)
    assert row.kind == "comment" and row.group_id == district.public.id
    assert _outbox("comment", c1.id) == ["upsert"]


def test_mention_of_someone_who_cannot_read_is_not_sent(district):
    e = services.create_entry(district.private_blog, district.author, title="组内研讨", body="内部资料", category="essay")
    services.add_comment(e, district.colleague, "请 @outsider 看看")
    assert not db.session.scalar(select(Notification).where(Notification.user_id == district.outsider.id))


def test_reply_to_comment_of_other_entry_is_refused(district):
    e1, e2 = _entry(district), _entry(district, title="另一篇")
    c = services.add_comment(e1, district.colleague, "很好的设计")
    with pytest.raises(ApiError) as exc:
        services.add_comment(e2, district.colleague, "回复", parent_id=c.id)
    assert exc.value.field == "parent_id"


def test_comment_delete_by_host_with_reason_flips_ledger(district):
    e = _entry(district)
    c = services.add_comment(e, district.colleague, "这是一条违规的评论内容")
    services.delete_comment(c, district.host, "ethics")
    assert c.is_deleted and e.comment_count == 0
    assert all(r.is_deleted for r in _ledger("comment", c.id))
    assert _outbox("comment", c.id) == ["upsert", "delete"]
    services.restore_comment(c, district.host)
    assert e.comment_count == 1 and not any(r.is_deleted for r in _ledger("comment", c.id))


def test_comment_author_may_delete_without_reason(district):
    e = _entry(district)
    c = services.add_comment(e, district.colleague, "写错了，删掉")
    services.delete_comment(c, district.colleague)
    assert c.deleted_reason == "author"


def test_entry_author_who_is_not_host_cannot_delete_comments(district):
    e = _entry(district)
    c = services.add_comment(e, district.colleague, "评论")
    with pytest.raises(ApiError) as exc:
        services.delete_comment(c, district.author, "spam")
    assert exc.value.status == 403


def test_no_comment_on_draft(district):
    e = _entry(district, status="draft")
    with pytest.raises(ApiError) as exc:
        services.add_comment(e, district.author, "自己评论草稿")
    assert exc.value.status == 403


def test_guestbook_ledger_and_owner_notification(district):
    blog = services.ensure_personal_blog(district.author)
    m = services.add_guestbook_message(blog, district.outsider, "王老师，您的教学设计对我帮助很大！")
    (row,) = _ledger("guestbook", m.id)
    assert row.kind == "guestbook" and row.user_id == district.outsider.id
    assert db.session.scalar(select(Notification).where(Notification.user_id == district.author.id,
                                                        Notification.kind == "guestbook"))
    # The owner of a personal blog moderates its guestbook.
    services.delete_guestbook_message(m, district.author, "spam")
    assert m.is_deleted and all(r.is_deleted for r in _ledger("guestbook", m.id))


def test_guestbook_needs_sign_in_and_visibility(district):
    with pytest.raises(ApiError) as exc:
        services.add_guestbook_message(district.private_blog, district.outsider, "外校留言")
    assert exc.value.status == 403


def test_visible_entries_hide_drafts_deleted_and_private_blogs(district):
    pub = _entry(district)
    _entry(district, title="草稿", status="draft")
    gone = _entry(district, title="删除的")
    services.delete_entry(gone, district.author)
    services.create_entry(district.private_blog, district.author, title="组内", body="组内资料", category="essay")
    ids = lambda user: [e.id for e in db.session.scalars(services.visible_entries(user))]  # noqa: E731
    assert ids(district.outsider) == [pub.id]
    assert len(ids(district.colleague)) == 2


def test_comment_does_not_change_entry_updated_at(district):
    from datetime import datetime, timezone

    when = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)
    e = _entry(district, created_at=when)
    c = services.add_comment(e, district.colleague, "评论不是修改")
    services.delete_comment(c, district.colleague)
    services.restore_comment(c, district.host)
    db.session.expire_all()
    fresh = db.session.get(Entry, e.id)
    assert fresh.updated_at == when and fresh.comment_count == 1
    assert services.recount_comments(fresh) == 1


def test_rerender_command_refreshes_stale_html_without_touching_times(district, runner):
    from forum.core import markup

    e = _entry(district)
    e.body_html, e.render_version = "<p>old</p>", markup.RENDER_VERSION - 1
    db.session.commit()
    stamp = e.updated_at
    result = runner.invoke(args=["blogs", "rerender"])
    assert result.exit_code == 0, result.output
    assert "Entry: 1 re-rendered" in result.output
    db.session.expire_all()
    fresh = db.session.get(Entry, e.id)
    assert fresh.render_version == markup.RENDER_VERSION and 'id="h-学情分析"' in fresh.body_html
    assert fresh.updated_at == stamp


def test_host_deleting_a_guestbook_message_tells_its_author_the_reason(app, db):
    """Every content type: a moderator's delete notifies the author with the reason code."""
    from forum.blogs import services
    from forum.notifications.models import Notification
    from tests.factories import make_group, make_user

    host, writer = make_user(), make_user()
    group = make_group(members=[writer], hosts=[host])
    msg = services.add_guestbook_message(group.blog, writer, "感谢各位老师的分享，这次研讨收获很大。")
    services.delete_guestbook_message(msg, host, "offtopic")
    note = db.session.scalar(db.select(Notification).where(Notification.user_id == writer.id,
                                                           Notification.kind == "moderation"))
    assert note is not None and note.reason_code == "offtopic" and note.target_type == "guestbook"
    services.delete_guestbook_message(services.add_guestbook_message(group.blog, writer, "自己删除自己的留言内容。"), writer)
    assert db.session.scalar(db.select(db.func.count()).select_from(Notification)
                             .where(Notification.kind == "moderation")) == 1
