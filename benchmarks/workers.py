"""wikicourse benchmark of the distributed workers (issue 4): courses per minute with 1, 2 and 4
workers, requests per course update, and how an incremental update's cost grows with a course.

    .venv/bin/python benchmarks/workers.py          # the whole benchmark (about 10 min, wikis cached)
    .venv/bin/python benchmarks/workers.py --quick  # a smoke run (the 50-student dataset)

1. Throughput. N courses (default 24 of 20 students, disjoint, drawn from the benchmark
   dataset's students; both wikis; the dataset's period) in a fresh PostgreSQL database per
   run, updated by 1, 2 and 4 `wikicourse worker` subprocesses (1 thread each,
   --wiki-interval 0) on a throwaway Redis, against the two real MediaWikis of
   benchmarks/livewikis.py. The workers' clock is set back so that, as they start, it reads the
   dataset's as-of (mid-way through the courses' last day): the courses are running
   (--real-clock: the period is long over). `wikicourse schedule SLUG...` queues them all; a
   round's time runs from the schedule command's start until every course has a finished run
   and nothing is queued (polled every 50 ms). Round 1 is each course's first update
   (everything fetched); round 2 is scheduled again at once: nothing new, so each update
   re-reads only its ingestion-point window.
2. Requests per course update: update_runs.requests of each round's runs.
3. Wiki concurrency: the same runs again through a loopback proxy before each wiki that
   counts the requests it holds at once (must never exceed 1: the Redis gate serialises
   each wiki across workers) and the time the wiki is busy.
4. Growth of an incremental update (6 hours of new edits after the first update, within
   the period) with the course's students and days: offline (exports read by DumpSource,
   SQLite: processing only, median of 3), and against the real wikis (SQLite: seconds with
   fetch, and requests).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Sequence

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]  # benchmark modules; tests/support helpers

import redis  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

import livewikis  # noqa: E402
from dataset import DEFAULT_CACHE, REPO, Params, exports as make_exports  # noqa: E402
from run import machine_info, table  # noqa: E402
from support.faults import CountingProxy  # noqa: E402
from support.ports import free_port  # noqa: E402
from wikicourse import courses  # noqa: E402
from wikicourse.db import open_db  # noqa: E402
from wikicourse.models import UpdateRun  # noqa: E402
from wikicourse.wikis import open_source  # noqa: E402
from wikicourse.sources.dump import DumpSource  # noqa: E402
from wikicourse.update.cycle import update_course  # noqa: E402
from wikicourse.wikis import add_wiki  # noqa: E402
from wikicourse.workers.requests import update_requests  # noqa: E402

UTC = timezone.utc
update_runs = UpdateRun.__table__
WIKICOURSE = str(Path(sys.executable).with_name("wikicourse"))
REDIS_DB = 9  # a database of the throwaway Redis of our own: tests use 0
T_START = time.perf_counter()
ROUNDS = ("first update", "again at once (nothing new)")


def log(msg: str) -> None:
    print(f"[{time.perf_counter() - T_START:7.1f} s] {msg}" if msg else "", flush=True)


# -- services ---------------------------------------------------------------------------------


def redis_url() -> str:
    done = subprocess.run(["bash", str(REPO / "scripts" / "redis" / "up.sh")], capture_output=True, text=True,
                          timeout=600, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"scripts/redis/up.sh failed:\n{done.stderr}")
    base = done.stdout.strip().splitlines()[-1]
    return base.rsplit("/", 1)[0] + f"/{REDIS_DB}"


# -- part 1: workers --------------------------------------------------------------------------


@dataclass
class Round:
    name: str
    seconds: float  # schedule command's start -> the last run's finished_at
    schedule_seconds: float  # the schedule command alone
    runs: list[dict]
    busy: dict[str, float] = field(default_factory=dict)  # proxied: seconds each wiki held a request
    max_in_flight: dict[str, int] = field(default_factory=dict)
    proxy_requests: dict[str, int] = field(default_factory=dict)
    cpu_share: float = 0.0  # the machine's cores busy, share of all of them, during the round
    worker_cpu: float = 0.0  # CPU seconds of the worker processes during the round
    warnings: int = 0  # WARNING/ERROR lines the workers logged during the round

    @property
    def per_minute(self) -> float:
        return 60 * len(self.runs) / self.seconds

    @property
    def run_seconds(self) -> list[float]:
        return [r["seconds"] for r in self.runs]

    @property
    def requests(self) -> list[int]:
        return [r["requests"] for r in self.runs]

    @property
    def statuses(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.runs:
            out[r["status"]] = out.get(r["status"], 0) + 1
        return out


@dataclass
class WorkersRun:
    workers: int
    proxied: bool
    rounds: list[Round]
    status_seconds: float = 0.0
    status_excerpt: str = ""


# `wikicourse` with its one clock (wikicourse.clock.now_utc) set back by OFFSET seconds: patched
# before the rest of wikicourse is imported, so every `from ..clock import now_utc` gets it.
SET_BACK = ("import datetime, os, sys; import wikicourse.clock as clock; "
            "back = datetime.timedelta(seconds=float(os.environ['WIKICOURSE_BENCH_CLOCK_BACK'])); "
            "real = clock.now_utc; clock.now_utc = lambda: real() - back; "
            "from wikicourse.cli import main; main()")


def wikicourse_cmd(clock_back: float | None) -> list[str]:
    return [WIKICOURSE] if clock_back is None else [sys.executable, "-c", SET_BACK]


def worker_process(db: str, rurl: str, logfile: Path, clock_back: float | None,
                   extra_args: Sequence[str] = ()) -> subprocess.Popen:
    """A `wikicourse worker` (1 thread, --wiki-interval 0, then `extra_args`) logging to `logfile`."""
    out = open(logfile, "w")
    env = dict(os.environ)
    if clock_back is not None:
        env["WIKICOURSE_BENCH_CLOCK_BACK"] = str(clock_back)
    return subprocess.Popen([*wikicourse_cmd(clock_back), "--db", db, "worker", "--redis", rurl, "--threads", "1",
                             "--wiki-interval", "0", *extra_args], stdout=out, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, env=env)


def start_workers(n: int, db: str, rurl: str, logdir: Path, clock_back: float | None,
                  extra_args: Sequence[str] = (), prefix: str = "worker") -> list[subprocess.Popen]:
    """`n` worker processes logging to logdir/PREFIX-K.log (PREFIX starting with "worker", so
    that run_round reads them), once each has logged that it started."""
    logs = [logdir / f"{prefix}-{k}.log" for k in range(n)]
    procs = [worker_process(db, rurl, f, clock_back, extra_args) for f in logs]
    deadline = time.monotonic() + 60
    while not all("worker started" in f.read_text() for f in logs):
        if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
            stop_workers(procs)
            raise RuntimeError("workers did not start:\n" + "\n".join(f.read_text()[-2000:] for f in logs))
        time.sleep(0.05)
    return procs


def machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of every core since boot, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def process_cpu(procs: list[subprocess.Popen]) -> float:
    """CPU seconds (user + system) the processes have used so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in procs:
        try:
            stat = Path(f"/proc/{p.pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(stat[11]) + int(stat[12])
        except (OSError, IndexError):
            pass
    return total / tick


def log_warnings(logdir: Path) -> int:
    return sum(line.count('"level": "WARNING"') + line.count('"level": "ERROR"')
               for f in logdir.glob("worker-*.log") for line in f.read_text().splitlines())


def logged_seconds(logdir: Path) -> dict[int, float]:
    """run id -> the update's seconds as the worker logged them (update_runs keeps whole seconds)."""
    out = {}
    for f in logdir.glob("worker-*.log"):
        for line in f.read_text().splitlines():
            if '"update.done"' in line:
                doc = json.loads(line)
                out[doc["run"]] = doc["seconds"]
    return out


def stop_workers(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def run_round(name: str, engine, db: str, rurl: str, slugs: list[str], procs: list[subprocess.Popen],
              logdir: Path, timeout: float, proxies: dict[str, CountingProxy]) -> Round:
    with engine.connect() as conn:
        base = conn.scalar(select(func.coalesce(func.max(update_runs.c.id), 0)))
    for p in proxies.values():
        p.reset_counts()
        p.schedule([])
    warned = log_warnings(logdir)
    cpu0, wcpu0 = machine_cpu(), process_cpu(procs)
    t0 = time.perf_counter()
    done = subprocess.run([WIKICOURSE, "--db", db, "schedule", "--redis", rurl, *slugs], capture_output=True,
                          text=True, timeout=120)
    schedule_seconds = time.perf_counter() - t0
    if done.returncode != 0 or done.stdout.count("queued on") != len(slugs):
        raise RuntimeError(f"schedule: {done.stdout}\n{done.stderr}")
    deadline = time.monotonic() + timeout
    while True:
        with engine.connect() as conn:
            finished = conn.execute(select(func.count(func.distinct(update_runs.c.course_id))).where(
                update_runs.c.id > base, update_runs.c.status != "running")).scalar()
            running = conn.scalar(select(func.count()).select_from(update_runs).where(
                update_runs.c.status == "running"))
            queued = conn.scalar(select(func.count()).select_from(update_requests).where(
                update_requests.c.queued_at.isnot(None)))
        if finished == len(slugs) and not running and not queued:
            seconds = time.perf_counter() - t0
            cpu1, wcpu1 = machine_cpu(), process_cpu(procs)
            break
        dead = [p for p in procs if p.poll() is not None]
        if dead or time.monotonic() > deadline:
            tails = "\n".join(f.read_text()[-2000:] for f in sorted(logdir.glob("worker-*.log")))
            raise RuntimeError(f"{name}: {finished}/{len(slugs)} courses done, {len(dead)} workers dead\n{tails}")
        time.sleep(0.05)
    with engine.connect() as conn:
        runs = [r._asdict() for r in conn.execute(select(
            update_runs.c.course_id, update_runs.c.status, update_runs.c.started_at, update_runs.c.finished_at,
            update_runs.c.requests, update_runs.c.revisions, update_runs.c.holder, update_runs.c.id,
            update_runs.c.as_of).where(update_runs.c.id > base).order_by(update_runs.c.id))]
    took = logged_seconds(logdir)
    for r in runs:
        r["seconds"] = took.get(r["id"], (r["finished_at"] - r["started_at"]).total_seconds())
    rnd = Round(name, seconds, schedule_seconds, runs, cpu_share=(cpu1[0] - cpu0[0]) / max(1, cpu1[1] - cpu0[1]),
                worker_cpu=wcpu1 - wcpu0, warnings=log_warnings(logdir) - warned)
    for d, p in proxies.items():
        rnd.busy[d] = p.busy_now()
        rnd.max_in_flight[d] = p.max_in_flight
        rnd.proxy_requests[d] = p.request_count
    return rnd


def workers_run(n_workers: int, params: Params, groups: list[list[str]], api_urls: dict[str, str], rurl: str,
                pg_base: str, proxied: bool, timeout: float, want_status: bool, real_clock: bool) -> WorkersRun:
    from support.postgres import drop_database, fresh_database

    proxies: dict[str, CountingProxy] = {}
    if proxied:
        taken: set[int] = set()
        proxies = {d: CountingProxy(u.removesuffix("/api.php"), free_port(8500, 8599, taken))
                   for d, u in api_urls.items()}
        api_urls = {d: p.api_url for d, p in proxies.items()}
    db = fresh_database(pg_base)
    engine = open_db(db)
    logdir = Path(tempfile.mkdtemp(prefix="wikicourse-bench-workers-"))
    procs: list[subprocess.Popen] = []
    try:
        for d, u in api_urls.items():
            add_wiki(engine, d, u)
        slugs = []
        for i, students in enumerate(groups):
            slug = f"wc-{i + 1:02d}"
            courses.create_course(engine, slug, title=f"Workers course {i + 1}", start=params.start,
                                  end=params.end, wikis=list(api_urls))
            courses.enroll(engine, slug, students)
            slugs.append(slug)
        redis.Redis.from_url(rurl).flushdb()  # our own database of the throwaway Redis: no stale messages
        # The workers' clock: the dataset's as-of (mid-way through the course's last day) as they start,
        # so the courses are running; or the real one (the period long over).
        back = None if real_clock else (datetime.now(UTC) - params.as_of).total_seconds()
        procs = start_workers(n_workers, db, rurl, logdir, back)
        label = f"{n_workers} worker{'s' if n_workers > 1 else ''}" + (", proxied" if proxied else "")
        out = WorkersRun(n_workers, proxied, [])
        for name in ROUNDS:
            rnd = run_round(name, engine, db, rurl, slugs, procs, logdir, timeout, proxies)
            out.rounds.append(rnd)
            log(f"  {label:<20} {name:<26} {rnd.seconds:7.2f} s  {rnd.per_minute:7.1f} courses/min  "
                f"{sum(rnd.requests):5d} requests  {sum(r['revisions'] for r in rnd.runs):6d} revisions  "
                f"{rnd.statuses}" + (f"  max in flight {rnd.max_in_flight}" if proxies else ""))
        if want_status:
            t = time.perf_counter()
            done = subprocess.run([WIKICOURSE, "--db", db, "status", "--redis", rurl], capture_output=True,
                                  text=True, timeout=60)
            out.status_seconds = time.perf_counter() - t
            out.status_excerpt = "\n".join(done.stdout.splitlines()[:14])
        return out
    finally:
        stop_workers(procs)
        engine.dispose()
        drop_database(db)
        shutil.rmtree(logdir, ignore_errors=True)
        for p in proxies.values():
            p.close()


# -- part 3: growth ---------------------------------------------------------------------------


@dataclass
class Growth:
    label: str
    students: int
    days: int
    first_seconds: float
    first_requests: int
    first_revisions: int
    seconds: float  # the incremental update
    requests: int
    revisions: int
    spread: tuple[float, float] | None = None


def as_of_for(params: Params, days: int) -> tuple[datetime, datetime]:
    p = replace(params, days=days)
    return p.as_of, p.later_as_of


def growth_once(params: Params, students: list[str], days: int, urls: dict[str, str], factory) -> Growth:
    with tempfile.TemporaryDirectory(prefix="wikicourse-bench-growth-") as tmp:
        engine = open_db(f"sqlite:///{tmp}/g.sqlite")
        try:
            for d, u in urls.items():
                add_wiki(engine, d, u)
            end = params.start + timedelta(days=days - 1)
            courses.create_course(engine, "g", title="growth", start=params.start, end=end, wikis=list(urls))
            courses.enroll(engine, "g", students, source_factory=factory)
            first_at, later_at = as_of_for(params, days)
            t = time.perf_counter()
            first = update_course(engine, "g", as_of=first_at, source_factory=factory)
            first_seconds = time.perf_counter() - t
            t = time.perf_counter()
            inc = update_course(engine, "g", as_of=later_at, source_factory=factory)
            seconds = time.perf_counter() - t
            for r in (first, inc):
                if r.status != "done":
                    raise RuntimeError(f"growth update {r.status}: {r.errors}")
            return Growth("", len(students), days, first_seconds, first.requests, first.revisions, seconds,
                          inc.requests, inc.revisions)
        finally:
            engine.dispose()


def growth_configs(pool: list[str], sizes: list[int], day_counts: list[int], days_students: int, full_days: int):
    out = [(f"{n} students, {full_days} days", pool[:n], full_days) for n in sizes]
    out += [(f"{days_students} students, {d} days", pool[:days_students], d) for d in day_counts]
    return out


def run_growth(params: Params, configs, urls: dict[str, str], factory, repeat: int, where: str) -> list[Growth]:
    out = []
    done: dict[tuple[int, int], Growth] = {}
    for label, students, days in configs:
        key = (len(students), days)
        if key not in done:
            runs = sorted((growth_once(params, students, days, urls, factory) for _ in range(repeat)),
                          key=lambda g: g.seconds)
            g = runs[len(runs) // 2]
            if repeat > 1:
                g.spread = (runs[0].seconds, runs[-1].seconds)
            done[key] = g
            log(f"  {where:<8} {label:<26} first {g.first_seconds:6.2f} s {g.first_requests:5d} req  "
                f"incremental {g.seconds:6.3f} s {g.requests:4d} req {g.revisions:5d} revisions")
        out.append(replace(done[key], label=label))
    return out


# -- report -----------------------------------------------------------------------------------


def stats_cells(values: list[float], fmt: str = "{:.0f}") -> list[str]:
    return [fmt.format(statistics.mean(values)), fmt.format(min(values)), fmt.format(max(values))]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: the 50-student dataset, 8 courses of 5")
    ap.add_argument("--courses", type=int)
    ap.add_argument("--students-per-course", type=int)
    ap.add_argument("--workers", default="1,2,4", help="worker counts (default 1,2,4)")
    ap.add_argument("--proxied", default="1,4", help="worker counts run again through counting proxies "
                                                      "(default 1,4; empty for none)")
    ap.add_argument("--repeat", type=int, default=3, help="offline growth runs per course (median; default 3)")
    ap.add_argument("--skip-live-growth", action="store_true")
    ap.add_argument("--keep-wikis", action="store_true", help="leave the MediaWikis running at the end")
    ap.add_argument("--real-clock", action="store_true",
                    help="workers on the real clock (the dataset's period long over) instead of one set back "
                         "to mid-way through the period's last day")
    ap.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--timeout", type=float, default=600, help="seconds a round may take")
    args = ap.parse_args(argv)

    params = Params(students=50, revisions_per_wiki=2_500) if args.quick else Params()
    n_courses = args.courses or (8 if args.quick else 24)
    per_course = args.students_per_course or (5 if args.quick else 20)
    worker_counts = [int(x) for x in args.workers.split(",") if x]
    proxied_counts = [int(x) for x in args.proxied.split(",") if x]
    if args.quick:
        sizes, day_counts, days_students = [5, 10, 20, 40], [15, 30, 60], 20
    else:
        sizes, day_counts, days_students = [50, 100, 200, 400], [15, 30, 60], 200

    info = machine_info()
    log("wikicourse workers benchmark" + (" (quick)" if args.quick else ""))
    log("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    exps = make_exports(params, args.cache_dir)
    students, _ = params.accounts()
    pool = students[:]
    random.Random(params.seed + 4).shuffle(pool)
    if n_courses * per_course > len(pool):
        raise SystemExit(f"{n_courses} x {per_course} students: the dataset has {len(pool)}")
    groups = [sorted(pool[i * per_course:(i + 1) * per_course]) for i in range(n_courses)]
    log(f"dataset: {params.students} students, {len(exps)} wikis, {params.days} days from {params.start}, "
        f"{sum(e.revisions for e in exps.values()):,} revisions; {n_courses} courses of {per_course} students")

    rurl = redis_url()
    from support.postgres import postgres_url

    pg_base = postgres_url()
    with open_db(pg_base, migrate=False).connect() as conn:
        pg_version = conn.exec_driver_sql("SHOW server_version").scalar()
    log(f"redis {rurl}, postgresql {pg_version}")

    # -- part 3 offline first: no wiki needed ------------------------------------------------
    t = time.perf_counter()
    parsed = {d: DumpSource(e.path) for d, e in exps.items()}
    for s in parsed.values():
        s.all_contributions()
    file_urls = {d: e.path.resolve().as_uri() for d, e in exps.items()}
    by_url = {file_urls[d]: s for d, s in parsed.items()}
    log(f"exports parsed in {time.perf_counter() - t:.1f} s")
    configs = growth_configs(pool, sizes, day_counts, days_students, params.days)
    log("growth, offline (DumpSource, SQLite)")
    offline = run_growth(params, configs, file_urls, lambda u: by_url[u], args.repeat, "offline")

    live = livewikis.start(params, exps, args.cache_dir, log, run="run-workers")
    runs: list[WorkersRun] = []
    live_growth: list[Growth] = []
    try:
        for url in live.api_urls.values():  # warm up PHP's opcache and the OS page cache
            livewikis.fetch_floor(url, students[:50], params.period_start, params.as_of)
        log(f"workers: {n_courses} courses x {per_course} students, fresh PostgreSQL database per run")
        for n in worker_counts:
            runs.append(workers_run(n, params, groups, live.api_urls, rurl, pg_base, False, args.timeout,
                                    want_status=n == max(worker_counts), real_clock=args.real_clock))
        for n in proxied_counts:
            runs.append(workers_run(n, params, groups, live.api_urls, rurl, pg_base, True, args.timeout, False,
                                    args.real_clock))
        if not args.skip_live_growth:
            log("growth, real wikis (SQLite, no gate)")
            live_growth = run_growth(params, configs, live.api_urls, open_source, 1, "live")
    finally:
        if args.keep_wikis:
            log(f"wikis left running: {live.api_urls}")
        else:
            live.down()

    # -- the report ----------------------------------------------------------------------------
    out = ["", "=" * 100, "RESULTS", "=" * 100]
    out.append("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()) + f", PostgreSQL {pg_version}")
    out.append(f"wikis: {live.mw_version} x {len(live.wikis)} on loopback (PHP built-in server), "
               f"{params.students} students, {params.days} days from {params.start}, "
               f"{', '.join(f'{e.revisions:,}' for e in exps.values())} revisions")
    plain = {r.workers: r for r in runs if not r.proxied}
    proxied = {r.workers: r for r in runs if r.proxied}
    base = plain.get(1) or next(iter(plain.values()))
    rows = []
    for rnd_i, rname in enumerate(ROUNDS):
        for n, r in plain.items():
            rnd, ref = r.rounds[rnd_i], base.rounds[rnd_i]
            rows.append([rname if n == min(plain) else "", n, f"{rnd.seconds:.1f}", f"{rnd.per_minute:.1f}",
                         f"{rnd.per_minute / ref.per_minute:.2f}x", f"{statistics.mean(rnd.run_seconds):.2f}",
                         f"{sum(rnd.run_seconds) / rnd.seconds:.2f}", f"{rnd.schedule_seconds:.2f}",
                         f"{100 * rnd.cpu_share:.0f} %", f"{rnd.worker_cpu:.1f}",
                         ", ".join(f"{k} {v}" for k, v in rnd.statuses.items())
                         + (f", {rnd.warnings} warnings logged" if rnd.warnings else "")])
    out += ["", table(f"COURSES UPDATED PER MINUTE ({n_courses} courses x {per_course} students, 2 wikis, "
                      f"PostgreSQL; each worker 1 thread, --wiki-interval 0)",
                      ["round", "workers", "seconds", "courses/min", "speed-up", "mean run s", "runs at once",
                       "schedule cmd s", "machine CPU", "workers CPU s", "statuses"], rows,
                      ["seconds: from the start of `wikicourse schedule` until every course has a finished run "
                       "and none is queued (polled every 50 ms)",
                       "mean run s: update_course's own time, as the workers log it",
                       "runs at once: the runs' summed durations / the round's seconds (mean concurrency)",
                       f"machine CPU: the {os.cpu_count()} cores' busy share during the round (the wikis' PHP, "
                       "PostgreSQL, Redis and the workers share them); workers CPU s: the worker processes' own",
                       *(["workers on the real clock: the period is long over, so the second round has "
                          "nothing to fetch at all"] if args.real_clock else
                         [f"workers' clock set back to {params.as_of:%Y-%m-%d %H:%M}Z (mid-way through the "
                          "courses' last day) as they start, so the courses are running; the second round, "
                          "scheduled at once, re-reads only each course's ingestion-point window"])])]

    rows = []
    for rnd_i, rname in enumerate(ROUNDS):
        rnd = base.rounds[rnd_i]
        revs = [r["revisions"] for r in rnd.runs]
        rows.append([rname, *stats_cells(rnd.requests), sum(rnd.requests), *stats_cells(revs), sum(revs)])
    out += ["", table(f"REQUESTS PER COURSE UPDATE (update_runs.requests, the {base.workers}-worker run; "
                      "the other runs: their totals below)",
                      ["round", "mean", "min", "max", "total", "revisions mean", "min", "max", "total"], rows)]
    out.append("  total requests of each run's rounds: " + "; ".join(
        f"{r.workers} worker{'s' if r.workers > 1 else ''}{' proxied' if r.proxied else ''} "
        + " + ".join(str(sum(x.requests)) for x in r.rounds) for r in runs))
    out.append("  revisions: ingested by the update; a re-read ingestion-point window counts its revisions again")

    if proxied:
        rows = []
        for n, r in proxied.items():
            for rnd in r.rounds:
                rows.append([n, rnd.name, f"{rnd.seconds:.1f}", f"{rnd.per_minute:.1f}",
                             " / ".join(str(rnd.proxy_requests[d]) for d in sorted(rnd.proxy_requests)),
                             " / ".join(str(rnd.max_in_flight[d]) for d in sorted(rnd.max_in_flight)),
                             " / ".join(f"{rnd.busy[d]:.1f} ({100 * rnd.busy[d] / rnd.seconds:.0f} %)"
                                        for d in sorted(rnd.busy)),
                             f"{60 * len(rnd.runs) / max(rnd.busy.values()):.1f}" if max(rnd.busy.values()) else ""])
        doms = " / ".join(sorted(live.wikis))
        out += ["", table("WIKI CONCURRENCY (the same runs through a counting proxy before each wiki)",
                          ["workers", "round", "seconds", "courses/min", f"requests {doms}",
                           f"max in flight {doms}",
                           f"busy s (share of round) {doms}", "ceiling courses/min"], rows,
                          ["max in flight: requests a wiki held at once, across all workers: the gate "
                           "(a Redis lock per wiki) makes it 1",
                           "busy: time the wiki held a request; ceiling: courses / the busier wiki's busy time, "
                           "the rate if that wiki never waited (fetching is serial per wiki)",
                           "the proxy adds a Python hop per request, so these runs are slower than the ones above"])]

    for label, res in (("offline: DumpSource on the exports, SQLite, processing only, median of "
                        f"{args.repeat}", offline),
                       ("real wikis: SQLite, one process, fetch included, once", live_growth)):
        if not res:
            continue
        rows = []
        by_students, by_days = res[:len(sizes)], res[len(sizes):]
        for sel in (by_students, by_days):
            ref = sel[0]
            for g in sel:
                rows.append([f"{g.label}", f"{g.first_seconds:.2f}", g.first_requests, f"{g.first_revisions:,}",
                             f"{g.seconds:.3f}" + (f" ({g.spread[0]:.3f}-{g.spread[1]:.3f})" if g.spread else ""),
                             f"{g.seconds / ref.seconds:.2f}x", g.requests, g.revisions])
            rows.append(["", "", "", "", "", "", "", ""])
        rows.pop()
        notes = ["incremental: as of 6 h after the first update (mid-way through the course's last day), "
                 "both within the period: new edits, plus the re-read ingestion-point window"]
        if res is offline:
            notes.append("offline sources send no requests: see the real-wikis table for them")
        out += ["", table(f"INCREMENTAL UPDATE COST VS COURSE SIZE ({label})",
                          ["course", "first s", "first req.", "first revisions", "incremental s", "x smallest",
                           "incr. req.", "incr. revisions"], rows, notes)]

    if base and any(r.status_excerpt for r in runs):
        r = next(r for r in runs if r.status_excerpt)
        out += ["", f"`wikicourse status` on the {r.workers}-worker database ({n_courses} courses, "
                    f"{2 * n_courses} runs): {r.status_seconds:.2f} s; its first lines:",
                *[f"  {line}" for line in r.status_excerpt.splitlines()]]
    out.append(f"\ntotal runtime {time.perf_counter() - T_START:.0f} s (MediaWiki setup {live.setup_seconds:.0f} s"
               + (", imported now)" if live.imported_now else ", from cache)"))
    print("\n".join(out), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
