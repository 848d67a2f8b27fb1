"""A real HTTP server on 127.0.0.1 (random port) over a temporary seeded site, for contract tests and benches."""
from __future__ import annotations

import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from werkzeug.serving import make_server

from forum import create_app
from forum.extensions import db


@dataclass
class LiveSite:
    """The running server and what was seeded."""

    url: str
    app: object
    tokens: dict = field(default_factory=dict)
    ids: dict = field(default_factory=dict)
    server: object = None
    thread: object = None
    tmp: str = ""

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        with self.app.app_context():
            db.session.remove()
            stop = self.app.extensions.get("jy_shutdown")
            if stop:
                stop()
            db.engine.dispose()
        shutil.rmtree(self.tmp, ignore_errors=True)


def seed_site() -> dict:
    """A school with a public and a private group, a teacher and a host, content of every kind."""
    from forum.blogs import services as blogs
    from forum.boards import prep, services as boards
    from tests.factories import make_group, make_school, make_user

    school = make_school("城关第一小学")
    teacher = make_user("api_teacher", school=school, display_name="李老师")
    host = make_user("api_host", school=school, display_name="王老师")
    outsider = make_user("api_outsider", display_name="外校老师")
    public = make_group("语文组", school=school, members=[teacher], hosts=[host])
    private = make_group("数学组", school=school, visibility="group", members=[outsider], hosts=[outsider])
    entry = blogs.create_entry(public.blog, teacher, title="《秋天的雨》教学反思", body="朗读中体会秋天的美。",
                               category="reflection", tags=["阅读"])
    comment = blogs.add_comment(entry, host, "写得很好，值得借鉴。")
    thread = boards.start_thread(public.board, teacher, "单元整体教学的讨论", "大家遇到了哪些困难？")
    post = boards.reply(thread, host, "我觉得关键是整合目标。")
    p = prep.open_prep(public.board, host, title="第三单元集体备课", body="", lesson="秋天的雨",
                       lead_speaker_id=teacher.id)
    hidden = boards.start_thread(private.board, outsider, "数学组内部讨论", "仅组内可见")
    db.session.commit()
    return {"group": public.id, "blog": public.blog.id, "board": public.board.id, "entry": entry.id,
            "comment": comment.id, "thread": thread.id, "post": post.id, "prep": p.id,
            "private_board": private.board.id, "private_thread": hidden.id, "private_blog": private.blog.id}


def start_live_site(sqlite_template: Path | None = None, **config) -> LiveSite:
    """Create a seeded site in a temporary dir and serve it with werkzeug in a thread."""
    from tests.conftest import make_config
    from tests.factories import PASSWORD

    tmp = tempfile.mkdtemp(prefix="jiaoyan-live-")
    target = Path(tmp) / "live.sqlite3"
    if sqlite_template is not None:
        shutil.copy(sqlite_template, target)
        url = f"sqlite:///{target}"
    else:
        url = f"sqlite:///{target}"
    settings = make_config(Path(tmp), url)
    settings.update(config)
    app = create_app(settings)
    with app.app_context():
        if sqlite_template is None:
            db.metadata.create_all(db.engine)
        ids = seed_site()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    site = LiveSite(url=f"http://127.0.0.1:{server.server_port}", app=app, ids=ids, server=server,
                    thread=thread, tmp=tmp)
    import requests

    for who in ("api_teacher", "api_host"):
        resp = requests.post(f"{site.url}/api/v1/tokens", json={"username": who, "password": PASSWORD}, timeout=10)
        resp.raise_for_status()
        site.tokens[who] = resp.json()["token"]
    return site
