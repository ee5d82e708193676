"""The seed's dis-enrollment steps, one by one, at the level of the tables."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from support.course import setup_course, stats, update, utc
from support.exports import write_export
from wikicourse import courses
from wikicourse.wikis import open_source
from wikicourse.models.tables import (
    article_course_timeslices,
    articles,
    articles_courses,
    ingestion_coverage,
    course_user_wiki_timeslices,
    course_wiki_timeslices,
    course_user_article_timeslices,
    users,
)
from wikicourse.update.context import UpdateContext
from wikicourse.update.prepare_users import remove_users, removed_users
from wikicourse.update.reprocess import reprocess

AS_OF = "2024-02-01T00:00:00Z"


@pytest.fixture
def course(engine, tmp_path):
    pages = {
        ("Shared", 0): [
            ("2024-01-02T10:00:00Z", "Ann", "Shared start <ref>1</ref>"),
            ("2024-01-02T12:00:00Z", "Bob", "Shared start <ref>1</ref> Bob <ref>2</ref>"),
            ("2024-01-04T12:00:00Z", "Ann", "Shared start <ref>1</ref> Bob <ref>2</ref> Ann"),
        ],
        ("Bobs own", 0): [("2024-01-03T10:00:00Z", "Bob", "Only Bob writes here")],
        ("User:Bob/sandbox", 2): [("2024-01-05T10:00:00Z", "Bob", "Bob's sandbox")],
        ("Anns own", 0): [("2024-01-06T10:00:00Z", "Ann", "Only Ann")],
    }
    export = write_export(tmp_path / "wiki.xml", pages)
    slug = setup_course(engine, {"test.wiki": export}, start="2024-01-01", end="2024-01-10", students=["Ann", "Bob"])
    update(engine, slug, AS_OF)
    return slug


def uid(conn, name):
    return conn.scalar(select(users.c.id).where(users.c.username == name))


def stats_and_rebuilt(engine, slug):
    """The course's statistics now, checked equal to a --full rebuild's (but for their time)."""
    incremental = stats(engine, slug)
    update(engine, slug, AS_OF, full=True)
    rebuilt = stats(engine, slug)
    for doc in (incremental, rebuilt):
        doc["course"].pop("updated_at")
    assert incremental == rebuilt
    return incremental


def day(d: int) -> datetime:
    return datetime(2024, 1, d, tzinfo=timezone.utc)


def test_removed_users_are_those_with_data_who_are_no_longer_students(engine, course):
    courses.disenroll(engine, course, ["Bob"])
    with engine.connect() as conn:
        assert removed_users(conn, 1) == [uid(conn, "Bob")]


def test_each_seed_step_on_the_tables(engine, course):
    courses.disenroll(engine, course, ["Bob"])
    with engine.begin() as conn:
        bob, ann = uid(conn, "Bob"), uid(conn, "Ann")
        # Before: Bob has user timeslices, is among the editors of article timeslices,
        # and "Bobs own" is an articles courses row only he edited.
        assert (
            conn.scalar(
                select(course_user_wiki_timeslices.c.id).where(course_user_wiki_timeslices.c.user_id == bob).limit(1)
            )
            is not None
        )
        bobs_own = conn.scalar(select(articles.c.id).where(articles.c.title == "Bobs own"))
        assert conn.scalar(select(articles_courses.c.id).where(articles_courses.c.article_id == bobs_own))
        remove_users(conn, 1, [bob])

        # 1. Bob's course user wiki timeslices are deleted; Ann's stay.
        assert conn.scalars(select(course_user_wiki_timeslices.c.user_id).distinct()).all() == [ann]
        # 2. Exactly the windows where Bob edited (Jan 2, 3, 5; the sandbox too) are marked.
        marked = conn.scalars(
            select(course_wiki_timeslices.c.start)
            .where(course_wiki_timeslices.c.needs_update)
            .order_by(course_wiki_timeslices.c.start)
        ).all()
        assert marked == [day(2), day(3), day(5)]
        # 3. Those article course timeslices are cleaned: no Bob among the editors, and the
        #    Jan 2 timeslice of "Shared" holds Ann's figures only.
        for ids in conn.scalars(select(article_course_timeslices.c.user_ids)):
            assert str(bob) not in ids.split(",")
        shared = conn.scalar(select(articles.c.id).where(articles.c.title == "Shared"))
        row = conn.execute(
            select(article_course_timeslices).where(
                article_course_timeslices.c.article_id == shared, article_course_timeslices.c.start == day(2)
            )
        ).one()
        assert (row.revision_count, row.references_count, row.user_ids) == (1, 1, str(ann))
        # 4. The articles courses only Bob edited are gone, with their article timeslices.
        assert conn.scalar(select(articles_courses.c.id).where(articles_courses.c.article_id == bobs_own)) is None
        assert (
            conn.scalar(
                select(article_course_timeslices.c.id).where(article_course_timeslices.c.article_id == bobs_own)
            )
            is None
        )
        # Beyond the seed: his finest-grain rows and his ingestion record are gone too.
        assert (
            conn.scalar(
                select(course_user_article_timeslices.c.id).where(course_user_article_timeslices.c.user_id == bob)
            )
            is None
        )
        assert conn.scalar(select(ingestion_coverage.c.id).where(ingestion_coverage.c.user_id == bob)) is None

        # Reprocessing re-derives the marked windows locally and clears the marks.
        reprocess(conn, UpdateContext.load(conn, 1, utc(AS_OF), full=False))
        assert not conn.scalar(
            select(course_wiki_timeslices.c.id).where(course_wiki_timeslices.c.needs_update).limit(1)
        )
        jan2 = conn.execute(select(course_wiki_timeslices).where(course_wiki_timeslices.c.start == day(2))).one()
        assert (jan2.revision_count, jan2.references_count) == (1, 1)
        assert (
            conn.execute(
                select(course_wiki_timeslices.c.revision_count).where(course_wiki_timeslices.c.start == day(3))
            ).scalar()
            == 0
        )


class LogOnly:
    """A wiki that may only be asked for its log (every update reads it, docs/wiki-past.md): anything
    else asked of it during a dis-enrollment update is a failure."""

    request_count = 0

    def __init__(self, url):
        self.source = open_source(url)

    def log_events(self, since):
        return self.source.log_events(since)

    def __getattr__(self, name):
        raise AssertionError(f"the wiki was asked for {name}")

    def close(self):
        pass


def test_disenrollment_update_sends_no_request_and_matches_a_rebuild(engine, course):
    courses.disenroll(engine, course, ["Bob"])
    report = update(engine, course, AS_OF, source_factory=LogOnly)
    assert report.removed_users == 1 and report.requests == 0
    incremental = stats_and_rebuilt(engine, course)
    assert [u["username"] for u in incremental["users"]] == ["Ann"]
    assert {a["title"] for a in incremental["articles"]} == {"Shared", "Anns own"}
    assert incremental["course"]["character_sum_user"] == 0


def test_enrolled_again_they_count_again(engine, course):
    before = stats(engine, course)
    courses.disenroll(engine, course, ["Bob"])
    update(engine, course, AS_OF)
    courses.enroll(engine, course, ["Bob"])
    report = update(engine, course, AS_OF)
    assert report.added_users == 1
    after = stats(engine, course)
    for doc in (before, after):
        doc["course"].pop("updated_at")
    assert after == before


def test_becoming_an_instructor_stops_counting(engine, course):
    courses.enroll(engine, course, ["Bob"], role="instructor")
    update(engine, course, AS_OF)
    doc = stats(engine, course)
    bob = next(u for u in doc["users"] if u["username"] == "Bob")
    assert bob["role"] == "instructor" and bob["revision_count"] == 0
    assert doc["course"]["student_count"] == 1


def test_disenrolled_and_enrolled_back_before_an_update_keep_their_totals(engine, course):
    """Nothing is removed (the rows stay), but the enrollment is new: its totals come back."""
    before = stats(engine, course)
    courses.disenroll(engine, course, ["Bob"])
    courses.enroll(engine, course, ["Bob"])
    report = update(engine, course, AS_OF)
    assert report.removed_users == 0 and report.added_users == 0
    after = stats(engine, course)
    for doc in (before, after):
        doc["course"].pop("updated_at")
    assert after == before
    bob = next(u for u in after["users"] if u["username"] == "Bob")
    assert bob["revision_count"] == 3 and after["course"]["character_sum_user"] > 0


def test_a_new_timeslice_length_keeping_the_period_and_the_window_count_is_a_change(engine, course):
    """Ten days in windows of 7 then of 8: two windows before and after, the same bounds."""
    courses.edit_course(engine, course, timeslice_days=7)
    update(engine, course, AS_OF)
    courses.edit_course(engine, course, timeslice_days=8)
    report = update(engine, course, AS_OF)
    assert [r["kind"] for r in report.reasons if r["kind"] == "dates"] == ["dates"]
    stats_and_rebuilt(engine, course)
