"""Campaign figures through the real update cycle, against the oracle (tests/support/oracle.py).

Three courses over two generated wikis read offline, with overlapping rosters, periods and
wikis; one updated mid-course, a student dis-enrolled from one course but still in another,
an instructor of one course who is a student of another, and a page deleted after a first
update. The campaign must count the union of the courses' in-scope revisions: each revision
once, each student once. Runs on SQLite and PostgreSQL.

These figures are read from the shared `revisions` table, which the shared ingestion fills.
"""
from __future__ import annotations

import dataclasses
from datetime import date, datetime, timezone

import pytest

from support.course import utc
from support.oracle import expected_campaign, expected_stats
from wikicourse import campaigns, courses
from wikicourse.clock import now_utc
from wikicourse.campaign_stats import campaign_list, campaign_stats
from wikicourse.db import open_db
from wikicourse.demo.generate import generate
from wikicourse.models.course import HEADLINE
from wikicourse.sources.dump import DumpSource
from wikicourse.stats import course_stats
from wikicourse.update.cycle import update_course
from wikicourse.wikis import add_wiki

USERS = [f"Student {c}" for c in "ABCDEFGH"]
ONE, TWO = "one.wiki", "two.wiki"
T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
# slug -> the course as the oracle needs it; as_of is its last update.
COURSES = {
    "c1": dict(students=["Student A", "Student B", "Student C"], start="2024-01-01", end="2024-01-14",
               wikis=[ONE, TWO], as_of="2024-01-12T06:00:00Z"),  # mid-course
    "c2": dict(students=["Student C", "Student D", "Student E", "Student F"], start="2024-01-08",
               end="2024-01-24", wikis=[ONE], as_of="2024-01-30T00:00:00Z"),  # ended
    "c3": dict(students=["Student B", "Student E", "Student G"], start="2024-01-04", end="2024-01-20",
               wikis=[TWO], as_of="2024-01-15T00:00:00Z"),
}
INSTRUCTORS = {"c1": ["Student E"], "c3": ["Student A"]}  # their edits never count there
LEFT = ("c1", "Student D")  # dis-enrolled from c1 after its first update, still a student of c2


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("campaign-wikis")
    paths, facts = {}, {}
    for n, domain in enumerate((ONE, TWO)):
        path = folder / f"{domain}.xml"
        facts[domain] = generate(path, users=USERS, pages=40, revisions=500, start=T0, days=24, seed=31 + n,
                                 wiki=domain, keep_text=True)
        paths[domain] = path.resolve().as_uri()
    return paths, facts


def _deleted_title(facts) -> str:
    """A main-space page on wiki one that c1 counted at its first update and c2 counts too."""
    def editors(title, first, last):
        return {f.user for f in facts[ONE] if f.title == title and date(2024, 1, first) <= f.timestamp.date()
                <= date(2024, 1, last)}
    titles = sorted({f.title for f in facts[ONE] if f.namespace == 0})
    return next(t for t in titles if editors(t, 1, 9) & {"Student A", "Student B", "Student C"}
                and editors(t, 8, 24) & {"Student C", "Student D", "Student E", "Student F"})


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, exports, tmp_path_factory):
    """The courses, updated through the cycle, and the facts as the wikis hold them now."""
    paths, facts = exports
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('campaign-db') / 'db.sqlite'}"
    else:
        from support.postgres import fresh_database

        url = fresh_database(request.getfixturevalue("pg_base_url"))
    engine = open_db(url)
    sources = {u: DumpSource(u.removeprefix("file://")) for u in paths.values()}
    factory = sources.__getitem__  # one source per wiki, so a page deleted stays deleted

    def update(slug, as_of):
        report = update_course(engine, slug, as_of=utc(as_of), source_factory=factory)
        assert report.status == "done", report

    for domain, path in paths.items():
        add_wiki(engine, domain, path)
    for slug, c in COURSES.items():
        courses.create_course(engine, slug, title=f"Course {slug}", start=date.fromisoformat(c["start"]),
                              end=date.fromisoformat(c["end"]), wikis=c["wikis"])
        courses.enroll(engine, slug, c["students"] + ([LEFT[1]] if slug == LEFT[0] else []), source_factory=factory)
        if slug in INSTRUCTORS:
            courses.enroll(engine, slug, INSTRUCTORS[slug], role="instructor", source_factory=factory)
    update("c1", "2024-01-10T12:00:00Z")
    title = _deleted_title(facts)
    sources[paths[ONE]].change_page("delete", title, now_utc())  # logs are read by the wall clock
    courses.disenroll(engine, LEFT[0], [LEFT[1]])
    for slug, c in COURSES.items():
        update(slug, c["as_of"])
    for slug in ("everything", "c1-alone", "c2-alone", "c3-alone"):
        campaigns.create_campaign(engine, slug, title=slug.title())
    campaigns.add_courses(engine, "everything", list(COURSES))
    for slug in COURSES:
        campaigns.add_courses(engine, f"{slug}-alone", [slug])
    now = {ONE: [dataclasses.replace(f, deleted=True) if f.title == title else f for f in facts[ONE]],
           TWO: facts[TWO]}
    yield engine, now
    engine.dispose()
    if request.param == "postgresql":
        from support.postgres import drop_database

        drop_database(url)


def _figures(doc: dict) -> dict:
    return {f: doc[f] for f in HEADLINE}


def test_a_campaign_counts_the_union_of_its_courses_revisions_once(world):
    engine, facts = world
    want = expected_campaign(facts, COURSES.values())
    doc = campaign_stats(engine, "everything")
    assert _figures(doc["campaign"]) == want["campaign"]
    assert doc["campaign"]["revision_count"] > 0, "nothing counted: the test shows nothing"
    # The scenario overlaps: summing the courses would count revisions and students twice.
    assert sum(c["revision_count"] for c in doc["courses"]) > doc["campaign"]["revision_count"]
    assert sum(c["student_count"] for c in doc["courses"]) > doc["campaign"]["student_count"]
    assert {w["wiki"]: {k: v for k, v in w.items() if k != "wiki"} for w in doc["wikis"]} == want["wikis"]
    assert {(a["date"], a["wiki"]): (a["revision_count"], a["character_sum"]) for a in doc["activity"]} == \
        want["activity"]
    assert {c["slug"]: c for c in campaign_list(engine)}["everything"] | {"wikis": None} == \
        {"slug": "everything", "title": "Everything", "course_count": 3, "wikis": None, **want["campaign"],
         "last_update": "2024-01-12T06:00:00Z"}


def test_a_dis_enrolled_student_still_counts_through_the_course_that_keeps_them(world):
    engine, facts = world
    c1_as_it_was = {**COURSES["c1"], "students": COURSES["c1"]["students"] + [LEFT[1]]}
    theirs = expected_campaign(facts, [{**c1_as_it_was, "students": [LEFT[1]]}])["campaign"]
    assert theirs["revision_count"] > 0, "the student left has no edit in c1: the test shows nothing"
    # Gone from c1: c1 alone no longer counts them; the campaign counts them through c2 only.
    assert _figures(campaign_stats(engine, "c1-alone")["campaign"]) == \
        expected_campaign(facts, [COURSES["c1"]])["campaign"]
    assert _figures(campaign_stats(engine, "everything")["campaign"]) == \
        expected_campaign(facts, COURSES.values())["campaign"] != \
        expected_campaign(facts, [c1_as_it_was, COURSES["c2"], COURSES["c3"]])["campaign"]


@pytest.mark.parametrize("slug", list(COURSES))
def test_a_campaign_of_one_course_has_the_course_s_own_figures(world, slug):
    engine, facts = world
    own = course_stats(engine, slug, ("course",))["course"]
    c = COURSES[slug]
    assert _figures(own) == _figures(expected_stats(facts, students=c["students"], instructors=INSTRUCTORS.get(slug, ()),
                                                    start=c["start"], end=c["end"], wikis=c["wikis"],
                                                    as_of=c["as_of"])["course"])
    assert _figures(campaign_stats(engine, f"{slug}-alone")["campaign"]) == _figures(own)


@pytest.mark.parametrize("until", ["2024-01-03", "2024-01-09", "2024-01-10", "2024-01-31"])
def test_until_counts_the_revisions_of_that_day_or_earlier(world, until):
    engine, facts = world
    doc = campaign_stats(engine, "everything", date.fromisoformat(until))
    want = expected_campaign(facts, COURSES.values(), until=until)
    assert _figures(doc["campaign"]) == want["campaign"] and doc["campaign"]["until"] == until
    assert {(a["date"], a["wiki"]): (a["revision_count"], a["character_sum"]) for a in doc["activity"]} == \
        want["activity"]
    # Each course's own figures are counted up to that day too (its students: those enrolled now).
    for course in doc["courses"]:
        alone = expected_campaign(facts, [COURSES[course["slug"]]], until=until)["campaign"]
        assert _figures(course) == alone, course["slug"]

