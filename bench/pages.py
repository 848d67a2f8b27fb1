"""Page benchmark: gunicorn (2 sync workers) on a data dir filled by bench/data.py, measured with wrk.

    python bench/pages.py --data-dir DIR [--db-url URL] [--duration 20] [--connections 8]
                          [--workers 2] [--only home,thread_20,...] [--peer] [--peer-scratch DIR]
                          [--out FILE.md] [--no-gzip]

Pages (visitor views unless stated): home, group page, board page 1 and board page 500 (reached by
following the board's own "next" links), a thread of 20 posts, page 1 and page 40 of the
2,000-post thread, the 20 KB entry with its 10 comments, a search with few hits and one with
thousands, the tallies dashboard signed in as a leader, and /healthz (the floor: the same app stack
answering without a page). Each is checked to answer 200 first, then wrk runs for --duration
seconds at --connections connections; a wrk Lua script reports p50/p95/p99 and non-2xx answers.
The workers' CPU time per request (from /proc) is printed next to wall latency: on a shared
machine it is the steadier number. Worker RSS (VmRSS, peak VmHWM; own memory RssAnon and
mapped files RssFile) is read after the runs.

--peer runs /work/shared/bench/peer_flaskbb.sh (FlaskBB 2.2.0 on its own ~40k-post SQLite data,
same gunicorn/wrk settings) after ours, sequentially, and prints ratios to its equivalent pages
(thread↔topic, board↔forum, home↔index, searches↔searches). Writes the table as Markdown to --out
(default DATA_DIR/bench-pages.md).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
PEER_SCRIPT = Path("/work/shared/bench/peer_flaskbb.sh")
MANIFEST = "bench-manifest.json"
CLK_TCK = os.sysconf("SC_CLK_TCK")

LUA = r"""
-- headers from the environment of bench/pages.py; a JSON line of results at the end
local cookie = os.getenv("BENCH_COOKIE")
if cookie and cookie ~= "" then wrk.headers["Cookie"] = cookie end
local enc = os.getenv("BENCH_ACCEPT_ENCODING")
if enc and enc ~= "" then wrk.headers["Accept-Encoding"] = enc end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests": %d, "duration_us": %d, "bytes": %d, "status_errors": %d, "connect": %d, ' ..
    '"read": %d, "write": %d, "timeout": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean, latency.max))
end
"""

# (key, label, peer row, goal notes)
PAGES = [
    ("home", "home /", "(a)"),
    ("group", "group page", None),
    ("board_p1", "board page 1", "(b)"),
    ("board_deep", "board page 500", "(b)"),
    ("thread_20", "thread, 20 posts", "(c)"),
    ("thread_big_p1", "2,000-post thread p1", "(c)"),
    ("thread_big_p40", "2,000-post thread p40", "(c)"),
    ("entry_big", "entry 20 KB + 10 comments", None),
    ("search_few", "search, few hits", "(d)"),
    ("search_broad", "search, thousands of hits", "(d2)"),
    ("tallies", "tallies (leader)", None),
    ("floor", "/healthz (floor)", "(e2)"),
]


@dataclass
class Result:
    key: str
    label: str
    url: str
    status: int = 0
    size: int = 0
    size_gzip: int | None = None
    rps: float = 0.0
    p50: float = 0.0
    p95: float = 0.0
    p99: float = 0.0
    requests: int = 0
    errors: int = 0
    cpu_ms: float | None = None
    note: str = ""
    hits: str = ""
    extra: dict = field(default_factory=dict)


def log(msg: str) -> None:
    print(f"[pages {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the server ----------------------------------------------------------------------------------

class Server:
    """gunicorn with N sync workers on 127.0.0.1, stopped by its own pid."""

    def __init__(self, data_dir: str, db_url: str | None, search_backend: str, workers: int, port: int,
                 page_cache: bool = False):
        self.port, self.workers, self.page_cache = port, workers, page_cache
        env = dict(os.environ, JIAOYAN_DATA_DIR=os.path.abspath(data_dir), SEARCH_INDEXER="off",
                   RATELIMIT_ENABLED="0", SEARCH_BACKEND=search_backend if search_backend != "none" else "whoosh",
                   PAGE_CACHE="1" if page_cache else "0")
        if db_url:
            env["DATABASE_URL"] = db_url
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.log = tempfile.NamedTemporaryFile("w+", prefix="bench-gunicorn-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [str(gunicorn), "-w", str(workers), "-k", "sync", "--threads", "1", "-b", f"127.0.0.1:{port}",
             "--log-level", "warning", "--timeout", "120", "wsgi:app"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.base = f"http://127.0.0.1:{port}"

    def wait_ready(self, timeout: float = 90) -> float:
        import requests

        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited: {Path(self.log.name).read_text()[-2000:]}")
            try:
                if requests.get(self.base + "/healthz", timeout=5).status_code == 200:
                    return time.monotonic() - t0
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise SystemExit("gunicorn did not answer /healthz in time")

    def worker_pids(self) -> list[int]:
        out = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                stat = Path(f"/proc/{d}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.proc.pid:
                out.append(int(d))
        return sorted(out)

    def cpu_seconds(self) -> float:
        total = 0.0
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime
        return total

    def rss(self) -> list[tuple[int, int, int, int, int]]:
        """(pid, VmRSS KiB, VmHWM KiB, RssAnon KiB, RssFile KiB) of each worker: RssAnon is the
        worker's own memory, RssFile the mapped files' pages it touched (the search index: the
        kernel's page cache, shared by the workers)."""
        out = []
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
            hwm = int(re.search(r"VmHWM:\s+(\d+)", status).group(1))
            anon, mapped = (int(m.group(1)) if (m := re.search(rf"{k}:\s+(\d+)", status)) else 0
                            for k in ("RssAnon", "RssFile"))
            out.append((pid, rss, hwm, anon, mapped))
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def measure(server: Server, keys: list[str], urls: dict[str, str], manifest: dict, args, cookie: str,
            lua: str) -> list[Result]:
    """Probe each page (200 first), then wrk it; CPU time per request from the workers' /proc."""
    import requests

    results = []
    for key, label, _peer in PAGES:
        if key not in keys:
            continue
        url = urls[key]
        ck = cookie if key == "tallies" else None
        r = Result(key, label, url)
        if key == "board_deep":
            r.extra["page"] = manifest["_reached"]["board_deep"]
            r.label = f"board page {r.extra['page']}"
        if key == "thread_big_p40":
            r.extra["page"] = manifest["_reached"]["thread_big_p40"]
            r.label = f"2,000-post thread p{r.extra['page']}"
        if key.startswith("thread_big"):
            r.label = r.label.replace("2,000", f"{manifest['targets']['thread_big']['posts']:,}")
        r.status, r.size, r.size_gzip, body = probe(url, ck)
        if key.startswith("search"):
            m = re.search(r'class="search-total"[^>]*>([^<]*)<', body)
            n = re.search(r"(\d[\d,]*\+?)", m.group(1)) if m else None
            r.note = f"{n.group(1)} hits" if n else "0 hits"
            r.extra["hits"] = int(n.group(1).rstrip("+").replace(",", "")) if n else 0
        if r.status != 200:
            r.note = f"HTTP {r.status}"
            results.append(r)
            log(f"{label}: HTTP {r.status}, skipped")
            continue
        if server.page_cache:  # what the page cache answered (each worker has its own)
            seen = {requests.get(url, headers={"Accept-Encoding": "gzip", **({"Cookie": ck} if ck else {})},
                                 timeout=120).headers.get("X-Page-Cache", "not kept") for _ in range(4)}
            r.extra["cache"] = "hit" if "hit" in seen else "/".join(sorted(seen))
        cpu0 = server.cpu_seconds()
        data = run_wrk(url, args.duration, args.connections, args.threads, ck, not args.no_gzip, lua)
        cpu1 = server.cpu_seconds()
        r.rps, r.requests = data["rps"], data["requests"]
        r.p50, r.p95, r.p99 = data["p50_us"] / 1000, data["p95_us"] / 1000, data["p99_us"] / 1000
        r.errors = data["non2xx"] + data["connect"] + data["read"] + data["write"] + data["timeout"]
        r.cpu_ms = (cpu1 - cpu0) * 1000 / r.requests if r.requests else None
        results.append(r)
        log(f"{r.label}: {r.rps:.1f} req/s p50={r.p50:.1f} p95={r.p95:.1f} p99={r.p99:.1f} ms, "
            f"{fmt(r.cpu_ms, '.2f')} CPU ms/req, {r.size} B")
    return results


# --- preparing the URLs ----------------------------------------------------------------------------

def sign_in(base: str, username: str, password: str) -> str:
    """Log in through the login form; returns the Cookie header value of the session."""
    import requests

    s = requests.Session()
    page = s.get(base + "/auth/login", timeout=30)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    data = {"username": username, "password": password}
    if token:
        data["csrf_token"] = token.group(1)
    resp = s.post(base + "/auth/login", data=data, timeout=60, allow_redirects=False)
    if resp.status_code not in (302, 303):
        raise SystemExit(f"could not sign in as {username}: {resp.status_code}")
    return "; ".join(f"{c.name}={c.value}" for c in s.cookies)


def deep_board_url(base: str, board_id: int, want: int) -> tuple[str, int]:
    """The URL of page `want` of a board, reached by following rel=next links from page 1."""
    import html

    import requests

    url, page = f"{base}/boards/{board_id}", 1
    s = requests.Session()
    while page < want:
        resp = s.get(url, timeout=60)
        m = re.search(r'<a href="([^"]+)" rel="next"', resp.text) or re.search(r'rel="next"[^>]*href="([^"]+)"',
                                                                               resp.text)
        if resp.status_code != 200 or not m:
            break
        nxt = html.unescape(m.group(1))
        url = nxt if nxt.startswith("http") else base + nxt
        page += 1
    return url, page


def targets(base: str, manifest: dict, deep_page: int) -> dict[str, str]:
    t = manifest["targets"]
    search = manifest["search"]
    big = t["thread_big"]
    p40 = min(40, big["pages"])
    deep_url, reached = deep_board_url(base, t["board_deep"]["id"], deep_page)
    manifest["_reached"] = {"board_deep": reached, "thread_big_p40": p40}
    return {
        "home": f"{base}/",
        "group": f"{base}/groups/{t['group']['id']}",
        "board_p1": f"{base}/boards/{t['board_deep']['id']}",
        "board_deep": deep_url,
        "thread_20": f"{base}/boards/threads/{t['thread_20']['id']}",
        "thread_big_p1": f"{base}/boards/threads/{big['id']}",
        "thread_big_p40": f"{base}/boards/threads/{big['id']}?page={p40}",
        "entry_big": f"{base}/blogs/entries/{t['entry_big']['id']}",
        "search_few": f"{base}/search?q={quote(search['few']['q'])}",
        "search_broad": f"{base}/search?q={quote(search['broad']['q'])}",
        "tallies": f"{base}/tallies/",
        "floor": f"{base}/healthz",
    }


def probe(url: str, cookie: str | None) -> tuple[int, int, int | None, str]:
    """Status, identity size, gzip size (None when the app does not compress) and the page text."""
    import requests

    headers = {"Cookie": cookie} if cookie else {}
    plain = requests.get(url, headers=dict(headers, **{"Accept-Encoding": "identity"}), timeout=120)
    zipped = requests.get(url, headers=dict(headers, **{"Accept-Encoding": "gzip"}), timeout=120, stream=True)
    raw = zipped.raw.read(decode_content=False)
    gz = len(raw) if zipped.headers.get("Content-Encoding") == "gzip" else None
    return plain.status_code, len(plain.content), gz, plain.text


# --- wrk -------------------------------------------------------------------------------------------

def run_wrk(url: str, duration: int, connections: int, threads: int, cookie: str | None, gzip: bool,
            lua_path: str) -> dict:
    env = dict(os.environ, BENCH_COOKIE=cookie or "", BENCH_ACCEPT_ENCODING="gzip" if gzip else "")
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "30s", "-s", lua_path, url]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=duration + 90)
    m = re.search(r"BENCHJSON (\{.*\})", out.stdout)
    if not m:
        raise RuntimeError(f"wrk gave no result: {out.stdout[-500:]} {out.stderr[-500:]}")
    data = json.loads(m.group(1))
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out.stdout)
    data["rps"] = float(rps.group(1)) if rps else data["requests"] / (data["duration_us"] / 1e6)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out.stdout)
    data["non2xx"] = int(non2xx.group(1)) if non2xx else 0
    return data


# --- the peer --------------------------------------------------------------------------------------

def run_peer(scratch: str, duration: int, connections: int, workers: int) -> dict[str, dict]:
    """Run the FlaskBB peer script and parse its table: {'(a)': {label, rps, p50, p99, bytes}, …}."""
    env = dict(os.environ, SCRATCH=scratch, DUR=str(duration), CONN=str(connections), WORKERS=str(workers))
    log(f"peer: {PEER_SCRIPT} (SCRATCH={scratch}); this takes a few minutes")
    out = subprocess.run(["bash", str(PEER_SCRIPT)], env=env, capture_output=True, text=True, timeout=3 * 3600)
    if out.returncode != 0:
        raise SystemExit(f"peer script failed ({out.returncode}): {out.stderr[-2000:]}")
    Path(scratch, "last-peer-output.txt").write_text(out.stdout)
    return parse_peer(out.stdout)


def parse_peer(text: str) -> dict[str, dict]:
    """The peer script's report: {'(a)': {label, rps, p50, p99, bytes}, …, 'title'/'data'/'rss': {text}}."""
    rows: dict[str, dict] = {}
    for line in text.splitlines():
        m = re.match(r"^(\(\w+\))\s+(.+?)\s{2,}([\d.?]+)\s+([\d.?]+)\s+([\d.?]+)\s+(\S+)\s+(\S+)", line)
        if m:
            key, label, rps, p50, p99, _n, size = m.groups()
            rows[key] = dict(label=label.strip(), rps=_num(rps), p50=_num(p50), p99=_num(p99), bytes=_num(size))
        if line.startswith("RSS (KiB)"):
            rows["rss"] = dict(text=line)
        if line.startswith("== FlaskBB"):
            rows["title"] = dict(text=line.strip("= "))
        if line.startswith("data:"):
            rows["data"] = dict(text=line)
    return rows


def _num(s: str) -> float | None:
    try:
        return float(s)
    except ValueError:
        return None


# --- report ----------------------------------------------------------------------------------------

def fmt(v, spec=".1f", none="–"):
    return none if v is None else format(v, spec)


def table(results: list[Result], peer: dict, floor_rps: float | None,
          cached: dict[str, Result] | None = None) -> list[list[str]]:
    rows = []
    for r in results:
        peer_key = next((p for k, _l, p in PAGES if k == r.key), None)
        pr = peer.get(peer_key) if peer_key else None

        def vs_peer(x: Result) -> str:
            ratio = (x.rps / pr["rps"]) if pr and pr.get("rps") else None
            return f"{fmt(ratio)}× {peer_key}" if ratio else "–"

        ratio_floor = (r.rps / floor_rps) if floor_rps and r.key != "floor" else None
        size = f"{r.size}" + (f" ({r.size_gzip} gz)" if r.size_gzip is not None else "")
        row = [r.label + (f" [{r.note}]" if r.note else ""), fmt(r.rps), fmt(r.p50), fmt(r.p95), fmt(r.p99),
               fmt(r.cpu_ms, ".2f"), size, vs_peer(r), (f"{ratio_floor:.1%}" if ratio_floor else "–"),
               ("" if r.errors == 0 else f"{r.errors} errors")]
        if cached:
            c = cached.get(r.key)
            row += ([fmt(c.rps), fmt(c.p95), fmt(c.p99), fmt(c.cpu_ms, ".2f"), vs_peer(c),
                     c.extra.get("cache", "") + ("" if c.errors == 0 else f", {c.errors} errors")]
                    if c else ["–"] * 6)
        rows.append(row)
    return rows


HEAD = ["page", "req/s", "p50 ms", "p95 ms", "p99 ms", "CPU ms/req", "bytes", "vs peer", "of floor", "errors"]
HEAD_CACHED = ["cached req/s", "cached p95", "cached p99", "cached CPU ms", "cached vs peer", "cache"]
# Pages measured signed in (the cache is for visitors) or not pages at all: not run with the cache.
SIGNED_IN_PAGES = ("tallies", "floor")


def goals(res: dict[str, Result], peer: dict, rss_mb: float) -> list[tuple[str, str, str]]:
    """(goal, measured, PASS/FAIL/n/a) for the goals of issue 9."""
    out = []

    def peer_rps(k):
        return (peer.get(k) or {}).get("rps")

    def add(goal, measured, ok):
        out.append((goal, measured, "n/a" if ok is None else ("PASS" if ok else "FAIL")))

    t, pt = res.get("thread_20"), peer_rps("(c)")
    if t:
        ratio = t.rps / pt if pt else None
        add("thread ≥ 15× peer topic req/s", f"{fmt(ratio)}× ({t.rps:.1f} vs {fmt(pt)})", None if ratio is None
            else ratio >= 15)
        add("thread p99 < 50 ms", f"{t.p99:.1f} ms", t.p99 < 50)
    b1, bd = res.get("board_p1"), res.get("board_deep")
    if b1 and bd:
        add(f"board p{bd.extra.get('page', '?')} ≤ 1.2× p1 time (p50)", f"{bd.p50 / b1.p50:.2f}× "
            f"({bd.p50:.1f} vs {b1.p50:.1f} ms)", bd.p50 <= 1.2 * b1.p50)
    t1, t40 = res.get("thread_big_p1"), res.get("thread_big_p40")
    if t1 and t40:
        add(f"thread p{t40.extra.get('page', 40)} ≤ 1.2× p1 time (p50)", f"{t40.p50 / t1.p50:.2f}× "
            f"({t40.p50:.1f} vs {t1.p50:.1f} ms)", t40.p50 <= 1.2 * t1.p50)
    s, ps = res.get("search_broad"), peer_rps("(d2)")
    if s:
        empty = s.extra.get("hits", 1) == 0  # no index (data filled with --search none): nothing measured
        why = " — 0 hits: no search index" if empty else ""
        ratio = s.rps / ps if ps else None
        add("broad search ≥ 50× peer broad search req/s", f"{fmt(ratio)}× ({s.rps:.1f} vs {fmt(ps, '.2f')}){why}",
            None if ratio is None or empty else ratio >= 50)
        add("broad search p95 < 100 ms", f"{s.p95:.1f} ms{why}", None if empty else s.p95 < 100)
    h, f = res.get("home"), res.get("floor")
    if h and f:
        add("home ≥ 10% of floor req/s", f"{h.rps / f.rps:.1%} ({h.rps:.1f} vs {f.rps:.1f})", h.rps >= 0.1 * f.rps)
    add("worker RSS < 150 MB", f"{rss_mb:.0f} MB (largest worker after the runs)", rss_mb < 150)
    return out


def markdown(rows: list[list[str]], head: list[str]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
    return "\n".join(lines)


def plain(rows: list[list[str]], head: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in [head] + rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--db-url", help="when the data is in PostgreSQL (as given to bench/data.py)")
    ap.add_argument("--duration", type=int, default=20)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1, help="wrk threads")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--deep-page", type=int, default=500)
    ap.add_argument("--only", help="comma-separated page keys: " + ",".join(k for k, _l, _p in PAGES))
    ap.add_argument("--no-gzip", action="store_true", help="wrk does not send Accept-Encoding: gzip")
    ap.add_argument("--peer", action="store_true", help="also run the FlaskBB peer and compare")
    ap.add_argument("--peer-from", help="compare with a saved peer report instead of running the peer "
                    "(e.g. /work/bench-scratch/peer/last-peer-output.txt, written by --peer)")
    ap.add_argument("--peer-scratch", default=os.environ.get("PEER_SCRATCH", "/work/bench-scratch/peer"))
    ap.add_argument("--out", help="Markdown output (default DATA_DIR/bench-pages.md)")
    ap.add_argument("--page-cache", choices=("off", "on", "both"), default="both",
                    help="the visitors' page cache (forum/core/pagecache.py): off measures every page rendered; "
                    "both (default) runs the visitor pages a second time with it on, in extra columns")
    args = ap.parse_args(argv)

    manifest = json.loads(Path(args.data_dir, MANIFEST).read_text("utf-8"))
    keys = args.only.split(",") if args.only else [k for k, _l, _p in PAGES]
    unknown = set(keys) - {k for k, _l, _p in PAGES}
    if unknown:
        ap.error(f"unknown pages: {', '.join(sorted(unknown))}")
    if args.peer_from and not Path(args.peer_from).is_file():  # before minutes of measuring, not after
        ap.error(f"no saved peer report at {args.peer_from} (`--peer` writes one)")
    load0 = os.getloadavg()
    started = datetime.now(timezone.utc)
    port = free_port()
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(LUA)
        lua = fh.name

    def run_pass(page_cache: bool, pass_keys: list[str]):
        server = Server(args.data_dir, args.db_url, manifest.get("search_backend", "none"), args.workers, port,
                        page_cache=page_cache)
        try:
            boot = server.wait_ready()
            log(f"gunicorn up in {boot:.1f}s on {server.base}, page cache {'on' if page_cache else 'off'}; "
                f"load average {os.getloadavg()}")
            cookie = sign_in(server.base, manifest["accounts"]["leader"], manifest["accounts"]["password"])
            urls = targets(server.base, manifest, args.deep_page)
            return measure(server, pass_keys, urls, manifest, args, cookie, lua), server.rss()
        finally:
            server.stop()

    ordered = [k for k, _l, _p in PAGES if k in keys]
    results: list[Result] = []
    cached: dict[str, Result] = {}
    rss: list[tuple[int, int, int]] = []
    if args.page_cache in ("off", "both"):
        results, rss = run_pass(False, ordered)
    if args.page_cache in ("on", "both"):
        visitor_pages = [k for k in ordered if k not in SIGNED_IN_PAGES] if args.page_cache == "both" else ordered
        on, rss_on = run_pass(True, visitor_pages)
        if args.page_cache == "on":
            results = on
        cached = {r.key: r for r in on} if args.page_cache == "both" else {}
        rss = rss + rss_on
    load1 = os.getloadavg()
    peer: dict = {}
    if args.peer:
        peer = run_peer(args.peer_scratch, args.duration, args.connections, args.workers)
    elif args.peer_from:
        peer = parse_peer(Path(args.peer_from).read_text())
        peer.setdefault("title", {"text": ""})["text"] += f" (saved report {args.peer_from})"
    res = {r.key: r for r in results}
    floor = res.get("floor")
    rows = table(results, peer, floor.rps if floor else None, cached)
    head = HEAD + (HEAD_CACHED if cached else [])
    rss_mb = max((x[1] for x in rss), default=0) / 1024
    g = goals(res, peer, rss_mb)
    if cached:  # the same goals for a visitor with the page cache on (the floor stays the rendered pass's)
        g += [(f"[page cache] {goal}", measured, verdict) for goal, measured, verdict
              in goals({**res, **cached}, peer, rss_mb) if goal.startswith(("thread", "broad", "home"))
              and "1.2×" not in goal]
    machine = f"{os.cpu_count()} cores, {os.uname().sysname} {os.uname().release}"
    header = (f"Jiaoyan pages, preset {manifest.get('preset')} ({manifest['rows'].get('posts', 0):,} replies, "
              f"{manifest['rows'].get('threads', 0):,} threads, {manifest['rows'].get('entries', 0):,} entries; "
              f"{manifest.get('db')}), gunicorn -w {args.workers} sync, wrk -t{args.threads} -c{args.connections} "
              f"-d{args.duration}s{'' if args.no_gzip else ', Accept-Encoding: gzip'}; page cache {args.page_cache}; "
              f"{started:%Y-%m-%d %H:%M} UTC; {machine}; load average before {load0[0]:.2f}, after {load1[0]:.2f}")
    rss_line = "worker RSS after the runs (MB): " + ", ".join(
        f"{x[1] / 1024:.0f} (peak {x[2] / 1024:.0f}; own {x[3] / 1024:.0f}, mapped files {x[4] / 1024:.0f})" for x in rss)
    print("\n" + header)
    print(plain(rows, head))
    print(rss_line)
    if peer:
        print("peer: " + peer.get("title", {}).get("text", "") + "; " + peer.get("data", {}).get("text", ""))
        print("peer " + peer.get("rss", {}).get("text", ""))
    print("\nGoals (issue 9):")
    for goal, measured, verdict in g:
        print(f"  {verdict:<5} {goal}: {measured}")
    md = [f"_{header}_", "", markdown(rows, head), "", rss_line]
    if peer:
        md += ["", "Peer: " + peer.get("title", {}).get("text", "") + "; " + peer.get("data", {}).get("text", "")]
        md += ["", markdown([[f"{k} {v['label']}", fmt(v['rps']), fmt(v['p50']), fmt(v['p99']), fmt(v['bytes'], '.0f')]
                             for k, v in peer.items() if k.startswith("(")],
                            ["peer page", "req/s", "p50 ms", "p99 ms", "bytes"])]
    md += ["", markdown([[a, b, c] for a, b, c in g], ["goal", "measured", "verdict"])]
    out = Path(args.out) if args.out else Path(args.data_dir, "bench-pages.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(md) + "\n", "utf-8")
    log(f"markdown table: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
