"""`wikicourse worker`, `schedule` and `status` from the command line, and a worker running real updates."""
from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from support.course import comparable, stats
from support.workers import cid, course_on, insert_run
from wikicourse.db import open_db
from wikicourse.update.cycle import update_course
from wikicourse.update.runs import recent_runs, this_holder
from wikicourse.workers.broker import make_broker, queue_lengths
from wikicourse.workers.requests import update_requests
from wikicourse.workers.schedule import schedule_updates
from wikicourse.workers.worker import run_worker

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def course(cli, tmp_path):
    from support.exports import write_export

    export = write_export(tmp_path / "wiki.xml", {("Alpha", 0): [("2024-01-02T10:00:00Z", "Ann", "Alpha")]})
    assert cli("wiki", "add", "test.wiki", "--api-url", export.resolve().as_uri())[0] == 0
    assert cli("course", "create", "c1", "--title", "Course one", "--start", "2024-01-01",
               "--end", "2024-01-10", "--wiki", "test.wiki")[0] == 0
    assert cli("enroll", "c1", "Ann")[0] == 0
    return "c1"


def refused(result, *words):
    code, out, err = result
    assert code != 0
    assert "Traceback" not in err and out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("error: ")
    for w in words:
        assert w in err


def test_a_worker_on_unknown_queues_is_refused(cli, redis_url):
    refused(cli("worker", "--redis", redis_url, "--queues", "bogus"), "--queues", "short, medium, long")
    refused(cli("worker", "--redis", redis_url, "--queues", "short,bogus"), "--queues")
    refused(cli("worker", "--redis", redis_url, "--queues", " , "), "--queues")


def test_a_worker_with_no_threads_is_refused(cli, redis_url):
    refused(cli("worker", "--redis", redis_url, "--threads", "0"), "--threads")


@pytest.mark.parametrize("name,value,words", [
    ("WIKICOURSE_BROKER_HEARTBEAT_MS", "60s", "a whole number of milliseconds, not '60s'"),
    ("WIKICOURSE_BROKER_HEARTBEAT_MS", "0", "a positive number of milliseconds, not '0'"),
    ("WIKICOURSE_BROKER_MAINTENANCE", "-1", "a whole number of commands in a million, not '-1'"),
])
def test_a_bad_broker_setting_is_one_line_before_the_worker_or_the_scheduler_starts(cli, course, monkeypatch,
                                                                                     name, value, words):
    import wikicourse.workers.worker

    def started(*args, **kwargs):  # (were it refused only once running, the worker would run on here)
        raise AssertionError("the worker started")

    monkeypatch.setattr(wikicourse.workers.worker, "run_worker", started)
    monkeypatch.setenv(name, value)
    unreachable = "redis://127.0.0.1:1/0"  # refused before the broker is asked anything
    refused(cli("worker", "--redis", unreachable), f"{name} must be {words}")
    refused(cli("schedule", "--redis", unreachable), f"{name} must be {words}")
    refused(cli("schedule", course, "--redis", unreachable), f"{name} must be {words}")


def test_scheduling_an_unknown_course_is_refused(cli, course, redis_url):
    refused(cli("schedule", "no-such-course", "--redis", redis_url), "no-such-course")


def test_an_unreachable_broker_is_one_line(cli, course):
    began = time.monotonic()
    refused(cli("schedule", course, "--redis", "redis://127.0.0.1:1/0"), "broker", "Redis")
    # status still shows the database's half, and says the queues cannot be seen.
    code, out, err = cli("status", "--redis", "redis://127.0.0.1:1/0")
    assert code == 0 and "queues: the broker at redis://127.0.0.1:1/0 cannot be reached" in out, err
    assert time.monotonic() - began < 10
    (row,) = [line for line in out.splitlines() if line.startswith("c1 ")]
    assert row.split()[-1] == "0"  # the claim of the refused schedule was rolled back: nothing is queued


def test_schedule_twice_coalesces_and_status_shows_the_waiting_update(cli, course, redis_url):
    code, out, err = cli("schedule", course, "--redis", redis_url)
    assert (code, out) == (0, "c1: queued on short\n"), err
    code, out, err = cli("schedule", course, "--redis", redis_url)
    assert (code, out) == (0, "c1: already queued (coalesced)\n"), err
    code, out, err = cli("status", "--redis", redis_url)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "queues"
    assert [line.split() for line in lines[3:6]] == [["short", "1", "0"], ["medium", "0", "0"], ["long", "0", "0"]]
    (row,) = [line for line in lines if line.startswith("c1 ")]
    assert row.split()[1] == "never" and row.split()[-1] == "short"


def wait_for_run(engine, slug, timeout=20.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = recent_runs(engine, slug)
        if runs and runs[0]["status"] != "running":
            return runs[0]
        time.sleep(0.05)
    raise AssertionError(f"no finished update of {slug} within {timeout} s: {recent_runs(engine, slug)}")


def same_as_a_direct_update(engine, slug, tmp_path):
    fresh = open_db(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    try:
        course_on(fresh, tmp_path, slug)
        update_course(fresh, slug)
        mine, theirs = comparable(stats(engine, slug)), comparable(stats(fresh, slug))
        for doc in (mine, theirs):
            doc["course"].pop("last_update")  # each run's as-of is its own now
        assert mine == theirs
        assert mine["course"]["revision_count"] == 1
    finally:
        fresh.dispose()


def queues_empty(redis_url) -> bool:
    broker = make_broker(redis_url)
    try:
        return all(n == {"waiting": 0, "delayed": 0} for n in queue_lengths(broker).values())
    finally:
        broker.close()


def test_run_worker_runs_in_a_thread_when_given_a_stop_event(engine, redis_url):
    stop = threading.Event()
    stop.set()
    failure: list[BaseException] = []

    def run():
        try:
            run_worker(engine, redis_url, ["short"], stop=stop)
        except BaseException as exc:  # noqa: BLE001
            failure.append(exc)

    t = threading.Thread(target=run)
    t.start()
    t.join(10)
    if failure:
        raise failure[0]
    assert not t.is_alive(), "the worker did not stop when asked"


def worker_meanwhile(engine, redis_url: str, queues: list[str], operator) -> None:
    """run_worker in the main thread (where it installs its signal handlers, put back after),
    while `operator()` runs in another; the worker stops when the operator is done, and what
    the operator raised is raised here."""
    stop = threading.Event()
    failure: list[BaseException] = []

    def operate():
        try:
            operator()
        except BaseException as exc:  # noqa: BLE001 (raised in the main thread)
            failure.append(exc)
        finally:
            stop.set()

    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    helper = threading.Thread(target=operate)
    try:
        helper.start()
        run_worker(engine, redis_url, queues, stop=stop)
    finally:
        for s, h in handlers.items():
            signal.signal(s, h)
        stop.set()
        helper.join(10)
    if failure:
        raise failure[0]


def test_a_worker_in_this_process_runs_a_scheduled_update(engine, tmp_path, redis_url):
    """run_worker in the main thread (it installs signal handlers); the operator in another thread."""
    slug = course_on(engine, tmp_path)
    seen: dict = {}

    def operator():
        seen["lines"] = schedule_updates(engine, redis_url, 0, [slug])
        seen["run"] = wait_for_run(engine, slug)

    began = time.monotonic()
    worker_meanwhile(engine, redis_url, ["short", "medium", "long"], operator)
    assert time.monotonic() - began < 25
    assert seen["lines"] == [f"{slug}: queued on short"]
    assert seen["run"]["status"] == "done" and seen["run"]["revisions"] == 1
    assert len(recent_runs(engine, slug)) == 1  # one message, one update
    same_as_a_direct_update(engine, slug, tmp_path)
    assert queues_empty(redis_url)  # acknowledged, not left for another worker
    assert schedule_updates(engine, redis_url, 0, [slug]) == [f"{slug}: queued on short"]  # taken: asks anew


def test_the_worker_command_runs_updates_until_sigterm(sqlite_url, tmp_path, redis_url):
    engine = open_db(sqlite_url)
    try:
        slug = course_on(engine, tmp_path)
        worker = subprocess.Popen(
            [sys.executable, "-m", "wikicourse", "--db", sqlite_url, "worker", "--redis", redis_url,
             "--queues", "short,medium,long"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert schedule_updates(engine, redis_url, 0, [slug]) == [f"{slug}: queued on short"]
            run = wait_for_run(engine, slug)
            assert run["status"] == "done" and run["revisions"] == 1
            worker.send_signal(signal.SIGTERM)
            _out, err = worker.communicate(timeout=15)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
        assert worker.returncode == 0, err
        logs = [json.loads(line) for line in err.splitlines()]  # structured: every line is JSON
        events = [entry["event"] for entry in logs if "event" in entry]
        assert events == ["worker.start", "update.done", "worker.stop"], err
        same_as_a_direct_update(engine, slug, tmp_path)
        assert queues_empty(redis_url)
    finally:
        engine.dispose()


def test_a_message_for_a_course_being_updated_elsewhere_is_asked_again_later(engine, tmp_path, redis_url):
    slug = course_on(engine, tmp_path)
    holder = insert_run(engine, cid(engine, slug), status="running", holder=this_holder())  # a live update
    busy = threading.Event()

    class Busy(logging.Handler):
        def emit(self, record):
            if getattr(record, "event", None) == "update.busy":
                busy.set()

    log = logging.getLogger("wikicourse.worker")
    handler, level = Busy(), log.level
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    seen: dict = {}

    def operator():
        seen["lines"] = schedule_updates(engine, redis_url, 0, [slug])
        seen["busy"] = busy.wait(15)
        time.sleep(0.2)  # the resend follows the log line

    try:
        worker_meanwhile(engine, redis_url, ["short"], operator)
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
    assert seen["lines"] == [f"{slug}: queued on short"] and seen["busy"]
    assert [r["id"] for r in recent_runs(engine, slug)] == [holder]  # the live run was left alone
    with engine.connect() as conn:
        request = conn.execute(select(update_requests)).one()
    assert request.queued_at is not None and request.queue == "short"  # asked again, not dropped
    broker = make_broker(redis_url)
    try:
        assert queue_lengths(broker)["short"] == {"waiting": 0, "delayed": 1}  # later, on the same queue
    finally:
        broker.close()
    assert schedule_updates(engine, redis_url, 0, [slug]) == [f"{slug}: already queued (coalesced)"]


def test_a_periodic_scheduler_outlives_a_broker_that_is_down(course, sqlite_url):
    scheduler = subprocess.Popen([sys.executable, "-m", "wikicourse", "--db", sqlite_url, "schedule", course,
                                  "--redis", "redis://127.0.0.1:1/0", "--every", "1"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(3)
    alive = scheduler.poll() is None
    scheduler.terminate()
    _, err = scheduler.communicate(timeout=10)
    assert alive, err
    tries = [line for line in err.splitlines() if "trying again in 1 s" in line]
    assert len(tries) >= 2 and all(line.startswith("error: ") for line in tries), err
    assert "Traceback" not in err
