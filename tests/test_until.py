"""Figures as of a past date (`stats --until`, `course_stats(..., until=)`): the stored windows that
end by the end of that day, checked against the oracle over the demo's revisions and against an
update as of that day on a fresh database."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from support.course import setup_course, update
from support.oracle import comparable, expected_stats, reading_key
from wikicourse.db import open_db
from wikicourse.demo import DEMO_INSTRUCTOR, DEMO_STUDENTS, DEMO_WIKI, DEMO_XML
from wikicourse.demo.generate import generate_demo
from wikicourse.stats import COURSE_FIELDS, course_stats

STUDENTS = DEMO_STUDENTS[:5]
FIGURES = [f for f in COURSE_FIELDS if f != "student_count"]
DONE = "2024-02-01T00:00:00Z"  # every update here but one is as of after the course's end


@pytest.fixture(scope="module")
def facts():
    return generate_demo(None)


def build(url: str, days: int = 1, as_of: str = DONE):
    engine = open_db(url)
    setup_course(engine, {DEMO_WIKI: DEMO_XML}, start="2024-01-01", end="2024-01-31", students=STUDENTS,
                 instructors=DEMO_INSTRUCTOR, timeslice_days=days)
    update(engine, "course", as_of)
    return engine


@pytest.fixture
def daily(sqlite_url):
    engine = build(sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture
def weekly(sqlite_url):
    engine = build(sqlite_url, days=7)
    yield engine
    engine.dispose()


def oracle(facts, through: datetime, days: int = 1) -> dict:
    """What every edit to `through` (inclusive) gives, over the windows that end by then."""
    doc = expected_stats(facts, students=STUDENTS, instructors=DEMO_INSTRUCTOR, start="2024-01-01",
                         end="2024-01-31", wikis=[DEMO_WIKI], timeslice_days=days, as_of=through,
                         title="Course course")
    stop = (through + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {**doc, "timeslices": [t for t in doc["timeslices"] if t["end"] <= stop]}


def end_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=timezone.utc)


@pytest.mark.parametrize("day", [date(2024, 1, 1), date(2024, 1, 9), date(2024, 1, 17), date(2024, 1, 30)])
def test_with_daily_windows_the_figures_until_a_day_are_every_edit_to_its_end(any_url, facts, day):
    engine = build(any_url)
    try:
        doc = course_stats(engine, "course", until=day)
    finally:
        engine.dispose()
    expected = oracle(facts, end_of(day))
    assert comparable(doc) == expected
    assert 0 < doc["course"]["revision_count"] < oracle(facts, end_of(date(2024, 1, 31)))["course"]["revision_count"]
    assert len(doc["timeslices"]) == day.day and doc["articles"] == expected["articles"]
    c = doc["course"]
    assert (c["until"], c["counted_through"], c["exact"]) == (f"{day}T23:59:59Z", f"{day}T23:59:59Z", True)
    assert c["last_update"] == DONE


def test_the_figures_until_a_day_equal_an_update_as_of_its_end_on_a_fresh_database(daily, tmp_path):
    day = date(2024, 1, 12)
    fresh = build(f"sqlite:///{tmp_path / 'fresh.sqlite'}", as_of=f"{day}T23:59:59Z")
    try:
        then = course_stats(fresh, "course")
    finally:
        fresh.dispose()
    now = course_stats(daily, "course", until=day)
    assert {f: now["course"][f] for f in COURSE_FIELDS} == {f: then["course"][f] for f in COURSE_FIELDS}
    assert now["users"] == then["users"] and now["articles"] == then["articles"]
    assert now["timeslices"] == then["timeslices"][:day.day]
    assert any(t["revision_count"] for t in then["timeslices"]) and then["course"]["article_count"] > 0


def test_with_weekly_windows_only_whole_windows_count_and_the_document_says_so(weekly, facts):
    doc = course_stats(weekly, "course", until=date(2024, 1, 10))  # windows start Jan 1, 8, 15, 22, 29
    c = doc["course"]
    assert (c["until"], c["counted_through"], c["exact"]) == ("2024-01-10T23:59:59Z", "2024-01-07T23:59:59Z", False)
    first_week = oracle(facts, end_of(date(2024, 1, 7)), days=7)
    assert comparable(doc) == first_week
    assert [t["start"] for t in doc["timeslices"]] == ["2024-01-01T00:00:00Z"]
    # The edits of Jan 8-10 are left out, not counted in part.
    assert oracle(facts, end_of(date(2024, 1, 10)), days=7)["course"]["revision_count"] > c["revision_count"] > 0

    c = course_stats(weekly, "course", until=date(2024, 1, 14))["course"]
    assert (c["counted_through"], c["exact"]) == ("2024-01-14T23:59:59Z", True)
    assert {f: c[f] for f in FIGURES} == {f: oracle(facts, end_of(date(2024, 1, 14)), 7)["course"][f] for f in FIGURES}

    c = course_stats(weekly, "course", until=date(2024, 1, 3))["course"]  # inside the first window: none counted
    assert (c["counted_through"], c["exact"], c["revision_count"], c["article_count"]) == \
        ("2024-01-01T00:00:00Z", False, 0, 0)


@pytest.mark.parametrize("days", [1, 7])
def test_before_the_start_everything_is_zero_but_the_enrolled_are_listed(sqlite_url, days):
    engine = build(sqlite_url, days=days)
    try:
        now = course_stats(engine, "course")
        doc = course_stats(engine, "course", until=date(2023, 12, 15))
    finally:
        engine.dispose()
    c = doc["course"]
    assert now["course"]["revision_count"] > 0 and now["articles"]
    assert {f: c[f] for f in FIGURES} == dict.fromkeys(FIGURES, 0)
    assert c["student_count"] == len(STUDENTS)
    assert (c["counted_through"], c["exact"]) == ("2024-01-01T00:00:00Z", True)
    assert [(u["username"], u["role"]) for u in doc["users"]] == [(u["username"], u["role"]) for u in now["users"]]
    assert all(u[f] == 0 for u in doc["users"] for f in u if f not in ("username", "role"))
    assert doc["articles"] == [] and doc["timeslices"] == []


@pytest.mark.parametrize("days", [1, 7])
def test_after_the_end_the_figures_are_those_without_until(sqlite_url, days):
    engine = build(sqlite_url, days=days)
    try:
        now = course_stats(engine, "course")
        doc = course_stats(engine, "course", until=date(2024, 3, 31))
        last_day = course_stats(engine, "course", until=date(2024, 1, 31))
    finally:
        engine.dispose()
    extra = {"until": "2024-03-31T23:59:59Z", "counted_through": "2024-01-31T23:59:59Z", "exact": True}
    assert doc == {**now, "course": {**now["course"], **extra}}
    assert last_day == {**now, "course": {**now["course"], **extra, "until": "2024-01-31T23:59:59Z"}}


def test_a_date_after_the_last_update_counts_what_is_stored(sqlite_url, facts):
    engine = build(sqlite_url, as_of="2024-01-20T12:00:00Z")
    try:
        now = course_stats(engine, "course")
        doc = course_stats(engine, "course", until=date(2024, 1, 25))
    finally:
        engine.dispose()
    c = doc["course"]
    assert c["last_update"] == "2024-01-20T12:00:00Z"
    assert {f: c[f] for f in COURSE_FIELDS} == {f: now["course"][f] for f in COURSE_FIELDS}
    assert c["revision_count"] == oracle(facts, datetime(2024, 1, 20, 12, tzinfo=timezone.utc))["course"]["revision_count"]
    assert doc["users"] == now["users"] and doc["articles"] == now["articles"]
    assert doc["timeslices"] == now["timeslices"][:25]


def test_only_the_parts_asked_for_and_only_a_date(daily):
    doc = course_stats(daily, "course", ("users",), until=date(2024, 1, 5))
    assert set(doc) == {"users"}
    assert [u["username"] for u in doc["users"]] == sorted(STUDENTS + DEMO_INSTRUCTOR, key=reading_key)
    with pytest.raises(TypeError):
        course_stats(daily, "course", until=datetime(2024, 1, 5, tzinfo=timezone.utc))
