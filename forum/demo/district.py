"""The demo district's organisation and people: clusters, schools, groups, teachers, hosts, leaders."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from forum.extensions import db

PASSWORD = "jiaoyan-demo-2026"

CLUSTERS = {
    "城区片区": ["城关第一小学", "实验小学", "育才中学"],
    "乡镇片区": ["青山镇中心小学", "柳溪乡小学", "石桥镇初级中学"],
}
# (school, group, subject, grade, visibility, number of teachers)
GROUPS = [
    ("城关第一小学", "语文组", "语文", "", "public", 7),
    ("城关第一小学", "数学组", "数学", "", "school", 6),
    ("城关第一小学", "一年组", "", "一年级", "group", 5),
    ("实验小学", "英语组", "英语", "", "public", 5),
    ("实验小学", "科学组", "科学", "", "public", 4),
    ("实验小学", "数学组", "数学", "", "group", 5),
    ("育才中学", "语文组", "语文", "初中", "public", 6),
    ("育才中学", "物理组", "物理", "初中", "school", 4),
    ("青山镇中心小学", "语文组", "语文", "", "public", 5),
    ("青山镇中心小学", "综合组", "综合实践", "", "school", 4),
    ("柳溪乡小学", "全科组", "全科", "", "public", 3),
    ("石桥镇初级中学", "数学组", "数学", "初中", "public", 4),
    ("石桥镇初级中学", "英语组", "英语", "初中", "group", 3),
]
SURNAMES = [("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
            ("赵", "zhao"), ("黄", "huang"), ("周", "zhou"), ("吴", "wu"), ("徐", "xu"), ("孙", "sun"),
            ("胡", "hu"), ("朱", "zhu"), ("高", "gao"), ("林", "lin"), ("何", "he"), ("郭", "guo"),
            ("马", "ma"), ("罗", "luo")]
GIVEN = [("丽华", "lihua"), ("建军", "jianjun"), ("秀英", "xiuying"), ("海燕", "haiyan"), ("志强", "zhiqiang"),
         ("晓梅", "xiaomei"), ("春兰", "chunlan"), ("文博", "wenbo"), ("静", "jing"), ("敏", "min"),
         ("雪莲", "xuelian"), ("国庆", "guoqing"), ("红梅", "hongmei"), ("子涵", "zihan"), ("雨桐", "yutong"),
         ("明轩", "mingxuan"), ("佳怡", "jiayi"), ("俊杰", "junjie"), ("婷婷", "tingting"), ("伟", "wei"),
         ("芳", "fang"), ("磊", "lei"), ("燕", "yan"), ("涛", "tao")]


@dataclass
class DemoContext:
    """What feature seeders get: the district's groups and people, randomness, text, months."""

    groups: list = field(default_factory=list)
    teachers: list = field(default_factory=list)
    hosts: dict = field(default_factory=dict)  # group id → host user
    members: dict = field(default_factory=dict)  # group id → [users]
    leader: object = None
    principal: object = None
    admin: object = None
    rng: object = None
    corpus: tuple = ()
    months: list = field(default_factory=list)
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


def _names(count: int, rng) -> list[tuple[str, str]]:
    pairs = [(s + g, sp + gp) for s, sp in SURNAMES for g, gp in GIVEN]
    rng.shuffle(pairs)
    return pairs[:count]


def build(rng) -> DemoContext:
    """Create the organisation and people; returns the context for feature seeders (commits)."""
    from forum.auth.services import create_user, hash_password
    from forum.demo import corpus
    from forum.org.services import add_member, create_cluster_board, create_group, get_or_create_cluster, \
        get_or_create_school

    ctx = DemoContext(rng=rng, corpus=corpus.paragraphs())
    pw_hash = hash_password(PASSWORD)
    schools = {}
    for cluster_name, school_names in CLUSTERS.items():
        cluster = get_or_create_cluster(cluster_name)
        for name in school_names:
            schools[name] = get_or_create_school(name, cluster)
        create_cluster_board(cluster, f"{cluster_name}联片教研", visibility="cluster")

    total = sum(g[5] for g in GROUPS)
    names = _names(total + 4, rng)
    ni = 0
    for school_name, group_name, subject, grade, visibility, size in GROUPS:
        school = schools[school_name]
        group = create_group(group_name, school=school, subject=subject, grade=grade, visibility=visibility,
                             description=f"{school_name}{group_name}：立足课堂，以研促教。")
        ctx.groups.append(group)
        ctx.members[group.id] = []
        for i in range(size):
            display, username = names[ni]
            ni += 1
            user = create_user(username, PASSWORD, display_name=display, school=school,
                               check_password=False, password_hash=pw_hash)
            add_member(group, user, host=(i == 0))
            ctx.teachers.append(user)
            ctx.members[group.id].append(user)
            if i == 0:
                ctx.hosts[group.id] = user
    # A few teachers belong to a second group (cross-grade groups are common).
    first_school_groups = [g for g in ctx.groups if g.school_id == ctx.groups[0].school_id]
    for user in ctx.members[first_school_groups[0].id][1:3]:
        add_member(first_school_groups[-1], user)
        ctx.members[first_school_groups[-1].id].append(user)

    display, username = names[ni]
    ctx.leader = create_user("jiaoyanyuan", PASSWORD, role="leader", display_name="刘建国（区教研员）",
                             check_password=False, password_hash=pw_hash)
    ctx.principal = create_user("xiaozhang", PASSWORD, role="leader", display_name="陈校长",
                                school=schools["城关第一小学"], check_password=False, password_hash=pw_hash)
    ctx.principal.scope_school_id = schools["城关第一小学"].id
    ctx.admin = create_user("admin", PASSWORD, role="admin", display_name="系统管理员",
                            check_password=False, password_hash=pw_hash)
    now = ctx.now
    ctx.months = [now - timedelta(days=30 * k) for k in range(6, -1, -1)]
    db.session.commit()
    return ctx


def accounts(ctx: DemoContext) -> list[tuple[str, str, str]]:
    """(username, who, role) lines to print."""
    first = ctx.groups[0]
    host = ctx.hosts[first.id]
    teacher = ctx.members[first.id][1]
    return [
        ("admin", "系统管理员", "admin"),
        ("jiaoyanyuan", "刘建国（区教研员）", "leader"),
        ("xiaozhang", "陈校长（城关第一小学）", "leader, scoped to one school"),
        (host.username, f"{host.display_name}（{first.label} 主持人）", "host"),
        (teacher.username, f"{teacher.display_name}（{first.label} 教师）", "teacher"),
    ]
