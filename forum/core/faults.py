"""Fault injection for the crash tests: named points where a process announces itself and waits to be killed.

Only active when `JIAOYAN_FAULT` names a point (tests set it in a child process's environment):
the process writes its pid to `JIAOYAN_FAULT_FILE` (once: the file must not exist yet) and sleeps,
so a test can `kill -9` it at exactly that step instead of relying on timing luck.

Points: `write.flushed` (a web write has sent its content, ledger and outbox rows but not
committed), `write.committed` (committed, not yet answered), `indexer.batch_applied` (a batch
reached the index, its outbox rows not yet deleted), `rebuild.checkpoint` (a rebuild wrote its
first batch into the new index).
"""
from __future__ import annotations

import os
import time

ENV, FILE_ENV = "JIAOYAN_FAULT", "JIAOYAN_FAULT_FILE"


def armed(name: str) -> bool:
    """True if this process should stop at point `name`."""
    return os.environ.get(ENV) == name and bool(os.environ.get(FILE_ENV))


def point(name: str) -> None:
    """Stop here (announce the pid, then sleep) if the environment names this point."""
    if not armed(name):
        return
    try:
        fd = os.open(os.environ[FILE_ENV], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:  # one shot: a restarted worker carries on normally
        return
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    time.sleep(float(os.environ.get("JIAOYAN_FAULT_WAIT", "120")))


def init_app(app) -> None:
    """Install the write points on the session when the environment asks for one."""
    if not (armed("write.flushed") or armed("write.committed")):
        return
    from sqlalchemy import event

    from forum.extensions import db
    from forum.search.models import SearchOutbox

    @event.listens_for(db.session, "after_flush")
    def _flushed(session, _ctx):
        if any(isinstance(o, SearchOutbox) for o in session.new):
            session.info["jy_fault_outbox"] = True
            point("write.flushed")

    @event.listens_for(db.session, "after_commit")
    def _committed(session):
        if session.info.pop("jy_fault_outbox", False):
            point("write.committed")
