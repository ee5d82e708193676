"""What `status` shows an operator: runs in progress (alive or dead), recent trouble, each course's last update."""
from __future__ import annotations

import socket
import subprocess
from datetime import timedelta

import pytest
from support.course import update
from support.workers import cid, course_on, insert_run
from wikicourse.update.runs import this_holder
from wikicourse.workers.requests import request_update
from wikicourse.workers.status import render_status, status


@pytest.fixture
def dead_holder() -> str:
    gone = subprocess.Popen(["true"])
    gone.wait()
    return f"{socket.gethostname()}:{gone.pid}"


def section(text: str, title: str) -> str:
    """The lines of one section of render_status (up to the next blank line)."""
    lines = text.splitlines()
    start = lines.index(title) + 1
    end = lines.index("", start) if "" in lines[start:] else len(lines)
    return "\n".join(lines[start:end])


def test_nothing_yet(engine):
    assert status(engine) == {"running": [], "trouble": [], "courses": []}
    text = render_status(engine, None)
    assert "queues" not in text
    assert section(text, "running updates") == "  none" and section(text, "recent trouble") == "  none"


def test_a_running_update_shows_whether_its_holder_lives(db, tmp_path, dead_holder):
    engine = db
    live = insert_run(engine, cid(engine, course_on(engine, tmp_path, "alive")), status="running",
                      holder=this_holder(), step="fetching", done=2, total=5, revisions=40)
    dead = insert_run(engine, cid(engine, course_on(engine, tmp_path, "dead")), status="running",
                      holder=dead_holder, step="deriving", done=1, total=1)
    far = insert_run(engine, cid(engine, course_on(engine, tmp_path, "far")), status="running",
                     holder="other-machine:7", heartbeat_age=timedelta(hours=1))
    running = {r["slug"]: r for r in status(engine)["running"]}
    assert {s: (r["id"], r["alive"]) for s, r in running.items()} == {
        "alive": (live, True), "dead": (dead, False), "far": (far, False)}
    assert (running["alive"]["step"], running["alive"]["done"], running["alive"]["total"],
            running["alive"]["revisions"]) == ("fetching", 2, 5, 40)
    assert 3500 <= running["alive"]["seconds"] <= 3700  # insert_run starts it an hour ago
    rows = section(render_status(engine, None), "running updates").splitlines()[2:]
    alive_row, = [r for r in rows if r.startswith("alive")]
    dead_row, = [r for r in rows if r.startswith("dead")]
    assert "fetching" in alive_row and "2/5" in alive_row and this_holder() in alive_row
    assert "(dead" not in alive_row
    assert dead_holder in dead_row and "(dead: the next update takes over)" in dead_row
    # running runs are not a course's "last update"
    assert {c["slug"]: c["status"] for c in status(engine)["courses"]} == {"alive": None, "dead": None,
                                                                          "far": None}


def test_recent_trouble_shows_failed_partial_and_interrupted_runs_with_their_first_error(db, tmp_path):
    engine = db
    course = cid(engine, course_on(engine, tmp_path))
    insert_run(engine, course, status="done")
    failed = insert_run(engine, course, status="failed", errors="internal error (RuntimeError)")
    partial = insert_run(engine, course, status="partial",
                         errors="test.wiki: window 2024-01-02 still failing after 5 tries\nsecond error")
    interrupted = insert_run(engine, course, status="interrupted")
    trouble = status(engine)["trouble"]
    assert [(t["id"], t["status"]) for t in trouble] == [(interrupted, "interrupted"), (partial, "partial"),
                                                         (failed, "failed")]  # newest first; "done" is no trouble
    rows = section(render_status(engine, None), "recent trouble").splitlines()[2:]
    assert len(rows) == 3
    assert "partial" in rows[1] and "still failing after 5 tries" in rows[1] and "second error" not in rows[1]
    assert "internal error (RuntimeError)" in rows[2]


def test_recent_trouble_is_limited(engine, tmp_path):
    course = cid(engine, course_on(engine, tmp_path))
    ids = [insert_run(engine, course, status="failed", errors=f"error {i}") for i in range(12)]
    assert [t["id"] for t in status(engine)["trouble"]] == ids[::-1][:10]
    assert [t["id"] for t in status(engine, problems=3)["trouble"]] == ids[::-1][:3]


def test_each_course_shows_its_last_finished_update(db, tmp_path):
    engine = db
    course_on(engine, tmp_path, "never")
    real = course_on(engine, tmp_path, "real")
    update(engine, real, "2024-02-01T00:00:00Z")  # a real run: one revision from a file export
    chosen = cid(engine, course_on(engine, tmp_path, "chosen"))
    insert_run(engine, chosen, status="done", seconds=3, requests=1, revisions=1)
    insert_run(engine, chosen, status="partial", seconds=42, requests=17, revisions=250,
               errors="first\nsecond\nthird")
    insert_run(engine, chosen, status="running", holder=this_holder())  # in progress: not "last"
    courses = {c["slug"]: c for c in status(engine)["courses"]}
    assert list(courses) == ["chosen", "never", "real"]
    c = courses["chosen"]
    assert (c["status"], c["seconds"], c["requests"], c["revisions"], c["errors"], c["queued"]) == (
        "partial", 42.0, 17, 250, 3, None)
    n = courses["never"]
    assert (n["status"], n["seconds"], n["requests"], n["revisions"], n["errors"]) == (None, None, None, None, 0)
    r = courses["real"]
    assert (r["status"], r["revisions"], r["errors"]) == ("done", 1, 0) and 0 <= r["seconds"] < 5
    rows = {line.split()[0]: line.split() for line in
            section(render_status(engine, None), "courses (last update)").splitlines()[2:]}
    assert rows["chosen"][1] == "partial" and rows["chosen"][4:8] == ["42.0", "s", "17", "250"]
    assert rows["chosen"][8] == "3"
    assert rows["never"][1:] == ["never", "0", "0", "0"]


def test_a_course_waiting_in_a_queue_shows_as_queued(engine, tmp_path, redis_url, sender):
    slug = course_on(engine, tmp_path)
    course_on(engine, tmp_path, "other")
    assert request_update(engine, cid(engine, slug), "medium", sender.send(slug, "medium"))
    assert {c["slug"]: c["queued"] for c in status(engine)["courses"]} == {"course": "medium", "other": None}
    text = render_status(engine, redis_url)
    queues = section(text, "queues").splitlines()[2:]
    assert [q.split() for q in queues] == [["short", "0", "0"], ["medium", "1", "0"], ["long", "0", "0"]]
    rows = section(text, "courses (last update)").splitlines()[2:]
    assert rows[0].split()[0] == "course" and rows[0].rstrip().endswith("medium")
    assert rows[1].split()[-1] == "0"  # not queued: the errors column is its last
