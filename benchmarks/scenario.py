"""The sequence of course operations the benchmark times, against any database and any wikis."""
from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import Engine

from dataset import Params
from instrument import KINDS, Phases, TimedSource
from wikicourse import courses
from wikicourse.stats import course_stats
from wikicourse.update.cycle import update_course
from wikicourse.wikis import add_wiki

SLUG = "bench-course"


@dataclass
class Op:
    name: str
    seconds: float  # the update (or, for roster changes, the update after them)
    as_of: datetime | None = None
    revisions: int = 0
    requests: int = 0  # the update's requests to the wikis
    roster_requests: int = 0  # the enroll command's (list=users), before the update
    roster_seconds: float = 0.0
    status: str = "done"
    phases: dict[str, float] = field(default_factory=dict)
    spread: tuple[float, float] | None = None  # fastest and slowest of repeated runs
    cpu: float = 0.0  # this process's CPU seconds (every thread) during the update
    kinds: dict[str, int] = field(default_factory=dict)  # the update's requests by kind (instrument.KINDS)
    # Revision ids and parent ids the update's contributions named (distinct per wiki, summed),
    # and the content requests (batches of 50 per wiki) fetching all of them would take.
    content_ids_main: int = 0
    content_ids_tracked: int = 0  # namespaces 0, 2 and 118
    content_requests_main: int = 0
    content_requests_tracked: int = 0
    contents_asked: int = 0  # revision ids whose contents the update asked for (not in the refs cache)

    @property
    def rate(self) -> float:
        return self.revisions / self.seconds if self.seconds else 0.0

    def kind(self, name: str) -> int:
        return self.kinds.get(name, 0)

    def kinds_text(self) -> str:
        return ", ".join(f"{k} {self.kinds[k]}" for k in KINDS if self.kinds.get(k))


class Recorder:
    """A source factory that wraps every source it opens, so its requests and time can be read."""

    def __init__(self, factory: Callable, phases: Phases | None) -> None:
        self.factory = factory
        self.phases = phases
        self.opened: list[TimedSource] = []

    def __call__(self, url: str) -> TimedSource:
        source = TimedSource(self.factory(url), self.phases)
        self.opened.append(source)
        return source

    def mark(self) -> int:
        return len(self.opened)

    def requests_since(self, mark: int) -> int:
        return sum(s.request_count for s in self.opened[mark:])

    def kinds_since(self, mark: int) -> dict[str, int]:
        total: Counter = Counter()
        for s in self.opened[mark:]:
            total.update(s.kinds)
        return {k: total[k] for k in KINDS if total[k]}

    def content_need_since(self, mark: int) -> tuple[int, int, int, int]:
        """(ids in main space, ids in the tracked namespaces, requests for each at 50 ids a
        request) over the sources opened since `mark`: one per wiki, so the sums are per wiki."""
        main = tracked = main_req = tracked_req = 0
        for s in self.opened[mark:]:
            m = len(s.content_ids.get(0, ()))
            t = len(set().union(*(s.content_ids.get(ns, set()) for ns in (0, 2, 118))))
            main, tracked = main + m, tracked + t
            main_req, tracked_req = main_req + math.ceil(m / 50), tracked_req + math.ceil(t / 50)
        return main, tracked, main_req, tracked_req


@dataclass
class Scenario:
    engine: Engine
    params: Params
    api_urls: dict[str, str]  # domain -> API URL (file: for exports)
    factory: Callable  # API URL -> RevisionSource
    quiet: timedelta = timedelta(seconds=1)
    breakdown: bool = True
    log: Callable[[str], None] = print
    ops: list[Op] = field(default_factory=list)
    invariant: str = "not checked"

    def setup(self) -> None:
        for domain, url in self.api_urls.items():
            add_wiki(self.engine, domain, url)
        p = self.params
        courses.create_course(self.engine, SLUG, title="Benchmark course", start=p.start, end=p.end,
                              wikis=list(self.api_urls))
        students, _ = p.accounts()
        courses.enroll(self.engine, SLUG, students, source_factory=self.factory)

    def update(self, name: str, as_of: datetime, *, full: bool = False,
               roster: Callable[[Recorder], None] | None = None) -> Op:
        phases = Phases()
        rec = Recorder(self.factory, phases)
        roster_seconds = 0.0
        if roster is not None:
            t = time.perf_counter()
            roster(rec)
            roster_seconds = time.perf_counter() - t
        roster_requests = rec.requests_since(0)
        mark = rec.mark()
        cpu = time.process_time()
        if self.breakdown:
            with phases.active():
                t = time.perf_counter()
                report = update_course(self.engine, SLUG, full=full, as_of=as_of, source_factory=rec)
                seconds = time.perf_counter() - t
        else:
            t = time.perf_counter()
            report = update_course(self.engine, SLUG, full=full, as_of=as_of, source_factory=rec)
            seconds = time.perf_counter() - t
        op = Op(name, seconds, as_of, report.revisions, report.requests, roster_requests, roster_seconds,
                report.status, phases.snapshot(), cpu=time.process_time() - cpu, kinds=rec.kinds_since(mark))
        (op.content_ids_main, op.content_ids_tracked, op.content_requests_main,
         op.content_requests_tracked) = rec.content_need_since(mark)
        op.contents_asked = sum(s.contents_asked for s in rec.opened[mark:])
        if rec.requests_since(mark) != report.requests:  # the report counts what update_course opened
            op.status += f" (recorder saw {rec.requests_since(mark)} requests)"
        self.ops.append(op)
        self.log(f"    {name:<44} {seconds:9.2f} s  {op.revisions:7d} revisions  {op.requests:5d} requests"
                 + (f" ({op.kinds_text()})" if op.kinds else "")
                 + (f"  (+{roster_requests} for the roster)" if roster_requests else "")
                 + ("" if op.status == "done" else f"  status {op.status}"))
        return op

    def run(self, check_invariant: bool = True,
            past_changed: Callable[[Scenario], None] | None = None) -> list[Op]:
        """The operations; `quiet` is a clock step in which no account edits (see quiet_step).
        `past_changed`, if given, runs after the update 6 hours later: it changes the wikis'
        past and runs its own update(s) (see run.py)."""
        p, q = self.params, self.quiet
        _, late = p.accounts()
        leavers = p.leavers()
        self.update("first update", p.as_of)
        self.update("nothing new, same clock", p.as_of)
        self.update("nothing new, clock moved", p.as_of + q)
        self.update("6 h later (new edits)", p.later_as_of)
        if past_changed is not None:
            past_changed(self)
        self.update("nothing new, clock moved (baseline)", p.later_as_of + q)
        self.update(f"dis-enroll {len(leavers)} + update, clock moved", p.later_as_of + 2 * q,
                    roster=lambda rec: courses.disenroll(self.engine, SLUG, leavers))
        self.update(f"enroll {len(late)} + update, same clock", p.later_as_of + 2 * q,
                    roster=lambda rec: courses.enroll(self.engine, SLUG, late, source_factory=rec))
        before = course_stats(self.engine, SLUG) if check_invariant else None
        self.update("full rebuild (--full)", p.later_as_of + 2 * q, full=True)
        if before is not None:
            after = course_stats(self.engine, SLUG)
            self.invariant = "holds" if _comparable(before) == _comparable(after) else "VIOLATED"
        return self.ops

    def op(self, prefix: str) -> Op:
        return next(o for o in self.ops if o.name.startswith(prefix))


def _comparable(doc: dict) -> dict:
    doc = dict(doc)
    doc["course"] = {k: v for k, v in doc["course"].items() if k not in ("updated_at",)}
    return doc


def quiet_step(params: Params, sources, candidates=(10, 5, 2, 1)) -> tuple[timedelta, bool]:
    """A clock step after which no account of the course has edited: an update then has nothing new.

    The clock moves by it after the first update and twice after the later one, so the
    updates that re-fetch the ingestion-point window find nothing new there.
    """
    accounts = set(sum(params.accounts(), []))
    times = [c.timestamp for s in sources for c in s.all_contributions() if c.user in accounts]
    for secs in candidates:
        step = timedelta(seconds=secs)
        busy = [(params.as_of, params.as_of + step), (params.later_as_of, params.later_as_of + 2 * step)]
        if not any(lo <= t < hi for t in times for lo, hi in busy):
            return step, True
    return timedelta(seconds=candidates[-1]), False
