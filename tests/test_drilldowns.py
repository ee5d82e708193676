"""The drill-downs list exactly what the course counts: for every student, the sums of their
listed revisions are their figures in the stats document after an update (revisions,
characters per namespace, main-space references), the new articles their revisions created
are the course's new articles, and an article's list sums to its figures. Checked after a
first update, after a page is deleted and another moved out of main space, and after a
student is dis-enrolled (who leaves the drill-downs at once, and the cached figures at the
next update). Two generated wikis read offline, SQLite and PostgreSQL.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from support.course import utc
from wikicourse import courses
from wikicourse.clock import now_utc
from wikicourse.db import open_db
from wikicourse.demo.generate import generate
from wikicourse.drilldowns import (MAX_PER_PAGE, Paging, article_drilldown, course_articles, recent_activity,
                                   student_drilldown)
from wikicourse.errors import InvalidInput, UnknownArticle, UnknownStudent
from wikicourse.sources.dump import DumpSource
from wikicourse.stats import course_stats
from wikicourse.update.cycle import update_course
from wikicourse.wikis import add_wiki

ONE, TWO = "one.wiki", "two.wiki"
STUDENTS = [f"Student {c}" for c in "ABCDEF"]
INSTRUCTOR = "Student G"  # edits too, never counted
SLUG = "Uni/Drill_(2024)"
T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
NS_FIELD = {0: "character_sum_ms", 2: "character_sum_us", 118: "character_sum_draft"}


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("drill-wikis")
    paths, facts = {}, {}
    for n, domain in enumerate((ONE, TWO)):
        path = folder / f"{domain}.xml"
        facts[domain] = generate(path, users=STUDENTS + [INSTRUCTOR], pages=40, revisions=400, start=T0, days=20,
                                 seed=71 + n, wiki=domain)
        paths[domain] = path.resolve().as_uri()
    return paths, facts


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request, exports, tmp_path):
    paths, facts = exports
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'drill.sqlite'}"
    else:
        from support.postgres import fresh_database

        url = fresh_database(request.getfixturevalue("pg_base_url"))
    engine = open_db(url)
    sources = {u: DumpSource(u.removeprefix("file://")) for u in paths.values()}
    for domain, path in paths.items():
        add_wiki(engine, domain, path)
    courses.create_course(engine, SLUG, title="Drilling", start=date(2024, 1, 1), end=date(2024, 1, 20),
                          wikis=[ONE, TWO])
    courses.enroll(engine, SLUG, STUDENTS, source_factory=sources.__getitem__)
    courses.enroll(engine, SLUG, [INSTRUCTOR], role="instructor", source_factory=sources.__getitem__)
    # Another course reads the same students further: the store then holds edits this course
    # does not count yet (past its students' ingested_until).
    courses.create_course(engine, "ahead", title="Ahead", start=date(2024, 1, 1), end=date(2024, 1, 20), wikis=[ONE])
    courses.enroll(engine, "ahead", STUDENTS[:3], source_factory=sources.__getitem__)
    world = World(engine, sources, paths, facts)
    world.update("2024-01-12T06:00:00Z")
    world.update("2024-01-16T00:00:00Z", "ahead")
    yield world
    engine.dispose()
    if request.param == "postgresql":
        from support.postgres import drop_database

        drop_database(url)


class World:
    def __init__(self, engine, sources, paths, facts):
        self.engine, self.sources, self.paths, self.facts = engine, sources, paths, facts

    def update(self, as_of: str, slug: str = SLUG) -> None:
        report = update_course(self.engine, slug, as_of=utc(as_of), source_factory=self.sources.__getitem__)
        assert report.status == "done", report

    def change(self, domain: str, kind: str, title: str, new_title: str = "") -> None:
        assert self.sources[self.paths[domain]].change_page(kind, title, now_utc(), new_title) is not None


def every_revision(engine, username: str) -> tuple[dict, list[dict]]:
    """The student's drill-down and all their listed revisions, page after page."""
    first = student_drilldown(engine, SLUG, username, Paging(per_page=MAX_PER_PAGE))
    listed = list(first["revisions"])
    for number in range(2, first["paging"]["pages"] + 1):
        listed += student_drilldown(engine, SLUG, username, Paging(page=number, per_page=MAX_PER_PAGE))["revisions"]
    assert len(listed) == first["paging"]["total"] == len({(r["wiki"], r["rev_id"]) for r in listed})
    return first, listed


def sums(listed: list[dict]) -> dict:
    out = {"revision_count": len(listed), "references_count": sum(r["references"] for r in listed)}
    for ns, field in NS_FIELD.items():
        out[field] = sum(r["characters"] for r in listed if r["namespace"] == ns)
    return out


def assert_exact(engine) -> dict[str, list[dict]]:
    """Every student's list sums to their figures; the lists' new articles and articles are the
    course's; every article's list sums to its figures. Returns the lists by student."""
    doc = course_stats(engine, SLUG)
    lists, created, edited = {}, set(), set()
    for user in doc["users"]:
        drill, listed = every_revision(engine, user["username"])
        lists[user["username"]] = listed
        mine = sums(listed)
        assert mine == {f: user[f] for f in mine}, user["username"]
        assert {f: drill["student"][f] for f in mine} == mine
        if user["role"] != "student":
            assert listed == [] and drill["student"]["revision_count"] == 0
        assert all(r["references"] == 0 for r in listed if r["namespace"] != 0)
        assert sum(w["revision_count"] for w in drill["wikis"]) == user["revision_count"]
        main = {(r["wiki"], r["title"]) for r in listed if r["namespace"] == 0}
        new = {(r["wiki"], r["title"]) for r in listed if r["namespace"] == 0 and r["new"]}
        assert drill["student"]["article_count"] == len(main) and drill["student"]["new_article_count"] == len(new)
        assert {(a["wiki"], a["title"]) for a in drill["articles"] if a["namespace"] == 0} == main
        created |= new
        edited |= main
    assert created == {(a["wiki"], a["title"]) for a in doc["articles"] if a["new_article"]}
    assert len(created) == doc["course"]["new_article_count"] > 0
    assert edited == {(a["wiki"], a["title"]) for a in doc["articles"]}
    total = [r for rs in lists.values() for r in rs]
    assert sums(total)["revision_count"] == doc["course"]["revision_count"] > 0
    assert sums(total)["character_sum_ms"] == doc["course"]["character_sum"]
    assert sums(total)["references_count"] == doc["course"]["references_count"]
    # Each article's drill-down: its list sums to the articles list's figures.
    for a in course_articles(engine, SLUG):
        drill = article_drilldown(engine, SLUG, a["id"], Paging(per_page=MAX_PER_PAGE))
        assert drill["paging"]["pages"] == 1
        revs = drill["revisions"]
        assert (len(revs), sum(r["characters"] for r in revs), sum(r["references"] for r in revs)) == \
               (a["revision_count"], a["character_sum"], a["references_count"]), a["title"]
        assert (drill["article"]["revision_count"], drill["article"]["new_article"]) == \
               (a["revision_count"], a["new_article"])
        assert sorted(e["username"] for e in drill["editors"]) == a["editors"]
        assert sum(w["character_sum"] for w in drill["windows"]) == a["character_sum"]
    # The latest edits are the newest of all the lists.
    recent = recent_activity(engine, SLUG, 15)["revisions"]
    by_wiki = sorted(sorted(total, key=lambda r: -r["rev_id"]), key=lambda r: r["wiki"])  # ties: wiki, newest revision
    newest = sorted(by_wiki, key=lambda r: r["timestamp"], reverse=True)[:15]
    assert [(r["wiki"], r["rev_id"]) for r in recent] == [(r["wiki"], r["rev_id"]) for r in newest]
    return lists


def test_the_lists_sum_to_the_figures_through_page_changes_and_a_dis_enrollment(world):
    engine = world.engine
    before = assert_exact(engine)
    stored_later = course_stats(engine, "ahead")["course"]["last_update"]
    assert stored_later == "2024-01-16T00:00:00Z"
    assert max(r["timestamp"] for rs in before.values() for r in rs) < "2024-01-12T06:00:01Z"
    # A page deleted and another moved out of main space: their edits stop counting.
    leaving = max(STUDENTS, key=lambda s: len(before[s]))
    main_pages = sorted({(r["wiki"], r["title"]) for name, rs in before.items() if name != leaving
                         for r in rs if r["namespace"] == 0})
    (wiki_a, deleted), (wiki_b, moved) = main_pages[0], main_pages[-1]
    world.change(wiki_a, "delete", deleted)
    world.change(wiki_b, "move", moved, f"Draft:{moved}")
    cached = course_stats(engine, SLUG)["course"]
    courses.disenroll(engine, SLUG, [leaving])
    # At once: gone from the drill-downs (not enrolled: no page of their own) ...
    with pytest.raises(UnknownStudent):
        student_drilldown(engine, SLUG, leaving)
    assert all(r["username"] != leaving for r in recent_activity(engine, SLUG, 500)["revisions"])
    # ... while the cached figures keep their edits until the next update.
    assert course_stats(engine, SLUG)["course"]["revision_count"] == cached["revision_count"]
    world.update("2024-01-21T00:00:00Z")
    after = assert_exact(engine)
    assert leaving not in after
    assert all((r["wiki"], r["title"]) != (wiki_a, deleted) for rs in after.values() for r in rs)
    # The deleted page keeps a drill-down that says why its edits no longer count.
    gone_id = next(r["article_id"] for rs in before.values() for r in rs if (r["wiki"], r["title"]) == (wiki_a, deleted))
    gone = article_drilldown(engine, SLUG, gone_id)
    assert (gone["article"]["deleted"], gone["article"]["counted"], gone["revisions"], gone["windows"]) == \
        (True, False, [], [])
    drafts = [r for rs in after.values() for r in rs if r["title"] == f"Draft:{moved}"]
    assert drafts and all(r["namespace"] == 118 and r["references"] == 0 for r in drafts)
    # The moved page's drill-down says where it went.
    page = article_drilldown(engine, SLUG, drafts[0]["article_id"])["article"]
    assert page["moved"] and page["moves"][-1]["from"] == moved and page["title"] == f"Draft:{moved}"
    assert page["counted"] and page["namespace"] == 118


def test_unknown_students_articles_and_bad_paging_are_refused(world):
    engine = world.engine
    with pytest.raises(UnknownStudent, match="'Nobody' is not enrolled"):
        student_drilldown(engine, SLUG, "Nobody")
    with pytest.raises(UnknownArticle, match="no article 999999"):
        article_drilldown(engine, SLUG, 999999)
    with pytest.raises(InvalidInput, match="cannot sort by 'user_id'"):
        student_drilldown(engine, SLUG, STUDENTS[0], Paging(sort="user_id"))
    with pytest.raises(InvalidInput, match="past the last page"):
        student_drilldown(engine, SLUG, STUDENTS[0], Paging(page=1000))
    with pytest.raises(InvalidInput, match="limit must be"):
        recent_activity(engine, SLUG, 0)
    # Sorted lists are sorted, and pages follow one another without gaps or repeats.
    whole = every_revision(engine, STUDENTS[0])[1]
    by_size = student_drilldown(engine, SLUG, STUDENTS[0], Paging(sort="characters", per_page=7))
    assert [r["characters"] for r in by_size["revisions"]] == sorted((r["characters"] for r in whole),
                                                                     reverse=True)[:7]
    titles = []
    for number in range(1, by_size["paging"]["pages"] + 1):
        titles += student_drilldown(engine, SLUG, STUDENTS[0],
                                    Paging(sort="title", direction="asc", page=number, per_page=7))["revisions"]
    assert [r["title"] for r in titles] == sorted(r["title"] for r in whole)
    assert sorted(r["rev_id"] for r in titles) == sorted(r["rev_id"] for r in whole)
    # File wikis have no URL: no diff links.
    assert all(r["diff_url"] is None for r in whole)


def test_the_articles_list_filters_by_kind_wiki_and_editor(world):
    engine = world.engine
    every = course_articles(engine, SLUG)
    assert {a["id"] for a in course_articles(engine, SLUG, kind="new")} == {a["id"] for a in every if a["new_article"]}
    assert {a["id"] for a in course_articles(engine, SLUG, kind="edited")} == \
        {a["id"] for a in every if not a["new_article"]}
    assert {a["id"] for a in course_articles(engine, SLUG, wiki=TWO.upper())} == \
        {a["id"] for a in every if a["wiki"] == TWO}
    name = STUDENTS[1]
    theirs = course_articles(engine, SLUG, editor=name.replace(" ", "_"), kind="new", wiki=ONE)
    assert theirs and {a["id"] for a in theirs} == \
        {a["id"] for a in every if name in a["editors"] and a["new_article"] and a["wiki"] == ONE}
    # As of a day too: the stats document's articles of that day, filtered.
    day = date(2024, 1, 8)
    then = course_stats(engine, SLUG, ("articles",), until=day)["articles"]
    for kind, new in (("new", True), ("edited", False)):
        got = course_articles(engine, SLUG, kind=kind, until=day)
        assert [{k: v for k, v in a.items() if k != "id"} for a in got] == [a for a in then if a["new_article"] is new]
    assert len(then) < len(every)
    for bad, message in ((dict(kind="old"), "kind must be new or edited"), (dict(wiki="three.wiki"), "does not track"),
                         (dict(editor="Nobody"), "is not enrolled")):
        with pytest.raises(InvalidInput, match=message):
            course_articles(engine, SLUG, **bad)
