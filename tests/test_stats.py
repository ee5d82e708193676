"""Per-wiki figures: they add up to the course's totals, also while a removed wiki's figures still count."""
from __future__ import annotations

from support.course import setup_course, stats, update
from wikicourse import courses
from wikicourse.demo import DEMO_XML
from wikicourse.stats import COURSE_FIELDS, per_wiki

STUDENTS = ["Amara Okafor", "Lena Fischer", "Mei Chen"]


def totals(rows: list[dict]) -> dict:
    return {f: sum(r[f] for r in rows) for f in COURSE_FIELDS if f != "student_count"}


def test_per_wiki_figures_add_up_to_the_course_totals_until_a_removed_wiki_leaves(engine):
    setup_course(engine, {"one.demo.invalid": DEMO_XML, "two.demo.invalid": DEMO_XML}, slug="c",
                 start="2024-01-01", end="2024-01-31", students=STUDENTS)
    update(engine, "c", "2024-02-01T00:00:00Z")
    course = stats(engine, "c")["course"]
    rows = per_wiki(engine, "c")
    assert [(r["wiki"], r["tracked"]) for r in rows] == [("one.demo.invalid", True), ("two.demo.invalid", True)]
    assert rows[0]["revision_count"] > 0 and rows[0]["editors"] == len(STUDENTS)
    assert totals(rows) == {f: course[f] for f in COURSE_FIELDS if f != "student_count"}

    courses.edit_course(engine, "c", remove_wikis=["two.demo.invalid"])
    rows = per_wiki(engine, "c")  # the figures still count until the next update
    assert [(r["wiki"], r["tracked"]) for r in rows] == [("one.demo.invalid", True), ("two.demo.invalid", False)]
    assert totals(rows) == {f: course[f] for f in COURSE_FIELDS if f != "student_count"}

    update(engine, "c", "2024-02-01T00:00:00Z")
    course = stats(engine, "c")["course"]
    rows = per_wiki(engine, "c")
    assert [r["wiki"] for r in rows] == ["one.demo.invalid"]
    assert totals(rows) == {f: course[f] for f in COURSE_FIELDS if f != "student_count"}
