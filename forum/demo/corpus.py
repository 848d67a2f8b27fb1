"""Paragraphs and sentences from the bundled teaching-research corpus (forum/demo/corpus)."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

CORPUS_DIR = Path(__file__).with_name("corpus")
_CHROME = ("博通范文网", "推荐访问", "好范文", "当前位置", "手机站", "本文已影响")


@lru_cache(maxsize=1)
def paragraphs() -> tuple[str, ...]:
    """Substantial paragraphs (web-page chrome removed)."""
    out: list[str] = []
    for path in sorted(CORPUS_DIR.glob("*.txt")):
        for line in path.read_text("utf-8").splitlines():
            line = line.strip().lstrip("•").strip()
            if len(line) < 24 or any(c in line for c in _CHROME):
                continue
            out.append(line)
    return tuple(out)


@lru_cache(maxsize=1)
def sentences() -> tuple[str, ...]:
    """Sentences (ending in 。！？；) of at least 8 characters."""
    out: list[str] = []
    for para in paragraphs():
        for sent in re.findall(r"[^。！？；]+[。！？；]", para):
            sent = sent.strip()
            if len(sent) >= 8:
                out.append(sent)
    return tuple(out)


def text(rng, sentences_count: int = 6) -> str:
    """A paragraph recombined from random corpus sentences."""
    pool = sentences()
    return "".join(rng.choice(pool) for _ in range(sentences_count))
