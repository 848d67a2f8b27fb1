"""Instructions per request of the main pages, counted by valgrind's callgrind: a measure that does
not move with what else the machine is doing (the same count twice, with the other core busy).

    .venv/bin/python bench/instructions.py --data-dir DIR [--pages thread,search_few] [--runs 20]
                                           [--repo PATH]

DIR is a filled JIAOYAN_DATA_DIR (bench/data.py or `flask seed-demo`). For each page, a child
process builds the app under `valgrind --tool=callgrind --instr-atstart=no`, fetches the page 10
times through the Flask test client (a visitor, gzip accepted, page cache off, rate limits off),
freezes the heap as wsgi.py does, switches counting on with `callgrind_control`, fetches it --runs
times, switches it off; the count divided by --runs is printed. The child runs with
PYTHONHASHSEED=0, no view-count flush and no derived-data expiry, so repeated runs agree to
~0.01 %. Counting slows Python ~50×: a thread page at 20 runs takes ~20 s.
--repo measures another checkout (a `git worktree` of the commit before a change) with the same
data: the A/B this script is for. CPU time per request is what gunicorn's throughput follows;
instructions are its steady proxy (they do not count cache misses or waits).
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def child(data_dir: str, path: str, runs: int) -> None:
    """Runs inside valgrind: warm up, count `runs` requests."""
    os.environ["JIAOYAN_DATA_DIR"] = data_dir
    os.environ.setdefault("SEARCH_INDEXER", "off")
    os.environ["RATELIMIT_ENABLED"] = "0"
    os.environ["PAGE_CACHE"] = "0"
    import forum
    from forum import create_app

    if Path(forum.__file__).resolve().parent.parent != Path.cwd().resolve():
        raise SystemExit(f"forum imported from {forum.__file__}, not from {Path.cwd()}")
    # No view-count flush and no derived-data expiry inside the counted requests (valgrind makes
    # them last long enough for both): every request does the same work.
    app = create_app({"RATELIMIT_ENABLED": False, "VIEW_COUNT_FLUSH_SECONDS": 86400, "PAGE_CACHE_TTL": 86400})
    client = app.test_client()
    headers = {"Accept-Encoding": "gzip"}
    for _ in range(10):
        resp = client.get(path, headers=headers)
        if resp.status_code != 200:
            raise SystemExit(f"{path}: status {resp.status_code}")
    import gc

    gc.collect()
    gc.freeze()  # as wsgi.py does in each worker
    toggle = shutil.which("callgrind_control") or "callgrind_control"
    subprocess.run([toggle, "-i", "on", str(os.getpid())], check=True, capture_output=True)
    for _ in range(runs):
        client.get(path, headers=headers)
    subprocess.run([toggle, "-i", "off", str(os.getpid())], check=True, capture_output=True)


def count(repo: Path, data_dir: str, path: str, runs: int) -> int:
    """Instructions per request of `path`, with the code of `repo`."""
    with tempfile.TemporaryDirectory(prefix="bench-instr-") as tmp:
        out = Path(tmp, "callgrind.out")
        python = repo / ".venv" / "bin" / "python"
        if not python.exists():
            python = Path(sys.executable)
        cmd = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
               str(python), str(ROOT / "bench" / "instructions.py"), "--child", path,
               "--data-dir", data_dir, "--runs", str(runs)]
        env = dict(os.environ, PYTHONPATH=str(repo), PYTHONHASHSEED="0")
        proc = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"{path}: valgrind exited {proc.returncode}\n{proc.stderr[-2000:]}")
        totals = re.search(r"^totals:\s+(\d+)", out.read_text(), re.M)
        if not totals:
            raise SystemExit(f"{path}: no totals in the callgrind output")
        return int(totals.group(1)) // runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--pages", default="thread,search_few,search_broad,home")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--repo", default=str(ROOT), help="the checkout whose code is measured")
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.data_dir, args.child, args.runs)
        return
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    os.environ["JIAOYAN_DATA_DIR"] = args.data_dir
    os.environ.setdefault("SEARCH_INDEXER", "off")
    sys.path.insert(0, str(ROOT))
    from bench.profile_pages import pick_paths
    from forum import create_app

    paths = pick_paths(create_app({"RATELIMIT_ENABLED": False}))
    repo = Path(args.repo).resolve()
    print(f"{'page':<13} {'instructions/req':>17}  path   (code: {repo}, {args.runs} runs)")
    for name in args.pages.split(","):
        if name not in paths:
            print(f"{name:<13} {'–':>17}  (not in this data)")
            continue
        n = count(repo, args.data_dir, paths[name], args.runs)
        print(f"{name:<13} {n:>17,}  {paths[name]}", flush=True)


if __name__ == "__main__":
    main()
