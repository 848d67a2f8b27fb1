"""Corpus text for bench/data.py: recombined sentences, distinct bodies rendered and fingerprinted once."""
from __future__ import annotations

import hashlib
import random
import re
from pathlib import Path

OUTLINE = ["学情分析", "教学目标", "教学重难点", "教学过程", "作业设计", "教学反思"]
TAGS = ["单元整体教学", "大概念", "作业设计", "双减", "课堂观察", "校本教研", "集体备课", "项目式学习", "分层教学",
        "阅读教学", "习作", "计算", "实验探究", "评价", "跨学科", "信息技术融合"]
BUMPS = ["顶！", "学习了。", "谢谢分享，受益匪浅。", "支持一下", "mark", "赞👍", "学习学习", "同意楼上"]
FEW_WORD = "勾股定理"
BROAD_WORD = "光合作用"
FEW_SENTENCE = "课后我们又讨论了用拼图证明勾股定理的导入设计，学生兴趣很浓。"
BROAD_SENTENCE = "科学组借鉴了光合作用单元的实验记录单，让学生自己设计对照实验。"

_CHROME = ("博通范文网", "推荐访问", "好范文", "当前位置", "手机站", "本文已影响")


def corpus_sentences(folder: Path) -> list[str]:
    """Sentences (ending in 。！？；) of at least 8 characters from the corpus's .txt files."""
    out: list[str] = []
    for path in sorted(folder.glob("*.txt")):
        for line in path.read_text("utf-8").splitlines():
            line = line.strip().lstrip("•").strip()
            if len(line) < 24 or any(c in line for c in _CHROME):
                continue
            for sent in re.findall(r"[^。！？；]+[。！？；]", line):
                sent = sent.strip()
                if len(sent) >= 8:
                    out.append(sent)
    if len(out) < 50:
        raise SystemExit(f"corpus {folder} has only {len(out)} usable sentences")
    return out


class Text:
    """Recombined corpus text; every distinct body is rendered and fingerprinted once."""

    def __init__(self, sentences: list[str], rng: random.Random):
        self.s = sentences
        self.rng = rng
        self.titles = sorted({self._title(x) for x in sentences if 6 <= len(self._title(x)) <= 40})

    @staticmethod
    def _title(sentence: str) -> str:
        head = re.split(r"[，,：:。！？；]", sentence)[0]
        return head.strip("“”\"《》（）() ")[:40]

    def title(self) -> str:
        """A thread or entry title: a sentence head, alone or in one of the usual shapes."""
        rng, h = self.rng, self.rng.choice(self.titles)
        r = rng.random()
        if r < 0.4:
            return h
        if r < 0.6:
            return f"关于{h}的讨论"[:60]
        if r < 0.8:
            return f"{h}——{rng.choice(self.titles)}"[:60]
        return f"【{rng.choice(TAGS)}】{h}"[:60]

    def para(self, n: int) -> str:
        return "".join(self.rng.choice(self.s) for _ in range(n))

    def reply(self) -> str:
        r = self.rng.random()
        if r < 0.04:
            return self.rng.choice(BUMPS)
        if r < 0.10:
            return f"> {self.rng.choice(self.s)}\n\n{self.para(self.rng.randint(1, 2))}"
        return "\n\n".join(self.para(self.rng.randint(1, 3)) for _ in range(self.rng.randint(1, 2)))

    def thread(self) -> str:
        parts = [self.para(self.rng.randint(2, 4)) for _ in range(self.rng.randint(1, 3))]
        if self.rng.random() < 0.3:
            parts.append("\n".join(f"{i}. {self.rng.choice(self.s)}" for i in range(1, 4)))
        return "\n\n".join(parts)

    def entry(self, design: bool = False, target_bytes: int = 0) -> str:
        rng = self.rng
        if design or target_bytes:
            out = []
            for k in range(200):
                out.append(f"## {OUTLINE[k % len(OUTLINE)]}\n\n" + "\n\n".join(
                    self.para(rng.randint(3, 5)) for _ in range(rng.randint(1, 3))))
                text = "\n\n".join(out)
                if k + 1 >= len(OUTLINE) and len(text.encode("utf-8")) >= target_bytes:
                    break
            return text
        parts = [self.para(rng.randint(3, 6)) for _ in range(rng.randint(2, 5))]
        if rng.random() < 0.25:
            parts.insert(1, "**" + rng.choice(self.titles) + "**")
        return "\n\n".join(parts)

    def comment(self) -> str:
        if self.rng.random() < 0.05:
            return self.rng.choice(BUMPS)
        return self.para(self.rng.randint(1, 2))


class Bodies:
    """A pool of distinct bodies with their HTML, normalised text and trigram sketch (computed once)."""

    def __init__(self, make, size: int):
        self.make, self.size = make, size
        self.items: list[tuple[str, str, str, str]] = []  # (body, html, fingerprint, base_substantive)
        self.extra: dict[str, tuple] = {}

    def build(self) -> None:
        seen: set[str] = set()
        tries = 0
        while len(self.items) < self.size and tries < self.size * 5:
            tries += 1
            body = self.make()
            if body in seen:
                continue
            seen.add(body)
            self.items.append(prepared(body))

    def pick(self, rng) -> tuple:
        return self.items[rng.randrange(len(self.items))]


_PREPARED: dict[str, tuple] = {}


def prepared(body: str) -> tuple:
    """(body, html, core, sketch, substantive-by-text) of one distinct body, cached."""
    got = _PREPARED.get(body)
    if got is None:
        from forum.core import markup
        from forum.ledger import substance

        core = substance.meaningful_text(body)
        ok = substance.has_enough_text(core) and not substance.is_bump(core)
        norm = substance.normalised(body)
        got = (body, markup.render(body), norm, _hashes(norm, bottom=True), ok)
        _PREPARED[body] = got
    return got


def _hash3(gram: str) -> int:
    return int.from_bytes(hashlib.blake2b(gram.encode("utf-8"), digest_size=3).digest(), "big")


def _tri(s: str) -> set[str]:
    return {s[i:i + 3] for i in range(len(s) - 2)}


def _hashes(norm: str, bottom: bool) -> list[int]:
    from forum.ledger.substance import SKETCH_SIZE

    hs = sorted({_hash3(g) for g in _tri(norm)})
    return hs[:SKETCH_SIZE] if bottom else hs


def fingerprint_of(body_item: tuple, title: str | None = None) -> str:
    """substance.fingerprint(f"{title}\\n{body}") (or of the body alone), from the body's cached parts.

    The bottom-k sketch of a union is the bottom-k of the union of the parts' bottom-k sketches,
    so only the title and the trigrams across the seam are hashed per row. tests/bench checks it
    equals forum.ledger.substance.fingerprint.
    """
    from forum.ledger import substance

    body, _html, norm_b, sketch_b, _ok = body_item
    if title is None:
        got = _FP.get(body)
        if got is None:
            got = _FP[body] = (substance.fingerprint(body) if len(norm_b) < 3
                               else _compose(norm_b, sketch_b) if norm_b else "")
        return got
    else:
        norm_t = substance.normalised(title)
        norm = norm_t + norm_b
        if len(norm) < 3 or len(norm_b) < 3:
            return substance.fingerprint(f"{title}\n{body}")
        seam = norm_t[-2:] + norm_b[:2]
        extra = {_hash3(g) for g in _tri(norm_t) | _tri(seam)}
        sketch = sorted(set(sketch_b) | extra)[:substance.SKETCH_SIZE]
    return _compose(norm, sketch)


_FP: dict[str, str] = {}


def _compose(norm: str, sketch: list[int]) -> str:
    exact = hashlib.sha256(norm.encode("utf-8")).hexdigest()[:16]
    return exact + "".join(f"{h:06x}" for h in sketch)


def _fp_text(text: str) -> str:
    from forum.ledger.substance import fingerprint

    return fingerprint(text)


def _subst_text(text: str) -> bool:
    from forum.ledger import substance

    core = substance.meaningful_text(text)
    return substance.has_enough_text(core) and not substance.is_bump(core)
