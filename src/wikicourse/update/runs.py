"""Update runs: the per-course lock and the progress others can watch.

The lock is the run row itself: a partial unique index allows one "running" run per
course, so taking the lock is an INSERT that either succeeds or fails, on any database
and from any process. A holder that died (kill -9, a lost machine) is recognised by its
process no longer existing on this host, or by a heartbeat older than STALE_AFTER, and
its run is closed as "interrupted" before the new one starts.
"""
from __future__ import annotations

import os
import socket
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import CourseBusy
from ..models import UpdateRun

update_runs = UpdateRun.__table__
STALE_AFTER = timedelta(minutes=10)  # a live holder beats its heart far more often (HEARTBEAT)
HEARTBEAT = 5.0  # seconds between progress writes


def now_utc() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def this_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _abandoned(holder: str | None, heartbeat: datetime | None, now: datetime) -> bool:
    host, _, pid = (holder or "").rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            pass  # alive, someone else's
    return heartbeat is None or now - heartbeat > STALE_AFTER


def begin_run(engine: Engine, course_id: int, *, slug: str, full: bool, as_of: datetime,
              started: datetime) -> int:
    """Take the course's lock by starting its run; CourseBusy if a live run holds it."""
    row = dict(course_id=course_id, full=full, as_of=as_of, started_at=started, status="running",
               holder=this_holder(), heartbeat_at=started, step="starting")
    for _ in range(3):
        try:
            with engine.begin() as conn:
                return conn.execute(insert(update_runs).values(row)).inserted_primary_key[0]
        except IntegrityError:
            pass
        with engine.begin() as conn:
            other = conn.execute(select(update_runs.c.id, update_runs.c.holder, update_runs.c.heartbeat_at,
                                        update_runs.c.started_at)
                                 .where(update_runs.c.course_id == course_id,
                                        update_runs.c.status == "running")).first()
            if other is None:
                continue  # it just finished
            if not _abandoned(other.holder, other.heartbeat_at, now_utc()):
                raise CourseBusy(f"course {slug!r} is being updated (run {other.id}, started "
                                 f"{other.started_at:%Y-%m-%d %H:%M:%S}Z by {other.holder})")
            # Compare-and-set: of two processes that both saw it abandoned, one closes it.
            conn.execute(update(update_runs).where(update_runs.c.id == other.id,
                                                   update_runs.c.status == "running")
                         .values(status="interrupted", finished_at=now_utc(), step=None))
    raise CourseBusy(f"course {slug!r} is being updated (its lock changed hands while waiting)")


def end_run(engine: Engine, run_id: int, **values) -> None:
    """Release the lock: record the outcome (status, requests, revisions, errors)."""
    with engine.begin() as conn:
        conn.execute(update(update_runs).where(update_runs.c.id == run_id)
                     .values(finished_at=now_utc(), step=None, **values))


class Progress:
    """What a run is doing, written to its row at most every HEARTBEAT seconds (a step
    change is written at once); each write is also the lock's heartbeat."""

    def __init__(self, engine: Engine, run_id: int):
        self.engine = engine
        self.run_id = run_id
        self.step = "starting"
        self.done = self.total = self.revisions = 0
        self._written = 0.0

    def start_step(self, step: str, total: int | None = None) -> None:
        """A new step; with `total`, a new count of work units (else the last count stays)."""
        self.step = step
        if total is not None:
            self.done, self.total = 0, total
        self._write()

    def advance(self, done: int = 0, revisions: int = 0) -> None:
        self.done += done
        self.revisions += revisions
        if time.monotonic() - self._written >= HEARTBEAT:
            self._write()

    def _write(self) -> None:
        self._written = time.monotonic()
        with self.engine.begin() as conn:
            conn.execute(update(update_runs).where(update_runs.c.id == self.run_id).values(
                step=self.step, done=self.done, total=self.total, revisions=self.revisions,
                heartbeat_at=now_utc()))


RUN_FIELDS = ("id", "full", "as_of", "started_at", "finished_at", "status", "step", "done", "total",
              "requests", "revisions", "errors")


def recent_runs(engine: Engine, course_id: int, limit: int = 10) -> list[dict]:
    """A course's latest runs, newest first."""
    with engine.connect() as conn:
        return [r._asdict() for r in conn.execute(
            select(*[update_runs.c[f] for f in RUN_FIELDS]).where(update_runs.c.course_id == course_id)
            .order_by(update_runs.c.id.desc()).limit(limit))]
