"""Article namespaces per course wiki (docs/metrics.md#namespaces): figures as the oracle computes
them, changed mid-course as a course change (local where the store holds what is needed,
fetching only what it lacks), on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from support.oracle import comparable, expected_campaign, expected_stats
from wikicourse import campaigns, courses
from wikicourse.campaign_stats import campaign_stats
from sqlalchemy import select

from wikicourse.db import open_db
from wikicourse.models.tables import articles
from wikicourse.drilldowns import article_drilldown, student_drilldown
from wikicourse.demo.generate import generate
from wikicourse.errors import InvalidInput
from wikicourse.namespaces import resolve_option
from wikicourse.sources.dump import DumpSource
from wikicourse.stats import course_stats
from wikicourse.update.cycle import update_course
from wikicourse.wikis import add_wiki

WIKI = "ns.wiki"
USERS = [f"Student {c}" for c in "ABCDEF"]
T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
START, END = date(2024, 1, 1), date(2024, 1, 20)
# Talk (1) and User talk (3) pages besides main, User and Draft: namespaces a course may add.
MIX = {0: 0.45, 1: 0.2, 2: 0.12, 3: 0.13, 118: 0.1}


@pytest.fixture(scope="module")
def wiki(tmp_path_factory):
    path = tmp_path_factory.mktemp("nswiki") / "ns.xml"
    facts = generate(path, users=USERS, pages=40, revisions=360, start=T0, days=20, seed=7, wiki=WIKI,
                     keep_text=True, namespaces_mix=MIX)
    return path.resolve().as_uri(), facts


class Counting:
    """The export, counting the contributions requests it answers and the namespaces asked."""

    def __init__(self, url: str):
        self.source = DumpSource(url.removeprefix("file://"))
        self.calls = 0
        self.asked: set[int] = set()
        self.request_count = 0

    def __call__(self, url: str):
        return self

    def contributions(self, users, start, end, namespaces=(0, 2, 118), **kw):
        self.calls += 1
        self.asked |= set(namespaces)
        return self.source.contributions(users, start, end, namespaces, **kw)

    def close(self):
        pass

    def __getattr__(self, name):
        return getattr(self.source, name)


USER_FIGURES = ("revision_count", "character_sum_ms", "character_sum_us", "character_sum_draft", "references_count")


def oracle(facts, article, as_of: datetime, students=USERS[:4]) -> dict:
    return expected_stats(facts, students=students, start=START, end=END, wikis=[WIKI], as_of=as_of,
                          slug="c", title="C", article_namespaces={WIKI: article})


def figures(engine) -> dict:
    return comparable(course_stats(engine, "c"))


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ns.sqlite'}"
        return
    from support.postgres import drop_database, fresh_database

    url = fresh_database(request.getfixturevalue("pg_base_url"))
    yield url
    drop_database(url)


def test_namespaces_changed_mid_course_give_the_oracles_figures_fetching_only_what_the_store_lacks(url, wiki):
    api, facts = wiki
    source = Counting(api)
    engine = open_db(url)
    try:
        add_wiki(engine, WIKI, api)
        courses.create_course(engine, "c", title="C", start=START, end=END, wikis=[WIKI])
        courses.enroll(engine, "c", USERS[:4], "student", source_factory=source)

        def update(as_of, **kw):
            source.calls = 0
            update_course(engine, "c", as_of=as_of, source_factory=source, grace_days=10_000, **kw)
            return source.calls

        mid = T0 + timedelta(days=14)
        assert update(mid) > 0
        assert source.asked == {0, 2, 118}
        assert figures(engine) == comparable(oracle(facts, (0,), mid))

        # Talk pages become articles: the store never fetched them, so it reads them now.
        changes = courses.edit_course(engine, "c", namespaces={WIKI: [0, 1]})
        assert changes.describe() == [f"namespaces on {WIKI} 0 -> 0,1"]
        assert course_stats(engine, "c")["course"]["article_namespaces"] == {WIKI: [0, 1]}
        assert update(mid) > 0 and 1 in source.asked
        with_talk = comparable(oracle(facts, (0, 1), mid))
        assert with_talk["course"]["character_sum"] > comparable(oracle(facts, (0,), mid))["course"]["character_sum"]
        assert figures(engine) == with_talk

        # Back to main space, and to talk pages again: the store holds it all, no request.
        courses.edit_course(engine, "c", namespaces={WIKI: [0]})
        assert update(mid) == 0
        assert figures(engine) == comparable(oracle(facts, (0,), mid))
        courses.edit_course(engine, "c", namespaces={WIKI: [0, 1]})
        assert update(mid) == 0
        assert figures(engine) == with_talk

        # Only talk namespaces as articles, a student added, the clock on: as a rebuild gives.
        courses.edit_course(engine, "c", namespaces={WIKI: [1, 3]})
        courses.enroll(engine, "c", [USERS[4]], "student", source_factory=source)
        day20 = T0 + timedelta(days=20)
        update(day20)
        expected = comparable(oracle(facts, (1, 3), day20, students=USERS[:5]))
        assert figures(engine) == expected
        update(day20, full=True)
        assert figures(engine) == expected
        # The drill-downs, counted from the store, agree with the course's own figures.
        doc = course_stats(engine, "c")
        for user in doc["users"]:
            drill = student_drilldown(engine, "c", user["username"])["student"]
            assert {k: drill[k] for k in USER_FIGURES} == {k: user[k] for k in USER_FIGURES}
        talk = next(a for a in doc["articles"] if a["namespace"] in (1, 3))
        with engine.connect() as conn:
            talk_id = conn.scalar(select(articles.c.id).where(articles.c.title == talk["title"]))
        drill = article_drilldown(engine, "c", talk_id)["article"]
        assert drill["counted"] and (drill["revision_count"], drill["references_count"]) == (
            talk["revision_count"], talk["references_count"])
    finally:
        engine.dispose()


def test_a_second_course_sharing_the_store_keeps_its_own_namespaces(engine, wiki):
    api, facts = wiki
    source = Counting(api)
    add_wiki(engine, WIKI, api)
    day10 = T0 + timedelta(days=10)
    for slug, article in (("c", [0, 3]), ("d", [0])):
        courses.create_course(engine, slug, title=slug.upper(), start=START, end=END, wikis=[WIKI],
                              namespaces={WIKI: article})
        courses.enroll(engine, slug, USERS[:4], "student", source_factory=source)
    update_course(engine, "c", as_of=day10, source_factory=source)
    source.calls = 0
    update_course(engine, "d", as_of=day10, source_factory=source)
    assert source.calls == 0  # the store holds every namespace either counts
    assert figures(engine) == comparable(oracle(facts, (0, 3), day10))
    d = comparable(course_stats(engine, "d"))
    assert d["course"] | {"slug": "c", "title": "C"} == comparable(oracle(facts, (0,), day10))["course"]
    # e follows other students, in main space.
    courses.create_course(engine, "e", title="E", start=START, end=END, wikis=[WIKI])
    courses.enroll(engine, "e", USERS[4:6], "student", source_factory=source)
    update_course(engine, "e", as_of=day10, source_factory=source)
    e = comparable(course_stats(engine, "e"))
    # c counts User talk and Talk too: the store widens (one request: c's students again).
    # d, whose students c just read again, asks nothing; e, counting as before, reads its
    # students' current window again (one request for its batch). Neither's figures move.
    courses.edit_course(engine, "c", namespaces={WIKI: [0, 1, 3]})
    calls = {}
    for slug in ("c", "d", "e"):
        source.calls = 0
        update_course(engine, slug, as_of=day10, source_factory=source)
        calls[slug] = source.calls
    assert calls == {"c": 1, "d": 0, "e": 1}
    assert figures(engine) == comparable(oracle(facts, (0, 1, 3), day10))
    assert comparable(course_stats(engine, "d")) == d and comparable(course_stats(engine, "e")) == e


def test_a_campaign_counts_a_revision_as_an_article_s_when_one_of_its_courses_does(engine, wiki):
    api, facts = wiki
    source = Counting(api)
    add_wiki(engine, WIKI, api)
    day12 = T0 + timedelta(days=12)
    spec = {"c": dict(students=USERS[:3], article_namespaces={WIKI: [0, 1]}),
            "d": dict(students=USERS[2:5], article_namespaces={WIKI: [3]})}
    campaigns.create_campaign(engine, "both", title="Both")
    for slug, c in spec.items():
        courses.create_course(engine, slug, title=slug.upper(), start=START, end=END, wikis=[WIKI],
                              namespaces=c["article_namespaces"])
        courses.enroll(engine, slug, c["students"], "student", source_factory=source)
        update_course(engine, slug, as_of=day12, source_factory=source)
    campaigns.add_courses(engine, "both", list(spec))
    want = expected_campaign(facts, [dict(c, start=START, end=END, wikis=[WIKI], as_of=day12) for c in spec.values()])
    doc = campaign_stats(engine, "both")
    assert {k: doc["campaign"][k] for k in want["campaign"]} == want["campaign"]
    assert {(a["date"], a["wiki"]): (a["revision_count"], a["character_sum"]) for a in doc["activity"]} == \
        want["activity"]
    alone = expected_campaign(facts, [dict(spec["d"], start=START, end=END, wikis=[WIKI], as_of=day12)])
    assert {k: v for k, v in course_stats(engine, "d")["course"].items() if k in alone["campaign"]} == \
        alone["campaign"]


def test_bad_namespaces_are_refused_and_change_nothing(engine, wiki):
    api, _ = wiki
    add_wiki(engine, WIKI, api)
    courses.create_course(engine, "c", title="C", start=START, end=END, wikis=[WIKI])
    assert resolve_option(engine, [f"{WIKI}:0,Talk,user_talk"]) == {WIKI: (0, 1, 3)}
    assert resolve_option(engine, [f"{WIKI}:Main,Project"]) == {WIKI: (0, 4)}
    courses.edit_course(engine, "c", namespaces=resolve_option(engine, [f"{WIKI}:Main,project,user talk"]))
    c = course_stats(engine, "c")["course"]
    assert (c["article_namespaces"], c["article_namespace_names"]) == (
        {WIKI: [0, 3, 4]}, {WIKI: ["(main)", "User talk", "Project"]})
    courses.edit_course(engine, "c", namespaces={WIKI: [0]})
    for value, message in ((f"{WIKI}:Nowhere", "no namespace named 'Nowhere'"),
                           (f"{WIKI}:-1", "virtual namespaces"), (f"{WIKI}:User", "User and Draft"),
                           (f"{WIKI}:777", "no namespace 777"), (WIKI, "expected DOMAIN:NS")):
        with pytest.raises(InvalidInput, match=message):
            resolve_option(engine, [value])
    with pytest.raises(InvalidInput, match="does not track"):
        courses.create_course(engine, "d", title="D", start=START, end=END, wikis=[WIKI],
                              namespaces={"other.wiki": [0]})
    for bad in ([], [2], [-2]):
        with pytest.raises(InvalidInput):
            courses.edit_course(engine, "c", namespaces={WIKI: bad})
    assert course_stats(engine, "c")["course"]["article_namespaces"] == {WIKI: [0]}
    assert courses.edit_course(engine, "c", namespaces={WIKI: [0]}).nothing


def test_spans_read_before_the_store_widened_hold_nothing_even_when_recorded_after(engine, wiki):
    """A fetch under way while another course widens the store records its spans in the old
    generation: nobody takes them for a read of the wider namespaces (no lock needed)."""
    from wikicourse.namespaces import store_state, widen_store
    from wikicourse.update.spans import record_read, spans_of

    api, _ = wiki
    add_wiki(engine, WIKI, api)
    courses.create_course(engine, "c", title="C", start=START, end=END, wikis=[WIKI])
    courses.enroll(engine, "c", USERS[:1], "student", source_factory=Counting(api))
    with engine.begin() as conn:
        wiki_id, user_id = 1, 1
        read_in = store_state(conn, wiki_id)[2]
        record_read(conn, wiki_id, {user_id: (T0, T0 + timedelta(days=1))}, read_in)
        assert spans_of(conn, wiki_id, [user_id])[user_id] == [(T0, T0 + timedelta(days=1))]
        assert widen_store(conn, wiki_id, [0, 1]) and not widen_store(conn, wiki_id, [1])
        assert store_state(conn, wiki_id) == ((0, 1, 2, 118), (0, 1), read_in + 1)
        assert spans_of(conn, wiki_id, [user_id]) == {}
        record_read(conn, wiki_id, {user_id: (T0, T0 + timedelta(days=2))}, read_in)  # the old fetch's checkpoint
        assert spans_of(conn, wiki_id, [user_id]) == {}
        record_read(conn, wiki_id, {user_id: (T0, T0 + timedelta(days=2))}, read_in + 1)
        assert spans_of(conn, wiki_id, [user_id])[user_id] == [(T0, T0 + timedelta(days=2))]
