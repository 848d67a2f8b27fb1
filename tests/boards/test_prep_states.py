"""Lesson-preparation states: every transition, valid and invalid; conclude exactly once."""
import threading

import pytest
from sqlalchemy import func, select

from forum.blogs.models import Entry
from forum.boards import prep, services
from forum.boards.models import LessonPrep, Thread
from forum.core.errors import ApiError
from forum.ledger.models import Contribution
from tests.boards.helpers import prep_group


def _open(group, host, lead):
    return prep.open_prep(group.board, host, title="《圆的认识》集体备课", lesson="六年级上册《圆的认识》",
                          lead_speaker_id=lead.id)


def _to(state, group, host, lead, members):
    thread = _open(group, host, lead)
    if state in ("discussing", "concluded"):
        prep.post_draft(thread, lead, "教学重难点：理解圆的特征。")
    if state == "concluded":
        prep.conclude(thread, host, "定稿：以操作活动为主线。")
    return thread


def _status(fn):
    try:
        fn()
    except ApiError as exc:
        return exc.status
    return 200


ACTIONS = {
    "draft": lambda t, host, lead, members: prep.post_draft(t, lead, "新的初稿"),
    "discuss": lambda t, host, lead, members: prep.start_discussion(t, host),
    "conclude": lambda t, host, lead, members: prep.conclude(t, host, "纪要"),
    "adopt": lambda t, host, lead, members: prep.adopt(
        services.reply(t, members[1], "一条意见") if t.prep.state != "concluded"
        else services.reply(t, host, "主持人补充"), host),
}

# (state, action) → expected status: 200 valid, 409 invalid state change.
MATRIX = {
    ("drafting", "draft"): 200, ("drafting", "discuss"): 200, ("drafting", "conclude"): 409,
    ("drafting", "adopt"): 409,
    ("discussing", "draft"): 409, ("discussing", "discuss"): 409, ("discussing", "conclude"): 200,
    ("discussing", "adopt"): 200,
    ("concluded", "draft"): 409, ("concluded", "discuss"): 409, ("concluded", "conclude"): 409,
    ("concluded", "adopt"): 409,
}


@pytest.mark.parametrize("state,action", sorted(MATRIX))
def test_prep_transition(app, db, state, action):
    group, host, lead, members = prep_group(3)
    thread = _to(state, group, host, lead, members)
    before_entries = db.session.scalar(select(func.count()).select_from(Entry))
    status = _status(lambda: ACTIONS[action](thread, host, lead, members))
    assert status == MATRIX[(state, action)]
    db.session.rollback()
    if status == 409:
        assert db.session.scalar(select(LessonPrep.state)) == state
        assert db.session.scalar(select(func.count()).select_from(Entry)) == before_entries


def test_invalid_transition_message_names_state(app, db):
    group, host, lead, members = prep_group(3)
    thread = _open(group, host, lead)
    with pytest.raises(ApiError) as exc:
        prep.conclude(thread, host, "太早了")
    assert exc.value.status == 409 and "起草中" in exc.value.message


def test_only_host_or_lead_may_conclude_or_adopt(app, db):
    group, host, lead, members = prep_group(3)
    thread = _to("discussing", group, host, lead, members)
    post = services.reply(thread, members[2], "意见")
    assert _status(lambda: prep.adopt(post, members[1])) == 403
    assert _status(lambda: prep.conclude(thread, members[1], "纪要")) == 403
    assert _status(lambda: prep.post_draft(_open(group, host, lead), members[2], "抢先")) == 403
    assert _status(lambda: prep.conclude(thread, lead, "中心发言人定稿")) == 200


def test_conclude_requires_summary(app, db):
    group, host, lead, members = prep_group(3)
    thread = _to("discussing", group, host, lead, members)
    with pytest.raises(ApiError) as exc:
        prep.conclude(thread, host, "   ")
    assert exc.value.status == 422 and exc.value.field == "summary"


def test_second_conclude_is_409_and_creates_nothing(app, db):
    group, host, lead, members = prep_group(3)
    thread = _to("concluded", group, host, lead, members)
    counts = (db.session.scalar(select(func.count()).select_from(Entry)),
              db.session.scalar(select(func.count()).select_from(Contribution)))
    assert _status(lambda: prep.conclude(thread, lead, "又一次")) == 409
    db.session.rollback()
    assert counts == (db.session.scalar(select(func.count()).select_from(Entry)),
                      db.session.scalar(select(func.count()).select_from(Contribution)))


def test_two_concurrent_concludes_publish_one_summary(app, db):
    """Two requests conclude at once (host and lead speaker): one entry, one 409."""
    from forum.extensions import db as _db

    group, host, lead, members = prep_group(3)
    thread = _to("discussing", group, host, lead, members)
    thread_id, ids = thread.id, {"host": host.id, "lead": lead.id}
    db.session.rollback()  # end this test's transaction: SQLite transactions here take the write lock
    barrier = threading.Barrier(2)
    results = {}

    def worker(who):
        with app.app_context():
            from forum.auth.models import User

            barrier.wait()
            try:
                user = _db.session.get(User, ids[who])
                prep.conclude(_db.session.get(Thread, thread_id), user, f"{who} 的纪要")
                results[who] = 201
            except ApiError as exc:
                _db.session.rollback()
                results[who] = exc.status
            finally:
                _db.session.remove()

    workers = [threading.Thread(target=worker, args=(w,)) for w in ("host", "lead")]
    for w in workers:
        w.start()
    for w in workers:
        w.join(30)
    assert sorted(results.values()) == [201, 409], results
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Entry).where(Entry.prep_thread_id == thread_id)) == 1
    assert db.session.scalar(select(func.count()).select_from(Contribution)
                             .where(Contribution.kind == "prep_conclusion")) == 1


def test_conclude_on_a_stale_read_is_409_and_creates_nothing(app, db):
    """The state check that counts is the conditional UPDATE, not what this request read earlier."""
    from sqlalchemy.orm.attributes import set_committed_value

    group, host, lead, members = prep_group(3)
    thread = _to("concluded", group, host, lead, members)
    # As if this request had read the preparation before the other one concluded it.
    set_committed_value(thread.prep, "state", "discussing")
    assert _status(lambda: prep.conclude(thread, lead, "迟到的纪要")) == 409
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 1


def test_expected_participants_default_to_members_and_get_notified(app, db):
    from forum.notifications.models import Notification

    group, host, lead, members = prep_group(4)
    thread = _open(group, host, lead)
    expected = {p.user_id for p in thread.prep.participants}
    assert expected == {m.id for m in members} | {host.id}
    notified = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "prep_expected")))
    assert notified == expected - {host.id}


def test_overdue_after_deadline(app, db, client):
    from datetime import timedelta

    from forum.core.db import utcnow

    group, host, lead, members = prep_group(3)
    thread = prep.open_prep(group.board, host, title="过期的备课", lead_speaker_id=lead.id,
                            deadline_at=utcnow() - timedelta(hours=1))
    assert prep.is_overdue(thread.prep)
    assert "已过截止时间" in client.get(f"/boards/threads/{thread.id}").get_data(as_text=True)


def test_deadline_reminder_goes_once_to_those_who_have_not_replied(app, db):
    from datetime import timedelta

    from forum.core.db import utcnow
    from forum.notifications.models import Notification

    group, host, lead, members = prep_group(3)
    thread = prep.open_prep(group.board, host, title="临近截止", lead_speaker_id=lead.id,
                            deadline_at=utcnow() + timedelta(hours=3))
    prep.post_draft(thread, lead, "初稿")
    services.reply(thread, members[1], "我的意见")
    assert prep.remind_deadlines() == 2  # members[2] and the host
    assert prep.remind_deadlines() == 0
    reminded = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "prep_deadline")))
    assert reminded == {members[2].id, host.id}
