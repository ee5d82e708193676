"""`wikicourse worker`: take course updates from the queues and run them, until stopped.

A message names a course. The update takes the course's lock (update/runs.py): if another
update holds it, the message is sent again a little later rather than dropped, so a request
made during that update is still served. A worker killed mid-update leaves its message
unacknowledged; the broker gives it to another worker, whose update takes over the dead
run's lock and resumes from the last checkpoint.
"""
from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Callable

import dramatiq
from dramatiq.common import q_name
from dramatiq.middleware import CurrentMessage
from sqlalchemy import Engine

from ..courses import course_id
from ..errors import CourseBusy, UnknownCourse
from ..update.cycle import update_course
from .broker import declare_actor, make_broker, send
from .gate import gated_sources
from .requests import request_update, taken

log = logging.getLogger("wikicourse.worker")
BUSY_RETRY_MS = 30_000  # when the course is being updated elsewhere, ask again after this


LOG_MAX_AGE = 60.0  # seconds: a wiki's log read by one course's update serves the others this long
ROUND_AGE = 300.0  # seconds: an update round of a wiki serves the courses updated after it this long


def make_handler(engine: Engine, redis_url: str, interval: float, resend: Callable[[int, str, bool], None],
                 log_max_age: float = LOG_MAX_AGE, round_age: float = ROUND_AGE):
    sources = gated_sources(redis_url, interval)

    def handle(slug: str, full: bool = False) -> None:
        try:
            with engine.connect() as conn:
                cid = course_id(conn, slug)
        except UnknownCourse:
            log.warning("course gone", extra={"event": "update.skipped", "course": slug})
            return
        taken(engine, cid)
        started = time.monotonic()
        try:
            report = update_course(engine, slug, full=full, source_factory=sources, log_max_age=log_max_age,
                                   round_age=round_age)
        except CourseBusy as exc:
            log.info("course busy: asked again later", extra={"event": "update.busy", "course": slug,
                                                             "reason": str(exc)})
            resend(cid, slug, full)
            return
        log.info("course updated", extra={
            "event": "update.done", "course": slug, "run": report.run_id, "full": full, "status": report.status,
            "seconds": round(time.monotonic() - started, 2), "requests": report.requests,
            "revisions": report.revisions, "errors": report.errors})

    return handle


def run_worker(engine: Engine, redis_url: str, queues: list[str], threads: int = 1, interval: float = 0.0,
               stop: threading.Event | None = None, log_max_age: float = LOG_MAX_AGE,
               round_age: float = ROUND_AGE) -> None:
    """Consume `queues` with `threads` threads until SIGTERM/SIGINT (or `stop` is set)."""
    broker = make_broker(redis_url)
    actor = None

    def resend(cid: int, slug: str, full: bool) -> None:
        queue = q_name(CurrentMessage.get_current_message().queue_name)  # a delayed one comes from "q.DQ"
        request_update(engine, cid, queue, force=full,
                       send=lambda: send(broker, actor, slug, queue, delay_ms=BUSY_RETRY_MS, full=full))

    actor = declare_actor(broker, make_handler(engine, redis_url, interval, resend, log_max_age, round_age))
    broker.add_middleware(CurrentMessage())
    worker = dramatiq.Worker(broker, queues=queues, worker_threads=threads)
    # Hold no more messages than threads: a long update must not sit on a message idle workers could take.
    worker.queue_prefetch = threads
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():  # signals reach the main thread only
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    worker.start()
    log.info("worker started", extra={"event": "worker.start", "queues": queues, "threads": threads})
    try:
        stop.wait()
    finally:
        log.info("worker stopping: running updates get 10 minutes to finish (else their messages go "
                 "to another worker)", extra={"event": "worker.stop"})
        worker.stop(timeout=600_000)
        broker.close()
