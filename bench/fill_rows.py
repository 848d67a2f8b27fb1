"""The rows of bench/data.py: batched Core inserts, and the district generated thread by thread."""
from __future__ import annotations

import random
import time
from collections import defaultdict, deque
from datetime import datetime, timedelta, timezone

from fill_text import (BROAD_SENTENCE, FEW_SENTENCE, FEW_WORD, BROAD_WORD, Bodies, _fp_text, _subst_text,
                       fingerprint_of, prepared)

CLUSTERS_PER_SCHOOLS = 10  # one cluster per ten schools
GROUP_NAMES = [("语文组", "语文", ""), ("数学组", "数学", ""), ("英语组", "英语", ""), ("科学组", "科学", ""),
               ("物理组", "物理", "初中"), ("化学组", "化学", "初中"), ("历史组", "历史", ""), ("地理组", "地理", ""),
               ("道德与法治组", "道德与法治", ""), ("音乐组", "音乐", ""), ("美术组", "美术", ""), ("体育组", "体育", ""),
               ("信息技术组", "信息技术", ""), ("综合实践组", "综合实践", ""), ("一年组", "", "一年级"),
               ("二年组", "", "二年级"), ("三年组", "", "三年级"), ("四年组", "", "四年级"), ("五年组", "", "五年级"),
               ("六年组", "", "六年级")]
SCHOOL_KINDS = ["实验小学", "中心小学", "第一小学", "第二小学", "初级中学", "育才中学", "城南小学", "城北小学",
                "希望小学", "第三中学"]
TOWNS = ["城关", "青山", "柳溪", "石桥", "梅林", "龙泉", "白沙", "新华", "东湖", "西岭", "南屏", "北岗", "桃源",
         "杏坛", "枫林", "云台", "金水", "玉泉", "长乐", "永安"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = ["丽华", "建军", "秀英", "海燕", "志强", "晓梅", "春兰", "文博", "静", "敏", "雪莲", "国庆", "红梅",
         "子涵", "雨桐", "明轩", "佳怡", "俊杰", "婷婷", "伟", "芳", "磊", "燕", "涛", "慧", "娟", "勇", "军",
         "晓燕", "桂英", "玉兰", "建华", "志明", "淑珍", "凤英", "立新"]
CATEGORIES = ["design", "reflection", "case", "essay", "courseware", "video", "research"]
TAGS = ["单元整体教学", "大概念", "作业设计", "双减", "课堂观察", "校本教研", "集体备课", "项目式学习", "分层教学",
        "阅读教学", "习作", "计算", "实验探究", "评价", "跨学科", "信息技术融合"]
REASONS = ["offtopic", "spam", "duplicate"]


class Writer:
    """Batched Core executemany per table, in foreign-key order, with rows/s per table."""

    ORDER = ["clusters", "schools", "users", "groups", "memberships", "blogs", "boards", "threads",
             "thread_tags", "posts", "entries", "entry_tags", "comments", "contributions", "search_outbox"]

    def __init__(self, engine, batch: int):
        from forum.extensions import db

        self.engine, self.batch = engine, batch
        self.tables = {name: db.metadata.tables[name] for name in self.ORDER}
        self.pending: dict[str, list[dict]] = defaultdict(list)
        self.count: dict[str, int] = defaultdict(int)
        self.seconds: dict[str, float] = defaultdict(float)

    def add(self, table: str, row: dict) -> None:
        self.pending[table].append(row)
        if len(self.pending[table]) >= self.batch:
            self.flush()

    def flush(self) -> None:
        with self.engine.begin() as conn:
            for name in self.ORDER:
                rows = self.pending.get(name)
                if not rows:
                    continue
                t0 = time.perf_counter()
                conn.execute(self.tables[name].insert(), rows)
                self.seconds[name] += time.perf_counter() - t0
                self.count[name] += len(rows)
                self.pending[name] = []


def _fill_engine(url: str, journal: bool = True):
    """The fill's own engine: foreign keys on; on SQLite no fsync and (`journal`) an in-memory journal.

    Switching the journal mode needs the database to itself: --finish leaves it in WAL.
    """
    from sqlalchemy import create_engine, event

    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys = ON")
            cur.execute("PRAGMA synchronous = OFF")
            if journal:
                cur.execute("PRAGMA journal_mode = MEMORY")
            cur.execute("PRAGMA cache_size = -400000")
            cur.execute("PRAGMA temp_store = MEMORY")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn):
            conn.exec_driver_sql("BEGIN")
    return engine


def _log(msg: str) -> None:
    print(f"[data {time.strftime('%H:%M:%S')}] {msg}", flush=True)


class Filler:
    """Generates the district in memory, thread by thread, and streams it into the tables."""

    def __init__(self, app, preset: Preset, text: Text, rng: random.Random, writer: Writer):
        self.app, self.p, self.text, self.rng, self.w = app, preset, text, rng, writer
        self.now = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
        self.start = self.now - timedelta(days=int(preset.months * 30.44))
        self.ids: dict[str, int] = defaultdict(int)
        self.manifest: dict = {"targets": {}}
        from forum.core.timezones import month_key

        self.month_key = month_key

    def next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def when(self, lo: datetime | None = None, hi: datetime | None = None) -> datetime:
        lo, hi = lo or self.start, hi or self.now
        span = max(1, int((hi - lo).total_seconds()))
        return lo + timedelta(seconds=self.rng.randrange(span))

    # -- ledger and outbox --------------------------------------------------------------------------

    def credit(self, kind: str, source_type: str, source_id: int, user_id: int, group_id, school_id,
               when: datetime, fp: str, substantive: bool, deleted: bool) -> None:
        self.w.add("contributions", dict(
            id=self.next_id("contributions"), user_id=user_id, group_id=group_id, school_id=school_id, kind=kind,
            created_at=when, month=self.month_key(when), is_substantive=substantive, is_deleted=deleted,
            source_type=source_type, source_id=source_id, fingerprint=fp, theme_id=None))

    def outbox(self, doc_type: str, doc_id: int, when: datetime, deleted_at: datetime | None) -> None:
        self.w.add("search_outbox", dict(id=self.next_id("search_outbox"), doc_type=doc_type, doc_id=doc_id,
                                         op="upsert", created_at=when))
        if deleted_at is not None:
            self.w.add("search_outbox", dict(id=self.next_id("search_outbox"), doc_type=doc_type, doc_id=doc_id,
                                             op="delete", created_at=deleted_at))

    def deletion(self, kind: str, obj_id: int, when: datetime, by_id: int, rate: float, protect: bool = False):
        """Soft-delete fields: a host removed it some hours after it was written (or not deleted)."""
        if protect or self.rng.random() >= rate:
            return dict(is_deleted=False, deleted_at=None, deleted_reason=None, deleted_note=None,
                        deleted_by_id=None), None
        at = min(self.now, when + timedelta(minutes=self.rng.randint(10, 4000)))
        return dict(is_deleted=True, deleted_at=at, deleted_reason=self.rng.choice(REASONS), deleted_note=None,
                    deleted_by_id=by_id), at

    # -- organisation -------------------------------------------------------------------------------

    def organisation(self, pw_hash: str) -> None:
        p, rng, w = self.p, self.rng, self.w
        n_clusters = max(1, -(-p.schools // CLUSTERS_PER_SCHOOLS))
        for c in range(1, n_clusters + 1):
            w.add("clusters", dict(id=self.next_id("clusters"), name=f"第{c}片区", description=""))
        self.schools = []
        self.school_names: dict[int, str] = {}
        for s in range(p.schools):
            sid = self.next_id("schools")
            town = TOWNS[s % len(TOWNS)]
            kind = SCHOOL_KINDS[(s // len(TOWNS)) % len(SCHOOL_KINDS)]
            suffix = "" if s < len(TOWNS) * len(SCHOOL_KINDS) else str(s)
            w.add("schools", dict(id=sid, name=f"{town}{kind}{suffix}", cluster_id=1 + s // CLUSTERS_PER_SCHOOLS))
            self.schools.append(sid)
            self.school_names[sid] = f"{town}{kind}{suffix}"
        self.users: dict[int, int | None] = {}  # user id -> school id
        self.names: dict[int, str] = {}

        def user(username, display, role, school_id):
            uid = self.next_id("users")
            w.add("users", dict(id=uid, username=username, display_name=display, password_hash=pw_hash, role=role,
                                school_id=school_id, scope_school_id=None, scope_cluster_id=None, bio="",
                                locale=None, session_version=1, suspended_until=None,
                                is_suspended_indefinitely=False, suspension_reason=None,
                                created_at=self.start - timedelta(days=30)))
            self.users[uid] = school_id
            self.names[uid] = display
            w.add("blogs", dict(id=self.next_id("blogs"), group_id=None, owner_id=uid, title=f"{display}的博客",
                                description="", visibility="public" if rng.random() < 0.85 else "school",
                                created_at=self.start - timedelta(days=30)))
            self.personal_blog[uid] = self.ids["blogs"]
            return uid

        self.personal_blog: dict[int, int] = {}
        self.admin = user("bench_admin", "系统管理员", "admin", None)
        self.leader = user("bench_leader", "刘教研员", "leader", None)
        self.teachers_of: dict[int, list[int]] = defaultdict(list)
        for t in range(p.teachers):
            school = self.schools[t % len(self.schools)]
            name = SURNAMES[t % len(SURNAMES)] + GIVEN[(t // len(SURNAMES)) % len(GIVEN)]
            uid = user(f"t{t + 1:05d}", name, "teacher", school)
            self.teachers_of[school].append(uid)
        # Groups: spread over schools; visibility mix; each with its blog and board.
        self.groups: list[dict] = []
        for g in range(p.groups):
            school = self.schools[g % len(self.schools)]
            name, subject, grade = GROUP_NAMES[(g // len(self.schools)) % len(GROUP_NAMES)]
            if g // len(self.schools) >= len(GROUP_NAMES):
                name = f"{name}{g // len(self.schools)}"
            vis = "public" if g < len(self.schools) or rng.random() < 0.6 else rng.choice(["school", "school", "group"])
            gid = self.next_id("groups")
            w.add("groups", dict(id=gid, name=name, subject=subject, grade=grade, description=f"{name}的教研活动",
                                 school_id=school, cluster_id=None, visibility=vis, created_at=self.start))
            self.groups.append(dict(id=gid, school=school, visibility=vis, members=[], label=f"{self.school_names[school]} · {name}"))
        # Memberships: every teacher in one group of their school, a third in a second one; first member hosts.
        groups_of_school: dict[int, list[dict]] = defaultdict(list)
        for g in self.groups:
            groups_of_school[g["school"]].append(g)
        for school, teachers in self.teachers_of.items():
            gs = groups_of_school.get(school) or []
            if not gs:
                continue
            for i, uid in enumerate(teachers):
                mine = [gs[i % len(gs)]]
                if len(gs) > 1 and rng.random() < 0.33:
                    mine.append(gs[(i + 1 + rng.randrange(len(gs) - 1)) % len(gs)])
                for g in mine:
                    g["members"].append(uid)
        for g in self.groups:
            if not g["members"]:  # a group needs someone to write in it
                g["members"].append(rng.choice(self.teachers_of[g["school"]]))
            for k, uid in enumerate(g["members"]):
                w.add("memberships", dict(id=self.next_id("memberships"), user_id=uid, group_id=g["id"],
                                          is_host=k == 0, joined_at=self.start))
            g["host"] = g["members"][0]
            g["blog"] = self.next_id("blogs")
            w.add("blogs", dict(id=g["blog"], group_id=g["id"], owner_id=None, title=f"{g['label']}博客",
                                description="", visibility="public", created_at=self.start))
        self.boards: dict[int, dict] = {}
        for g in self.groups:
            bid = self.next_id("boards")
            g["board"] = bid
            self.boards[bid] = dict(id=bid, group=g, name=f"{g['label']}研讨区", threads=0, posts=0)
        for c in range(1, n_clusters + 1):
            bid = self.next_id("boards")
            self.boards[bid] = dict(id=bid, group=None, cluster=c, name=f"第{c}片区联片教研", threads=0, posts=0)
        for b in self.boards.values():
            g = b["group"]
            w.add("boards", dict(id=b["id"], group_id=g["id"] if g else None,
                                 cluster_id=None if g else b["cluster"], name=b["name"], description="",
                                 visibility="public" if g else "cluster", thread_count=0, post_count=0,
                                 created_at=self.start))
        w.flush()

    def board_counters(self) -> None:
        """thread_count (live threads) and post_count (every reply ever written) as the services keep them."""
        from sqlalchemy import text as sql

        with self.w.engine.begin() as conn:
            conn.execute(sql("UPDATE boards SET thread_count = :t, post_count = :p WHERE id = :id"),
                         [{"t": b["threads"], "p": b["posts"], "id": b["id"]} for b in self.boards.values()])

    # -- boards -------------------------------------------------------------------------------------

    def reply_counts(self) -> list[tuple[int, str]]:
        """(replies, role) per thread, summing exactly to the preset's replies."""
        p, rng = self.p, self.rng
        special = [(p.big_thread_posts - 1, "big")] + [(19, "t20")] * p.threads_of_20
        n_rest = p.threads - len(special)
        if p.uniform_replies is not None:
            rest = [p.uniform_replies] * n_rest
        else:
            budget = p.posts - sum(r for r, _ in special)
            raw = [rng.expovariate(1.0) for _ in range(n_rest)]
            scale = budget / sum(raw)
            rest = [int(x * scale) for x in raw]
            short = budget - sum(rest)
            for i in rng.sample(range(n_rest), min(abs(short), n_rest)):
                rest[i] += 1 if short > 0 else (-1 if rest[i] > 0 else 0)
        return special + [(r, "") for r in rest]

    def boards_and_posts(self) -> None:
        p, rng, w, text = self.p, self.rng, self.w, self.text
        public = [g for g in self.groups if g["visibility"] == "public"]
        deep_group = public[0]
        target_group = public[1 % len(public)]
        counts = self.reply_counts()
        # Threads in time order get increasing ids; which board each goes to.
        group_boards = [g["board"] for g in self.groups]
        cluster_boards = [b for b, v in self.boards.items() if v["group"] is None]
        plan = []
        n_deep = p.deep_board_threads
        for i, (replies, role) in enumerate(counts):
            if role:
                board = target_group["board"]
            elif n_deep > 0:
                board = deep_group["board"]
                n_deep -= 1
            elif cluster_boards and rng.random() < 0.01:
                board = rng.choice(cluster_boards)
            else:
                board = rng.choice(group_boards)
            lifetime = timedelta(days=400) if role == "big" else None
            hi = self.now - (lifetime or timedelta(days=1))
            plan.append((self.when(hi=hi), replies, role, board))
        plan.sort(key=lambda x: x[0])
        post_pool = Bodies(text.reply, p.pools[0])
        thread_pool = Bodies(text.thread, p.pools[1])
        t0 = time.perf_counter()
        post_pool.build()
        thread_pool.build()
        _log(f"rendered {len(post_pool.items) + len(thread_pool.items)} distinct thread/reply bodies in "
             f"{time.perf_counter() - t0:.1f}s")
        # Planted search words: few hits / thousands of hits, in posts of public boards.
        public_boards = {g["board"] for g in public}
        candidates = [i for i, (_t, r, _role, b) in enumerate(plan) if b in public_boards and r > 0]
        few_threads = set(rng.sample(candidates, min(p.few_hits, len(candidates))))
        broad_total = p.broad_hits
        broad_per_thread = defaultdict(int)
        for _ in range(broad_total):
            broad_per_thread[rng.choice(candidates)] += 1
        planted = {"few": 0, "broad": 0}
        progress_every = max(1, len(plan) // 20)
        tstart = time.perf_counter()
        for i, (created, replies, role, board_id) in enumerate(plan):
            board = self.boards[board_id]
            g = board["group"]
            if g is not None:
                members = g["members"]
                school_id, group_id, host = g["school"], g["id"], g["host"]
            else:
                cluster_schools = [s for s in self.schools if 1 + (s - 1) // CLUSTERS_PER_SCHOOLS == board["cluster"]]
                members = [u for s in cluster_schools for u in self.teachers_of[s][:20]]
                school_id, group_id, host = None, None, self.admin
            tid = self.next_id("threads")
            author = rng.choice(members)
            title = text.title()
            if role == "big":
                title = "【长帖】" + title
            body = thread_pool.pick(rng)
            protect = bool(role)
            fields, t_deleted_at = self.deletion("thread", tid, created, host, 0.005, protect)
            pinned = not role and rng.random() < 0.003
            featured = not role and rng.random() < 0.01
            # Replies: in time order; a quarter answer an earlier post (nested).
            last_at, last_poster = created, author
            top = 0
            live = 0
            gap = (timedelta(days=400) / max(1, replies)) if role == "big" else timedelta(hours=8)
            t = created
            recent: deque = deque(maxlen=12)
            post_rows: list[dict] = []  # written after their thread (foreign key)
            plant_few = i in few_threads
            plant_broad = broad_per_thread.get(i, 0)
            for k in range(replies):
                t = min(self.now, t + timedelta(seconds=1 + int(rng.expovariate(1.0) * gap.total_seconds())))
                pid = self.next_id("posts")
                pa = rng.choice(members)
                item = post_pool.pick(rng)
                if plant_few:
                    item, plant_few = prepared(item[0] + "\n\n" + FEW_SENTENCE), False
                    planted["few"] += 1
                elif plant_broad:
                    item = prepared(item[0] + "\n\n" + BROAD_SENTENCE)
                    plant_broad -= 1
                    planted["broad"] += 1
                parent = recent[rng.randrange(len(recent))] if recent and rng.random() < 0.25 else None
                if parent is None or parent[2] >= 6 or parent[4]:
                    top += 1
                    row = dict(parent_id=None, root_id=pid, position=top, depth=0, path=f"{pid:010d}")
                else:
                    row = dict(parent_id=parent[0], root_id=parent[1], position=None, depth=parent[2] + 1,
                               path=f"{parent[3]}.{pid:010d}")
                keep = item[0].endswith(FEW_SENTENCE) or item[0].endswith(BROAD_SENTENCE)
                pf, p_deleted_at = self.deletion("post", pid, t, host, 0.01, keep)
                post_rows.append(dict(id=pid, thread_id=tid, author_id=pa, body=item[0], body_html=item[1],
                                    render_version=self._rv, is_adopted=False, version=1, created_at=t,
                                          updated_at=t, **row, **pf))
                recent.append((pid, row["root_id"], row["depth"], row["path"], pf["is_deleted"]))
                if not pf["is_deleted"]:
                    live += 1
                last_at, last_poster = t, pa
                cs = school_id if g is not None else self.users[pa]
                self.credit("reply", "post", pid, pa, group_id, cs, t, fingerprint_of(item), item[4],
                            pf["is_deleted"])
                self.outbox("post", pid, t, p_deleted_at)
            w.add("threads", dict(id=tid, board_id=board_id, author_id=author, title=title, kind=
                                  rng.choice(["discussion"] * 6 + ["research", "question"]), is_pinned=pinned,
                                  is_locked=not role and rng.random() < 0.01, is_featured=featured, theme_id=None,
                                  reply_count=live, top_level_count=top, last_post_at=last_at,
                                  last_poster_id=last_poster, version=1, body=body[0], body_html=body[1],
                                  render_version=self._rv, created_at=created, updated_at=created, **fields))
            for row in post_rows:
                w.add("posts", row)
            for tag in (rng.sample(TAGS, rng.randint(1, 3)) if rng.random() < 0.2 else []):
                w.add("thread_tags", dict(thread_id=tid, tag=tag))
            if not fields["is_deleted"]:
                board["threads"] += 1
            board["posts"] += replies
            cs = school_id if g is not None else self.users[author]
            self.credit("thread", "thread", tid, author, group_id, cs, created, fingerprint_of(body, title),
                        body[4] or self._title_ok(title, body), fields["is_deleted"])
            if featured:
                at = min(self.now, created + timedelta(days=1))
                self.credit("featured", "thread", tid, author, group_id, cs, at, _fp_text(title),
                            _subst_text(title), fields["is_deleted"])
            self.outbox("thread", tid, created, t_deleted_at)
            if role == "big":
                self.manifest["targets"]["thread_big"] = dict(id=tid, posts=replies + 1, top_level=top,
                                                             pages=-(-top // 20))
            elif role == "t20" and "thread_20" not in self.manifest["targets"]:
                self.manifest["targets"]["thread_20"] = dict(id=tid, posts=replies + 1)
            if (i + 1) % progress_every == 0:
                el = time.perf_counter() - tstart
                _log(f"threads {i + 1}/{len(plan)}, posts {self.ids['posts']} ({self.ids['posts'] / el:.0f}/s)")
        w.flush()
        if "thread_20" not in self.manifest["targets"]:  # small: every ordinary thread has 20 posts
            self.manifest["targets"]["thread_20"] = dict(id=self._first_public_thread, posts=p.uniform_replies + 1)
        self.manifest["targets"]["board_deep"] = dict(id=deep_group["board"], group_id=deep_group["id"],
                                                     threads=self.boards[deep_group["board"]]["threads"])
        self.manifest["targets"]["group"] = dict(id=deep_group["id"])
        self.manifest["search"] = dict(few=dict(q=FEW_WORD, planted=planted["few"]),
                                       broad=dict(q=BROAD_WORD, planted=planted["broad"]))
        w.flush()

    @property
    def _first_public_thread(self) -> int:
        from sqlalchemy import text as sql

        with self.w.engine.connect() as conn:
            return conn.execute(sql(
                "SELECT t.id FROM threads t JOIN boards b ON b.id = t.board_id JOIN groups g ON g.id = b.group_id "
                "WHERE g.visibility = 'public' AND t.is_deleted = :f AND t.reply_count = 19 ORDER BY t.id LIMIT 1"),
                {"f": False}).scalar()

    @staticmethod
    def _title_ok(title: str, body_item: tuple) -> bool:
        return _subst_text(f"{title}\n{body_item[0]}")

    # -- blogs --------------------------------------------------------------------------------------

    def blogs(self) -> None:
        p, rng, w, text = self.p, self.rng, self.w, self.text
        entry_pool = Bodies(lambda: text.entry(design=rng.random() < 0.3), p.pools[2])
        comment_pool = Bodies(text.comment, p.pools[3])
        t0 = time.perf_counter()
        entry_pool.build()
        comment_pool.build()
        _log(f"rendered {len(entry_pool.items) + len(comment_pool.items)} distinct entry/comment bodies in "
             f"{time.perf_counter() - t0:.1f}s")
        public = [g for g in self.groups if g["visibility"] == "public"]
        big_group = public[1 % len(public)]
        # Comments per entry: exponential around the mean; the big entry has exactly 10.
        plan = []
        for n in range(p.entries):
            big = n == 0
            if big:
                blog, author, g = big_group["blog"], big_group["host"], big_group
            elif rng.random() < 0.85:
                g = rng.choice(self.groups)
                blog, author = g["blog"], rng.choice(g["members"])
            else:
                g = None
                author = rng.choice(list(self.personal_blog))
                blog = self.personal_blog[author]
            plan.append((self.when(hi=self.now - timedelta(days=2)), big, blog, author, g,
                         not big and rng.random() < 0.02))
        plan.sort(key=lambda x: x[0])
        n_comments = p.comments - 10
        weights = [rng.expovariate(1.0) for _ in plan]
        scale = n_comments / sum(weights)
        ccount = [0 if e[1] or e[5] else int(x * scale) for x, e in zip(weights, plan)]
        ordinary = [i for i, e in enumerate(plan) if not e[1] and not e[5]]
        for i in rng.sample(ordinary, n_comments - sum(ccount)) if n_comments > sum(ccount) else []:
            ccount[i] += 1
        big_body = prepared(text.entry(target_bytes=20_000))
        tstart = time.perf_counter()
        for i, (created, big, blog, author, g, draft) in enumerate(plan):
            eid = self.next_id("entries")
            category = "design" if big else rng.choice(CATEGORIES)
            item = big_body if big else entry_pool.pick(rng)
            title = ("【教学设计】" if category == "design" else "") + text.title()
            host = g["host"] if g else author
            fields, e_deleted_at = self.deletion("entry", eid, created, host, 0.005, big or draft)
            comments = 10 if big else (0 if draft else ccount[i])
            members = g["members"] if g else self.teachers_of.get(self.users[author]) or [author]
            live_comments = 0
            t = created
            cw: list[int] = []
            rows = []
            for _ in range(comments):
                t = min(self.now, t + timedelta(seconds=60 + int(rng.expovariate(1.0) * 6 * 3600)))
                cid = self.next_id("comments")
                ca = rng.choice(members)
                citem = comment_pool.pick(rng)
                cf, c_deleted_at = self.deletion("comment", cid, t, host, 0.0 if big else 0.01, big)
                parent = rng.choice(cw) if cw and rng.random() < 0.2 else None
                rows.append(dict(id=cid, entry_id=eid, author_id=ca, parent_id=parent, body=citem[0],
                                 body_html=citem[1], render_version=self._rv, created_at=t, **cf))
                if not cf["is_deleted"]:
                    live_comments += 1
                    cw.append(cid)
                # blogs._credit: a group blog counts for its group's school, a personal one for the writer's.
                self.credit("comment", "comment", cid, ca, g["id"] if g else None,
                            g["school"] if g else self.users[ca], t, fingerprint_of(citem), citem[4],
                            cf["is_deleted"])
                self.outbox("comment", cid, t, c_deleted_at)
            w.add("entries", dict(id=eid, blog_id=blog, author_id=author, title=title, category=category,
                                  status="draft" if draft else "published", stage="", subject="", grade="",
                                  textbook="", unit="", is_pinned=False, is_featured=False, theme_id=None,
                                  prep_thread_id=None, published_at=None if draft else created,
                                  comment_count=live_comments, version=1, body=item[0], body_html=item[1],
                                  render_version=self._rv, created_at=created, updated_at=created, **fields))
            for r in rows:
                w.add("comments", r)
            for tag in (rng.sample(TAGS, rng.randint(1, 3)) if rng.random() < 0.5 else []):
                w.add("entry_tags", dict(entry_id=eid, tag=tag))
            if not draft:
                school = g["school"] if g else self.users[author]
                self.credit("entry", "entry", eid, author, g["id"] if g else None, school, created,
                            fingerprint_of(item, title), _subst_text(f"{title}\n{item[0]}") if not item[4] else True,
                            fields["is_deleted"])
            self.outbox("entry", eid, created, e_deleted_at)
            if big:
                self.manifest["targets"]["entry_big"] = dict(id=eid, body_bytes=len(item[0].encode("utf-8")),
                                                            comments=comments)
            if (i + 1) % max(1, len(plan) // 10) == 0:
                el = time.perf_counter() - tstart
                _log(f"entries {i + 1}/{len(plan)}, comments {self.ids['comments']} "
                     f"({(i + 1 + self.ids['comments']) / el:.0f} rows/s)")
        w.flush()

    @property
    def _rv(self) -> int:
        from forum.core import markup

        return markup.RENDER_VERSION
