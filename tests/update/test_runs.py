"""One update per course at a time: the lock held by the running run, and what happens to a dead holder."""
from __future__ import annotations

import socket
import subprocess
import time
from datetime import timedelta

import pytest
from sqlalchemy import insert, select
from sqlalchemy import update as sql_update

from support.course import setup_course, stats, update, utc
from support.exports import write_export
from support.race import at_once
from wikicourse.db import open_db
from wikicourse.workers.status import status as operator_status
from wikicourse.errors import CourseBusy
from wikicourse.models.tables import courses
from wikicourse.clock import now_utc
from wikicourse.errors import InvalidInput
from wikicourse.update.runs import (STALE_AFTER, LockLost, Progress, begin_run, end_run, recent_runs, release_lock,
                                    this_holder, update_runs)

AS_OF = "2024-02-01T00:00:00Z"


@pytest.fixture
def slug(engine, tmp_path):
    export = write_export(tmp_path / "wiki.xml", {("Page", 0): [("2024-01-02T10:00:00Z", "Ann", "Some text")]})
    return setup_course(engine, {"test.wiki": export}, start="2024-01-01", end="2024-01-10", students=["Ann"])


def cid(engine, slug) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(courses.c.id).where(courses.c.slug == slug))


def begin(engine, course_id) -> int:
    now = now_utc()
    return begin_run(engine, course_id, slug="course", full=False, as_of=now, started=now)


def foreign_run(engine, course_id, *, holder: str, heartbeat_age: timedelta) -> int:
    """A run another process left "running"."""
    now = now_utc()
    with engine.begin() as conn:
        return conn.execute(insert(update_runs).values(
            course_id=course_id, full=False, as_of=now, started_at=now - heartbeat_age, status="running",
            holder=holder, heartbeat_at=now - heartbeat_age)).inserted_primary_key[0]


def status(engine, run_id) -> str:
    with engine.connect() as conn:
        return conn.scalar(select(update_runs.c.status).where(update_runs.c.id == run_id))


def test_a_second_update_of_a_course_is_refused_while_one_runs(engine, slug):
    first = begin(engine, cid(engine, slug))
    with pytest.raises(CourseBusy, match=f"run {first}"):
        update(engine, slug, AS_OF)
    assert status(engine, first) == "running"
    assert stats(engine, slug)["course"]["last_update"] is None  # the refused update changed nothing
    end_run(engine, first, status="done")
    update(engine, slug, AS_OF)  # released: the next one runs
    assert stats(engine, slug)["course"]["revision_count"] == 1


def test_a_killed_holder_on_this_host_is_recognised_at_once(engine, slug):
    dead = subprocess.Popen(["true"])
    dead.wait()
    old = foreign_run(engine, cid(engine, slug), holder=f"{socket.gethostname()}:{dead.pid}",
                      heartbeat_age=timedelta(seconds=1))
    report = update(engine, slug, AS_OF)
    assert report.status == "done"
    assert status(engine, old) == "interrupted"


def test_a_holder_elsewhere_counts_as_dead_only_once_its_heartbeat_is_stale(engine, slug):
    course_id = cid(engine, slug)
    live = foreign_run(engine, course_id, holder="other-machine:4242", heartbeat_age=timedelta(minutes=1))
    with pytest.raises(CourseBusy):
        update(engine, slug, AS_OF)
    with engine.begin() as conn:  # that process finishes its run
        conn.execute(sql_update(update_runs).where(update_runs.c.id == live).values(status="done"))
    stale = foreign_run(engine, course_id, holder="other-machine:4242", heartbeat_age=STALE_AFTER * 2)
    update(engine, slug, AS_OF)
    assert status(engine, stale) == "interrupted"


def test_of_concurrent_requests_exactly_one_takes_the_lock(any_url, tmp_path):
    engine = open_db(any_url)
    export = write_export(tmp_path / "wiki.xml", {("Page", 0): [("2024-01-02T10:00:00Z", "Ann", "Text")]})
    slug = setup_course(engine, {"test.wiki": export}, start="2024-01-01", end="2024-01-10")
    outcomes = at_once(any_url, lambda contender: begin(contender, cid(engine, slug)))
    won = [o for o in outcomes if isinstance(o, int)]
    assert len(won) == 1 and sum(isinstance(o, CourseBusy) for o in outcomes) == 7, outcomes
    assert [r["status"] for r in recent_runs(engine, slug)] == ["running"]
    engine.dispose()


def test_a_run_ends_with_its_outcome_and_no_step(engine, slug):
    run = begin(engine, cid(engine, slug))
    Progress(engine, run).close()
    end_run(engine, run, status="done", revisions=10)
    (row,) = recent_runs(engine, slug, 1)
    assert (row["step"], row["status"], row["revisions"]) == (None, "done", 10) and row["finished_at"] is not None


def test_a_finished_update_records_its_steps_outcome(engine, slug):
    update(engine, slug, AS_OF)
    (row,) = recent_runs(engine, slug, 1)
    assert row["status"] == "done" and row["revisions"] == 1 and row["done"] == row["total"] == 1
    assert row["as_of"] == utc(AS_OF)


@pytest.fixture
def live_pid():
    """The pid of a live process on this host: what a dead holder's pid, given to another process, looks like."""
    sleeper = subprocess.Popen(["sleep", "600"])
    yield sleeper.pid
    sleeper.kill()
    sleeper.wait()


def test_a_live_pid_on_this_host_with_a_fresh_heartbeat_keeps_the_lock(engine, slug, live_pid):
    held = foreign_run(engine, cid(engine, slug), holder=f"{socket.gethostname()}:{live_pid}:its-incarnation",
                       heartbeat_age=timedelta(minutes=1))
    with pytest.raises(CourseBusy):
        update(engine, slug, AS_OF)
    assert status(engine, held) == "running" and recent_runs(engine, slug, 1)[0]["status"] == "running"


@pytest.mark.parametrize("holder", ["reused pid", "this process"])
def test_a_stale_heartbeat_loses_the_lock_though_its_pid_lives_on_this_host(engine, slug, live_pid, holder):
    """A pid reused by another process (a restarted machine), or a holder stalled for a week, is not an update."""
    held = foreign_run(engine, cid(engine, slug), heartbeat_age=timedelta(days=7),
                       holder=this_holder() if holder == "this process"
                       else f"{socket.gethostname()}:{live_pid}:its-incarnation")
    assert recent_runs(engine, slug, 1)[0]["status"] == "interrupted"  # as status and the API show it
    assert update(engine, slug, AS_OF).status == "done"
    assert status(engine, held) == "interrupted"


def test_a_run_that_fails_records_why_in_words_fit_to_publish_and_releases_the_lock(engine, slug):
    def broken(url):
        raise RuntimeError("connection to /srv/secret/path refused")

    with pytest.raises(RuntimeError):
        update(engine, slug, AS_OF, source_factory=broken)
    (row,) = recent_runs(engine, slug, 1)
    assert (row["status"], row["errors"]) == ("failed", "internal error (RuntimeError)")
    assert update(engine, slug, AS_OF).status == "done"  # the lock was released


def test_errors_recorded_with_credentials_in_a_url_are_shown_without_them(engine, slug):
    """Runs recorded before messages kept credentials out still hold them: reading drops them."""
    run_id = begin(engine, cid(engine, slug))
    end_run(engine, run_id, status="partial", errors=(
        "http://bot:s3cret@wiki.example/w/api.php answered 401\nredis://:pw@queue:6379/0 refused"))
    (row,) = recent_runs(engine, slug, 1)
    assert (row["id"], row["errors"]) == (run_id, "http://wiki.example/w/api.php answered 401\n"
                                                  "redis://queue:6379/0 refused")
    (trouble,) = operator_status(engine)["trouble"]  # `wikicourse status`'s "recent trouble"
    assert (trouble["id"], trouble["errors"]) == (run_id, row["errors"])


def test_a_refused_update_leaves_no_run_behind(engine, slug):
    update(engine, slug, AS_OF)
    with pytest.raises(InvalidInput, match="before data already ingested"):
        update(engine, slug, "2024-01-05T00:00:00Z")
    assert [r["status"] for r in recent_runs(engine, slug)] == ["done"]


def test_a_run_whose_process_died_shows_as_interrupted(engine, slug):
    dead = subprocess.Popen(["true"])
    dead.wait()
    foreign_run(engine, cid(engine, slug), holder=f"{socket.gethostname()}:{dead.pid}",
                heartbeat_age=timedelta(seconds=1))
    assert recent_runs(engine, slug, 1)[0]["status"] == "interrupted"


def test_a_run_taken_over_stops_at_its_next_progress_write(engine, slug):
    run = begin(engine, cid(engine, slug))
    progress = Progress(engine, run)
    try:
        with engine.begin() as conn:  # another process judged it dead
            conn.execute(sql_update(update_runs).where(update_runs.c.id == run).values(status="interrupted"))
        with pytest.raises(LockLost):
            progress.start_step("deriving")
    finally:
        progress.close()


def test_progress_is_throttled_between_steps(engine, slug):
    run = begin(engine, cid(engine, slug))
    progress = Progress(engine, run)
    try:
        progress.start_step("fetching", total=4)
        progress.advance(done=1, revisions=10)
        assert recent_runs(engine, slug, 1)[0]["revisions"] == 0  # not written yet
        progress.start_step("deriving")
        assert recent_runs(engine, slug, 1)[0]["revisions"] == 10
    finally:
        progress.close()


def test_a_new_process_with_the_pid_of_a_killed_one_is_not_taken_for_it(engine, slug):
    """A restarted container can give a worker the hostname and pid its killed predecessor had."""
    host, pid, _ = this_holder().split(":")
    old = foreign_run(engine, cid(engine, slug), holder=f"{host}:{pid}:an-earlier-life",
                      heartbeat_age=timedelta(seconds=1))
    assert update(engine, slug, AS_OF).status == "done"
    assert status(engine, old) == "interrupted"


def test_the_heartbeat_records_progress_while_a_step_runs(engine, slug, monkeypatch):
    monkeypatch.setattr("wikicourse.update.runs.HEARTBEAT", 0.05)
    run = begin(engine, cid(engine, slug))
    seen = []
    progress = Progress(engine, run, listener=lambda p: seen.append(p.revisions))
    try:
        progress.start_step("fetching", total=3)
        progress.advance(done=1, revisions=7)
        deadline = time.monotonic() + 5
        while recent_runs(engine, slug, 1)[0]["revisions"] != 7:
            assert time.monotonic() < deadline, "the heartbeat never recorded the progress"
            time.sleep(0.02)
        assert recent_runs(engine, slug, 1)[0]["done"] == 1 and 7 in seen
    finally:
        progress.close()


def test_release_lock_closes_the_running_run_and_says_whose_it_was(any_url, tmp_path):
    engine = open_db(any_url)
    export = write_export(tmp_path / "wiki.xml", {("Page", 0): [("2024-01-02T10:00:00Z", "Ann", "Text")]})
    slug = setup_course(engine, {"test.wiki": export}, start="2024-01-01", end="2024-01-10")
    held = foreign_run(engine, cid(engine, slug), holder="worker-3:4242:abc", heartbeat_age=timedelta(minutes=2))
    released = release_lock(engine, slug)
    with engine.connect() as conn:
        row = conn.execute(select(update_runs).where(update_runs.c.id == held)).one()
    assert released == {"run": held, "holder": "worker-3:4242:abc", "host": "worker-3", "pid": 4242,
                        "started_at": row.started_at, "heartbeat_at": row.heartbeat_at, "step": None}
    assert row.status == "interrupted" and row.finished_at is not None
    assert release_lock(engine, slug) is None  # nothing left to release
    with pytest.raises(InvalidInput, match="no course 'nope'"):
        release_lock(engine, "nope")
    engine.dispose()
