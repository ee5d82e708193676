"""wikicourse benchmark of shared ingestion and update rounds (docs/shared-ingestion.md): the requests the
workers send per round, with rounds (`worker --round-age 300`) and one course at a time
(`--round-age 0`), for courses whose rosters overlap.

    .venv/bin/python benchmarks/rounds.py          # the whole benchmark (about 13 min, wikis cached)
    .venv/bin/python benchmarks/rounds.py --quick  # a smoke run (the 50-student dataset)

20 courses of 20 students (default), both wikis, the dataset's period, with rosters
overlapping by half: course i has students pool[10 i : 10 i + 20] of the dataset's shuffled
students (210 distinct students; all but the first and last 10 are in 2 courses). Each
configuration runs in a fresh PostgreSQL database, with 2 `wikicourse worker` processes
(1 thread each, --wiki-interval 0) on a throwaway Redis and a proxy before each wiki that
counts the requests by kind (benchmarks/workers.py's machinery):

- shared rounds: `worker --round-age 300` (the default): the first course update on a wiki
  reads every student of every followed course, 50 per request; the others count as of it;
- one course at a time: `worker --round-age 0`: each course update reads its own students
  (today's way before rounds; still through the shared store).

Rounds (each `wikicourse schedule` of every course, until each has a finished run):
1. the first update of every course (everything fetched), the workers' clock set back to
   the dataset's as-of (mid-way through the courses' last day);
2. again at once (nothing new);
3. the workers restarted with their clock 6 hours on (still within the period): new edits.

Afterwards every course's figures (`stats --json`) must equal a `--full` rebuild of that
course as of its last_update, built in a fresh SQLite database against the same wikis, and
every run's as-of must lie within the round age before its round's start (the benchmark
exits non-zero otherwise). Configurations alternate over the repeats; figures are medians.
"""
from __future__ import annotations

import argparse
import gzip
import json
import random
import shutil
import statistics
import tempfile
import threading
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import workers  # noqa: E402 - first: puts benchmarks/ and tests/ on sys.path

import livewikis  # noqa: E402
import redis  # noqa: E402
from dataset import DEFAULT_CACHE, Params, exports as make_exports  # noqa: E402
from run import machine_info, table  # noqa: E402
from scenario import _comparable  # noqa: E402
from sqlalchemy import select  # noqa: E402
from support.faults import PASS, CountingProxy  # noqa: E402
from support.ports import free_port  # noqa: E402
from wikicourse import courses  # noqa: E402
from wikicourse.db import open_db  # noqa: E402
from wikicourse.wikis import open_source  # noqa: E402
from wikicourse.stats import course_stats  # noqa: E402
from wikicourse.models.tables import courses as courses_table  # noqa: E402
from wikicourse.update.cycle import update_course  # noqa: E402
from wikicourse.wikis import add_wiki  # noqa: E402
from workers import log, run_round, start_workers, stop_workers  # noqa: E402

UTC = timezone.utc
ROUNDS = ("1. first update (everything fetched)", "2. again at once (nothing new)",
          "3. 6 hours later (new edits)")
KINDS = ("usercontribs", "contents", "log", "users", "page history", "other")


# -- requests by kind -----------------------------------------------------------------------


def request_kind(path: str, body: bytes | None) -> str:
    """What an Action API request asks for, from its query string and (POST) form."""
    q = parse_qs(urlsplit(path).query)
    if body:
        q.update(parse_qs(body.decode("utf-8", "replace")))
    lists = set("|".join(q.get("list", [])).split("|"))
    props = set("|".join(q.get("prop", [])).split("|"))
    if "usercontribs" in lists:  # list=usercontribs or list=usercontribs|users
        return "usercontribs"
    if "revisions" in props:
        return "contents" if "revids" in q else "page history"
    if "logevents" in lists:
        return "log"
    if "users" in lists:
        return "users"
    return "other"


def contributions_in(headers, payload: bytes) -> int:
    """The edits a usercontribs answer lists."""
    encoding = (headers.get("Content-Encoding") or "").lower()
    if encoding == "gzip":
        payload = gzip.decompress(payload)
    elif encoding == "deflate":
        payload = zlib.decompress(payload)
    try:
        return len(json.loads(payload).get("query", {}).get("usercontribs", []))
    except ValueError:
        return 0


class KindProxy(CountingProxy):
    """A CountingProxy that also counts the requests it receives by kind (request_kind), and
    the contributions its usercontribs answers list (`contributions`)."""

    def __init__(self, upstream: str, port: int) -> None:
        self.kinds: Counter = Counter()
        self.contributions = 0
        self._kinds_lock = threading.Lock()
        super().__init__(upstream, port)

    def schedule(self, faults, then=PASS) -> None:
        super().schedule(faults, then)
        with self._kinds_lock:
            self.kinds = Counter()
            self.contributions = 0

    def _handler(self):
        base = super()._handler()
        proxy = self

        class Handler(base):
            kind = "other"

            def _serve(self, body: bytes | None) -> None:
                self.kind = request_kind(self.path, body)
                with proxy._kinds_lock:
                    proxy.kinds[self.kind] += 1
                base._serve(self, body)

            def _upstream(self, body: bytes | None):  # FaultProxy's, reading the answer on the way
                code, headers, payload = base._upstream(self, body)
                if self.kind == "usercontribs" and code == 200:
                    found = contributions_in(headers, payload)
                    with proxy._kinds_lock:
                        proxy.contributions += found
                return code, headers, payload

        return Handler


# -- one configuration ------------------------------------------------------------------------


@dataclass
class RoundResult:
    name: str
    seconds: float
    kinds: dict[str, int]  # proxied requests by kind, both wikis
    proxy_requests: int
    run_requests: int  # the sum of update_runs.requests
    contributions: int  # edits the usercontribs answers listed (the proxies)
    revisions: int  # the sum of update_runs.revisions (a round's reads are in no run's: see the notes)
    statuses: dict[str, int]
    warnings: int
    as_of: list[datetime]  # the runs' as-of times (the workers' clock)
    start: datetime  # the round's start and end on the workers' clock
    end: datetime

    def figure(self, name: str) -> float:
        return {"usercontribs requests": self.kinds.get("usercontribs", 0),
                "content requests": self.kinds.get("contents", 0),
                "log requests": self.kinds.get("log", 0),
                "requests (proxies)": self.proxy_requests,
                "requests (update_runs)": self.run_requests,
                "contributions read": self.contributions,
                "revisions (update_runs)": self.revisions,
                "seconds": self.seconds}[name]


FIGURES = ("usercontribs requests", "content requests", "log requests", "requests (proxies)",
           "requests (update_runs)", "contributions read", "revisions (update_runs)", "seconds")


@dataclass
class ConfigRun:
    round_age: float | None
    rounds: list[RoundResult] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # correctness checks that failed
    checked: int = 0  # courses compared with a rebuild
    check_seconds: float = 0.0
    check_requests: int = 0


def config_label(age: float | None) -> str:
    return "no --round-age" if age is None else f"--round-age {age:g}"


def run_config(age: float | None, params: Params, groups: list[list[str]], api_urls: dict[str, str], rurl: str,
               pg_base: str, n_workers: int, timeout: float, check: bool) -> ConfigRun:
    from support.postgres import drop_database, fresh_database

    taken: set[int] = set()
    proxies = {d: KindProxy(u.removesuffix("/api.php"), free_port(8500, 8599, taken)) for d, u in api_urls.items()}
    db = fresh_database(pg_base)
    engine = open_db(db)
    logdir = Path(tempfile.mkdtemp(prefix="wikicourse-bench-rounds-"))
    procs: list = []
    out = ConfigRun(age)
    extra = [] if age is None else ["--round-age", f"{age:g}"]
    try:
        for d, p in proxies.items():
            add_wiki(engine, d, p.api_url)
        slugs = []
        for i, students in enumerate(groups):
            slug = f"rc-{i + 1:02d}"
            courses.create_course(engine, slug, title=f"Rounds course {i + 1}", start=params.start, end=params.end,
                                  wikis=list(api_urls))
            courses.enroll(engine, slug, students)
            slugs.append(slug)
        redis.Redis.from_url(rurl).flushdb()  # our own database of the throwaway Redis
        for rnd_i, (name, clock) in enumerate(zip(ROUNDS, (params.as_of, None, params.later_as_of))):
            if clock is not None:  # (re)start the workers, their clock reading `clock` as they start
                stop_workers(procs)
                back = (datetime.now(UTC) - clock).total_seconds()
                procs = start_workers(n_workers, db, rurl, logdir, back, extra, prefix=f"worker-r{rnd_i + 1}")
            start = datetime.now(UTC) - timedelta(seconds=back)
            rnd = run_round(name, engine, db, rurl, slugs, procs, logdir, timeout, proxies)
            end = datetime.now(UTC) - timedelta(seconds=back)
            kinds: Counter = Counter()
            for p in proxies.values():
                kinds.update(p.kinds)
            res = RoundResult(name, rnd.seconds, dict(kinds), sum(rnd.proxy_requests.values()), sum(rnd.requests),
                              sum(p.contributions for p in proxies.values()), sum(r["revisions"] for r in rnd.runs),
                              rnd.statuses, rnd.warnings,
                              [r["as_of"] for r in rnd.runs], start, end)
            out.rounds.append(res)
            log(f"  {config_label(age):<16} {name:<38} {res.seconds:6.1f} s  "
                f"{res.proxy_requests:4d} requests ({', '.join(f'{k} {kinds[k]}' for k in KINDS if kinds[k])})"
                f"  update_runs {res.run_requests}  {res.contributions:6d} contributions read  "
                f"update_runs.revisions {res.revisions:6d}  {res.statuses}"
                + (f"  {res.warnings} warnings logged" if res.warnings else ""))
            out.failures += check_as_of(res, age)
        stop_workers(procs)
        procs = []
        out.failures += check_last_update(engine, slugs, out.rounds[-1])
        if check:
            t = time.perf_counter()
            out.checked, out.check_requests, failed = check_rebuilds(engine, params, slugs, groups, api_urls)
            out.failures += failed
            out.check_seconds = time.perf_counter() - t
            log(f"  {config_label(age):<16} {out.checked} courses compared with a --full rebuild in "
                f"{out.check_seconds:.0f} s ({out.check_requests} requests): "
                + ("all equal" if not failed else f"{len(failed)} differ"))
        for f in out.failures:
            log(f"  CHECK FAILED: {f}")
        return out
    finally:
        stop_workers(procs)
        engine.dispose()
        drop_database(db)
        shutil.rmtree(logdir, ignore_errors=True)
        for p in proxies.values():
            p.close()


# -- correctness --------------------------------------------------------------------------------

SLACK = timedelta(seconds=2)  # a round's as-of is its claim's second, less one (rounds._read_round)


def check_as_of(res: RoundResult, age: float | None) -> list[str]:
    """Every run counts as of a time within the round age before the round's start (a round
    read then or during this round), never after the round's end."""
    lo, hi = res.start - timedelta(seconds=age or 0) - SLACK, res.end
    bad = [a for a in res.as_of if a is None or not lo <= a <= hi]
    return [f"{config_label(age)}, {res.name}: {len(bad)} runs count as of a time outside "
            f"[{lo:%H:%M:%S}, {hi:%H:%M:%S}] (workers' clock): {sorted(map(str, bad))[:3]}"] if bad else []


def check_last_update(engine, slugs: list[str], last: RoundResult) -> list[str]:
    """Each course's last_update is within the last round's bounds (check_as_of's)."""
    with engine.connect() as conn:
        found = dict(conn.execute(select(courses_table.c.slug, courses_table.c.last_update)
                                  .where(courses_table.c.slug.in_(slugs))).all())
    runs_as_of = {a.replace(microsecond=0) for a in last.as_of if a is not None}
    bad = [s for s in slugs if found.get(s) is None or found[s].replace(microsecond=0) not in runs_as_of]
    return [f"last round: {len(bad)} courses' last_update is none of the round's runs' as-of: {bad[:5]}"] if bad else []


def check_rebuilds(engine, params: Params, slugs: list[str], groups: list[list[str]],
                   api_urls: dict[str, str]) -> tuple[int, int, list[str]]:
    """Each course's stats document against a --full rebuild as of its last_update, in a fresh
    SQLite database against the wikis themselves (no proxy)."""
    failures, requests = [], 0
    with engine.connect() as conn:
        last = dict(conn.execute(select(courses_table.c.slug, courses_table.c.last_update)
                                 .where(courses_table.c.slug.in_(slugs))).all())
    for slug, students in zip(slugs, groups):
        doc = course_stats(engine, slug)
        with tempfile.TemporaryDirectory(prefix="wikicourse-bench-rebuild-") as tmp:
            copy = open_db(f"sqlite:///{tmp}/r.sqlite")
            try:
                for d, u in api_urls.items():
                    add_wiki(copy, d, u)
                courses.create_course(copy, slug, title=doc["course"]["title"], start=params.start,
                                      end=params.end, wikis=list(api_urls))
                courses.enroll(copy, slug, students)
                full = update_course(copy, slug, full=True, as_of=last[slug], source_factory=open_source)
                requests += full.requests
                rebuilt = course_stats(copy, slug)
            finally:
                copy.dispose()
        if full.status != "done":
            failures.append(f"{slug}: the rebuild's status is {full.status}: {full.errors}")
        elif _comparable(doc) != _comparable(rebuilt):
            failures.append(f"{slug}: stats differ from a --full rebuild as of {last[slug]}: "
                            + describe_difference(_comparable(doc), _comparable(rebuilt)))
    return len(slugs), requests, failures


def describe_difference(a: dict, b: dict) -> str:
    out = []
    for part in a:
        if a[part] == b.get(part):
            continue
        if isinstance(a[part], dict):
            keys = [k for k in a[part] if a[part][k] != b[part].get(k)]
            out.append(f"{part}: " + ", ".join(f"{k} {a[part][k]!r} vs {b[part].get(k)!r}" for k in keys[:5]))
        else:
            out.append(f"{part}: {len(a[part])} vs {len(b[part])} entries, first different: "
                       + next((f"{x!r} vs {y!r}" for x, y in zip(a[part], b[part]) if x != y), "(a longer list)"))
    return "; ".join(out)[:1500]


# -- the report -------------------------------------------------------------------------------


def median_round(runs: list[ConfigRun], rnd_i: int, figure: str) -> float:
    return statistics.median(r.rounds[rnd_i].figure(figure) for r in runs)


def fmt(figure: str, value: float) -> str:
    return f"{value:.1f}" if figure == "seconds" else f"{value:,.0f}"


def ratio(a: float, b: float) -> str:
    if b == 0:
        return "=" if a == 0 else "∞"
    return f"{a / b:.2f}×"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: the 50-student dataset, 8 courses of 10 (overlapping by 5), once")
    ap.add_argument("--courses", type=int)
    ap.add_argument("--students-per-course", type=int, help="even: courses overlap by half")
    ap.add_argument("--repeat", type=int, help="runs of each configuration (median; default 3, --quick 1)")
    ap.add_argument("--round-ages", default="300,0", help="the configurations' --round-age (default 300,0: "
                                                          "shared rounds, one course at a time; 'none' passes "
                                                          "no --round-age: for code from before rounds)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--check-repeats", type=int, help="repeats whose courses are compared with --full rebuilds "
                                                      "(default all)")
    ap.add_argument("--keep-wikis", action="store_true", help="leave the MediaWikis running at the end")
    ap.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--timeout", type=float, default=900, help="seconds a round may take")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)

    params = Params(students=50, revisions_per_wiki=2_500) if args.quick else Params()
    n_courses = args.courses or (8 if args.quick else 20)
    per_course = args.students_per_course or (10 if args.quick else 20)
    repeat = args.repeat or (1 if args.quick else 3)
    check_repeats = repeat if args.check_repeats is None else args.check_repeats
    ages = [None if x == "none" else float(x) for x in args.round_ages.split(",") if x]
    step = per_course // 2

    info = machine_info()
    log("wikicourse update rounds benchmark" + (" (quick)" if args.quick else ""))
    log("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    log(f"wikicourse imported from {Path(courses.__file__).parent}")
    exps = make_exports(params, args.cache_dir)
    students, _ = params.accounts()
    pool = students[:]
    random.Random(params.seed + 4).shuffle(pool)
    distinct = step * (n_courses - 1) + per_course
    if distinct > len(pool):
        raise SystemExit(f"{n_courses} courses x {per_course} students overlapping by {step}: "
                         f"{distinct} students, the dataset has {len(pool)}")
    groups = [sorted(pool[step * i: step * i + per_course]) for i in range(n_courses)]
    seats = Counter(s for g in groups for s in g)
    log(f"dataset: {params.students} students, {len(exps)} wikis, {params.days} days from {params.start}, "
        f"{sum(e.revisions for e in exps.values()):,} revisions; {n_courses} courses of {per_course} students, "
        f"{len(seats)} distinct ({sum(1 for n in seats.values() if n > 1)} in 2 courses)")

    rurl = workers.redis_url()
    from support.postgres import postgres_url

    pg_base = postgres_url()
    with open_db(pg_base, migrate=False).connect() as conn:
        pg_version = conn.exec_driver_sql("SHOW server_version").scalar()
    log(f"redis {rurl}, postgresql {pg_version}")

    live = livewikis.start(params, exps, args.cache_dir, log, run="run-rounds")
    results: dict[float | None, list[ConfigRun]] = {a: [] for a in ages}
    try:
        for url in live.api_urls.values():  # warm up PHP's opcache and the OS page cache
            livewikis.fetch_floor(url, students[:50], params.period_start, params.as_of)
        for rep in range(repeat):
            order = ages if rep % 2 == 0 else ages[::-1]  # alternate: neither always runs first
            for age in order:
                log(f"repeat {rep + 1}/{repeat}, {config_label(age)}")
                results[age].append(run_config(age, params, groups, live.api_urls, rurl, pg_base, args.workers,
                                               args.timeout, check=rep < check_repeats))
    finally:
        if args.keep_wikis:
            log(f"wikis left running: {live.api_urls}")
        else:
            live.down()

    failures = [f for runs in results.values() for r in runs for f in r.failures]
    out = ["", "=" * 100, "RESULTS", "=" * 100]
    out.append("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()) + f", PostgreSQL {pg_version}")
    out.append(f"wikis: {live.mw_version} x {len(live.wikis)} on loopback (PHP built-in server), "
               f"{params.students} students, {params.days} days from {params.start}, "
               f"{', '.join(f'{e.revisions:,}' for e in exps.values())} revisions")
    out.append(f"{n_courses} courses x {per_course} students on both wikis, rosters overlapping by {step} "
               f"({len(seats)} distinct students); {args.workers} workers (1 thread each, --wiki-interval 0); "
               f"a fresh PostgreSQL database per configuration run; {repeat} run(s) of each, medians")

    for age, runs in results.items():
        rows = []
        for rnd_i, name in enumerate(ROUNDS):
            each = [r.rounds[rnd_i] for r in runs]
            statuses = Counter()
            for x in each:
                statuses.update(x.statuses)
            rows.append([name, *(fmt(f, median_round(runs, rnd_i, f)) for f in FIGURES),
                         " / ".join(f"{x.seconds:.1f}" for x in each),
                         ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))])
        out += ["", table(f"{config_label(age)}: per round (medians of {len(runs)})",
                          ["round", "usercontribs", "contents", "log", "requests (proxies)", "(update_runs)",
                           "contributions read", "revisions (update_runs)", "seconds", "each run's s", "statuses (all runs)"], rows)]

    base, shared = (ages[1], ages[0]) if len(ages) == 2 else (None, None)
    md = []
    if base is not None:
        b_runs, s_runs = results[base], results[shared]
        entries = []
        for rnd_i, name in enumerate(ROUNDS):
            for f in FIGURES:
                if f in ("requests (update_runs)", "revisions (update_runs)"):
                    continue  # the proxies' (checked below); a round's reads are in no run's revisions
                s, b = median_round(s_runs, rnd_i, f), median_round(b_runs, rnd_i, f)
                entries.append((s / b if b else (1.0 if s == 0 else float("inf")), name, f, s, b))
        entries.sort(key=lambda e: -e[0])
        zero = [f"{name[:2]} {f}" for _, name, f, s, b in entries if s == b == 0]
        entries = [e for e in entries if not e[3] == e[4] == 0]
        md = [f"| round | figure | shared rounds ({config_label(shared)}) | one course at a time "
              f"({config_label(base)}) | shared / per-course |", "| --- | --- | --- | --- | --- |"]
        md += [f"| {name} | {f} | {fmt(f, s)} | {fmt(f, b)} | {ratio(s, b)} |" for _, name, f, s, b in entries]
        status_line = "; ".join(
            f"{config_label(a)}: " + ", ".join(
                f"round {i + 1} " + "/".join(f"{k} {v}" for k, v in sorted(
                    sum((Counter(r.rounds[i].statuses) for r in runs), Counter()).items()))
                for i in range(len(ROUNDS)))
            for a, runs in results.items())
        md += ["", f"Zero in both (left out): {'; '.join(zero)}." if zero else ""]
        out += ["", "Markdown (least flattering ratio first):", "", *md, "",
                f"courses finished (all runs): {status_line}"]
    out.append("contributions read: the edits the usercontribs answers listed (counted at the proxies); "
               "revisions (update_runs): what the runs record as ingested, which leaves out what a round read "
               "(the round's requests are in the run that read it)")
    mismatched = [(a, i) for a, runs in results.items() for r in runs for i, x in enumerate(r.rounds)
                  if x.proxy_requests != x.run_requests]
    if mismatched:
        out.append(f"note: the proxies counted other than update_runs.requests in {len(mismatched)} rounds")
    checked = sum(r.checked for runs in results.values() for r in runs)
    out.append(f"checks: {checked} course(s) compared with a --full rebuild as of their last_update (fresh SQLite, "
               f"same wikis), every run's as-of within the round age before its round's start: "
               + ("all hold" if not failures else f"{len(failures)} FAILED"))
    out += [f"  FAILED: {f}" for f in failures]
    out.append(f"\ntotal runtime {time.perf_counter() - workers.T_START:.0f} s (MediaWiki setup "
               f"{live.setup_seconds:.0f} s" + (", imported now)" if live.imported_now else ", from cache)"))
    print("\n".join(out), flush=True)
    if args.json:
        args.json.write_text(json.dumps({
            "machine": info, "postgresql": pg_version, "courses": n_courses, "students_per_course": per_course,
            "repeat": repeat, "failures": failures, "markdown": md,
            "runs": {config_label(a): [[{"name": x.name, "seconds": x.seconds, "kinds": x.kinds,
                                  "proxy_requests": x.proxy_requests, "run_requests": x.run_requests,
                                  "contributions": x.contributions, "revisions": x.revisions, "statuses": x.statuses} for x in r.rounds]
                                for r in runs] for a, runs in results.items()}}, indent=1))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
