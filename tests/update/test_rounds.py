"""Update rounds and the shared store (docs/shared-ingestion.md), on the real clock: the workers' updates of
several courses whose rosters overlap read each wiki's students once per round, and every
course's figures are still those of its own rebuild as of the round's time.

The wikis are generated exports whose edits end a day before now (rounds follow courses
that run now); the contributions asked for are counted on the way to them.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert, select, update

from support.course import comparable
from wikicourse import courses
from wikicourse.clock import now_utc
from wikicourse.db import open_db
from wikicourse.demo.generate import generate
from wikicourse.sources.dump import DumpSource
from wikicourse.stats import course_stats
from wikicourse.models.tables import courses as courses_table
from wikicourse.models.tables import update_runs
from wikicourse.models.tables import wikis as wikis_table
from wikicourse.update.cycle import update_course
from wikicourse.update.runs import this_holder
from wikicourse.wikis import add_wiki

USERS = [f"Member {c}" for c in "ABCDEFGHIJKL"]
WIKIS = ("one.wiki", "two.wiki")
NOW = now_utc()
FIRST_DAY = (NOW - timedelta(days=9)).date()
# Rosters overlapping by half; the third course tracks one wiki only.
ROSTERS = {"a": USERS[0:6], "b": USERS[3:9], "c": USERS[6:12]}
TRACKS = {"a": WIKIS, "b": WIKIS, "c": WIKIS[:1]}


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wikis")
    start = datetime.combine(FIRST_DAY, datetime.min.time(), NOW.tzinfo)
    paths = {}
    for n, domain in enumerate(WIKIS):
        path = folder / f"{domain}.xml"
        generate(path, users=USERS, pages=30, revisions=300, start=start, days=7, seed=21 + n, wiki=domain)
        paths[domain] = path.resolve().as_uri()
    return paths


class Counted:
    """A wiki whose usercontribs calls are noted: (start, end, users)."""

    def __init__(self, url: str):
        self.source = DumpSource(url.removeprefix("file://"))
        self.asked: list[tuple[datetime, datetime, set[str]]] = []

    def contributions(self, users, start, end, *args, **kwargs):
        self.asked.append((start, end, set(users)))
        return self.source.contributions(users, start, end, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.source, name)


class Wikis:
    def __init__(self, exports):
        self.by_url = {url: Counted(url) for url in exports.values()}
        self.domains = {url: domain for domain, url in exports.items()}

    def __call__(self, url: str):
        return self.by_url[url]

    def asked(self) -> dict[str, list]:
        return {self.domains[u]: s.asked for u, s in self.by_url.items()}

    def forget(self) -> None:
        for s in self.by_url.values():
            s.asked.clear()


def setup(url: str, exports, wikis: Wikis):
    engine = open_db(url)
    for domain, api in exports.items():
        add_wiki(engine, domain, api)
    for slug, roster in ROSTERS.items():
        courses.create_course(engine, slug, title=slug.upper(), start=FIRST_DAY, end=FIRST_DAY + timedelta(days=20),
                              wikis=list(TRACKS[slug]))
        courses.enroll(engine, slug, roster, "student", source_factory=lambda u: wikis(u).source)
    return engine


def rebuilt(tmp_path, exports, slug: str, as_of: datetime, name: str) -> dict:
    """The course built alone, from nothing, with --full as of `as_of`."""
    wikis = Wikis(exports)
    engine = open_db(f"sqlite:///{tmp_path / f'{name}.sqlite'}")
    try:
        for domain, api in exports.items():
            add_wiki(engine, domain, api)
        courses.create_course(engine, slug, title=slug.upper(), start=FIRST_DAY, end=FIRST_DAY + timedelta(days=20),
                              wikis=list(TRACKS[slug]))
        courses.enroll(engine, slug, ROSTERS[slug], "student", source_factory=lambda u: wikis(u).source)
        update_course(engine, slug, full=True, as_of=as_of, source_factory=wikis)
        return comparable(course_stats(engine, slug))
    finally:
        engine.dispose()


def test_one_round_reads_every_student_once_and_each_course_counts_as_of_it(tmp_path, exports):
    wikis = Wikis(exports)
    engine = setup(f"sqlite:///{tmp_path / 'db.sqlite'}", exports, wikis)
    reports = {slug: update_course(engine, slug, source_factory=wikis, round_age=300) for slug in ROSTERS}
    asked = wikis.asked()
    # The first update read the round: every followed student of each wiki, in one request
    # (at most 50 users), over the whole period; the other courses asked for nothing.
    assert [users for _, _, users in asked["one.wiki"]] == [set(USERS)]
    assert [users for _, _, users in asked["two.wiki"]] == [set(USERS[0:9])]
    assert reports["b"].requests == reports["c"].requests == 0
    assert reports["a"].revisions > 0 and reports["b"].revisions == reports["c"].revisions == 0
    as_of = reports["a"].as_of
    assert {r.as_of for r in reports.values()} == {as_of} and as_of <= now_utc()
    assert all(r.status == "done" for r in reports.values())
    for slug in ROSTERS:
        doc = comparable(course_stats(engine, slug))
        assert doc == rebuilt(tmp_path, exports, slug, as_of, f"full-{slug}"), slug
        assert doc["course"]["revision_count"] > 0

    # A student enrolled after the round: the next update within its age reads that student
    # alone, as of the round's time.
    courses.enroll(engine, "b", [USERS[11]], "student", source_factory=lambda u: wikis(u).source)
    roster_b = ROSTERS["b"] + [USERS[11]]
    wikis.forget()
    report = update_course(engine, "b", source_factory=wikis, round_age=300)
    assert report.as_of == as_of
    assert {d: [users for _, _, users in calls] for d, calls in wikis.asked().items()} == {
        "one.wiki": [], "two.wiki": [{USERS[11]}]}  # one.wiki: the round had read them already
    assert report.added_users == 1
    got = comparable(course_stats(engine, "b"))
    assert [u["username"] for u in got["users"]] == sorted(roster_b)
    engine.dispose()


def test_without_rounds_each_course_reads_its_own_students(tmp_path, exports):
    wikis = Wikis(exports)
    engine = setup(f"sqlite:///{tmp_path / 'db.sqlite'}", exports, wikis)
    as_of = now_utc().replace(microsecond=0) - timedelta(seconds=5)
    for slug in ROSTERS:
        update_course(engine, slug, source_factory=wikis, as_of=as_of)
    asked = wikis.asked()
    # One request per course and wiki; each student's period read once all the same (the
    # store holds it for the next course), the shared ones' contributions never twice.
    assert [users for _, _, users in asked["one.wiki"]] == [set(ROSTERS["a"]), set(USERS[6:9]), set(USERS[9:12])]
    assert [users for _, _, users in asked["two.wiki"]] == [set(ROSTERS["a"]), set(USERS[6:9])]
    for slug in ROSTERS:
        assert comparable(course_stats(engine, slug)) == rebuilt(tmp_path, exports, slug, as_of, f"full-{slug}")
    engine.dispose()


def test_an_update_waits_for_the_round_another_update_is_reading(tmp_path, exports):
    wikis = Wikis(exports)
    engine = setup(f"sqlite:///{tmp_path / 'db.sqlite'}", exports, wikis)
    update_course(engine, "a", source_factory=wikis, round_age=300)
    with engine.begin() as conn:
        round_at = conn.scalar(select(wikis_table.c.round_at).where(wikis_table.c.domain == "one.wiki"))
        # Another update (a live run) claimed a new round of one.wiki and is reading it.
        reader = conn.execute(insert(update_runs).values(
            course_id=conn.scalar(select(courses_table.c.id).where(courses_table.c.slug == "b")), full=False,
            as_of=now_utc(), started_at=now_utc(), status="running", holder=this_holder(),
            heartbeat_at=now_utc())).inserted_primary_key[0]
        conn.execute(update(wikis_table).values(round_at=None, round_run=reader))

    def finish_reading():  # (what it read, the store holds already: the first round's)
        time.sleep(1.5)
        with engine.begin() as conn:
            conn.execute(update(wikis_table).values(round_at=round_at, round_run=None))

    other = threading.Thread(target=finish_reading)
    other.start()
    wikis.forget()
    report = update_course(engine, "c", source_factory=wikis, round_age=300)
    other.join()
    assert report.as_of == round_at  # it counted as of the other update's round ...
    assert wikis.asked() == {"one.wiki": [], "two.wiki": []}  # ... without reading one itself
    engine.dispose()
