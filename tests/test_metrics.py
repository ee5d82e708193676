"""Each metric of docs/metrics.md on hand-made histories, through the whole update cycle."""
from __future__ import annotations

import pytest

from support.course import setup_course, stats, update
from support.exports import write_export

INTRO = "Alpha is a thing.<ref>a</ref>"  # 29 bytes, 1 ref
GROWN = INTRO + " More <ref name=\"x\">b</ref> and <ref name=\"x\"/>"  # +3 refs... see below


@pytest.fixture
def history(tmp_path):
    pages = {
        # Created in the course by Ann, grown by Bob (2 refs), shrunk by Ann (refs removed).
        ("Alpha", 0): [("2024-01-02T10:00:00Z", "Ann", INTRO),
                       ("2024-01-03T10:00:00Z", "Bob", INTRO + ' More <ref name="x">b</ref> <ref name="x"/>'),
                       ("2024-01-05T10:00:00Z", "Ann", "Alpha short")],
        # Created before the course by someone else; Bob adds text and a <references/> tag.
        ("Beta", 0): [("2023-12-20T10:00:00Z", "Elder", "Beta existed."),
                      ("2024-01-04T12:00:00Z", "Bob", "Beta existed. Bob adds.\n<references/>")],
        # Ann's sandbox (User space) and Cid's draft (Draft space, with a ref).
        ("User:Ann/sandbox", 2): [("2024-01-02T11:00:00Z", "Ann", "draft text")],
        ("Draft:Gamma", 118): [("2024-01-06T11:00:00Z", "Cid", "gamma draft <ref>z</ref>")],
        # The instructor's edits never count; edits outside the dates never count.
        ("Delta", 0): [("2024-01-03T09:00:00Z", "Ian", "Instructor text"),
                       ("2024-01-11T00:00:00Z", "Ann", "Instructor text, after the end"),
                       ("2024-01-12T00:00:00Z", "Ann", "Instructor text, after the end.")],
        ("Epsilon", 0): [("2023-12-31T23:59:59Z", "Cid", "Before the start <ref>q</ref>"),
                         ("2024-01-10T23:59:59Z", "Cid", "Before the start <ref>q</ref> last second")],
        # Non-ASCII: characters are bytes (sizediff), not code points.
        ("Zeta", 0): [("2024-01-07T08:00:00Z", "Cid", "Zêta – ünïcode")],
    }
    return write_export(tmp_path / "wiki.xml", pages)


@pytest.fixture
def doc(engine, history):
    slug = setup_course(engine, {"test.wiki": history}, start="2024-01-01", end="2024-01-10",
                        students=["Ann", "Bob", "Cid"], instructors=["Ian"])
    update(engine, slug, "2024-02-01T00:00:00Z")
    return stats(engine, slug)


def by(items, key):
    return {i[key]: i for i in items}


def test_character_sum_counts_growth_in_main_space_only_and_bytes_not_characters(doc):
    zeta = len("Zêta – ünïcode".encode())  # 19 bytes, 14 characters
    epsilon_growth = len(" last second")
    bob_alpha = len(' More <ref name="x">b</ref> <ref name="x"/>')
    bob_beta = len(" Bob adds.\n<references/>")
    # Ann's shrinking edit counts 0, not a negative number.
    assert doc["course"]["character_sum"] == 29 + bob_alpha + bob_beta + epsilon_growth + zeta


def test_user_and_draft_space_have_their_own_sums(doc):
    assert doc["course"]["character_sum_user"] == len("draft text")
    assert doc["course"]["character_sum_draft"] == len("gamma draft <ref>z</ref>")


def test_references_added_counts_ref_tags_not_references_and_never_goes_negative(doc):
    # Ann +1 (creation), Bob +2 (<ref name> and <ref name/>), Ann's removal 0,
    # <references/> 0, the draft's ref is not main space, Epsilon's ref predates the start.
    assert doc["course"]["references_count"] == 3
    users = by(doc["users"], "username")
    assert (users["Ann"]["references_count"], users["Bob"]["references_count"],
            users["Cid"]["references_count"]) == (1, 2, 0)


def test_revision_count_spans_the_three_namespaces_within_the_dates(doc):
    # Ann 3 (Alpha x2, sandbox), Bob 2, Cid 3 (draft, Epsilon at 23:59:59 of the end day, Zeta).
    users = by(doc["users"], "username")
    assert {u: users[u]["revision_count"] for u in ("Ann", "Bob", "Cid", "Ian")} == \
        {"Ann": 3, "Bob": 2, "Cid": 3, "Ian": 0}
    assert doc["course"]["revision_count"] == 8


def test_articles_edited_and_created(doc):
    articles = by(doc["articles"], "title")
    assert set(articles) == {"Alpha", "Beta", "Epsilon", "Zeta"}  # main space only
    assert doc["course"]["article_count"] == 4
    assert [t for t, a in articles.items() if a["new_article"]] == ["Alpha", "Zeta"]
    assert doc["course"]["new_article_count"] == 2
    assert articles["Alpha"]["editors"] == ["Ann", "Bob"]
    assert articles["Alpha"]["references_count"] == 3
    assert articles["Alpha"]["revision_count"] == 3
    assert articles["Epsilon"]["new_article"] is False  # created before the start


def test_instructors_count_as_nothing_but_are_listed(doc):
    users = by(doc["users"], "username")
    assert users["Ian"]["role"] == "instructor"
    assert doc["course"]["student_count"] == 3
    assert "Delta" not in by(doc["articles"], "title")


def test_per_student_sums_add_up_to_the_course(doc):
    students = [u for u in doc["users"] if u["role"] == "student"]
    assert sum(u["character_sum_ms"] for u in students) == doc["course"]["character_sum"]
    assert sum(u["character_sum_us"] for u in students) == doc["course"]["character_sum_user"]
    assert sum(u["references_count"] for u in students) == doc["course"]["references_count"]


def test_timeslices_cover_the_period_in_days_and_hold_each_day(doc):
    windows = doc["timeslices"]
    assert len(windows) == 10
    assert windows[0]["start"] == "2024-01-01T00:00:00Z" and windows[-1]["end"] == "2024-01-11T00:00:00Z"
    day3 = by(windows, "start")["2024-01-03T00:00:00Z"]
    assert day3["revision_count"] == 1  # Bob on Alpha; the instructor's edit does not count
    assert sum(w["revision_count"] for w in windows) == doc["course"]["revision_count"]
    assert not any(w["needs_update"] for w in windows)


def test_as_of_fixes_the_clock_and_counts_its_own_second(engine, history):
    slug = setup_course(engine, {"test.wiki": history}, start="2024-01-01", end="2024-01-10",
                        students=["Ann", "Bob", "Cid"])
    update(engine, slug, "2024-01-03T09:59:59Z")  # Bob's edit at 10:00:00 is not yet in
    doc = stats(engine, slug)
    assert doc["course"]["revision_count"] == 2
    assert doc["course"]["last_update"] == "2024-01-03T09:59:59Z"
    # docs/update-cycle.md: an update as of T counts every revision timestamped T or earlier.
    update(engine, slug, "2024-01-03T10:00:00Z")
    doc = stats(engine, slug)
    assert doc["course"]["revision_count"] == 3
    assert doc["course"]["last_update"] == "2024-01-03T10:00:00Z"


def test_longer_timeslices_clip_the_last_window_to_the_end(engine, history):
    slug = setup_course(engine, {"test.wiki": history}, start="2024-01-01", end="2024-01-10",
                        students=["Ann", "Bob", "Cid"], timeslice_days=7)
    update(engine, slug, "2024-02-01T00:00:00Z")
    windows = stats(engine, slug)["timeslices"]
    assert [(w["start"], w["end"]) for w in windows] == [
        ("2024-01-01T00:00:00Z", "2024-01-08T00:00:00Z"), ("2024-01-08T00:00:00Z", "2024-01-11T00:00:00Z")]
    assert sum(w["revision_count"] for w in windows) == 8
