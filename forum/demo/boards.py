"""Demo data for boards: themes, threads of every kind with deep reply trees, lesson preparations.

Called by `flask seed-demo` as seed(ctx); ctx has groups, teachers, hosts, rng, corpus (Chinese
paragraphs) and months (aware UTC datetimes over the last six months). Everything goes through the
board services, backdated, so the ledger, outbox and notifications are what real use would write.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select, update

from forum.auth.models import User
from forum.boards import prep, services, themes
from forum.core.timezones import month_bounds, month_key
from forum.extensions import db
from forum.notifications.models import Notification
from forum.org.models import Membership

THEME_TITLES = [
    ("单元整体教学设计的实践", "立项"), ("大概念统领下的课堂提问", "开题"), ("作业分层设计与“双减”落实", "中期"),
    ("学习任务群视域下的阅读教学", "结题"), ("课堂评价语的有效性研究", ""), ("跨学科主题学习的组织", "开题"),
    ("信息技术与学科教学的深度融合", "中期"), ("低年级识字教学的趣味化", ""),
]
LESSONS = {
    "语文": ["三年级上册《秋天的雨》", "四年级下册《琥珀》", "五年级上册《落花生》", "六年级上册《草原》",
             "二年级下册《找春天》", "一年级上册《影子》"],
    "数学": ["五年级上册《小数乘法》", "六年级上册《圆的认识》", "三年级下册《面积》", "四年级上册《角的度量》",
             "二年级上册《认识时间》", "一年级下册《认识人民币》"],
    "英语": ["PEP 四年级上册 Unit 3 My friends", "PEP 五年级下册 Unit 2 My favourite season",
             "PEP 六年级上册 Unit 1 How can I get there?", "PEP 三年级下册 Unit 4 Where is my car?"],
}
DISCUSSION_TITLES = [
    "如何在课堂上落实“教—学—评”一致性？", "作业设计怎样兼顾基础与拓展？", "低段学生注意力不集中，大家有什么好办法？",
    "关于单元整体教学的几点困惑", "公开课《%s》听课记录与交流", "家校沟通中遇到的难题", "学习任务单的设计要点",
    "大单元教学中如何设计驱动性问题？",
]
KINDS = ("discussion", "research", "question")
OPINIONS = [
    "我赞同这个思路，建议在导入环节再简洁一些。", "学生的前测数据很重要，可以先做一个小调查。",
    "这个环节时间可能不够，建议压缩到八分钟以内。", "预设问题里可以加上学生可能出现的典型错误。",
    "板书设计可以更突出结构，帮助学生建立整体认识。", "建议增加小组合作环节，让每个学生都有表达机会。",
    "朗读指导要有层次：读准、读通、读出感情。", "评价任务要与目标对应，建议写出具体的评价标准。",
]


def _members(group) -> tuple[list[User], list[User]]:
    rows = db.session.execute(select(User, Membership.is_host).join(Membership, Membership.user_id == User.id)
                              .where(Membership.group_id == group.id).order_by(User.id)).all()
    return [u for u, _h in rows], [u for u, h in rows if h]


def _when(base: datetime, rng, now: datetime, *, day_from: int = 0, day_to: int = 27) -> datetime:
    """A moment in the month starting at `base`, never in the future."""
    t = base + timedelta(days=rng.randint(day_from, day_to), hours=rng.randint(8, 20), minutes=rng.randint(0, 59))
    return min(t, now - timedelta(minutes=rng.randint(5, 600)))


def _para(ctx, n: int = 1) -> str:
    corpus = getattr(ctx, "corpus", None) or OPINIONS
    return "\n\n".join(ctx.rng.choice(corpus).strip() for _ in range(n))


def _tree(ctx, thread, people, start: datetime, now: datetime, n: int, *, deep: bool = False) -> None:
    """`n` replies: some top-level, many nested; with `deep`, one chain goes well past the display depth."""
    rng = ctx.rng
    posts = []
    t = start
    for i in range(n):
        t = min(t + timedelta(minutes=rng.randint(5, 600)), now - timedelta(minutes=1))
        parent = None
        if posts and (deep and i > 2 and i < 11):
            parent = posts[-1]  # a long back-and-forth
        elif posts and rng.random() < 0.55:
            parent = rng.choice(posts[-5:])
        # Someone answers someone else: nobody replies to their own reply.
        author = rng.choice([u for u in people if parent is None or u.id != parent.author_id] or people)
        text = rng.choice(OPINIONS) if rng.random() < 0.5 else _para(ctx)
        if parent is not None and rng.random() < 0.25 and parent.author_id != author.id:
            text = f"@{parent.author.display_name} {text}"
        posts.append(services.reply(thread, author, text, parent_id=parent.id if parent else None,
                                    created_at=t, commit=False))


def seed(ctx) -> None:
    """Themes, threads and lesson preparations for every group over ctx.months; notifications follow."""
    rng = ctx.rng
    now = datetime.now(timezone.utc)
    # ctx.months are moments a month apart; content of a month starts at that month's first day.
    months = sorted({month_key(m) for m in ctx.months})
    for gi, group in enumerate(ctx.groups):
        board = group.board
        if board is None:
            continue
        people, hosts = _members(group)
        if len(people) < 2:
            continue
        host = hosts[0] if hosts else people[0]
        teachers = [u for u in people if u.id != host.id] or people
        subject_lessons = LESSONS.get(group.subject or "", LESSONS["语文"])
        for mi, key in enumerate(months):
            before_id = db.session.scalar(select(func.max(Notification.id))) or 0
            base = month_bounds(key)[0]
            is_current = key == month_key(now)
            title, stage = THEME_TITLES[(gi + mi) % len(THEME_TITLES)]
            theme = themes.set_theme(group, host, key, title,
                                     _para(ctx) if rng.random() < 0.7 else "", stage, commit=False,
                                     created_at=_when(base, rng, now, day_to=2))
            # Discussions of every kind; the first of each group gets a deep tree.
            for k in range(rng.randint(1, 3)):
                kind = KINDS[(gi + mi + k) % len(KINDS)]
                raw = DISCUSSION_TITLES[rng.randrange(len(DISCUSSION_TITLES))]
                ttl = raw % subject_lessons[0] if "%s" in raw else raw
                when = _when(base, rng, now)
                author = rng.choice(people)
                thread = services.start_thread(board, author, ttl, _para(ctx, 2), kind=kind,
                                               tags=rng.sample(["单元整体教学", "作业设计", "课堂评价", "阅读", "双减",
                                                                "小课题", "听评课"], 2),
                                               theme_id=theme.id if rng.random() < 0.6 else None,
                                               created_at=when, commit=False)
                _tree(ctx, thread, people, when, now, rng.randint(4, 14), deep=(k == 0 and mi % 2 == 0))
                if rng.random() < 0.15:
                    services.toggle(thread, host, "featured")
                if rng.random() < 0.08:
                    services.toggle(thread, host, "pinned")
                if rng.random() < 0.05:
                    services.toggle(thread, host, "locked")
            # Two collective preparations a month: concluded in past months; open ones this month.
            for k in range(2):
                lesson = subject_lessons[(mi * 2 + k) % len(subject_lessons)]
                lead = teachers[(mi * 2 + k + gi) % len(teachers)]
                opened = _when(base, rng, now, day_from=k * 12, day_to=k * 12 + 6)
                deadline = opened + timedelta(days=rng.randint(3, 7))
                thread = prep.open_prep(board, host, title=f"集体备课：{lesson}", lesson=lesson,
                                        subject=group.subject or "", grade=group.grade or "", textbook="部编版"
                                        if (group.subject or "语文") == "语文" else "人教版",
                                        scheduled_on=(opened + timedelta(days=2)).date(), lead_speaker_id=lead.id,
                                        deadline_at=deadline, theme_id=theme.id if k == 0 else None,
                                        created_at=opened, commit=False)
                if is_current and k == 1:
                    continue  # still drafting
                draft_at = opened + timedelta(hours=rng.randint(2, 30))
                draft_at = min(draft_at, now - timedelta(minutes=2))
                prep.post_draft(thread, lead,
                                f"## 教学重难点\n\n{_para(ctx)}\n\n## 学情分析\n\n{_para(ctx)}\n\n"
                                f"## 预设问题与对策\n\n1. {rng.choice(OPINIONS)}\n2. {rng.choice(OPINIONS)}",
                                created_at=draft_at, commit=False)
                # Most members take part; a few do not (the page lists them).
                takers = [u for u in teachers if u.id != lead.id and rng.random() < 0.75]
                # The lead speaker answers the colleagues' questions on the draft.
                _tree(ctx, thread, [u for u in takers or teachers if u.id != lead.id] + [lead], draft_at, now,
                      max(3, len(takers) + rng.randint(0, 4)))
                if is_current:
                    continue  # still discussing
                replies = services.thread_page(thread, host, 1)
                flat = [s.post for s in services.flatten(replies)]
                for p in rng.sample(flat, min(len(flat), rng.randint(1, 3))):
                    prep.adopt(p, rng.choice([host, lead]), created_at=min(deadline, now), commit=False)
                summary = "\n\n".join([f"一、{lesson}教学目标已统一。", f"二、{rng.choice(OPINIONS)}",
                                       f"三、{rng.choice(OPINIONS)}"])
                prep.conclude(thread, rng.choice([host, lead]), summary,
                              created_at=min(deadline + timedelta(hours=6), now), commit=False)
            # notify() stamps "now": date this month's notifications in their month, and treat
            # those of past months as read, so the demo accounts' unread badges look lived-in.
            when = min(month_bounds(key)[1] - timedelta(days=1), now - timedelta(minutes=30))
            db.session.flush()
            db.session.execute(update(Notification).where(Notification.id > before_id)
                               .values(created_at=when, read_at=None if is_current else when))
            db.session.commit()
