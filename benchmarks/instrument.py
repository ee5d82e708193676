"""Where an update's time goes: timing wrappers around the update cycle's steps, for one update at a time.

The wrappers replace module attributes of wikicourse for the duration of `Phases.active()`
only (nothing of the product changes otherwise), plus a source wrapper that times what
the fetch threads spend inside the revision source. Nested phases are reported with a
": " in their name; fetch runs on its own threads, concurrently with the writer.
"""
from __future__ import annotations

import functools
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from typing import Callable, Iterator

import wikicourse.timeslices.derive as derive_mod
import wikicourse.update.cycle as cycle_mod
import wikicourse.update.ingest as ingest_mod
import wikicourse.update.prepare_users as prepare_users_mod
import wikicourse.update.refresh as refresh_mod
import wikicourse.update.reprocess as reprocess_mod

# Top-level steps of update_course, in the order they run; their sum is compared to the total.
TOP = ("prepare wikis", "prepare users", "prepare dates", "start over (--full)", "reprocess before ingest",
       "plan", "ingest (wall)", "reprocess after ingest", "refresh")


class Phases:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()
        self._depth = threading.local()
        self._ingested = False

    def add(self, name: str, dt: float) -> None:
        with self._lock:
            self.seconds[name] += dt
            self.calls[name] += 1

    def reset(self) -> None:
        self.seconds.clear()
        self.calls.clear()
        self._ingested = False

    def snapshot(self) -> dict[str, float]:
        return dict(self.seconds)

    def _timed(self, name: str | Callable[[], str], fn):
        """fn, timed under `name`; a call nested in another of the same name is not counted twice."""
        depth = self._depth

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            label = name() if callable(name) else name
            if getattr(depth, label, 0):
                return fn(*args, **kwargs)
            setattr(depth, label, 1)
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                setattr(depth, label, 0)
                self.add(label, time.perf_counter() - t)
        return wrapper

    @contextmanager
    def active(self) -> Iterator[Phases]:
        phases = self

        def reprocess_name() -> str:
            return "reprocess after ingest" if phases._ingested else "reprocess before ingest"

        def ingest_wrapper(fn):
            timed = self._timed("ingest (wall)", fn)

            @functools.wraps(fn)
            def wrapper(*args, **kwargs):
                try:
                    return timed(*args, **kwargs)
                finally:
                    phases._ingested = True
            return wrapper

        original_writer = getattr(ingest_mod, "JobWriter", object)

        # The writer's methods as they are today; whichever of them exist get timed.
        methods = {m: "ingest: writer (main thread)" for m in ("feed", "finish", "checkpoint", "_checkpoint")}
        methods["_rows"] = "ingest: writer: build rows + upsert articles"
        TimedWriter = type("TimedWriter", (original_writer,), {
            m: self._timed(label, getattr(original_writer, m))
            for m, label in methods.items() if callable(getattr(original_writer, m, None))})

        original_lookup = getattr(ingest_mod, "_refs_lookup", None)

        def refs_lookup(*args, **kwargs):
            found = original_lookup(*args, **kwargs)
            return None if found is None else self._timed("ingest: fetch thread: refs cache lookup", found)

        patches = [
            (cycle_mod, "prepare_wikis", "prepare wikis"),
            (cycle_mod, "prepare_users", "prepare users"),
            (cycle_mod, "prepare_dates", "prepare dates"),
            (cycle_mod, "_start_over", "start over (--full)"),
            (cycle_mod, "reprocess", reprocess_name),
            (cycle_mod, "plan_jobs", "plan"),
            (cycle_mod, "ingest", ingest_wrapper),
            (cycle_mod, "refresh", "refresh"),
            (prepare_users_mod, "derive_article_timeslices", "prepare users: derive article timeslices"),
            (reprocess_mod, "derive_marked", "reprocess: derive_marked"),
            (reprocess_mod, "settle_marks", "reprocess: settle_marks"),
            (derive_mod, "derive_article_timeslices", "reprocess: derive: article timeslices"),
            (derive_mod, "derive_user_timeslices", "reprocess: derive: user timeslices"),
            (derive_mod, "derive_wiki_timeslices", "reprocess: derive: wiki timeslices"),
            (refresh_mod, "refresh_articles_courses", "refresh: articles courses"),
            (refresh_mod, "refresh_enrollments", "refresh: enrollments"),
            (refresh_mod, "refresh_course", "refresh: course"),
            (ingest_mod, "JobWriter", lambda _: TimedWriter),
            (ingest_mod, "_refs_lookup", lambda _: refs_lookup),
        ]
        # (module, attribute, label or wrapper maker); what the code no longer has is skipped.
        saved = [(mod, attr, getattr(mod, attr)) for mod, attr, _ in patches if hasattr(mod, attr)]
        for mod, attr, how in patches:
            if hasattr(mod, attr):
                old = getattr(mod, attr)
                setattr(mod, attr, self._timed(how, old) if isinstance(how, str) or how is reprocess_name else how(old))
        try:
            yield self
        finally:
            for mod, attr, old in saved:
                setattr(mod, attr, old)


class TimedSource:
    """A RevisionSource passed through, timing the calls (they run on the fetch threads)."""

    def __init__(self, inner, phases: Phases | None) -> None:
        self.inner = inner
        self.phases = phases

    @property
    def request_count(self) -> int:
        return self.inner.request_count

    def _add(self, name: str, dt: float) -> None:
        if self.phases is not None:
            self.phases.add(name, dt)

    def canonical_usernames(self, names):
        return self.inner.canonical_usernames(names)

    def contributions(self, users, start, end, *args, **kwargs):
        it = iter(self.inner.contributions(users, start, end, *args, **kwargs))
        while True:
            t = time.perf_counter()
            try:
                page = next(it)
            except StopIteration:
                self._add("ingest: fetch thread: contributions", time.perf_counter() - t)
                return
            self._add("ingest: fetch thread: contributions", time.perf_counter() - t)
            yield page

    def reference_counts(self, revids):
        t = time.perf_counter()
        try:
            return self.inner.reference_counts(revids)
        finally:
            self._add("ingest: fetch thread: contents (refs)", time.perf_counter() - t)

    def close(self) -> None:
        self.inner.close()
