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
from collections import Counter, defaultdict
from contextlib import contextmanager
from typing import Callable, Iterator

import wikicourse.timeslices.derive as derive_mod
import wikicourse.update.cycle as cycle_mod
import wikicourse.update.ingest as ingest_mod
import wikicourse.update.prepare_users as prepare_users_mod
import wikicourse.update.refresh as refresh_mod
import wikicourse.update.reprocess as reprocess_mod
import wikicourse.update.writer as writer_mod

# Top-level steps of update_course, in the order they run; their sum is compared to the total.
TOP = ("reading logs", "prepare wikis", "prepare users", "prepare dates", "prepare past", "start over (--full)",
       "reprocess before ingest", "plan", "ingest (wall)", "reprocess after ingest", "refresh")


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

    def _load_counter(self, load):
        """sql.load, timed as a whole and per table with the rows it wrote ("rows: TABLE")."""
        timed = self._timed("ingest: writer: bulk loads (revisions, refs, articles)", load)

        @functools.wraps(load)
        def wrapper(conn, table, columns, rows, *args, **kwargs):
            rows = list(rows)
            t = time.perf_counter()
            try:
                return timed(conn, table, columns, rows, *args, **kwargs)
            finally:
                self.add(f"load: {table.name}", time.perf_counter() - t)
                self.add(f"rows: {table.name}", len(rows))
        return wrapper

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

        original_writer = getattr(ingest_mod, "StoreWriter", object)

        # The writer's methods as they are today; whichever of them exist get timed.
        methods = {m: "ingest: writer (main thread)" for m in ("feed", "finish", "checkpoint", "_checkpoint")}
        methods["_replace"] = "ingest: writer: store transaction"
        TimedWriter = type("TimedWriter", (original_writer,), {
            m: self._timed(label, getattr(original_writer, m))
            for m, label in methods.items() if callable(getattr(original_writer, m, None))})

        original_lookup = getattr(ingest_mod, "_refs_lookup", None)

        def refs_lookup(*args, **kwargs):
            found = original_lookup(*args, **kwargs)
            return None if found is None else self._timed("ingest: fetch thread: refs cache lookup", found)

        patches = [
            (cycle_mod, "read_logs", "reading logs"),
            (cycle_mod, "prepare_past", "prepare past"),
            (cycle_mod, "prepare_wikis", "prepare wikis"),
            (cycle_mod, "prepare_users", "prepare users"),
            (cycle_mod, "prepare_dates", "prepare dates"),
            (cycle_mod, "_start_over", "start over (--full)"),
            (cycle_mod, "reprocess", reprocess_name),
            (cycle_mod, "plan_jobs", "plan"),
            (cycle_mod, "ingest", ingest_wrapper),
            (cycle_mod, "copy_in", "copy from the store"),
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
            (writer_mod, "_upsert_articles", "ingest: writer: articles (upsert, ids)"),
            (writer_mod, "load", self._load_counter),
            (ingest_mod, "StoreWriter", lambda _: TimedWriter),
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


# -- requests by kind -------------------------------------------------------------------------

KINDS = ("usercontribs", "contents", "logevents", "page history", "users", "other")


def request_kind(params) -> str:
    """What an Action API request asks for, from its parameters (a usercontribs request that
    also asks list=users about its names counts as usercontribs)."""
    lists = str(params.get("list", "")).split("|")
    for name in ("usercontribs", "logevents", "users"):
        if name in lists:
            return name
    if params.get("prop") == "revisions":
        return "contents" if "content" in str(params.get("rvprop", "")).split("|") else "page history"
    return "other"


def count_kinds(source, counter: Counter) -> bool:
    """Count each request `source` (a MediaWikiSource) sends by kind into `counter`, retries
    included (as its request_count): its transport's send, wrapped for this source only.
    False for sources that send no requests (exports)."""
    transport = getattr(source, "transport", None)
    if transport is None or not hasattr(transport, "send"):
        return False
    send = transport.send

    def counted(params):
        counter[request_kind(params)] += 1
        return send(params)

    transport.send = counted
    return True


class CountingFactory:
    """A source factory whose sources count their requests by kind (summed over all it opened)."""

    def __init__(self, factory: Callable) -> None:
        self.factory = factory
        self.kinds: Counter = Counter()

    def __call__(self, url: str):
        source = self.factory(url)
        count_kinds(source, self.kinds)
        return source

    def snapshot(self) -> Counter:
        return Counter(self.kinds)


def kinds_between(before: Counter, after: Counter) -> dict[str, int]:
    return {k: after[k] - before[k] for k in KINDS if after[k] - before[k]}


class TimedSource:
    """A RevisionSource passed through, timing the calls (they run on the fetch threads),
    counting its requests by kind, and noting the revisions (and their parents) its
    contributions named, by namespace, to size what fetching their contents costs."""

    def __init__(self, inner, phases: Phases | None) -> None:
        self.inner = inner
        self.phases = phases
        self.kinds: Counter = Counter()
        count_kinds(inner, self.kinds)
        self.content_ids: dict[int, set[int]] = defaultdict(set)  # namespace -> revids and parent ids
        self.contents_asked = 0  # revision ids whose contents were asked for

    def _note(self, page) -> None:
        for c in page:
            ids = self.content_ids[c.namespace]
            ids.add(c.revid)
            if c.parentid:
                ids.add(c.parentid)

    @property
    def request_count(self) -> int:
        return self.inner.request_count

    def _add(self, name: str, dt: float) -> None:
        if self.phases is not None:
            self.phases.add(name, dt)

    def canonical_usernames(self, names):
        return self.inner.canonical_usernames(names)

    def contributions(self, users, start, end, *args, **kwargs):
        return self._pages(self.inner.contributions(users, start, end, *args, **kwargs))

    def contributions_by_id(self, user_ids, start, end, *args, **kwargs):
        return self._pages(self.inner.contributions_by_id(user_ids, start, end, *args, **kwargs))

    def _pages(self, pages):
        it = iter(pages)
        while True:
            t = time.perf_counter()
            try:
                page = next(it)
            except StopIteration:
                self._add("ingest: fetch thread: contributions", time.perf_counter() - t)
                return
            self._add("ingest: fetch thread: contributions", time.perf_counter() - t)
            self._note(page)
            yield page

    def log_events(self, since):
        t = time.perf_counter()
        try:
            return self.inner.log_events(since)
        finally:
            self._add("reading logs: list=logevents", time.perf_counter() - t)

    def page_edits(self, title, since):
        t = time.perf_counter()
        try:
            return self.inner.page_edits(title, since)
        finally:
            self._add("reading logs: page histories", time.perf_counter() - t)

    def reference_counts(self, revids):
        self.contents_asked += len({r for r in revids if int(r) > 0})
        t = time.perf_counter()
        try:
            return self.inner.reference_counts(revids)
        finally:
            self._add("ingest: fetch thread: contents (refs)", time.perf_counter() - t)

    def close(self) -> None:
        self.inner.close()
