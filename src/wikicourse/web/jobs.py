"""Updates started from the web: in a background thread of the server, or, where workers
run (`serve --redis`), on their queue, so that their per-wiki request gate covers them too.

In a thread, the course's lock (update/runs.py) is taken before the request is answered, so
the caller learns at once whether the update started or another one is running. Either way
its progress is read from the run's row, whichever process runs it.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from sqlalchemy import Engine

from ..clock import now_utc
from ..courses import course_id
from ..errors import CourseBusy, WikicourseError
from ..wikis import open_source
from ..update.cycle import SourceFactory, update_course
from ..workers.schedule import due_courses, request_updates

log = logging.getLogger(__name__)
START_TIMEOUT = 120  # seconds: taking the lock waits for the database at most this long


@dataclass(frozen=True)
class Started:
    run: int | None  # the run, when it started here
    queue: str | None = None  # the workers' queue it waits on, when queued
    coalesced: bool = False  # an update was already waiting there: this request joined it

    @property
    def message(self) -> str:
        if self.run is not None:
            return f"Update started (run {self.run})."
        if self.coalesced:
            return f"An update of this course already waits on the {self.queue} queue: it will include this."
        return f"Update queued on the {self.queue} queue: a worker starts it shortly."


class QueuedUpdater:
    def __init__(self, engine: Engine, redis_url: str):
        self.engine = engine
        self.redis_url = redis_url

    def start(self, slug: str, *, full: bool = False) -> Started:
        with self.engine.connect() as conn:
            course_id(conn, slug)  # an unknown course is refused before the broker is asked
        (due,) = due_courses(self.engine, now_utc().date(), 0, [slug])
        (sent,) = request_updates(self.engine, self.redis_url, [due], full=full)
        return Started(None, due.queue, coalesced=not sent)

    def wait(self, timeout: float | None = None) -> None:
        pass  # the workers run the updates


class Updater:
    """Updates run on `engine` (the command line's waits for locks); the request that starts one
    waits for the course's lock only as long as `lock_engine` does (the web's, then 503)."""

    def __init__(self, engine: Engine, source_factory: SourceFactory = open_source, lock_engine: Engine | None = None):
        self.engine = engine
        self.lock_engine = lock_engine
        self.source_factory = source_factory
        self.threads: set[threading.Thread] = set()

    def start(self, slug: str, *, full: bool = False) -> Started:
        """Start an update of `slug` in the background (CourseBusy if one runs)."""
        begun = threading.Event()
        outcome: list = []  # the run id, or what stopped the update before it began

        def on_begin(run_id: int) -> None:
            outcome.append(run_id)
            begun.set()

        def run() -> None:
            try:
                update_course(self.engine, slug, full=full, source_factory=self.source_factory,
                              on_begin=on_begin, lock_engine=self.lock_engine)
            except BaseException as exc:
                if begun.is_set():  # recorded on the run's row by the cycle itself
                    if isinstance(exc, WikicourseError):
                        log.warning("update of %s failed: %s", slug, exc)
                    else:
                        log.exception("update of %s failed", slug)
                else:
                    outcome.append(exc)
                    begun.set()
            finally:
                self.threads.discard(threading.current_thread())

        thread = threading.Thread(target=run, name=f"update {slug}", daemon=True)
        self.threads.add(thread)
        thread.start()
        if not begun.wait(START_TIMEOUT):
            raise CourseBusy(f"the update of {slug!r} could not start within {START_TIMEOUT} s (database busy)")
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        return Started(outcome[0])

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the running updates (tests, and a server shutting down)."""
        for thread in list(self.threads):
            thread.join(timeout)
