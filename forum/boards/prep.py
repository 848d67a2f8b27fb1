"""Collective lesson preparation (集体备课): drafting → discussing → concluded.

The host (or a moderator in scope) opens a preparation; the lead speaker (中心发言人) posts the
draft, which opens the discussion; the host or lead speaker adopts replies (采纳); concluding
publishes one `prep_summary` entry on the group blog. State changes are conditional UPDATEs
(`… WHERE state = 'expected'`), so two concurrent concludes publish exactly one summary on
SQLite and PostgreSQL alike; the loser answers 409 and writes nothing.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select, update

from forum.auth.models import User
from forum.boards import services
from forum.boards.models import LessonPrep, Post, PrepParticipant, Thread
from forum.core.db import utcnow
from forum.core.errors import fail
from forum.core.templating import per_catalog
from forum.core.revisions import keep_revision
from forum.core.writepath import Credit, add_contribution, record
from forum.extensions import db
from forum.notifications.models import Notification
from forum.notifications.services import notify
from forum.org.models import Membership
from forum.policy import can, moderates_content

@per_catalog
def state_labels() -> dict[str, str]:
    """The states' names in the interface language."""
    return {"drafting": _("起草中"), "discussing": _("研讨中"), "concluded": _("已定稿")}



# "Deadline near" reminders go out this long before the deadline.
REMINDER_WINDOW = timedelta(hours=24)
SUMMARY_MAX = 100_000


def _state_conflict(prep: LessonPrep, wanted: str):
    """409 naming the current state."""
    current = state_labels().get(prep.state, prep.state)
    fail(409, _("集体备课当前状态为“%(state)s”，不能%(action)s。", state=current, action=wanted), "invalid_state")


def open_prep(board, author: User, *, title: str, body: str = "", lesson: str = "", subject: str = "",
              grade: str = "", textbook: str = "", scheduled_on: date | None = None,
              lead_speaker_id: int | None = None, deadline_at: datetime | None = None,
              participant_ids=None, tags=None, theme_id=None, created_at=None, commit: bool = True) -> Thread:
    """Create a `prep` thread with its LessonPrep (state drafting) and notify the expected participants.

    Expected participants default to the group's members. The lead speaker defaults to the author.
    A body given here is the opening notice; the draft itself is posted with `post_draft`.
    """
    group = board.group
    if group is None:
        fail(422, _("集体备课只能在教研组版块中发起。"), field="kind")
    lead_id = lead_speaker_id or author.id
    member_ids = set(db.session.scalars(select(Membership.user_id).where(Membership.group_id == group.id)))
    if lead_id not in member_ids:
        fail(422, _("中心发言人必须是本组成员。"), field="lead_speaker_id")
    if participant_ids is None:
        expected = member_ids
    else:
        expected = {int(i) for i in participant_ids} & member_ids
        expected.add(lead_id)
    if deadline_at is not None and deadline_at.tzinfo is None:
        fail(422, _("截止时间无效。"), field="deadline_at")
    opening = body if body and body.strip() else _("集体备课：%(lesson)s。中心发言人将在此发布初稿。",
                                                     lesson=lesson or title)
    thread = services.start_thread(board, author, title, opening, kind="prep", tags=tags, theme_id=theme_id,
                                   created_at=created_at, commit=False)
    prep = LessonPrep(thread_id=thread.id, lesson=(lesson or title)[:200], subject=(subject or group.subject)[:40],
                      grade=(grade or group.grade)[:40], textbook=textbook[:80], scheduled_on=scheduled_on,
                      lead_speaker_id=lead_id, deadline_at=deadline_at, state="drafting")
    prep.participants = [PrepParticipant(user_id=uid) for uid in sorted(expected)]
    thread.prep = prep
    db.session.add(prep)
    db.session.flush()
    notify(sorted(expected), "prep_expected", actor_id=author.id, target_type="thread", target_id=thread.id)
    if commit:
        db.session.commit()
    return thread


def post_draft(thread: Thread, user: User, draft: str, *, created_at=None, commit: bool = True) -> Thread:
    """The lead speaker posts the draft (教学重难点, 学情, 预设问题与对策): drafting → discussing."""
    prep = _prep_of(thread)
    if not (prep.lead_speaker_id == user.id or moderates_content(user, thread)) or not can(user, "read", thread):
        fail(403, _("只有中心发言人或主持人可以发布初稿。"))
    if not draft or not draft.strip():
        fail(422, _("请填写初稿内容。"), field="body")
    if len(draft) > services.BODY_MAX:
        fail(422, _("初稿太长。"), field="body")
    _transition(prep, "drafting", "discussing", _("发布初稿"))
    keep_revision(thread, user.id, moderator=user.id != thread.author_id)
    thread.set_body(draft)
    thread.version += 1
    now = created_at or utcnow()
    lead_id = prep.lead_speaker_id or user.id
    record(thread, None)
    add_contribution(services._credit("prep_lead", lead_id, thread.board, draft, thread.theme_id, now),
                     "thread", thread.id)
    thread.last_post_at = now
    expected = [p.user_id for p in prep.participants]
    notify(expected, "prep_expected", actor_id=user.id, target_type="thread", target_id=thread.id,
           reason_code="discussing")
    if commit:
        db.session.commit()
    return thread


def start_discussion(thread: Thread, user: User) -> Thread:
    """Open the discussion without changing the draft (the lead speaker wrote it in the thread)."""
    prep = _prep_of(thread)
    if not (prep.lead_speaker_id == user.id or moderates_content(user, thread)):
        fail(403)
    _transition(prep, "drafting", "discussing", _("开始研讨"))
    add_contribution(services._credit("prep_lead", prep.lead_speaker_id or user.id, thread.board, thread.body,
                                      thread.theme_id), "thread", thread.id)
    notify([p.user_id for p in prep.participants], "prep_expected", actor_id=user.id, target_type="thread",
           target_id=thread.id, reason_code="discussing")
    db.session.commit()
    return thread


def adopt(post: Post, user: User, *, created_at=None, commit: bool = True) -> Post:
    """Mark a reply as adopted (采纳): a ledger 'adoption' credited to its author."""
    thread = post.thread
    prep = _prep_of(thread)
    if post.is_deleted or not can(user, "read", post):
        fail(404)
    if not can(user, "adopt", post):
        fail(403, _("只有主持人或中心发言人可以采纳回帖。"))
    if prep.state != "discussing":
        _state_conflict(prep, _("采纳回帖"))
    # Conditional update: a double click adopts once.
    done = db.session.execute(update(Post).where(Post.id == post.id, Post.is_adopted.is_(False))
                              .values(is_adopted=True).execution_options(synchronize_session=False)).rowcount
    if not done:
        db.session.rollback()
        fail(409, _("这条回帖已经被采纳。"), "already_adopted")
    db.session.refresh(post, ["is_adopted"])
    add_contribution(services._credit("adoption", post.author_id, thread.board, post.body, thread.theme_id,
                                      created_at), "post", post.id)
    notify([post.author_id], "reply", actor_id=user.id, target_type="post", target_id=post.id,
           reason_code="adopted")
    if commit:
        db.session.commit()
    return post


def conclude(thread: Thread, user: User, summary: str, *, created_at=None, commit: bool = True):
    """Conclude with the consolidated summary (定稿): publish the `prep_summary` entry exactly once.

    Returns the new Entry. A second conclude (or a double-submitted form) answers 409 and
    writes nothing: the state flips with `UPDATE … WHERE state = 'discussing'`, and only the
    request whose UPDATE matched a row goes on to write the entry.
    """
    from forum.blogs.models import Entry

    prep = _prep_of(thread)
    if thread.is_deleted or not can(user, "read", thread):
        fail(404)
    if not can(user, "conclude", thread):
        fail(403, _("只有主持人或中心发言人可以定稿。"))
    if not isinstance(summary, str) or not summary.strip():
        fail(422, _("定稿需要填写集体备课纪要。"), field="summary")
    if len(summary) > SUMMARY_MAX:
        fail(422, _("纪要太长。"), field="summary")
    group = thread.board.group
    blog = group.blog if group is not None else None
    if blog is None:
        fail(409, _("本组没有博客，无法发布纪要。"), "no_blog")
    now = created_at or utcnow()
    _transition(prep, "discussing", "concluded", _("定稿"),
                extra=dict(summary=summary, concluded_at=now, concluded_by_id=user.id))

    adopted = list(db.session.scalars(
        select(Post).where(Post.thread_id == thread.id, Post.is_adopted.is_(True), Post.is_deleted.is_(False))
        .order_by(Post.id)))
    contributors: list[User] = []
    for p in adopted:
        if p.author not in contributors:
            contributors.append(p.author)
    thread_url = thread_path(thread.id)
    lines = [summary.strip(), "", "---", ""]
    lines.append(_("本纪要由集体备课帖“%(title)s”定稿整理。", title=_md_escape(thread.title)))
    lines.append(_("原帖：[%(title)s](%(url)s)", title=_md_escape(thread.title), url=thread_url))
    if prep.lead_speaker is not None:
        lines.append(_("中心发言人：%(name)s", name=_md_escape(prep.lead_speaker.display_name)))
    if contributors:
        lines.append(_("采纳意见的贡献者：%(names)s",
                       names="、".join(_md_escape(u.display_name) for u in contributors)))
    body = "\n\n".join(line for line in lines if line is not None)
    entry = Entry(blog_id=blog.id, author_id=user.id, title=_("集体备课纪要：%(lesson)s", lesson=prep.lesson or thread.title)[:200],
                  category="prep_summary", status="published", subject=prep.subject, grade=prep.grade,
                  textbook=prep.textbook, unit=prep.lesson[:120], theme_id=thread.theme_id,
                  prep_thread_id=thread.id, published_at=now, created_at=now, updated_at=now)
    entry.set_body(body)
    record(entry, services._credit("prep_conclusion", user.id, thread.board, summary, thread.theme_id, now))
    db.session.execute(update(LessonPrep).where(LessonPrep.id == prep.id).values(summary_entry_id=entry.id))
    db.session.refresh(prep)
    notify([p.user_id for p in prep.participants], "prep_concluded", actor_id=user.id, target_type="thread",
           target_id=thread.id)
    if commit:
        db.session.commit()
    return entry


def thread_path(thread_id: int) -> str:
    """The thread's page path (also outside a request, e.g. when seeding the demo)."""
    try:
        return url_for("boards.show_thread", thread_id=thread_id)
    except RuntimeError:
        return f"/boards/threads/{thread_id}"


def _md_escape(text: str) -> str:
    """Neutralise Markdown punctuation in a name or title placed into generated Markdown."""
    out = []
    for ch in text or "":
        if ch in "\\`*_{}[]()#+-.!<>|~":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _prep_of(thread: Thread) -> LessonPrep:
    prep = thread.prep
    if prep is None:
        fail(409, _("这不是集体备课帖。"), "not_prep")
    return prep


def _transition(prep: LessonPrep, expected: str, new: str, action: str, extra: dict | None = None) -> None:
    """Move `prep` from `expected` to `new` with a conditional UPDATE; 409 if another state."""
    if prep.state != expected:
        _state_conflict(prep, action)
    values = {"state": new, **(extra or {})}
    matched = db.session.execute(
        update(LessonPrep).where(LessonPrep.id == prep.id, LessonPrep.state == expected).values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not matched:
        # Someone else changed the state between our read and our write.
        db.session.rollback()
        db.session.refresh(prep)
        _state_conflict(prep, action)
    db.session.refresh(prep)


def participation(prep: LessonPrep) -> tuple[list[User], list[User]]:
    """Expected participants who took part (posted a live reply or the draft) and who did not."""
    took = services.thread_participant_ids(prep.thread)
    took.discard(prep.thread.author_id)
    if prep.state != "drafting" and prep.lead_speaker_id:
        took.add(prep.lead_speaker_id)
    users = sorted((p.user for p in prep.participants), key=lambda u: u.display_name)
    return [u for u in users if u.id in took], [u for u in users if u.id not in took]


def is_overdue(prep: LessonPrep, now: datetime | None = None) -> bool:
    """Past the discussion deadline and not concluded."""
    return (prep.deadline_at is not None and prep.state != "concluded"
            and prep.deadline_at < (now or utcnow()))


def expected_preps(user: User, limit: int = 10) -> list[LessonPrep]:
    """Open preparations that `user` is expected in, soonest deadline first."""
    from sqlalchemy.orm import joinedload

    rows = db.session.scalars(
        select(LessonPrep).join(PrepParticipant, PrepParticipant.prep_id == LessonPrep.id)
        .join(Thread, Thread.id == LessonPrep.thread_id)
        .where(PrepParticipant.user_id == user.id, LessonPrep.state != "concluded", Thread.is_deleted.is_(False))
        .options(joinedload(LessonPrep.thread))
        .order_by(LessonPrep.deadline_at.is_(None), LessonPrep.deadline_at, LessonPrep.id.desc()).limit(limit)
    ).unique()
    return [p for p in rows if can(user, "read", p.thread)]


def remind_deadlines(now: datetime | None = None) -> int:
    """Notify expected participants who have not yet replied when a deadline is within 24 hours.

    Run from `flask boards remind` (cron); each participant is reminded once per preparation.
    """
    now = now or utcnow()
    preps = db.session.scalars(select(LessonPrep).where(
        LessonPrep.state == "discussing", LessonPrep.deadline_at.is_not(None),
        LessonPrep.deadline_at > now, LessonPrep.deadline_at <= now + REMINDER_WINDOW)).all()
    sent = 0
    for prep in preps:
        if prep.thread.is_deleted:
            continue
        reminded = set(db.session.scalars(select(Notification.user_id).where(
            Notification.kind == "prep_deadline", Notification.target_type == "thread",
            Notification.target_id == prep.thread_id)))
        _took, missing = participation(prep)
        sent += notify([u.id for u in missing if u.id not in reminded], "prep_deadline", actor_id=None,
                       target_type="thread", target_id=prep.thread_id)
    db.session.commit()
    return sent
