"""Updates started from the web run in a background thread of the server.

The course's lock (update/runs.py) is taken before the request is answered, so the caller
learns at once whether the update started or another one is running; its progress is
then read from the run's row like any other run's, whichever process runs it.
"""
from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from ..errors import CourseBusy, WikicourseError
from ..sources import open_source
from ..update.cycle import SourceFactory, update_course

log = logging.getLogger(__name__)
START_TIMEOUT = 120  # seconds: taking the lock waits for the database at most this long


class Updater:
    def __init__(self, engine: Engine, source_factory: SourceFactory = open_source):
        self.engine = engine
        self.source_factory = source_factory
        self.threads: set[threading.Thread] = set()

    def start(self, slug: str, *, full: bool = False) -> int:
        """Start an update of `slug` in the background; its run id (CourseBusy if one runs)."""
        begun = threading.Event()
        outcome: list = []  # the run id, or what stopped the update before it began

        def on_begin(run_id: int) -> None:
            outcome.append(run_id)
            begun.set()

        def run() -> None:
            try:
                update_course(self.engine, slug, full=full, source_factory=self.source_factory,
                              on_begin=on_begin)
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
        return outcome[0]

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the running updates (tests, and a server shutting down)."""
        for thread in list(self.threads):
            thread.join(timeout)
