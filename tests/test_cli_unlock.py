"""`wikicourse unlock COURSE`: an operator releases a course's update lock, and sees what it released."""
from __future__ import annotations

import os
import socket

import pytest
from sqlalchemy import select

from support.course import setup_course
from support.exports import write_export
from support.workers import insert_run
from test_cli import snapshot
from wikicourse.clock import now_utc
from wikicourse.courses import course_id
from wikicourse.update.runs import LockLost, Progress, begin_run, this_holder, update_runs


@pytest.fixture
def slug(engine, tmp_path):
    export = write_export(tmp_path / "wiki.xml", {("Page", 0): [("2024-01-02T10:00:00Z", "Ann", "Some text")]})
    return setup_course(engine, {"test.wiki": export}, slug="c1", start="2024-01-01", end="2024-01-10",
                        students=["Ann"])


def run_status(engine, run_id) -> str:
    with engine.connect() as conn:
        return conn.scalar(select(update_runs.c.status).where(update_runs.c.id == run_id))


def test_unlock_releases_a_live_holders_lock_and_shows_what_it_released(cli, engine, slug):
    with engine.connect() as conn:
        cid = course_id(conn, slug)
    started = now_utc()
    run = begin_run(engine, cid, slug=slug, full=False, as_of=started, started=started)
    progress = Progress(engine, run)  # a real holder, beating its heart in this process
    try:
        assert cli("update", slug, "--as-of", "2024-02-01")[0] == 1  # locked
        code, out, err = cli("unlock", slug)
        assert (code, err) == (0, "")
        lines = out.splitlines()
        assert lines[0] == f"course {slug}: update lock released (run {run}, now interrupted)"
        assert lines[1] == f"  holder: {this_holder()} (host {socket.gethostname()}, pid {os.getpid()})"
        assert lines[2] == f"  since: {started:%Y-%m-%d %H:%M:%S}Z"
        assert lines[3].startswith(f"  last heartbeat: {started:%Y-%m-%d %H:%M:%S}Z (") and lines[3].endswith(" s ago)")
        assert run_status(engine, run) == "interrupted"
        with pytest.raises(LockLost):  # the holder, still running, stops at its next write
            progress.start_step("deriving")
    finally:
        progress.close()
    code, out, err = cli("update", slug, "--as-of", "2024-02-01")
    assert code == 0 and out.startswith(f"{slug}: done"), err


def test_a_lock_held_elsewhere_names_that_host_and_pid(cli, engine, slug):
    with engine.connect() as conn:
        run = insert_run(engine, course_id(conn, slug), status="running", holder="worker-7:4242:abc123")
    code, out, err = cli("unlock", slug)
    assert code == 0 and "  holder: worker-7:4242:abc123 (host worker-7, pid 4242)\n" in out, out + err
    assert run_status(engine, run) == "interrupted"
    assert cli("unlock", slug) == (0, f"course {slug}: not locked (no update is running)\n", "")


def test_a_course_not_locked_is_said_so_and_nothing_changes(cli, engine, slug, sqlite_url):
    assert cli("update", slug, "--as-of", "2024-02-01")[0] == 0  # a finished run holds nothing
    before = snapshot(sqlite_url)
    assert cli("unlock", slug) == (0, f"course {slug}: not locked (no update is running)\n", "")
    assert snapshot(sqlite_url) == before


def test_an_unknown_course_is_a_one_line_error(cli, slug, sqlite_url):
    before = snapshot(sqlite_url)
    assert cli("unlock", "nope") == (1, "", "error: no course 'nope'\n")
    assert snapshot(sqlite_url) == before
