"""E2E fixtures: the seeded demo district served on a random port, and Debian's Chromium via Playwright.

One seeded copy is built per test run (shared by xdist workers through a file lock) and each worker
serves its own copy, so workers never write to the same SQLite file.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import threading
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "jiaoyan-demo-2026"
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
AXE_JS = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"

if not os.path.exists(CHROMIUM):  # pragma: no cover - depends on the machine
    collect_ignore_glob = ["test_*.py"]

playwright_sync = pytest.importorskip("playwright.sync_api") if os.path.exists(CHROMIUM) else None


def pytest_collection_modifyitems(config, items):
    """`make test`'s PostgreSQL pass repeats the suite; the browser tests already ran on the SQLite pass."""
    if os.environ.get("TEST_DATABASE_URL", "").strip():
        skip = pytest.mark.skip(reason="e2e runs once, on the SQLite pass of make test")
        for item in items:
            if item.get_closest_marker("e2e"):
                item.add_marker(skip)


def _seed(target: Path) -> dict:
    """Build a database with the schema, run `flask seed-demo` in it, and describe the accounts."""
    import sqlalchemy as sa

    from forum import create_app
    from forum.extensions import db
    from tests.conftest import make_config

    target.mkdir(parents=True, exist_ok=True)
    app = create_app(make_config(target, f"sqlite:///{target / 'e2e.sqlite3'}", WTF_CSRF_ENABLED=True))
    with app.app_context():
        from forum import models  # noqa: F401
        db.create_all()
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
        accounts = re.findall(r"^  (\S+)\s+.+?\s+\[(.+?)\]\s*$", result.output, re.M)
        roles = {role.split(",")[0]: username for username, role in accounts}
        # seed-demo leaves the whole district in the search outbox; indexing it takes minutes on a busy
        # machine, so the e2e site starts with an empty index and indexes what the flows write (sync).
        from forum.search.models import SearchOutbox
        db.session.execute(sa.delete(SearchOutbox))
        db.session.commit()
        info = _describe(roles)
        db.session.remove()
        db.engine.dispose()  # checkpoints the WAL so the file can be copied
    stop = app.extensions.get("jy_shutdown")
    if stop:
        stop()
    info["seed_output"] = result.output
    (target / "accounts.json").write_text(json.dumps(info, ensure_ascii=False, indent=1))
    return info


def _describe(roles: dict) -> dict:
    """Ids and usernames the flows need: the host's group (城关第一小学 · 语文组), its blog and board."""
    import sqlalchemy as sa

    from forum.auth.models import User
    from forum.extensions import db
    from forum.org.models import Group, Membership

    host = db.session.scalar(sa.select(User).filter_by(username=roles["host"]))
    group = db.session.scalar(sa.select(Group).join(Membership).where(Membership.user_id == host.id,
                                                                      Membership.is_host.is_(True)))
    members = [m.user.username for m in sorted(group.memberships, key=lambda m: m.id) if not m.is_host]
    return {
        "admin": roles["admin"], "leader": "jiaoyanyuan", "principal": "xiaozhang",
        "host": roles["host"], "teacher": roles["teacher"],
        "members": members, "group_id": group.id, "group_name": group.name,
        "blog_id": group.blog.id, "board_id": group.board.id,
        "display": {u.username: u.display_name for u in db.session.scalars(sa.select(User))},
    }


@pytest.fixture(scope="session")
def seeded(tmp_path_factory, worker_id, request):
    """The seeded demo state, built once per run (the first worker builds it, the others wait)."""
    reuse = os.environ.get("JIAOYAN_E2E_SEEDED")  # developer shortcut: a directory seeded earlier
    if reuse and (Path(reuse) / "accounts.json").exists():
        return Path(reuse)
    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        root = root.parent  # shared by all xdist workers of this run
    shared = root / "e2e-seeded"
    cache = _seed_cache(request.config)
    with open(root / "e2e-seed.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / "accounts.json").exists():
            if shared.exists():
                shutil.rmtree(shared)
            if cache is not None and (cache / "accounts.json").exists():
                shutil.copytree(cache, shared)
            else:
                _seed(shared)
                if cache is not None:
                    _store(shared, cache)
        fcntl.flock(lock, fcntl.LOCK_UN)
    return shared


def _seed_cache(config) -> Path | None:
    """Where a seeded district for exactly this code is kept between runs (pytest's cache folder).

    The key hashes this file and every file under forum/ (code, demo corpus, translations), so any change to the
    application or to the seeders builds a fresh district; `pytest --cache-clear` forgets it too.
    """
    if getattr(config, "cache", None) is None:
        return None
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for path in sorted((ROOT / "forum").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".mo"):
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return Path(config.cache.mkdir("jiaoyan-e2e-seed")) / digest.hexdigest()[:20]


def _store(shared: Path, cache: Path) -> None:
    """Keep this seeded district for the next run, replacing districts seeded for older code."""
    for old in cache.parent.iterdir():
        shutil.rmtree(old, ignore_errors=True)
    partial = cache.with_name(cache.name + f".partial-{os.getpid()}")
    shutil.copytree(shared, partial)
    try:
        partial.rename(cache)
    except OSError:  # another run stored it first
        shutil.rmtree(partial, ignore_errors=True)


@pytest.fixture(scope="session")
def accounts(seeded) -> dict:
    return json.loads((seeded / "accounts.json").read_text())


@pytest.fixture(scope="session")
def live_server(seeded, tmp_path_factory):
    """This worker's own copy of the seeded site, served by werkzeug on 127.0.0.1 and a random port."""
    from werkzeug.serving import make_server

    from forum import create_app
    from tests.conftest import make_config

    here = tmp_path_factory.mktemp("e2e-site")
    shutil.copytree(seeded, here, dirs_exist_ok=True)
    # Real forms: CSRF stays on, as on a real site.
    app = create_app(make_config(here, f"sqlite:///{here / 'e2e.sqlite3'}", WTF_CSRF_ENABLED=True,
                                PAGE_CACHE=True))  # as in production: visitors' pages come from the cache
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.app = app
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    stop = app.extensions.get("jy_shutdown")
    if stop:
        stop()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless; never a downloaded browser."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


_AXE: list[str] = []


def _axe_source() -> str:
    if not _AXE:
        _AXE.append(AXE_JS.read_text(encoding="utf-8") + "\n;true")
    return _AXE[0]


class Visit:
    """A browser context on the live site with helpers the flows share."""

    def __init__(self, browser, base_url: str, name: str, **context_args):
        self.base_url = base_url
        self.name = name
        self.context = browser.new_context(base_url=base_url, locale="zh-CN", accept_downloads=True,
                                           **context_args)
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.console_errors: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        self.page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        self.shots = 0

    def login(self, username: str, password: str = PASSWORD):
        page = self.page
        page.goto("/auth/login")
        page.get_by_label(re.compile("用户名|Username")).fill(username)
        page.get_by_label(re.compile("^(密码|Password)$")).fill(password)
        page.locator("main").get_by_role("button", name=re.compile("^(登录|Sign in|Log in)$")).click()
        page.wait_for_load_state()
        assert "/auth/login" not in page.url, f"login as {username} failed: {page.url}"
        return self

    def shot(self, label: str, full_page: bool = True):
        """Save a screenshot under test-artifacts/e2e/."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.shots += 1
        path = ARTIFACTS / f"{self.name}-{self.shots:02d}-{label}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def axe(self, label: str) -> list[dict]:
        """Run axe-core on the current page; return serious and critical violations."""
        # Evaluated through the DevTools protocol: the site's CSP (rightly) refuses inline script tags.
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            self.page.evaluate(_axe_source())
        result = self.page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        bad = [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / f"axe-{label}.json").write_text(json.dumps(result["violations"], ensure_ascii=False, indent=1))
        return bad

    def close(self):
        self.context.close()


_signed_in: dict[str, dict] = {}  # username → storage state, so page checks sign in once per worker


@pytest.fixture
def visit(browser, live_server, request):
    """visit(name, user=None, reuse=False) → a Visit, signed in when a user is given; closed after the test.

    Flows sign in through the form every time; page checks pass reuse=True to share one session per user.
    """
    opened = []

    def open_visit(name: str, user: str | None = None, reuse: bool = False, **context_args) -> Visit:
        label = re.sub(r"[^\w.-]+", "_", f"{request.node.name}-{name}")
        if user and reuse and user in _signed_in:
            context_args["storage_state"] = _signed_in[user]
        v = Visit(browser, live_server.url, label, **context_args)
        opened.append(v)
        if user and "storage_state" not in context_args:
            v.login(user)
            if reuse:
                _signed_in[user] = v.context.storage_state()
        return v

    yield open_visit
    for v in opened:
        v.close()
