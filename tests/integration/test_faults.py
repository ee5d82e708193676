"""The update cycle's faults and retries (docs/update-cycle.md), on real MediaWikis behind
fault-injecting proxies: a wiki that fails, one that throttles and lags, and an update
process killed mid-ingest."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from support import oracle
from support.faults import PASS, hang, maxlag, status
from twowikis import (
    DOMAINS,
    USERS,
    Course,
    Proxy,
    assert_up_to_date,
    at,
    day_start,
    free_port,
    iso,
    usercontribs,
    users_of,
)
from wikicourse.db import open_db
from wikicourse.errors import InvalidInput
from wikicourse.models import UpdateRun
from wikicourse.models.tables import ingestion_coverage, contribution_reads, users
from wikicourse.wikis import wikis as wiki_table
from wikicourse.wiki import MediaWikiSource

ONE, TWO = DOMAINS
T1 = "2024-03-11T13:17:00Z"
T2 = "2024-03-17T08:05:30Z"
PERIOD_START, HORIZON = at("2024-03-04T00:00:00Z"), at("2024-03-24T00:00:00Z")  # of the default course
update_runs = UpdateRun.__table__


def impatient(url: str) -> MediaWikiSource:
    """A client that gives up on a wiki after two attempts, without waiting between them."""
    return MediaWikiSource(url, max_attempts=2, sleep=lambda seconds: None)


def run_statuses(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(update_runs.c.status).order_by(update_runs.c.id)))


def test_a_wiki_answering_503_leaves_its_windows_marked_and_the_next_update_catches_up(
    new_db, proxies, facts, wiki_urls, tmp_path
):
    engine = new_db()
    course = Course.create(
        engine, {ONE: wiki_urls[ONE], TWO: proxies[TWO].api_url}, students=USERS[:8], instructors=[USERS[11]]
    )
    assert course.update(T1).status == "done"

    proxies[TWO].schedule([], then=status(503))
    report = course.update(T2, source_factory=impatient)
    assert report.status == "partial"
    # Its log could not be read either: both are said, and both are done next time.
    assert len(report.errors) == 2 and all("503" in e for e in report.errors), report.errors
    assert report.errors[0].startswith(f"{TWO}: log not read: ") and report.errors[1].startswith(TWO), report.errors
    assert run_statuses(engine) == ["done", "partial"]
    doc = course.stats()
    # The database holds wiki one up to T2 and wiki two up to T1: nothing lost, nothing half-written.
    held = {ONE: facts[ONE], TWO: [f for f in facts[TWO] if f.timestamp < at(T1)]}
    assert oracle.comparable(doc) == course.expected(held, T2)
    # Marked: the windows of wiki two from the one T1 fell in up to T2; never a later one.
    marked = [(t["wiki"], t["start"]) for t in doc["timeslices"] if t["needs_update"]]
    assert marked == [(TWO, iso(s)) for s in course.window_starts() if s + timedelta(days=1) > at(T1) and s < at(T2)]
    assert doc["course"]["pending_timeslices"] == len(marked)

    proxies[TWO].schedule([])  # the wiki is back
    report = course.update(T2, source_factory=impatient)
    assert (report.status, report.errors) == ("done", [])
    assert run_statuses(engine) == ["done", "partial", "done"]
    assert_up_to_date(course, facts, T2, tmp_path, wiki_urls)


def test_a_wiki_failing_midway_through_its_pages_keeps_every_unmarked_window_final(
    new_db, wikis, facts, wiki_urls, tmp_path
):
    """usercontribs in pages of 10: the update checkpoints page by page, then the wiki fails."""
    with Proxy(wikis[TWO].upstream, free_port(), uclimit=10) as paging:
        course = Course.create(
            new_db(), {ONE: wiki_urls[ONE], TWO: paging.api_url}, students=USERS[:11], instructors=[USERS[11]]
        )
        paging.schedule([PASS] * 8, then=status(503))
        report = course.update(T2, source_factory=impatient)
        assert report.status == "partial"
        assert paging.request_count > 8
        doc = course.stats()
        final = {(t["wiki"], t["start"]): t for t in oracle.comparable(course.expected(facts, T2))["timeslices"]}
        marked = [t for t in doc["timeslices"] if t["needs_update"]]
        assert marked and all(t["wiki"] == TWO and at(t["start"]) < at(T2) for t in marked)
        for t in oracle.comparable(doc)["timeslices"]:
            if not any(m["wiki"] == t["wiki"] and m["start"] == t["start"] for m in marked):
                assert t == final[(t["wiki"], t["start"])], "an unmarked window is not final"

        paging.schedule([])
        assert course.update(T2, source_factory=impatient).status == "done"
        assert_up_to_date(course, facts, T2, tmp_path, wiki_urls)


class Sleeps(list):
    """An injected sleep that writes the waits down (from both fetch threads)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_429_maxlag_and_hangs_on_a_schedule_only_slow_the_update_down(
    new_db, proxies, proxy_urls, facts, wiki_urls, tmp_path
):
    course = Course.create(new_db(), proxy_urls, students=USERS[:11], instructors=[USERS[11]])
    sleeps = Sleeps()
    schedules = {
        ONE: [
            status(429, retry_after="7"),
            PASS,
            maxlag(lag=3, retry_after="2"),
            PASS,
            hang(3),
            PASS,
            status(503),
            status(502),
            PASS,
        ],
        TWO: [maxlag(lag=4, retry_after=None), PASS, hang(3), status(429, retry_after="1"), PASS, PASS, status(500)],
    }
    for domain, schedule in schedules.items():
        proxies[domain].schedule(schedule)
    as_of = "2024-03-30T00:00:00Z"
    report = course.update(as_of, source_factory=lambda url: MediaWikiSource(url, timeout=1.0, sleep=sleeps))
    assert (report.status, report.errors) == ("done", [])
    assert all(proxies[d].request_count >= len(s) for d, s in schedules.items()), "a fault was never served"
    # Every wait the wikis asked for was honoured; every retry is counted as a request.
    assert {7.0, 2.0, 4.0, 1.0} <= set(sleeps)
    assert len(sleeps) == sum(f is not PASS for s in schedules.values() for f in s)
    assert report.requests == sum(p.request_count for p in proxies.values())
    assert all("maxlag=5" in path for p in proxies.values() for path in p.requests)
    for p in proxies.values():
        p.schedule([])
    assert_up_to_date(course, facts, as_of, tmp_path, wiki_urls)


def wikicourse_command() -> list[str]:
    script = Path(sys.executable).with_name("wikicourse")  # .venv/bin/wikicourse
    assert script.exists(), f"{script} is missing: `make install` puts it there"
    return [str(script)]


def kill_mid_ingest(engine, command: list[str], proxies: dict[str, Proxy]) -> dict[tuple[str, str], datetime]:
    """Run `command` (an update) with every answer of the wikis late, SIGKILL it once a few
    checkpoints are in, and return what the store held of each student then:
    (username, domain) -> how far from the period's start their contributions were read."""

    def checkpointed() -> bool:
        """A few checkpoints are in, one of them inside a student's range (per user, per page)."""
        with engine.connect() as conn:
            advanced = conn.scalar(
                select(func.count()).select_from(contribution_reads).where(contribution_reads.c.end > PERIOD_START)
            )
            halfway = conn.scalar(
                select(func.count())
                .select_from(contribution_reads)
                .where(contribution_reads.c.end > PERIOD_START, contribution_reads.c.end < HORIZON)
            )
        return advanced >= 3 and halfway >= 1

    for p in proxies.values():
        p.schedule([], then=hang(0.15))  # every answer late: the ingestion takes seconds
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not checkpointed():
            assert process.poll() is None, f"the update ended before it could be killed: {process.communicate()}"
            assert time.monotonic() < deadline, "no checkpoint within 60 s"
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.communicate()
    assert process.returncode == -signal.SIGKILL
    for p in proxies.values():
        p.settle()  # the killed process's last request may still be on its way
        p.schedule([])  # full speed again
    with engine.connect() as conn:
        held = {
            (name, domain): end
            for name, domain, end in conn.execute(
                select(users.c.username, wiki_table.c.domain, contribution_reads.c.end)
                .join(users, users.c.id == contribution_reads.c.user_id)
                .join(wiki_table, wiki_table.c.id == contribution_reads.c.wiki_id)
                .where(contribution_reads.c.start == PERIOD_START)
            )
        }
        # Nothing counts until the update's last step: the course itself holds nothing yet.
        assert not conn.scalar(
            select(func.count())
            .select_from(ingestion_coverage)
            .where(ingestion_coverage.c.ingested_until > PERIOD_START)
        )
        everyone = conn.execute(
            select(users.c.username, wiki_table.c.domain)
            .join(ingestion_coverage, ingestion_coverage.c.user_id == users.c.id)
            .join(wiki_table, wiki_table.c.id == ingestion_coverage.c.wiki_id)
        ).all()
    return {key: held.get(key, PERIOD_START) for key in map(tuple, everyone)}


@pytest.mark.parametrize("roster_change", [False, True], ids=["same-roster", "roster-changed-meanwhile"])
def test_an_update_killed_mid_ingest_resumes_where_it_stopped_and_counts_nothing_twice(
    slow_proxies, facts, wiki_urls, tmp_path, roster_change
):
    """`wikicourse update` killed (SIGKILL) after some checkpoints; then the update runs again
    (with, in one variant, a half-ingested student dis-enrolled and a new one enrolled first)."""
    as_of = "2024-03-30T00:00:00Z"
    url = f"sqlite:///{tmp_path / 'crash.sqlite'}"
    engine = open_db(url)
    try:
        course = Course.create(
            engine, {d: p.api_url for d, p in slow_proxies.items()}, students=USERS[:10], instructors=[USERS[11]]
        )
        command = wikicourse_command() + ["--db", url, "update", course.slug, "--as-of", as_of]
        points = kill_mid_ingest(engine, command, slow_proxies)
        assert run_statuses(engine) == ["running"]  # it never finished
        # Killed mid-ingest: some students' data is in the store, not all of it, and at least
        # one student's checkpoint lies inside their range: per user, per page of the answer.
        assert any(t < HORIZON for t in points.values()), points
        assert all(PERIOD_START <= t <= HORIZON for t in points.values()), points
        halfway = sorted(key for key, t in points.items() if PERIOD_START < t < HORIZON)
        assert halfway, points

        gone, newcomer = None, USERS[10]
        if roster_change:
            gone = halfway[0][0]
            course.disenroll([gone])
            course.enroll([newcomer])
        for p in slow_proxies.values():
            p.schedule([])
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert run_statuses(engine) == ["interrupted", "done"]  # the next run says what became of it
        # Resumed: each student is asked for from their own checkpoint on (students whose
        # checkpoints fall on the same day share a request, from the earliest), nobody whose
        # data was all in is asked for again, a removed student never, a new one from the start.
        for domain, p in slow_proxies.items():
            asked = [(c["ucstart"], users_of(c, p)) for c in usercontribs(p)]
            assert asked, domain
            for start, names in asked:
                for name in names:
                    assert name != gone, f"{gone} was dis-enrolled but asked for"
                    since = PERIOD_START if name == newcomer else points[(name, domain)]
                    assert since < HORIZON, f"{name} was read in full, but asked for again"
                    assert day_start(since) <= at(start) <= since, (domain, name, start, since)
        assert [p.max_in_flight for p in slow_proxies.values()] == [1, 1], "requests to one wiki overlapped"
        assert_up_to_date(course, facts, as_of, tmp_path, wiki_urls)
    finally:
        engine.dispose()


def test_an_update_as_of_a_time_before_what_a_killed_update_ingested_is_refused_or_shows_that_time(
    slow_proxies, facts, wiki_urls, tmp_path
):
    """A killed update never sets the course's last update time, but its checkpoints hold
    data up to its as-of. An update as of an earlier time must not count that data."""
    url = f"sqlite:///{tmp_path / 'crash.sqlite'}"
    engine = open_db(url)
    try:
        course = Course.create(
            engine, {d: p.api_url for d, p in slow_proxies.items()}, students=USERS[:10], instructors=[USERS[11]]
        )
        command = wikicourse_command() + ["--db", url, "update", course.slug, "--as-of", "2024-03-30T00:00:00Z"]
        points = kill_mid_ingest(engine, command, slow_proxies)
        earlier = "2024-03-08T12:00:00Z"
        assert any(t > at(earlier) for t in points.values()), points
        try:
            report = course.update(earlier)
        except InvalidInput:
            return
        assert report.status == "done"
        assert_up_to_date(course, facts, earlier, tmp_path, wiki_urls)
    finally:
        engine.dispose()
