"""Workers (issue 4) on real MediaWikis, Redis and PostgreSQL: twenty courses updated by two
`wikicourse worker` processes, one of them killed (SIGKILL) mid-update; afterwards every
course's statistics equal a --full rebuild's, and no wiki ever had two requests at once.
Then a wiki that fails beyond the retry budget: the windows it left stay pending and a
later scheduled update completes them."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from support.course import comparable
from support.faults import PASS, hang, maxlag, status
from twowikis import DOMAINS, QUIET, USERS, Course, differences, rebuild
from wikicourse.db import open_db
from wikicourse.models import UpdateRun
from wikicourse.update.runs import recent_runs
from wikicourse.workers.requests import update_requests

update_runs = UpdateRun.__table__
COURSES = 20
WORKER_ENV = {"WIKICOURSE_BROKER_HEARTBEAT_MS": "2000",  # a killed worker's message back in ~2 s
              "WIKICOURSE_BROKER_MAINTENANCE": "1000000"}  # ... found by the next broker command


def wikicourse(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("wikicourse")), *args]


class Workers:
    def __init__(self, db: str, redis_url: str, logdir: Path):
        self.db, self.redis_url, self.logdir = db, redis_url, logdir
        self.processes: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        log = open(self.logdir / f"worker-{len(self.processes)}.log", "w")
        process = subprocess.Popen(wikicourse("--db", self.db, "worker", "--redis", self.redis_url),
                                   stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **WORKER_ENV})
        self.processes.append(process)
        return process

    def logs(self) -> str:
        return "\n".join(f.read_text()[-3000:] for f in sorted(self.logdir.glob("worker-*.log")))

    def stop(self) -> None:
        for p in self.processes:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.processes:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()


@pytest.fixture
def workers(pg_url, redis_url, tmp_path):
    w = Workers(pg_url, redis_url, tmp_path)
    yield w
    w.stop()


def schedule(db: str, redis_url: str, slugs: list[str]) -> str:
    done = subprocess.run(wikicourse("--db", db, "schedule", "--redis", redis_url, *slugs),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def latest_statuses(engine, slugs: list[str]) -> dict[str, str]:
    return {s: (recent_runs(engine, s, 1) or [{"status": None}])[0]["status"] for s in slugs}


def wait_until(predicate, timeout: float, what: str, describe=lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}: {describe()}"
        time.sleep(0.1)


def all_settled(engine, slugs: list[str], want: str = "done"):
    def check() -> bool:
        with engine.connect() as conn:
            queued = conn.scalar(select(update_requests.c.course_id).where(update_requests.c.queued_at.isnot(None))
                                 .limit(1))
        return queued is None and all(s == want for s in latest_statuses(engine, slugs).values())
    return check


def make_courses(engine, urls: dict[str, str], n: int) -> list[Course]:
    """n courses of 3 editing students each (rotating through USERS) and a few quiet ones."""
    out = []
    for i in range(n):
        students = [USERS[(i + k) % len(USERS)] for k in range(3)] + QUIET[i % 7: i % 7 + 2]
        out.append(Course.create(engine, urls, students=students, slug=f"w{i + 1:02d}"))
    return out


def test_two_workers_one_killed_mid_update_lose_nothing(slow_proxies, wiki_urls, pg_url, redis_url, workers,
                                                         tmp_path):
    engine = open_db(pg_url)
    try:
        courses = make_courses(engine, {d: p.api_url for d, p in slow_proxies.items()}, COURSES)
        slugs = [c.slug for c in courses]
        for p in slow_proxies.values():
            p.schedule([], then=hang(0.02))  # every answer a little late: updates take seconds
        victim = workers.start()
        workers.start()
        out = schedule(pg_url, redis_url, slugs)
        assert out.count("queued on short") == COURSES
        # Asked again at once: a course still waiting is coalesced; one a worker has taken meanwhile
        # is queued anew (its update may have begun before the request).
        again = schedule(pg_url, redis_url, slugs)
        assert again.count("already queued (coalesced)") >= COURSES - 4, again

        def victim_fetching() -> bool:
            with engine.connect() as conn:
                return conn.scalar(select(update_runs.c.id).where(
                    update_runs.c.status == "running", update_runs.c.step == "fetching",
                    update_runs.c.holder.contains(f":{victim.pid}:"))) is not None

        wait_until(victim_fetching, 60, "the first worker to be mid-update")
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(10)
        wait_until(all_settled(engine, slugs), 240, "every course to be updated",
                   lambda: f"{latest_statuses(engine, slugs)}\n{workers.logs()}")

        with engine.connect() as conn:
            interrupted = conn.execute(select(update_runs.c.holder).where(
                update_runs.c.status == "interrupted")).scalars().all()
        assert interrupted and all(f":{victim.pid}:" in h for h in interrupted)
        for p in slow_proxies.values():
            assert p.max_in_flight == 1, f"{p.api_url}: requests to one wiki overlapped across workers"
            p.schedule([])
        for course in courses:
            got = comparable(course.stats())
            want = rebuild(course, got["course"]["last_update"], tmp_path, wiki_urls)
            assert got == want, f"{course.slug}:\n{differences(got, want)}"
    finally:
        engine.dispose()


def test_a_wiki_failing_beyond_the_budget_leaves_windows_pending_for_a_later_update(
        slow_proxies, wiki_urls, pg_url, redis_url, workers, tmp_path):
    one, two = DOMAINS
    engine = open_db(pg_url)
    try:
        courses = make_courses(engine, {d: p.api_url for d, p in slow_proxies.items()}, 4)
        slugs = [c.slug for c in courses]
        # Wiki one: throttles (429 + Retry-After), lags (maxlag), errs (503): within the budget.
        # Wiki two: answers 503 to everything for a while (asking for no wait, to keep the test
        # short): past every retry, those fetches fail.
        slow_proxies[one].schedule([status(429, retry_after="1"), PASS, maxlag(retry_after="1"), PASS,
                                    status(503), PASS, status(502)])
        slow_proxies[two].schedule([], then=status(503, retry_after="0"))
        workers.start()
        schedule(pg_url, redis_url, slugs)
        wait_until(all_settled(engine, slugs, want="partial"), 300, "the updates to end partial",
                   lambda: f"{latest_statuses(engine, slugs)}\n{workers.logs()}")
        assert len(slow_proxies[one].requests) > 7  # the faults were all met, and overcome
        for course in courses:
            doc = course.stats()
            assert doc["course"]["pending_timeslices"] > 0
            pending = {t["wiki"] for t in doc["timeslices"] if t["needs_update"]}
            assert pending == {two}, pending
        # The wiki is back: the next scheduled round completes the pending windows.
        slow_proxies[two].schedule([])
        schedule(pg_url, redis_url, slugs)
        wait_until(all_settled(engine, slugs), 120, "the updates to complete")
        for course in courses:
            got = comparable(course.stats())
            assert got["course"]["pending_timeslices"] == 0
            want = rebuild(course, got["course"]["last_update"], tmp_path, wiki_urls)
            assert got == want, f"{course.slug}:\n{differences(got, want)}"
    finally:
        engine.dispose()
