"""The dis-enrollment preview equals what the dis-enrollment and the next update then do.

Property-based, over generated courses on two generated wikis read offline: for every
enrolled user in turn, the preview (removal.removal_preview) is taken and checked to have
changed nothing; then the user is really dis-enrolled and the course updated at the same
as-of time, and the figures, the articles that stopped counting and those no longer new are
compared with the preview; then the user is enrolled again and the course updated, which
must give the preview's "before" figures back. Last, every student at once. A removal made
before the preview but not yet applied by an update is part of the baseline, not of the
preview. Runs on SQLite and on PostgreSQL.
"""
from __future__ import annotations

import threading
import time
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import MetaData, select, update

from wikicourse import courses
from wikicourse.db import open_db
from wikicourse.demo.generate import generate
from wikicourse.models.tables import courses as courses_table
from wikicourse.models.tables import enrollments
from wikicourse.removal import removal_preview
from wikicourse.stats import COURSE_FIELDS, course_stats
from wikicourse.update.cycle import update_course
from wikicourse.wikis import add_wiki, open_source

USERS = [f"Learner {c}" for c in "ABCDEF"]
WIKIS = ["one.wiki", "two.wiki"]
T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
FOREVER = 10_000  # follow the wikis' past however late the clock


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wikis")
    urls = {}
    for n, domain in enumerate(WIKIS):
        path = folder / f"{domain}.xml"
        generate(path, users=USERS, pages=30, revisions=300, start=T0, days=20, seed=41 + n, wiki=domain,
                 keep_text=True)
        urls[domain] = path.resolve().as_uri()
    return urls


@lru_cache(maxsize=None)
def source(url: str):
    return open_source(url)  # the exports never change here


def snapshot(engine) -> dict:
    """Every table's rows, to show the preview changed nothing."""
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        return {name: sorted(map(tuple, conn.execute(select(t)).all()), key=repr) for name, t in meta.tables.items()}


def headline(doc: dict) -> dict:
    return {f: doc["course"][f] for f in COURSE_FIELDS}


def articles_of(doc: dict) -> dict:
    return {(a["wiki"], a["title"]): a for a in doc["articles"]}


def run_update(engine, as_of: datetime) -> None:
    update_course(engine, "c", as_of=as_of, source_factory=source, grace_days=FOREVER)


def check_against_reality(engine, names: list[str], roles: dict[str, str], as_of: datetime,
                          again: bool = True) -> None:
    """Preview removing `names`, then remove them for real and update: the same figures. With
    `again`, enroll them again and update: the figures come back to the preview's baseline,
    which a change of roster still waiting for an update is part of."""
    untouched = snapshot(engine)
    preview = removal_preview(engine, "c", names)
    assert snapshot(engine) == untouched  # rolled back, every row of every table
    baseline = course_stats(engine, "c")
    assert [(u["username"], u["role"]) for u in preview["users"]] == [(n, roles[n]) for n in sorted(names)]
    assert preview["counts"] == any(roles[n] == "student" for n in names)

    courses.disenroll(engine, "c", names)
    run_update(engine, as_of)
    after = course_stats(engine, "c")
    assert preview["after"] == headline(after)
    if again:
        for role in set(roles[n] for n in names):
            courses.enroll(engine, "c", [n for n in names if roles[n] == role], role, source_factory=source)
        run_update(engine, as_of)  # enrolled again, they count again
        baseline = course_stats(engine, "c")
    assert preview["before"] == headline(baseline)
    assert preview["loses"] == {f: headline(baseline)[f] - headline(after)[f] for f in COURSE_FIELDS}
    listed = {u["username"]: u for u in baseline["users"]}
    assert preview["users"] == [listed[n] for n in sorted(names)]
    was, now = articles_of(baseline), articles_of(after)
    assert {(a["wiki"], a["title"]) for a in preview["articles"]} == was.keys() - now.keys()
    assert all(a["new_article"] == was[(a["wiki"], a["title"])]["new_article"] for a in preview["articles"])
    theirs = [k for k in was.keys() & now.keys() if set(was[k]["editors"]) & set(names)]
    assert preview["shared"] == len(theirs)
    assert preview["uncreated"] == sum(1 for k in theirs if was[k]["new_article"] and not now[k]["new_article"])
    if not preview["counts"]:
        assert preview["loses"] == dict.fromkeys(COURSE_FIELDS, 0) and preview["articles"] == []


def scenario(url: str, exports: dict, spec: dict) -> None:
    engine = open_db(url)
    try:
        for domain, api in exports.items():
            add_wiki(engine, domain, api)
        start = date(2024, 1, 1) + timedelta(days=spec["offset"])
        courses.create_course(engine, "c", title="C", start=start, end=start + timedelta(days=spec["length"]),
                              wikis=spec["wikis"], timeslice_days=spec["days"])
        roles = {u: "student" for u in spec["students"]} | {u: "instructor" for u in spec["instructors"]}
        for role in ("student", "instructor"):
            names = [u for u, r in roles.items() if r == role]
            if names:
                courses.enroll(engine, "c", names, role, source_factory=source)
        as_of = T0 + timedelta(hours=spec["hours"])
        run_update(engine, as_of)
        # A change of roster made after the last update, which the next one applies.
        pending, first = spec["pending"], spec["students"][0]
        if pending == "removed":
            courses.disenroll(engine, "c", [first])
            del roles[first]
        elif pending == "instructor":
            courses.enroll(engine, "c", [first], "instructor", source_factory=source)
            roles[first] = "instructor"
        else:  # nothing waits for an update: the baseline is the stored figures
            assert removal_preview(engine, "c", [first])["before"] == headline(course_stats(engine, "c"))
        for name in sorted(roles):
            check_against_reality(engine, [name], roles, as_of)
        students = sorted(u for u, r in roles.items() if r == "student")
        if students:  # every student at once; nothing is pending any more
            check_against_reality(engine, students, roles, as_of, again=False)
    finally:
        engine.dispose()


specs = st.fixed_dictionaries({
    "students": st.lists(st.sampled_from(USERS), min_size=1, max_size=4, unique=True),
    "instructors": st.lists(st.sampled_from(USERS[4:]), max_size=1, unique=True),
    "wikis": st.sampled_from([WIKIS[:1], WIKIS]),
    "days": st.sampled_from([1, 2, 3]),
    "offset": st.integers(-2, 6),
    "length": st.integers(3, 16),
    "hours": st.integers(24, 24 * 24),
    "pending": st.sampled_from([None, None, "removed", "instructor"]),
}).filter(lambda s: not set(s["students"]) & set(s["instructors"]))
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@settings(max_examples=8, **SETTINGS)
@given(spec=specs)
def test_the_preview_is_what_the_update_then_does_on_sqlite(tmp_path_factory, exports, spec):
    scenario(f"sqlite:///{tmp_path_factory.mktemp('db') / 'c.sqlite'}", exports, spec)


@settings(max_examples=3, **SETTINGS)
@given(spec=specs)
def test_the_preview_is_what_the_update_then_does_on_postgresql(pg_base_url, exports, spec):
    from support.postgres import drop_database, fresh_database

    url = fresh_database(pg_base_url)
    try:
        scenario(url, exports, spec)
    finally:
        drop_database(url)


@pytest.fixture
def demo_course(any_url, exports):
    engine = open_db(any_url)
    for domain, api in exports.items():
        add_wiki(engine, domain, api)
    courses.create_course(engine, "c", title="C", start=date(2024, 1, 1), end=date(2024, 1, 20), wikis=WIKIS)
    courses.enroll(engine, "c", USERS[:3], source_factory=source)
    run_update(engine, T0 + timedelta(days=25))
    yield engine
    engine.dispose()


def test_the_preview_holds_no_lock_once_it_answers(demo_course):
    """Another connection writes the rows the preview changed, at once, without waiting."""
    engine = demo_course
    removal_preview(engine, "c", [USERS[0]])
    done = threading.Event()

    def write():
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                from sqlalchemy import func

                conn.execute(select(func.set_config("lock_timeout", "1s", True)))
            conn.execute(update(courses_table).values(title="Written after the preview"))
            conn.execute(update(enrollments).values(revision_count=enrollments.c.revision_count))
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    writer.join(10)
    assert done.is_set()
    assert course_stats(engine, "c", ("course",))["course"]["title"] == "Written after the preview"


def test_the_preview_waits_a_little_for_rows_another_process_writes_then_says_busy(demo_course, any_url,
                                                                                   monkeypatch):
    """An update writing the course's rows (SQLite's write lock, PostgreSQL's row locks): the preview
    gives up after the web's wait (the engine's own when it has one), not SQLite's 30 s nor for ever."""
    from wikicourse.errors import DatabaseBusy
    from wikicourse.lock_wait import waiting_at_most

    monkeypatch.setenv("WIKICOURSE_WEB_LOCK_WAIT", "1")
    holder = open_db(any_url, migrate=False)
    try:
        with holder.begin() as conn:
            conn.execute(update(enrollments).values(revision_count=enrollments.c.revision_count))
            for engine, most in ((demo_course, 1), (waiting_at_most(demo_course, 2), 2)):
                started = time.monotonic()
                with pytest.raises(DatabaseBusy, match=r"^course 'c' is being written by another process "
                                                       r"\(an update\): try the preview again shortly$"):
                    removal_preview(engine, "c", [USERS[0]])
                assert most - 0.5 < time.monotonic() - started < most + 5  # that wait, not another
            conn.rollback()
    finally:
        holder.dispose()
    untouched = snapshot(demo_course)
    assert removal_preview(demo_course, "c", [USERS[0]])["users"][0]["username"] == USERS[0]  # the lock gone
    assert snapshot(demo_course) == untouched


def test_a_user_not_enrolled_or_no_user_is_refused_and_changes_nothing(demo_course):
    from wikicourse.errors import InvalidInput, UnknownCourse

    untouched = snapshot(demo_course)
    with pytest.raises(InvalidInput, match=r"not enrolled in 'c': Nobody"):
        removal_preview(demo_course, "c", [USERS[0], "nobody"])
    with pytest.raises(InvalidInput, match="at least one username"):
        removal_preview(demo_course, "c", [])
    with pytest.raises(UnknownCourse, match="no course 'nope'"):
        removal_preview(demo_course, "nope", [USERS[0]])
    assert snapshot(demo_course) == untouched
