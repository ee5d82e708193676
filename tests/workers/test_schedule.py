"""Which courses the scheduler asks for, and on which queue: by dates, then by measured cost."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from support.course import update
from support.exports import write_export
from support.workers import cid, course_on, insert_run
from wikicourse import courses
from wikicourse.errors import UnknownCourse
from wikicourse.wikis import add_wiki
from wikicourse.workers.schedule import (
    FIRST_MEDIUM,
    FIRST_SHORT,
    MEDIUM,
    SHORT,
    due_courses,
    queue_for,
    schedule_updates,
)

TODAY = date(2024, 3, 15)


def make(engine, tmp_path, slug, start, end, students=("Ann",), wikis=("test.wiki",)):
    people = list(students) + ["Teacher"]
    export = write_export(tmp_path / f"{slug}.xml", {("Page", 0): [
        (f"2024-01-02T10:{i // 60:02d}:{i % 60:02d}Z", name, f"text {i}") for i, name in enumerate(people)]})
    for w in wikis:
        add_wiki(engine, w, export.resolve().as_uri())
    courses.create_course(engine, slug, title=slug, start=date.fromisoformat(start), end=date.fromisoformat(end),
                          wikis=list(wikis))
    if students:
        courses.enroll(engine, slug, list(students))
    return slug


@pytest.fixture
def calendar(db, tmp_path):
    """Courses around TODAY (2024-03-15), with a grace of 14 days in mind."""
    for slug, start, end in [
        ("running", "2024-03-01", "2024-03-31"),
        ("starts-today", "2024-03-15", "2024-04-15"),
        ("ends-today", "2024-02-01", "2024-03-15"),
        ("ended-yesterday", "2024-02-01", "2024-03-14"),
        ("ended-grace-ago", "2024-02-01", "2024-03-01"),  # 14 days ago: the last day of its grace
        ("ended-long-ago", "2024-01-01", "2024-02-29"),  # 15 days ago: done with
        ("future", "2024-03-16", "2024-04-30"),
    ]:
        make(db, tmp_path, slug, start, end)
    return db


def slugs(due):
    return sorted(d.slug for d in due)


def test_running_courses_and_those_in_their_grace_period_are_due(calendar):
    assert slugs(due_courses(calendar, TODAY, 14)) == [
        "ended-grace-ago", "ended-yesterday", "ends-today", "running", "starts-today"]


def test_without_grace_a_course_is_due_up_to_its_last_day(calendar):
    assert slugs(due_courses(calendar, TODAY, 0)) == ["ends-today", "running", "starts-today"]
    assert "ended-long-ago" in slugs(due_courses(calendar, TODAY, 15))


def test_named_courses_are_due_whatever_their_dates(calendar):
    due = due_courses(calendar, TODAY, 0, ["future", "ended-long-ago"])
    assert slugs(due) == ["ended-long-ago", "future"]
    assert due_courses(calendar, TODAY, 0, ["no-such"]) == []


def test_scheduling_an_unknown_course_is_refused_before_anything_is_sent(calendar, redis_url, sender):
    with pytest.raises(UnknownCourse, match="no-such"):
        schedule_updates(calendar, redis_url, 14, ["running", "no-such"])
    assert sender.waiting() == {"short": 0, "medium": 0, "long": 0}


def test_queue_thresholds():
    assert queue_for(None, 0) == queue_for(None, FIRST_SHORT) == "short"
    assert queue_for(None, FIRST_SHORT + 1) == queue_for(None, FIRST_MEDIUM) == "medium"
    assert queue_for(None, FIRST_MEDIUM + 1) == "long"
    assert queue_for(0.0, 10**6) == queue_for(SHORT - 0.1, 10**6) == "short"  # measured cost beats size
    assert queue_for(SHORT, 0) == queue_for(MEDIUM - 0.1, 0) == "medium"
    assert queue_for(MEDIUM, 0) == "long"


def test_a_course_never_updated_is_judged_by_students_times_wikis(db, tmp_path):
    engine = db
    students = [f"Student {i}" for i in range(51)]
    make(engine, tmp_path, "one-wiki", "2024-03-01", "2024-03-31", students=students)
    make(engine, tmp_path, "two-wikis", "2024-03-01", "2024-03-31", students=students,
         wikis=("test.wiki", "other.wiki"))  # 51 x 2 = 102 > FIRST_SHORT
    make(engine, tmp_path, "nobody", "2024-03-01", "2024-03-31", students=())
    courses.enroll(engine, "nobody", ["Teacher"], role="instructor")  # staff do not count
    due = {d.slug: d for d in due_courses(engine, TODAY, 14)}
    assert {s: (d.queue, d.last_seconds) for s, d in due.items()} == {
        "one-wiki": ("short", None), "two-wikis": ("medium", None), "nobody": ("short", None)}


def test_a_course_updated_before_is_judged_by_its_last_finished_update(db, tmp_path):
    engine = db
    for slug in ("quick", "slow", "slower", "partial", "failed-last", "running-now"):
        make(engine, tmp_path, slug, "2024-03-01", "2024-03-31")
    insert_run(engine, cid(engine, "quick"), status="done", seconds=5)
    insert_run(engine, cid(engine, "slow"), status="done", seconds=SHORT)
    insert_run(engine, cid(engine, "slower"), status="done", seconds=MEDIUM + 1)
    insert_run(engine, cid(engine, "partial"), status="done", seconds=5)
    insert_run(engine, cid(engine, "partial"), status="partial", seconds=120)  # partial counts: the latest
    insert_run(engine, cid(engine, "failed-last"), status="done", seconds=30)
    insert_run(engine, cid(engine, "failed-last"), status="failed", seconds=5000)  # ignored
    insert_run(engine, cid(engine, "failed-last"), status="interrupted", seconds=5000)  # ignored
    insert_run(engine, cid(engine, "running-now"), status="done", seconds=1000)
    insert_run(engine, cid(engine, "running-now"), status="running", holder="other-machine:1")  # ignored
    due = {d.slug: (d.queue, d.last_seconds) for d in due_courses(engine, TODAY, 14)}
    assert due == {"quick": ("short", 5), "slow": ("medium", SHORT), "slower": ("long", MEDIUM + 1),
                   "partial": ("medium", 120), "failed-last": ("short", 30), "running-now": ("long", 1000)}


def test_a_real_update_measures_the_cost_the_next_schedule_uses(engine, tmp_path):
    slug = course_on(engine, tmp_path, start="2024-01-01", end="2024-01-10")
    (before,) = due_courses(engine, TODAY, 0, [slug])
    assert (before.queue, before.last_seconds) == ("short", None)
    update(engine, slug, "2024-02-01T00:00:00Z")
    (after,) = due_courses(engine, TODAY, 0, [slug])
    assert after.queue == "short" and after.last_seconds is not None and 0 <= after.last_seconds < 5


def test_cheapest_first(engine, tmp_path):
    for slug, seconds in [("a-long", 2000), ("b-short-slow", 50), ("c-medium", 100), ("d-short-quick", 1),
                          ("e-medium-quicker", 70), ("f-long-quicker", 1000)]:
        make(engine, tmp_path, slug, "2024-03-01", "2024-03-31")
        insert_run(engine, cid(engine, slug), status="done", seconds=seconds)
    assert [d.slug for d in due_courses(engine, TODAY, 14)] == [
        "d-short-quick", "b-short-slow", "e-medium-quicker", "c-medium", "f-long-quicker", "a-long"]


def test_schedule_updates_sends_each_due_course_once_on_its_queue(calendar, redis_url, sender):
    insert_run(calendar, cid(calendar, "running"), status="done", seconds=SHORT + 1)
    from wikicourse.clock import now_utc

    today = now_utc().date()  # schedule_updates uses the real date: move two courses to it
    courses.edit_course(calendar, "future", start=today - timedelta(days=1), end=today + timedelta(days=1))
    courses.edit_course(calendar, "running", start=today - timedelta(days=1), end=today + timedelta(days=1))
    lines = schedule_updates(calendar, redis_url, 0)
    assert lines == ["future: queued on short", "running: queued on medium"]
    assert schedule_updates(calendar, redis_url, 0) == ["future: already queued (coalesced)",
                                                       "running: already queued (coalesced)"]
    assert sender.waiting() == {"short": 1, "medium": 1, "long": 0}
