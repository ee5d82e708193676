"""Update runs: the per-course lock and the progress others can watch.

The lock is the run row itself: a partial unique index allows one "running" run per
course, so taking the lock is an INSERT that either succeeds or fails, on any database
and from any process. A holder that died (kill -9, a lost machine) is recognised by its
process no longer existing on this host, or, wherever it ran, by a heartbeat older than
STALE_AFTER (a live pid proves nothing: the system may have given it to another process);
its run is closed as "interrupted" before the new one starts. A live holder beats its heart
from a thread every HEARTBEAT seconds, whatever step it is in. An operator can release a
lock by hand (release_lock, `wikicourse unlock`).
"""
from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta
from typing import Callable
from uuid import uuid4

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ..clock import now_utc
from ..courses import course_id
from ..errors import CourseBusy, WikicourseError
from ..models.tables import update_runs
from ..redact import without_credentials

log = logging.getLogger(__name__)
STALE_AFTER = timedelta(minutes=10)
HEARTBEAT = 5.0  # seconds between heartbeats, which also record the progress counters
# This process's incarnation: a restarted container may give a new process the pid (and the
# hostname) of a killed one, which must not pass for it.
INCARNATION = uuid4().hex[:12]


class LockLost(WikicourseError):
    """Another process judged this run dead and took the course over: stop writing."""


def this_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{INCARNATION}"


def process_gone(holder: str) -> bool | None:
    """For a "host:pid[:incarnation]" of this host: has that process ended? None for another host's."""
    host, _, rest = holder.partition(":")
    pid, _, incarnation = rest.partition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return None
    if int(pid) == os.getpid():
        return bool(incarnation) and incarnation != INCARNATION
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, someone else's
    return False


def abandoned(holder: str | None, heartbeat: datetime | None, now: datetime) -> bool:
    """Is the process that holds a run gone? On this host a pid that ended says so at once; on
    any host a stale heartbeat does, even if the pid lives (given to another process, or a holder frozen: its heartbeat
    thread beats while it runs at all)."""
    if process_gone(holder or ""):
        return True
    return heartbeat is None or now - heartbeat > STALE_AFTER


def begin_run(engine: Engine, course_id: int, *, slug: str, full: bool, as_of: datetime,
              started: datetime) -> int:
    """Take the course's lock by starting its run; CourseBusy if a live run holds it."""
    row = dict(course_id=course_id, full=full, as_of=as_of, started_at=started, status="running",
               holder=this_holder(), heartbeat_at=started, step="starting")
    for attempt in range(3):
        try:
            with engine.begin() as conn:
                return conn.execute(insert(update_runs).values(row)).inserted_primary_key[0]
        except IntegrityError as exc:
            clash = exc
        with engine.begin() as conn:
            other = conn.execute(select(update_runs.c.id, update_runs.c.holder, update_runs.c.heartbeat_at,
                                        update_runs.c.started_at)
                                 .where(update_runs.c.course_id == course_id,
                                        update_runs.c.status == "running")).first()
            if other is None:
                if attempt:  # not the lock (a course deleted meanwhile, say)
                    raise clash
                continue  # it just finished
            if not abandoned(other.holder, other.heartbeat_at, now_utc()):
                raise CourseBusy(f"course {slug!r} is being updated (run {other.id}, started "
                                 f"{other.started_at:%Y-%m-%d %H:%M:%S}Z)")
            log.warning("run %s of %s was abandoned by %s: closing it", other.id, slug, other.holder)
            # Compare-and-set: of two processes that both saw it abandoned, one closes it.
            conn.execute(update(update_runs).where(update_runs.c.id == other.id,
                                                   update_runs.c.status == "running")
                         .values(status="interrupted", finished_at=now_utc(), step=None))
    raise CourseBusy(f"course {slug!r} is being updated (its lock changed hands while waiting)")


def end_run(engine: Engine, run_id: int, **values) -> None:
    """Release the lock: record the outcome (status, requests, revisions, errors) of a run still ours."""
    with engine.begin() as conn:
        conn.execute(update(update_runs).where(update_runs.c.id == run_id, update_runs.c.status == "running",
                                               update_runs.c.holder == this_holder())
                     .values(finished_at=now_utc(), step=None, **values))


def forget_run(engine: Engine, run_id: int) -> None:
    """Release the lock of a run that was refused before it changed anything: no trace is left."""
    with engine.begin() as conn:
        conn.execute(delete(update_runs).where(update_runs.c.id == run_id))


def release_lock(engine: Engine, slug: str) -> dict | None:
    """Release a course's lock by hand: its running run is closed as "interrupted", as a takeover
    would (a holder still alive stops at its next progress write). What was released: the run,
    its holder (with its host and pid), when it started and its last heartbeat; None if the
    course was not locked."""
    run = update_runs.c
    with engine.begin() as conn:
        held = conn.execute(select(run.id, run.holder, run.started_at, run.heartbeat_at, run.step)
                            .where(run.course_id == course_id(conn, slug), run.status == "running")).first()
        # Compare-and-set: a run that ended meanwhile left nothing to release.
        if held is None or not conn.execute(update(update_runs).where(run.id == held.id, run.status == "running")
                                            .values(status="interrupted", finished_at=now_utc(), step=None)).rowcount:
            return None
    host, _, rest = (held.holder or "").partition(":")
    pid = rest.partition(":")[0]
    log.warning("run %s of %s released by hand (holder %s)", held.id, slug, held.holder)
    return {"run": held.id, "holder": held.holder, "host": host or None, "pid": int(pid) if pid.isdigit() else None,
            "started_at": held.started_at, "heartbeat_at": held.heartbeat_at, "step": held.step}


class Progress:
    """What a run is doing, written to its row: a new step at once, the counters with each
    heartbeat (a thread, every HEARTBEAT seconds). If the row is no longer this run's, the
    next call raises LockLost."""

    def __init__(self, engine: Engine, run_id: int, listener: Callable[["Progress"], None] | None = None):
        self.engine = engine
        self.run_id = run_id
        self.listener = listener  # told of each progress write (the command line shows it)
        self.step = "starting"
        self.done = self.total = self.revisions = 0
        self._lost = False
        self._stop = threading.Event()
        self._beat = threading.Thread(target=self._heartbeat, name=f"heartbeat run {run_id}", daemon=True)
        self._beat.start()

    def start_step(self, step: str, total: int | None = None) -> None:
        """A new step; with `total`, a new count of work units (else the last count stays)."""
        self.step = step
        if total is not None:
            self.done, self.total = 0, total
        self._write(step=step, done=self.done, total=self.total, revisions=self.revisions)

    def advance(self, done: int = 0, revisions: int = 0) -> None:
        """Count work done; the next heartbeat records it."""
        if self._lost:
            raise LockLost(f"update run {self.run_id} was taken over by another process")
        self.done += done
        self.revisions += revisions

    def close(self) -> None:
        self._stop.set()
        self._beat.join(timeout=HEARTBEAT * 2)

    def _heartbeat(self) -> None:
        while not self._stop.wait(HEARTBEAT):
            try:
                self._write(step=self.step, done=self.done, total=self.total, revisions=self.revisions)
            except LockLost:
                return
            except SQLAlchemyError as exc:  # SQLite busy with the run's own transaction, a full pool: next beat
                log.warning("run %s: heartbeat not recorded (%s)", self.run_id, type(exc).__name__)

    def _write(self, **values) -> None:
        if self._lost:
            raise LockLost(f"update run {self.run_id} was taken over by another process")
        with self.engine.begin() as conn:
            mine = conn.execute(update(update_runs).where(
                update_runs.c.id == self.run_id, update_runs.c.status == "running",
                update_runs.c.holder == this_holder()).values(heartbeat_at=now_utc(), **values)).rowcount
        if not mine:
            self._lost = True
            raise LockLost(f"update run {self.run_id} was taken over by another process")
        if self.listener:
            self.listener(self)


RUN_FIELDS = ("id", "full", "as_of", "started_at", "finished_at", "status", "step", "done", "total",
              "requests", "revisions", "errors")


def recent_runs(engine: Engine, slug: str, limit: int = 10) -> list[dict]:
    """A course's latest runs, newest first; a "running" run whose process is gone shows as
    "interrupted" (the next update closes it)."""
    now = now_utc()
    with engine.connect() as conn:
        rows = conn.execute(
            select(*[update_runs.c[f] for f in RUN_FIELDS], update_runs.c.holder, update_runs.c.heartbeat_at)
            .where(update_runs.c.course_id == course_id(conn, slug))
            .order_by(update_runs.c.id.desc()).limit(limit)).all()
    out = []
    for r in rows:
        run = {f: getattr(r, f) for f in RUN_FIELDS}
        if run["errors"]:  # as stored before credentials were kept out of messages
            run["errors"] = without_credentials(run["errors"])
        if run["status"] == "running" and abandoned(r.holder, r.heartbeat_at, now):
            run.update(status="interrupted", step=None)
        out.append(run)
    return out
