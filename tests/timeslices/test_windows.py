"""Window arithmetic and window bookkeeping when a course's dates move."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from support.course import setup_course, stats, update
from support.exports import write_export
from wikicourse import courses
from wikicourse.models.tables import ingestion_coverage, course_wiki_timeslices
from wikicourse.timeslices.windows import Grid
from wikicourse.update import copy


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_a_period_is_cut_into_half_open_windows_the_last_one_clipped():
    grid = Grid.of(date(2024, 1, 1), date(2024, 1, 10), 3)
    assert grid.starts() == [utc(2024, 1, 1), utc(2024, 1, 4), utc(2024, 1, 7), utc(2024, 1, 10)]
    assert grid.end_of(utc(2024, 1, 10)) == utc(2024, 1, 11)  # the end date's 23:59:59 is inside
    assert grid.floor(utc(2024, 1, 6, 23, 59, 59)) == utc(2024, 1, 4)
    assert grid.floor(utc(2023, 12, 1)) == utc(2024, 1, 1)
    assert grid.horizon(utc(2025, 1, 1)) == utc(2024, 1, 11)
    assert grid.horizon(utc(2023, 1, 1)) == utc(2024, 1, 1)
    assert grid.aligned(utc(2024, 1, 7)) and not grid.aligned(utc(2024, 1, 8))


def test_a_one_day_course_has_one_window():
    grid = Grid.of(date(2024, 1, 1), date(2024, 1, 1), 1)
    assert grid.starts() == [utc(2024, 1, 1)] and grid.end_of(utc(2024, 1, 1)) == utc(2024, 1, 2)


@pytest.fixture
def course(engine, tmp_path):
    pages = {("Page", 0): [(f"2024-01-{d:02d}T12:00:00Z", "Ann", "x" * d) for d in range(1, 29)]}
    export = write_export(tmp_path / "w.xml", pages)
    slug = setup_course(engine, {"w.wiki": export}, start="2024-01-01", end="2024-01-10", students=["Ann"])
    update(engine, slug, "2024-02-01T00:00:00Z")
    return slug


def windows(doc):
    return [(w["start"][:10], w["revision_count"]) for w in doc["timeslices"]]


@pytest.mark.parametrize("start,end", [
    ("2024-01-15", "2024-01-20"),  # moved later, disjoint from the old period
    ("2024-01-05", "2024-01-08"),  # shrunk at both ends
    ("2023-12-25", "2024-01-03"),  # moved earlier, overlapping
    ("2023-12-01", "2023-12-05"),  # moved earlier, disjoint
])
def test_moved_dates_give_exactly_the_new_windows_with_their_data(engine, course, start, end):
    courses.edit_course(engine, course, start=date.fromisoformat(start), end=date.fromisoformat(end))
    update(engine, course, "2024-02-01T00:00:00Z")
    doc = stats(engine, course)
    days = (date.fromisoformat(end) - date.fromisoformat(start)).days + 1
    expected_starts = [(date.fromisoformat(start) + timedelta(days=i)).isoformat() for i in range(days)]
    assert [s for s, _ in windows(doc)] == expected_starts  # no duplicate, none missing
    assert all(n == (1 if "2024-01-01" <= s <= "2024-01-28" else 0) for s, n in windows(doc))
    assert not any(w["needs_update"] for w in doc["timeslices"])


@pytest.mark.parametrize("start,end,days,taken", [
    ("2024-01-01", "2024-01-06", 1, []),  # end earlier: the windows after it go
    ("2024-01-04", "2024-01-10", 1, []),  # start later: the windows before it go
    ("2024-01-04", "2024-01-06", 1, []),
    ("2023-12-29", "2024-01-10", 1, ["2023-12-29", "2023-12-30", "2023-12-31"]),  # start earlier
    ("2024-01-01", "2024-01-13", 1, ["2024-01-11", "2024-01-12", "2024-01-13"]),  # end later
    ("2023-12-31", "2024-01-12", 1, ["2023-12-31", "2024-01-11", "2024-01-12"]),  # both
    ("2024-01-01", "2024-01-10", 2, ["2024-01-01", "2024-01-03", "2024-01-05", "2024-01-07", "2024-01-09"]),
])
def test_a_date_edit_takes_from_the_store_only_the_windows_it_changes(engine, course, monkeypatch,
                                                                      start, end, days, taken):
    """The windows kept as they were keep their rows: the copy step takes again from the
    shared store (and so the derivation redoes) only the windows the edit adds or changes;
    a new timeslice length changes them all."""
    copied = []
    real = copy.copy_windows

    def spy(conn, course_id, wiki_id, user_ids, first, last):
        copied.append((first, last))
        real(conn, course_id, wiki_id, user_ids, first, last)

    monkeypatch.setattr(copy, "copy_windows", spy)
    courses.edit_course(engine, course, start=date.fromisoformat(start), end=date.fromisoformat(end),
                        timeslice_days=days)
    update(engine, course, "2024-02-01T00:00:00Z")
    doc = stats(engine, course)
    windows = [datetime.fromisoformat(w["start"].replace("Z", "+00:00")) for w in doc["timeslices"]]
    assert [f"{w:%Y-%m-%d}" for w in windows if any(first <= w < last for first, last in copied)] == taken
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    period = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    assert doc["course"]["revision_count"] == sum(date(2024, 1, 1) <= d <= date(2024, 1, 28) for d in period)


def test_every_timeslice_table_refuses_a_duplicate_window(engine, course):
    with engine.connect() as conn:
        row = conn.execute(select(course_wiki_timeslices).limit(1)).one()._asdict()
        row.pop("id")
        with pytest.raises(IntegrityError):
            conn.execute(insert(course_wiki_timeslices).values(**row))
    from wikicourse.models import Base

    for name in ("course_wiki_timeslices", "course_user_wiki_timeslices", "article_course_timeslices",
                 "course_user_article_timeslices"):
        uniques = [c for c in Base.metadata.tables[name].constraints if c.__class__.__name__ == "UniqueConstraint"]
        assert any("start" in c.columns for c in uniques), name


def test_no_window_after_the_as_of_time_is_ever_marked(engine, course):
    courses.edit_course(engine, course, end=date(2024, 1, 20))
    update(engine, course, "2024-01-12T06:00:00Z", full=True)
    doc = stats(engine, course)
    assert not any(w["needs_update"] for w in doc["timeslices"])
    with engine.connect() as conn:
        assert conn.scalar(select(func.min(ingestion_coverage.c.ingested_until))) == utc(2024, 1, 12, 6, 0, 1)  # its second included
