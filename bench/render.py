"""Render+sanitize time for a 100 KB blog entry (forum.core.markup: markdown-it-py then nh3).

Usage: .venv/bin/python bench/render.py [--kb 100] [--runs 30]
Prints the median and p95 of render() (Markdown → HTML → nh3), and the split between the two.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forum.core import markup  # noqa: E402
from forum.demo import corpus  # noqa: E402
from forum.demo.blogs import _compose  # noqa: E402


def entry_of(kb: int, rng: random.Random) -> str:
    """A realistic lesson-design entry (sections, lists, a table, links, emphasis) of about `kb` KB."""
    parts: list[str] = []
    size = 0
    while size < kb * 1024:
        _title, body = _compose(rng, rng.choice(["design", "reflection", "case", "prep_summary"]), "秋天的雨")
        extra = (f"\n\n| 环节 | 时间 | 设计意图 |\n|---|---|---|\n| 导入 | 5分钟 | {corpus.text(rng, 1)} |\n"
                 f"| 新授 | 20分钟 | **{corpus.text(rng, 1)}** |\n\n- 参考：https://www.example.edu.cn/lesson/{size}\n"
                 f"- [课标解读](https://example.com/a?b=1&c=2) 与 `代码` 与 ~~删除~~\n\n> {corpus.text(rng, 2)}\n\n")
        parts.append(body + extra)
        size += len((body + extra).encode())
    return "".join(parts)


def timed(fn, arg, runs: int, clock=time.perf_counter) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = clock()
        fn(arg)
        out.append((clock() - t0) * 1000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--kb", type=int, default=100)
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    source = entry_of(args.kb, random.Random(7))
    html = markup._md.render(source)
    markup.render(source)  # warm-up
    total = timed(markup.render, source, args.runs)
    cpu = timed(markup.render, source, args.runs, time.process_time)
    md = timed(markup._md.render, source, args.runs)
    clean = timed(markup.sanitize, html, args.runs)
    p95 = lambda xs: sorted(xs)[max(0, int(len(xs) * 0.95) - 1)]  # noqa: E731
    print(f"entry: {len(source.encode()) / 1024:.1f} KB Markdown ({len(source)} chars) → "
          f"{len(html.encode()) / 1024:.1f} KB HTML, {len(markup.toc(markup.render(source)))} headings")
    print(f"render+sanitize: median {statistics.median(total):.1f} ms, p95 {p95(total):.1f} ms ({args.runs} runs)")
    print(f"render+sanitize CPU time: median {statistics.median(cpu):.1f} ms (less sensitive to a busy machine)")
    if hasattr(os, "getloadavg"):
        print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"  markdown-it-py: median {statistics.median(md):.1f} ms")
    print(f"  nh3 sanitize:   median {statistics.median(clean):.1f} ms")


if __name__ == "__main__":
    main()
