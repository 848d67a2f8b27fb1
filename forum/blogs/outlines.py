"""Outlines that pre-fill the editor per category (the structure teachers use for designs)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

# Section headings are Markdown level-2 headings, so the rendered entry gets a table of contents.
_SECTIONS = {
    "design": [
        (_l("学情分析"), _l("学生已有的知识基础、生活经验和可能的困难。")),
        (_l("教学目标"), _l("1. 知识与技能：\n2. 过程与方法：\n3. 情感态度与价值观：")),
        (_l("教学重难点"), _l("**重点：**\n\n**难点：**")),
        (_l("教学过程"), _l("### 一、创设情境，导入新课\n\n### 二、初读课文，整体感知\n\n"
                            "### 三、精读感悟，突破难点\n\n### 四、拓展延伸，总结提升")),
        (_l("作业设计"), _l("基础性作业：\n\n拓展性作业：")),
        (_l("教学反思"), _l("课后填写：目标达成情况、成功之处与改进设想。")),
    ],
    "reflection": [
        (_l("教学回顾"), _l("本节课的主要环节与课堂实际。")),
        (_l("成功之处"), ""),
        (_l("不足之处"), ""),
        (_l("学生的表现与收获"), ""),
        (_l("改进措施"), ""),
    ],
    "case": [
        (_l("案例背景"), _l("学段、课题、班级情况。")),
        (_l("案例描述"), _l("课堂中发生了什么（教学片段实录）。")),
        (_l("案例分析"), _l("用教育教学理论分析这一片段。")),
        (_l("案例反思"), _l("得到的启示与今后的做法。")),
    ],
}


def outline(category: str) -> str:
    """The Markdown outline for `category`, or "" when the category has none."""
    sections = _SECTIONS.get(category)
    if not sections:
        return ""
    parts = []
    for heading, hint in sections:
        parts.append(f"## {heading}\n\n{hint}\n" if str(hint) else f"## {heading}\n\n")
    return "\n".join(parts).rstrip() + "\n"


def outlines() -> dict[str, str]:
    """Every category's outline (categories without one map to "")."""
    from forum.blogs.models import CATEGORIES

    return {code: outline(code) for code in CATEGORIES}
