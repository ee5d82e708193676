"""Campaigns: creating them and choosing their courses (all or nothing), and their figures on a
hand-made world (tests/support/campaigns.py), rule by rule, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from support import campaigns as world
from wikicourse.campaign_stats import campaign_list, campaign_stats
from wikicourse.campaigns import add_courses, campaign_courses, create_campaign, remove_courses
from wikicourse.db import open_db
from wikicourse.errors import InvalidInput, UnknownCampaign


@pytest.fixture
def db(any_url):
    engine = open_db(any_url)
    world.build_world(engine)
    yield engine
    engine.dispose()


def members(engine) -> list:
    with engine.connect() as conn:
        return sorted(conn.execute(select(campaign_courses.c.campaign_id, campaign_courses.c.course_id)).all())


def figures(doc: dict) -> dict:
    return {f: doc[f] for f in world.FIGURES}


def test_a_course_may_be_in_several_campaigns_and_adding_it_twice_changes_nothing(db):
    create_campaign(db, "spring", title="Spring")
    create_campaign(db, "uni/all-2024", title="  All of 2024 ")
    assert add_courses(db, "spring", ["c2", "c1"]) == ["c1", "c2"]
    assert add_courses(db, "uni/all-2024", ["c1"]) == ["c1"]
    before = members(db)
    assert add_courses(db, "spring", ["c1"]) == [] and members(db) == before
    assert [(c["slug"], c["title"], c["course_count"]) for c in campaign_list(db)] == [
        ("spring", "Spring", 2), ("uni/all-2024", "All of 2024", 1)]
    assert remove_courses(db, "spring", ["c1"]) == ["c1"]
    assert campaign_stats(db, "uni/all-2024")["courses"][0]["slug"] == "c1"  # still in the other


@pytest.mark.parametrize("act,args,message", [
    (add_courses, ("spring", ["c2", "nope"]), "no course 'nope'"),
    (add_courses, ("spring", []), "at least one course"),
    (remove_courses, ("spring", ["c1", "c2"]), "not in campaign 'spring': c2"),
    (remove_courses, ("spring", ["c1", "nope"]), "no course 'nope'"),
])
def test_one_bad_course_refuses_the_whole_request(db, act, args, message):
    create_campaign(db, "spring", title="Spring")
    add_courses(db, "spring", ["c1"])
    before = members(db)
    with pytest.raises(InvalidInput, match=message):
        act(db, *args)
    assert members(db) == before


@pytest.mark.parametrize("slug,title,message", [
    ("spring", "Again", "already exists"), ("has space", "T", "not a campaign slug"), ("", "T", "not a campaign slug"),
    ("uni/courses", "T", "may not hold /courses"), ("courses/x", "T", "may not hold /courses"),
    ("a/wikis", "T", "may not hold /wikis"), ("x/../spring", "T", "not a campaign slug"),
    ("x/.", "T", "not a campaign slug"), ("x//y", "T", "not a campaign slug"), ("x/", "T", "not a campaign slug"), ("x.csv", "T", "may not hold .csv"), ("ok", "  ", "title is empty")])
def test_bad_campaigns_are_refused(db, slug, title, message):
    create_campaign(db, "spring", title="Spring")
    with pytest.raises(InvalidInput, match=message):
        create_campaign(db, slug, title=title)
    assert [c["slug"] for c in campaign_list(db)] == ["spring"]


def test_an_unknown_campaign_is_named(db):
    for act in (lambda: campaign_stats(db, "nope"), lambda: add_courses(db, "nope", ["c1"]),
                lambda: remove_courses(db, "nope", ["c1"])):
        with pytest.raises(UnknownCampaign, match="no campaign 'nope'"):
            act()


def test_the_union_counts_each_revision_and_student_once(db):
    create_campaign(db, "both", title="Both")
    add_courses(db, "both", ["c1", "c2"])
    doc = campaign_stats(db, "both")
    assert figures(doc["campaign"]) == world.UNION
    assert {w["wiki"]: {k: v for k, v in w.items() if k != "wiki"} for w in doc["wikis"]} == world.PER_WIKI
    assert [(a["date"], a["wiki"], a["revision_count"], a["character_sum"]) for a in doc["activity"]] == \
        world.ACTIVITY
    c = doc["campaign"]
    assert (c["course_count"], c["wikis"], c["until"]) == (2, [world.ONE, world.TWO], None)
    assert c["last_update"] == "2024-01-07T23:59:59Z"  # the oldest of its courses'
    assert [(k["slug"], figures(k), k["start"], k["last_update"]) for k in doc["courses"]] == [
        ("c1", world.C1, "2024-01-01", "2024-01-07T23:59:59Z"), ("c2", world.C2, "2024-01-05", "2024-02-01T00:00:00Z")]
    listed = {x["slug"]: x for x in campaign_list(db)}["both"]
    assert figures(listed) == world.UNION and listed["last_update"] == c["last_update"]


@pytest.mark.parametrize("slug,expected", [("c1", world.C1), ("c2", world.C2)])
def test_a_campaign_of_one_course_counts_what_the_course_counts(db, slug, expected):
    create_campaign(db, "one", title="One")
    add_courses(db, "one", [slug])
    assert figures(campaign_stats(db, "one")["campaign"]) == expected


def test_until_counts_that_day_whole_and_nothing_later(db):
    create_campaign(db, "both", title="Both")
    add_courses(db, "both", ["c1", "c2"])
    doc = campaign_stats(db, "both", until=date(2024, 1, 6))
    assert figures(doc["campaign"]) == world.UNTIL_6TH and doc["campaign"]["until"] == "2024-01-06"
    assert [a["date"] for a in doc["activity"]] == ["2024-01-02", "2024-01-03", "2024-01-06"]
    # The courses' own figures are counted up to that day too.
    assert [(k["slug"], figures(k)) for k in doc["courses"]] == [("c1", world.C1_UNTIL_6TH),
                                                                 ("c2", world.C2_UNTIL_6TH)]
    assert figures(campaign_stats(db, "both", until=date(2023, 12, 1))["campaign"]) == {
        **dict.fromkeys(world.FIGURES, 0), "student_count": 4}


def test_a_never_updated_course_leaves_the_campaign_without_an_as_of_time(db):
    from wikicourse.courses import create_course

    create_course(db, "c3", title="Course three", start=date(2024, 2, 1), end=date(2024, 2, 9), wikis=[world.ONE])
    create_campaign(db, "all", title="All")
    create_campaign(db, "empty", title="Empty")
    add_courses(db, "all", ["c1", "c2", "c3"])
    assert campaign_stats(db, "all")["campaign"]["last_update"] is None
    assert figures(campaign_stats(db, "all")["campaign"]) == world.UNION
    empty = campaign_stats(db, "empty")
    assert (figures(empty["campaign"]), empty["courses"], empty["wikis"], empty["activity"]) == (
        dict.fromkeys(world.FIGURES, 0), [], [], [])
