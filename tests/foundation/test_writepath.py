"""The write path: content, ledger row and outbox row commit or roll back together."""
from datetime import datetime, timezone

import pytest

from forum.core.writepath import Credit, record, set_deleted
from tests.factories import make_group, make_user


@pytest.fixture
def app_config(app_config):
    """Keep outbox rows in place (no indexer draining them) so the test can see them."""
    app_config["SEARCH_INDEXER"] = "off"
    return app_config


def _counts(db):
    from forum.blogs.models import Entry
    from forum.ledger.models import Contribution
    from forum.search.models import SearchOutbox

    return tuple(db.session.scalar(db.select(db.func.count()).select_from(m)) for m in (Entry, Contribution, SearchOutbox))


def _entry(blog, author, text="这节课我让学生先自读课文，再小组合作交流，学生参与度明显提高。"):
    from forum.blogs.models import Entry

    entry = Entry(blog_id=blog.id, author_id=author.id, title="教学反思", category="reflection", status="published")
    entry.set_body(text)
    return entry


def test_record_writes_content_ledger_and_outbox_together(app, db):
    teacher = make_user()
    group = make_group(members=[teacher])
    before = _counts(db)
    entry = _entry(group.blog, teacher)
    row = record(entry, Credit("entry", teacher.id, group.id, group.school_id, entry.body))
    db.session.commit()
    assert _counts(db) == tuple(n + 1 for n in before)
    assert row.source_type == "entry" and row.source_id == entry.id and row.is_substantive
    assert row.group_id == group.id and row.school_id == group.school_id


def test_a_failed_transaction_leaves_nothing_half_written(app, db):
    teacher = make_user()
    group = make_group(members=[teacher])
    before = _counts(db)
    entry = _entry(group.blog, teacher)
    record(entry, Credit("entry", teacher.id, group.id, group.school_id, entry.body))
    db.session.rollback()
    assert _counts(db) == before


def test_soft_delete_and_restore_flip_the_ledger_and_queue_the_index(app, db):
    from forum.ledger.models import Contribution
    from forum.search.models import SearchOutbox

    teacher = make_user()
    group = make_group(members=[teacher])
    entry = _entry(group.blog, teacher)
    record(entry, Credit("entry", teacher.id, group.id, group.school_id, entry.body))
    db.session.commit()
    set_deleted(entry, True, by_id=teacher.id, reason="other")
    db.session.commit()
    assert db.session.scalar(db.select(Contribution.is_deleted)) is True
    ops = db.session.scalars(db.select(SearchOutbox.op).order_by(SearchOutbox.id)).all()
    assert ops[-1] == "delete"
    set_deleted(entry, False)
    db.session.commit()
    assert db.session.scalar(db.select(Contribution.is_deleted)) is False
    assert db.session.scalars(db.select(SearchOutbox.op).order_by(SearchOutbox.id)).all()[-1] == "upsert"


def test_ledger_month_is_bucketed_in_site_time_zone(app, db):
    """00:30 on 1 November in Shanghai is still 31 October in UTC, and counts in November."""
    teacher = make_user()
    group = make_group(members=[teacher])
    entry = _entry(group.blog, teacher)
    when = datetime(2026, 10, 31, 16, 30, tzinfo=timezone.utc)
    row = record(entry, Credit("reply", teacher.id, group.id, group.school_id, entry.body, created_at=when))
    db.session.commit()
    assert row.month == 202611


@pytest.mark.parametrize("text,substantive", [
    ("顶", False),
    ("学习了", False),
    ("谢谢分享！！！", False),
    ("> 引用一大段别人写的很长很长的文字内容在这里\n\n支持", False),
    ("本单元教学重点是引导学生体会作者的思想感情。", True),
    ("I think the group work step needs a clearer task card.", True),
])
def test_substantive_flag_is_set_at_write_time(app, db, text, substantive):
    teacher = make_user()
    group = make_group(members=[teacher])
    entry = _entry(group.blog, teacher, text)
    row = record(entry, Credit("reply", teacher.id, group.id, group.school_id, text))
    db.session.commit()
    assert row.is_substantive is substantive
