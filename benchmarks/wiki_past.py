"""wikicourse benchmark of following a wiki's past (docs/wiki-past.md) across many courses: what reading
the wiki's log costs per update round, each course reading it (log_max_age=0) or the courses
sharing one read (log_max_age=60, what `wikicourse worker` passes).

    .venv/bin/python benchmarks/wiki_past.py          # 100 courses of 5, 3 repeats (about 5 min, wiki cached)
    .venv/bin/python benchmarks/wiki_past.py --quick  # a smoke run (the 50-student dataset, 20 courses, once)

One real loopback MediaWiki: the first wiki of the benchmark dataset (benchmarks/run.py,
cached under /tmp/wikicourse-bench; served from a run folder of its own, run-past). 100 small
courses (5 students each, drawn in turn from the dataset's students: disjoint when there
are enough, overlapping otherwise), the dataset's period, wikicourse on SQLite (or
PostgreSQL: --db postgres). Each course gets its first update (as of mid-way through the
period's last day), then update rounds: every course updated in-process one after the
other, as one worker would take them, with the clock moved 10 s each round (so each course
re-reads its ingestion-point window: one usercontribs request). Rounds alternate between
log_max_age=0 and 60; before each round the wiki's last log read is dated an hour back, as
if the previous round were long over, so a round with sharing reads the log once. Requests
are counted by kind in the sources (their transport's requests, retries included).
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]  # benchmark modules; tests/support helpers

from sqlalchemy import update  # noqa: E402

import wikicourse.update.cycle as cycle_mod  # noqa: E402
import livewikis  # noqa: E402
from dataset import DEFAULT_CACHE, Params, exports as make_exports, fresh_engine  # noqa: E402
from instrument import KINDS, CountingFactory, kinds_between  # noqa: E402
from run import machine_info, table  # noqa: E402
from wikicourse import courses  # noqa: E402
from wikicourse.clock import now_utc  # noqa: E402
from wikicourse.wikis import open_source  # noqa: E402
from wikicourse.models.tables import wikis as wikis_table  # noqa: E402
from wikicourse.update.cycle import update_course  # noqa: E402
from wikicourse.wikis import add_wiki  # noqa: E402

T_START = time.perf_counter()
STEP = timedelta(seconds=10)  # the clock's move between rounds
SHARED = 60.0  # the workers' --log-max-age default


def log(msg: str) -> None:
    print(f"[{time.perf_counter() - T_START:7.1f} s] {msg}" if msg else "", flush=True)


class LogTimer:
    """Seconds the update cycle spends in read_logs (the log read, or finding it fresh)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._orig = cycle_mod.read_logs

    def __enter__(self) -> LogTimer:
        def timed(*args, **kwargs):
            t = time.perf_counter()
            try:
                return self._orig(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t
        cycle_mod.read_logs = timed
        return self

    def __exit__(self, *exc) -> None:
        cycle_mod.read_logs = self._orig


@dataclass
class Round:
    max_age: float
    seconds: float
    requests: int  # update_course's own count, summed
    kinds: dict[str, int]
    log_seconds: float
    revisions: int
    statuses: dict[str, int] = field(default_factory=dict)

    def kind(self, name: str) -> int:
        return self.kinds.get(name, 0)


def run_round(engine, slugs: list[str], as_of, factory: CountingFactory, max_age: float) -> Round:
    before = factory.snapshot()
    requests = revisions = 0
    statuses: dict[str, int] = {}
    with LogTimer() as timer:
        t = time.perf_counter()
        for slug in slugs:
            r = update_course(engine, slug, as_of=as_of, source_factory=factory, log_max_age=max_age)
            requests += r.requests
            revisions += r.revisions
            statuses[r.status] = statuses.get(r.status, 0) + 1
        seconds = time.perf_counter() - t
    kinds = kinds_between(before, factory.snapshot())
    if sum(kinds.values()) != requests:
        raise RuntimeError(f"counted {sum(kinds.values())} requests by kind, the updates report {requests}")
    return Round(max_age, seconds, requests, kinds, timer.seconds, revisions, statuses)


def age_last_read(engine) -> None:
    """Date the wiki's last log read an hour back: the next update finds it stale."""
    with engine.begin() as conn:
        conn.execute(update(wikis_table).values(log_read_at=now_utc() - timedelta(hours=1)))


def median_round(rounds: list[Round]) -> tuple[Round, float, float]:
    ordered = sorted(rounds, key=lambda r: r.seconds)
    return ordered[len(ordered) // 2], ordered[0].seconds, ordered[-1].seconds


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: the 50-student dataset, 20 courses, once")
    ap.add_argument("--courses", type=int)
    ap.add_argument("--students-per-course", type=int, default=5)
    ap.add_argument("--repeat", type=int, help="rounds per setting (median; default 3, --quick 1)")
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--keep-wiki", action="store_true", help="leave the MediaWiki running at the end")
    args = ap.parse_args(argv)

    params = Params(students=50, revisions_per_wiki=2_500) if args.quick else Params()
    n_courses = args.courses or (20 if args.quick else 100)
    per = args.students_per_course
    repeat = args.repeat or (1 if args.quick else 3)
    info = machine_info()
    log("wikicourse benchmark: following the wiki's past over many courses" + (" (quick)" if args.quick else ""))
    log("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    exps = make_exports(params, args.cache_dir)
    domain = params.wikis[0]
    students, _ = params.accounts()
    rosters = [sorted({students[(i * per + k) % len(students)] for k in range(per)}) for i in range(n_courses)]
    distinct = len({s for r in rosters for s in r})
    log(f"dataset: {params.students} students, {params.days} days from {params.start}, "
        f"{exps[domain].revisions:,} revisions on {domain}; {n_courses} courses of {per} students "
        f"({distinct} distinct students)")

    live = livewikis.start(params, {domain: exps[domain]}, args.cache_dir, log, run="run-past")
    url = live.api_urls[domain]
    tmp = tempfile.mkdtemp(prefix="wikicourse-bench-past-")
    rounds: list[Round] = []
    try:
        livewikis.fetch_floor(url, students[:50], params.period_start, params.as_of)  # warm up PHP and caches
        with fresh_engine(args.db, tmp, "past") as engine:
            factory = CountingFactory(open_source)
            add_wiki(engine, domain, url)
            slugs = []
            t = time.perf_counter()
            for i, roster in enumerate(rosters):
                slug = f"past-{i + 1:03d}"
                courses.create_course(engine, slug, title=f"Course {i + 1}", start=params.start, end=params.end,
                                      wikis=[domain])
                courses.enroll(engine, slug, roster, source_factory=factory)
                slugs.append(slug)
            log(f"  {n_courses} courses created and enrolled in {time.perf_counter() - t:.1f} s "
                f"({sum(factory.kinds.values())} requests to check the usernames)")
            clock = params.as_of
            first = run_round(engine, slugs, clock, factory, SHARED)
            log(f"  first updates: {first.seconds:6.2f} s  {first.requests:5d} requests ({first.kinds})  "
                f"{first.revisions} revisions  {first.statuses}")
            order = [(0.0, SHARED), (SHARED, 0.0)]
            for rep in range(repeat):
                for max_age in order[rep % 2]:
                    clock += STEP
                    age_last_read(engine)
                    r = run_round(engine, slugs, clock, factory, max_age)
                    rounds.append(r)
                    log(f"  round, log_max_age={max_age:>4g}: {r.seconds:6.2f} s  {r.requests:5d} requests "
                        f"({r.kinds})  reading logs {r.log_seconds:.2f} s  {r.revisions} revisions  {r.statuses}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if args.keep_wiki:
            log(f"  wiki left running: {url}")
        else:
            live.down()

    bad = [r for r in [first, *rounds] if set(r.statuses) != {"done"}]
    out = ["", "=" * 100, "RESULTS", "=" * 100]
    out.append("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    out.append(f"wiki: {live.mw_version} on loopback (PHP built-in server), {domain} of the benchmark dataset "
               f"({exps[domain].revisions:,} revisions, {params.students} students, {params.days} days); "
               f"{n_courses} courses x {per} students ({distinct} distinct), wikicourse on {args.db}, in-process")
    rows, md = [], []
    for max_age, label in ((0.0, "0 (each course reads the log)"), (SHARED, f"{SHARED:g} (shared)")):
        mine = [r for r in rounds if r.max_age == max_age]
        if not mine:
            continue
        m, lo, hi = median_round(mine)
        others = m.requests - m.kind("usercontribs") - m.kind("logevents")
        rows.append([label, f"{m.seconds:.2f}", f"{lo:.2f}-{hi:.2f}", m.requests, m.kind("usercontribs"),
                     m.kind("logevents"), others, f"{m.log_seconds:.2f}", f"{1000 * m.seconds / n_courses:.0f}"])
        md.append(f"| {label} | {m.requests:,} | {m.kind('logevents'):,} | {m.seconds:.2f} "
                  f"({lo:.2f}-{hi:.2f}) | {1000 * m.seconds / n_courses:.0f} |")
    out += ["", table(f"UPDATE ROUND OVER {n_courses} COURSES ON ONE WIKI (clock moved {STEP.seconds:.0f} s a "
                      f"round; median of {repeat})",
                      ["log_max_age s", "round s", "range", "requests", "usercontribs", "logevents", "other",
                       "reading logs s", "ms per course"], rows,
                      [f"first updates (not in the table): {first.seconds:.1f} s, {first.requests:,} requests "
                       f"({', '.join(f'{k} {first.kinds[k]}' for k in KINDS if first.kinds.get(k))})",
                       "usercontribs: each course's ingestion-point window, read again since the clock moved",
                       "reading logs s: the rounds' time in the cycle's log step (a read, or finding it fresh)",
                       "before each round the last log read is dated an hour back (rounds more than 60 s apart)"])]
    out += ["", "README TABLE", "",
            f"| log_max_age (s) | requests per round of {n_courses} courses | of them list=logevents | "
            f"seconds per round (range) | ms per course |", "| --- | --- | --- | --- | --- |", *md]
    if bad:
        out.append(f"\nWARNING: updates not done: {[r.statuses for r in bad]}")
    out.append("load average at the end: " + "/".join(f"{x:.2f}" for x in os.getloadavg())
               + f" ({info.get('usable cores')} cores; other processes on the machine slow every timing)")
    out.append(f"\ntotal runtime {time.perf_counter() - T_START:.0f} s (MediaWiki setup {live.setup_seconds:.0f} s"
               + (", imported now)" if live.imported_now else ", from cache)"))
    print("\n".join(out), flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
