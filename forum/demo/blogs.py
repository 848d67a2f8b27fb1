"""Demo blogs: entries of every category on group and personal blogs, comments, guestbook, attachments.

Everything goes through forum.blogs.services (so the ledger and the search outbox are written
the same way as for real users), backdated over the last six months.
"""
from __future__ import annotations

import io
import struct
import zlib
from datetime import datetime, timedelta

from forum.blogs.models import CATEGORIES

LESSONS = {
    "语文": ["秋天的雨", "找春天", "富饶的西沙群岛", "匆匆", "桂林山水", "草船借箭", "背影", "春", "济南的冬天",
             "小蝌蚪找妈妈", "望庐山瀑布", "精卫填海"],
    "数学": ["认识钟表", "分数的初步认识", "圆的面积", "鸡兔同笼", "平行四边形的面积", "一元一次方程",
             "勾股定理", "20以内的进位加法", "长方体的体积"],
    "英语": ["Unit 3 My friends", "Unit 5 Do you like pears?", "Module 2 My family", "Unit 1 How tall are you?"],
    "科学": ["水的三态变化", "植物的一生", "简单电路", "昼夜交替现象"],
    "物理": ["光的折射", "牛顿第一定律", "浮力", "串联和并联"],
    "综合实践": ["校园垃圾分类调查", "家乡的传统节日", "种植小能手"],
}
ESSAYS = ["让课堂慢下来", "倾听学生的声音", "作业减负的几点思考", "一次家访带给我的启示", "读《给教师的建议》有感",
          "当学生说“我不会”的时候", "班主任工作中的小妙招", "从一节失败的公开课说起"]
RESEARCH = ["低年级识字教学有效性研究", "小学数学课堂提问策略研究", "农村学校整本书阅读推进策略",
            "“双减”背景下分层作业设计研究", "小组合作学习的组织与评价"]
COMMENTS = ["这个教学设计目标清晰，环节紧凑，学习了！", "导入部分很有创意，我们班下周也试一试。",
            "建议在难点突破环节再增加一个学生活动，让学生多说一说。", "作业设计分层很好，照顾到了不同层次的学生。",
            "反思写得很真诚，课堂上的生成确实需要教师及时捕捉。", "请问课件可以分享一下吗？谢谢！",
            "赞同这个观点，低年级的朗读指导要落到实处。", "案例很典型，分析也到位，值得大家借鉴。"]
GUESTBOOK = ["老师好！拜读了您的文章，收获很大。", "期待您更多的教学设计分享！",
             "下次教研活动欢迎来我们学校交流。", "您的课件做得真精美，向您学习。"]
TAGS = ["单元整体教学", "大概念", "朗读指导", "识字写字", "分层作业", "双减", "课堂提问", "小组合作",
        "评价设计", "信息技术融合", "整本书阅读", "核心素养"]


def seed(ctx) -> None:
    """Fill every group blog and the teachers' personal blogs."""
    from forum.blogs.services import ensure_personal_blog

    rng = ctx.rng
    start = ctx.months[0]
    end = getattr(ctx, "now", None) or ctx.months[-1]
    span = max(1, int((end - start).total_seconds()))

    def when() -> datetime:
        return start + timedelta(seconds=rng.randrange(span))

    members = getattr(ctx, "members", {}) or {}
    for group in ctx.groups:
        people = members.get(group.id) or [t for t in ctx.teachers if t.school_id == group.school_id][:4]
        host = ctx.hosts.get(group.id) if isinstance(ctx.hosts, dict) else None
        writers = [p for p in people if p is not None] or ([host] if host else [])
        if not writers or group.blog is None:
            continue
        categories = list(CATEGORIES)
        rng.shuffle(categories)
        count = rng.randint(8, 12)
        for i in range(count):
            category = categories[i % len(categories)]
            if category == "prep_summary" and host is not None:
                author = host
            else:
                author = rng.choice(writers)
            _write_entry(ctx, group.blog, author, category, group.subject or "语文", when(), writers)
    for teacher in ctx.teachers:
        blog = ensure_personal_blog(teacher)
        for _ in range(rng.randint(1, 3)):
            category = rng.choice(["reflection", "essay", "design", "case"])
            subject = rng.choice(list(LESSONS))
            _write_entry(ctx, blog, teacher, category, subject, when(), ctx.teachers)
        if rng.random() < 0.5:
            visitor = rng.choice(ctx.teachers)
            if visitor.id != teacher.id:
                _guestbook(blog, visitor, rng.choice(GUESTBOOK), when())


def _write_entry(ctx, blog, author, category: str, subject: str, at: datetime, readers) -> None:
    from forum.blogs import services
    from forum.core.errors import ApiError

    rng = ctx.rng
    lesson = rng.choice(LESSONS.get(subject, LESSONS["语文"]))
    title, body = _compose(rng, category, lesson)
    tags = rng.sample(TAGS, rng.randint(1, 3)) + [subject]
    try:
        entry = services.create_entry(blog, author, title=title, body=body, category=category, tags=tags,
                                      meta={"subject": subject, "stage": "小学" if "初中" not in subject else "初中"},
                                      created_at=at)
    except ApiError:
        return
    if category == "courseware" or (category == "design" and rng.random() < 0.3):
        _attach(entry, author, f"《{lesson}》课件.pdf", tiny_pdf(f"Jiaoyan courseware: {entry.id}"))
    if category in ("design", "video") and rng.random() < 0.3:
        _attach(entry, author, "板书设计.png", tiny_png(rng.choice([(29, 107, 87), (161, 92, 0), (40, 80, 160)])))
    previous = None
    for k in range(rng.randint(0, 4)):
        commenter = rng.choice(readers)
        text = rng.choice(COMMENTS)
        if previous is not None and rng.random() < 0.3:
            text = f"@{previous.author.display_name} {text}"
        try:
            parent_id = previous.id if previous is not None and rng.random() < 0.3 else None
            previous = services.add_comment(entry, commenter, text, parent_id=parent_id,
                                            created_at=at + timedelta(hours=3 + 7 * k))
        except ApiError:
            continue


def _compose(rng, category: str, lesson: str) -> tuple[str, str]:
    """A realistic title and a Markdown body recombined from the corpus."""
    from forum.blogs.outlines import outline
    from forum.demo.corpus import text

    if category in ("design", "reflection", "case"):
        suffix = {"design": "教学设计", "reflection": "教学反思", "case": "教学案例"}[category]
        parts = []
        for block in outline(category).split("\n## "):
            heading = block.splitlines()[0].lstrip("# ").strip()
            parts.append(f"## {heading}\n\n{text(rng, rng.randint(2, 4))}")
        return f"《{lesson}》{suffix}", "\n\n".join(parts)
    if category == "essay":
        return f"教学随笔：{rng.choice(ESSAYS)}", "\n\n".join(text(rng, rng.randint(3, 5)) for _ in range(3))
    if category == "courseware":
        return f"《{lesson}》课件", f"本课件配合《{lesson}》第一课时使用。\n\n{text(rng, 3)}"
    if category == "video":
        return f"《{lesson}》录像课", f"执教：本组教师。\n\n**课堂实录要点：**\n\n{text(rng, 4)}\n\n{text(rng, 3)}"
    if category == "prep_summary":
        week = rng.randint(2, 18)
        return (f"第{week}周集体备课纪要：《{lesson}》",
                f"## 中心发言\n\n{text(rng, 3)}\n\n## 讨论意见\n\n{text(rng, 4)}\n\n## 形成的共识\n\n"
                f"1. {text(rng, 1)}\n2. {text(rng, 1)}\n3. {text(rng, 1)}")
    return (f"小课题阶段报告：{rng.choice(RESEARCH)}",
            f"## 研究背景\n\n{text(rng, 3)}\n\n## 阶段进展\n\n{text(rng, 4)}\n\n## 下一步计划\n\n{text(rng, 2)}")


def _attach(entry, author, name: str, data: bytes) -> None:
    from forum.blogs.attachments import save_upload

    save_upload(entry, author, name, io.BytesIO(data))


def _guestbook(blog, visitor, message: str, at: datetime) -> None:
    from forum.blogs.services import add_guestbook_message
    from forum.core.errors import ApiError

    try:
        add_guestbook_message(blog, visitor, message, created_at=at)
    except ApiError:
        pass


def tiny_pdf(line: str = "Jiaoyan") -> bytes:
    """A valid one-page PDF with one line of (ASCII) text and a correct xref table."""
    safe = "".join(c for c in line if 32 <= ord(c) < 127 and c not in "()\\")
    stream = f"BT /F1 18 Tf 72 720 Td ({safe}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def tiny_png(rgb: tuple[int, int, int] = (29, 107, 87), size: int = 16) -> bytes:
    """A valid solid-colour PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(rgb) * size for _ in range(size))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
