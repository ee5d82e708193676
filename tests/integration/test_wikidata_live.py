"""Wikidata figures on a real MediaWiki (docs/wikidata.md): entity pages imported with real Wikibase
entity JSON and real Wikibase summaries, by two students and a user the course does not follow,
plus edge cases (a key Wikibase does not write, text that is not JSON, no summary, a merge, a
redirect, a lexeme, a user page).

The wiki has no Wikibase extension (there is no network to install it): it is made to look like a
repository in the one thing detection reads, the `wikibase-conceptbaseuri` of siteinfo, set
through the very hook Wikibase's RepoHooks use, and it declares the Property and Lexeme
namespaces. The texts are stored as plain text: importDump takes them as they are (a `json` model
would refuse the malformed one), and the figures never read them.

The oracle (support.wikidata.diff_figures) reads every revision's text back from the wiki and diffs
each entity's JSON with its parent's; the product reads only summaries. Where the two must differ
the difference is listed below with its reason, and checked to be one. After an update mid-course,
one at the end, a dis-enrolment and against --full rebuilds, on SQLite and PostgreSQL, the course's
figures are the oracle's. It also measures what summaries and JSON diffs cost (printed with -s).
"""
from __future__ import annotations

import csv
import io
import json
import time
from collections import Counter
from datetime import date, datetime, timezone
from typing import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from support.course import comparable
from support.mediawiki import TestWiki
from support.wikidata import diff_figures, fixture_export, history
from twowikis import free_port
from wikicourse import courses
from wikicourse.campaign_stats import campaign_stats
from wikicourse.campaigns import add_courses, create_campaign
from wikicourse.db import open_db
from wikicourse.demo.generate import generate
from wikicourse.models.tables import wikis
from wikicourse.namespaces import resolve_option
from wikicourse.report import render
from wikicourse.stats import course_stats
from wikicourse.web import create_app
from wikicourse.update.cycle import update_course
from wikicourse.wikidata import FIGURES
from wikicourse.wikidata.detect import set_wikibase
from wikicourse.wikis import add_wiki

LIVE = "wikibase.test"
STUDENTS = ["Ada Item", "Ben Claim"]
EVERYONE = STUDENTS + ["Dee Other"]
START, END = datetime(2024, 3, 1), datetime(2024, 3, 10)
SETTINGS = r"""
$wgExtraNamespaces[120] = 'Property';
$wgExtraNamespaces[121] = 'Property_talk';
$wgExtraNamespaces[146] = 'Lexeme';
$wgExtraNamespaces[147] = 'Lexeme_talk';
$wgHooks['APIQuerySiteInfoGeneralInfo'][] = function ( $module, &$data ) {
    $data['wikibase-conceptbaseuri'] = 'http://wikibase.test/entity/';
};
"""
# (page, time) -> (what the summary says, why the JSON diff differs)
KNOWN = {
    ("Q1", "2024-03-08T09:00:00Z"): ({"merges": 1}, "a merge: the diff sees the merged item's alias arrive"),
    ("Q2", "2024-03-08T09:00:01Z"): ({"other_edits": 1}, "the emptied side of a merge: the diff sees its label go; "
                                                          "the merge counts once, on the item merged into"),
    ("Q3", "2024-03-03T14:05:00Z"): ({"other_edits": 1}, "a key Wikibase does not write: the summary says nothing"),
    ("Q3", "2024-03-03T14:10:00Z"): ({"labels_added": 1}, "text that is not JSON: no diff; the summary still says"),
    ("Q4", "2024-03-04T08:05:00Z"): ({"other_edits": 1}, "no summary"),
}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def wikibase_wiki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestWiki]:
    yield from running_wikibase_wiki(tmp_path_factory.mktemp("wikibase"))


def running_wikibase_wiki(root) -> Iterator[TestWiki]:
    """The wiki up in `root`, the fixture imported; down once the generator is closed."""
    wiki = TestWiki(root / "wiki", free_port(), settings=SETTINGS)
    try:
        wiki.up()
        wiki.create_users(EVERYONE)
        fixture_export(root / "export.xml", history())
        wiki.import_dump(root / "export.xml")
        yield wiki
    finally:
        wiki.down()


def wiki_revisions(api_url: str) -> list[dict]:
    """Every revision of the fixture's pages as the wiki serves them, text included (plain HTTP)."""
    found = []
    for page in history():
        params = {"action": "query", "prop": "revisions", "titles": page["title"], "rvdir": "newer",
                  "rvprop": "ids|user|timestamp|comment|content", "rvslots": "main", "rvlimit": "max",
                  "format": "json", "formatversion": "2"}
        revs = httpx.get(api_url, params=params).json()["query"]["pages"][0]["revisions"]
        parent = None
        for r in revs:
            text = r["slots"]["main"]["content"]
            found.append({"title": page["title"], "ns": page["ns"], "user": r["user"], "timestamp": r["timestamp"],
                          "comment": r.get("comment", ""), "parent_text": parent, "text": text})
            parent = text
    assert len(found) == sum(len(p["revisions"]) for p in history())
    return found


def oracle(api_url: str, as_of: datetime, students: list[str], start: datetime = START) -> dict:
    """The course's figures (totals, per student) from the JSON diffs, the known differences applied:
    of the students' revisions from `start` to `as_of` (a course's end date: its 23:59:59)."""
    per_user = {name: Counter() for name in students}
    for rev in wiki_revisions(api_url):
        figures = diff_figures(rev["ns"], rev["parent_text"], rev["text"])
        known = KNOWN.get((rev["title"], rev["timestamp"]))
        if known is not None:
            assert figures != known[0], f"not a difference any more: {known[1]}"
            figures = known[0]
        assert isinstance(figures, dict), rev
        if rev["user"] in per_user and start.replace(tzinfo=timezone.utc) <= utc(rev["timestamp"]) <= as_of:
            per_user[rev["user"]].update(figures)
    totals = sum(per_user.values(), Counter())
    return {"totals": {f: totals[f] for f in FIGURES},
            "users": [{"username": n, **{f: per_user[n][f] for f in FIGURES}} for n in sorted(students)]}


def shown(engine) -> dict:
    part = course_stats(engine, "wd")["wikidata"]
    return {"totals": part["totals"], "users": part["users"]}


def new_course(engine, api_url: str) -> None:
    add_wiki(engine, LIVE, api_url)
    courses.create_course(engine, "wd", title="Wikidata harbours", start=START.date(), end=END.date(), wikis=[LIVE],
                          namespaces=resolve_option(engine, [f"{LIVE}:0,146"]))
    courses.enroll(engine, "wd", STUDENTS)


def rebuilt(url: str, api_url: str, as_of: datetime, students: list[str], **changes) -> dict:
    """A --full update in a fresh database of the course as it is now (`changes`: its edit_course)."""
    engine = open_db(url)
    try:
        new_course(engine, api_url)
        if "plain" in changes:
            add_wiki(engine, "plain.test", changes.pop("plain"))
        if changes:
            courses.edit_course(engine, "wd", **changes)
        if students != STUDENTS:
            courses.disenroll(engine, "wd", [s for s in STUDENTS if s not in students])
        assert update_course(engine, "wd", as_of=as_of, full=True).status == "done"
        return comparable(course_stats(engine, "wd"))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def two_urls(request, tmp_path):
    """Two empty databases: the course's and its rebuild's."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'wd.sqlite'}", f"sqlite:///{tmp_path / 'full.sqlite'}"
    return request.getfixturevalue("pg_url"), request.getfixturevalue("pg_url_2")


@pytest.fixture
def pg_url_2(pg_base_url):
    from support.postgres import drop_database, fresh_database

    url = fresh_database(pg_base_url)
    yield url
    drop_database(url)


def test_wikidata_figures_follow_the_summaries_and_agree_with_the_json_diffs(wikibase_wiki, two_urls):
    api = wikibase_wiki.api_url
    url, full_url = two_urls
    engine = open_db(url)
    try:
        new_course(engine, api)
        mid = datetime(2024, 3, 5, 12, tzinfo=timezone.utc)
        report = update_course(engine, "wd", as_of=mid)
        assert report.status == "done", report
        with engine.connect() as conn:
            assert conn.scalar(select(wikis.c.wikibase).where(wikis.c.domain == LIVE)) is True  # detected
        assert shown(engine) == oracle(api, mid, STUDENTS)

        end = datetime(2024, 3, 11, tzinfo=timezone.utc)
        assert update_course(engine, "wd", as_of=end).status == "done"
        expected = oracle(api, end, STUDENTS)
        assert shown(engine) == expected
        # Every kind of figure is exercised by the fixture but one: a Wikibase alias replacement
        # (wbsetaliases-set) is, to a diff, aliases added and removed.
        assert [f for f in FIGURES if not expected["totals"][f]] == ["aliases_changed"], expected["totals"]
        doc = comparable(course_stats(engine, "wd"))
        assert doc == rebuilt(full_url, api, end, STUDENTS)  # the invariant, Wikidata figures included

        # A campaign counts each revision once: a second course of Ada's shares her edits.
        courses.create_course(engine, "wd2", title="Ada's items", start=START.date(), end=END.date(), wikis=[LIVE],
                              namespaces=resolve_option(engine, [f"{LIVE}:0,146"]))
        courses.enroll(engine, "wd2", ["Ada Item"])
        assert update_course(engine, "wd2", as_of=end).status == "done"
        assert course_stats(engine, "wd2")["wikidata"]["totals"] == oracle(api, end, ["Ada Item"])["totals"]
        create_campaign(engine, "harbours", title="Harbours")
        add_courses(engine, "harbours", ["wd", "wd2"])
        assert campaign_stats(engine, "harbours")["wikidata"]["totals"] == expected["totals"]

        # Dis-enrolment: Ben's figures leave, at no request for contributions.
        courses.disenroll(engine, "wd", ["Ben Claim"])
        report = update_course(engine, "wd", as_of=end)
        assert report.status == "done"
        assert report.requests <= 2, report.requests  # the wiki's log, at most
        assert shown(engine) == oracle(api, end, ["Ada Item"])
        assert campaign_stats(engine, "harbours")["wikidata"]["totals"] == oracle(api, end, ["Ada Item"])["totals"]
        shown_in_interfaces(engine, oracle(api, end, ["Ada Item"]))

        # A course on a wiki that is no Wikibase repository has no Wikidata part.
        with engine.begin() as conn:
            set_wikibase(conn, conn.scalar(select(wikis.c.id).where(wikis.c.domain == LIVE)), False)
        assert "wikidata" not in course_stats(engine, "wd")
        with TestClient(create_app(engine), headers={"accept": "text/html"}) as client:
            assert 'id="wikidata"' not in client.get("/courses/wd").text
            assert client.get("/courses/wd/wikidata.csv").status_code == 404
            assert "wikidata" not in client.get("/api/courses/wd").json()
    finally:
        engine.dispose()


def shown_in_interfaces(engine, expected: dict) -> None:
    """The same figures in the overview's panel, wikidata.csv, the API's document and `stats`' text."""
    with TestClient(create_app(engine), headers={"accept": "text/html"}) as client:
        page = client.get("/courses/wd").text
        assert 'id="wikidata"' in page and 'href="/courses/wd/wikidata.csv"' in page
        for field, value in expected["totals"].items():
            assert f'<tr data-field="{field}"><th scope="row">' in page
        rows = list(csv.reader(io.StringIO(client.get("/courses/wd/wikidata.csv").text.lstrip("\ufeff"))))
        assert rows[0] == ["scope", "username", *FIGURES]
        assert rows[-1] == ["total", "", *(str(expected["totals"][f]) for f in FIGURES)]
        assert [r[1] for r in rows[1:-1]] == [u["username"] for u in expected["users"]]
        api = client.get("/api/courses/wd").json()["wikidata"]
        assert api["totals"] == expected["totals"] and api["users"] == expected["users"]
    text = render(course_stats(engine, "wd"))
    assert "Wikidata (wikibase.test):" in text
    assert f"  Claims created: {expected['totals']['claims_created']}" in text


def test_dates_timeslices_and_wikis_move_the_wikidata_figures_as_a_rebuild(wikibase_wiki, tmp_path):
    """Each course change, then an update: the oracle's figures over the new period, and the
    rebuild's document (with its Wikidata part) in a fresh database."""
    api, n = wikibase_wiki.api_url, iter(range(100))
    engine = open_db(f"sqlite:///{tmp_path / 'wd.sqlite'}")
    end = datetime(2024, 3, 11, tzinfo=timezone.utc)
    course = {}

    def check(expected: dict) -> None:
        assert update_course(engine, "wd", as_of=end).status == "done"
        assert shown(engine) == expected
        full = rebuilt(f"sqlite:///{tmp_path / f'full-{next(n)}.sqlite'}", api, end, STUDENTS, **dict(course))
        assert comparable(course_stats(engine, "wd")) == full

    try:
        new_course(engine, api)
        check(oracle(api, end, STUDENTS))
        # As of a day (daily windows: exact), as `stats --until` and `?until=` give them.
        day = course_stats(engine, "wd", until=date(2024, 3, 5))["wikidata"]
        assert day["totals"] == oracle(api, datetime(2024, 3, 5, 23, 59, 59, tzinfo=timezone.utc), STUDENTS)["totals"]
        assert day["timeslices"][-1]["end"] == "2024-03-06T00:00:00Z"
        course.update(end=datetime(2024, 3, 6).date())  # ends earlier: what follows stops counting
        courses.edit_course(engine, "wd", **course)
        check(oracle(api, datetime(2024, 3, 6, 23, 59, 59, tzinfo=timezone.utc), STUDENTS))
        course.update(start=datetime(2024, 3, 4).date())  # starts later
        courses.edit_course(engine, "wd", **course)
        check(oracle(api, datetime(2024, 3, 6, 23, 59, 59, tzinfo=timezone.utc), STUDENTS, start=datetime(2024, 3, 4)))
        course.update(start=START.date(), end=END.date(), timeslice_days=3)  # both back, and 3-day windows
        courses.edit_course(engine, "wd", **course)
        check(oracle(api, end, STUDENTS))
        # Another wiki (an XML export, never a Wikibase repository), then the Wikibase wiki removed:
        # no Wikidata part; tracked again: its figures are back, taken from the store.
        plain = tmp_path / "plain.xml"
        generate(plain, users=STUDENTS, pages=4, revisions=20, start=START.replace(tzinfo=timezone.utc), days=8,
                 seed=5, wiki="plain.test")
        add_wiki(engine, "plain.test", plain.resolve().as_uri())
        courses.edit_course(engine, "wd", add_wikis=["plain.test"])
        courses.edit_course(engine, "wd", remove_wikis=[LIVE])
        assert update_course(engine, "wd", as_of=end).status == "done"
        assert "wikidata" not in course_stats(engine, "wd")
        courses.edit_course(engine, "wd", add_wikis=[LIVE], namespaces={LIVE: [0, 146]})  # (a new wiki counts main space)
        course.update(add_wikis=["plain.test"], plain=plain.resolve().as_uri())
        check(oracle(api, end, STUDENTS))
    finally:
        engine.dispose()


def test_a_wiki_found_to_be_wikibase_later_is_read_again_once(wikibase_wiki, tmp_path):
    """As after upgrading to migration 0011 (or `wiki add --wikibase` on a wiki in use): revisions
    stored without their summaries, a course without figures. The next update asks the wiki, reads
    the students again, and has the oracle's figures; the one after reads only what is new."""
    from sqlalchemy import delete, update

    from wikicourse.models.tables import course_wikis, wikibase_revisions, wikidata_user_timeslices

    api = wikibase_wiki.api_url
    engine = open_db(f"sqlite:///{tmp_path / 'wd.sqlite'}")
    end = datetime(2024, 3, 11, tzinfo=timezone.utc)
    try:
        new_course(engine, api)
        assert update_course(engine, "wd", as_of=end).status == "done"
        first = update_course(engine, "wd", as_of=end).requests  # what a plain update costs
        with engine.begin() as conn:  # the state before 0011: no flag, no figures anywhere
            conn.execute(update(wikis).values(wikibase=None))
            conn.execute(update(course_wikis).values(wikibase_applied=False))
            conn.execute(delete(wikibase_revisions))
            conn.execute(delete(wikidata_user_timeslices))
        assert "wikidata" not in course_stats(engine, "wd")
        report = update_course(engine, "wd", as_of=end)
        assert report.status == "done" and report.requests > first  # siteinfo, and the period read again
        assert shown(engine) == oracle(api, end, STUDENTS)
        assert update_course(engine, "wd", as_of=end).requests == first
    finally:
        engine.dispose()


def test_a_wiki_said_not_to_be_wikibase_after_all_is_read_again_as_a_plain_wiki(wikibase_wiki, tmp_path):
    """`wiki add --no-wikibase` on a wiki whose revisions were stored as Wikibase ones (no texts
    read, so no references asked): the store forgets them, the course reads its students again,
    and its document is a rebuild's of the plain wiki; the update after reads only what is new."""
    from wikicourse.models.tables import wikibase_revisions

    api = wikibase_wiki.api_url
    engine = open_db(f"sqlite:///{tmp_path / 'wd.sqlite'}")
    end = datetime(2024, 3, 11, tzinfo=timezone.utc)
    try:
        new_course(engine, api)
        assert update_course(engine, "wd", as_of=end).status == "done"
        plain = update_course(engine, "wd", as_of=end).requests  # what an update with nothing new costs
        add_wiki(engine, LIVE, api, wikibase=False)
        assert "wikidata" not in course_stats(engine, "wd")
        report = update_course(engine, "wd", as_of=end)
        assert report.status == "done" and report.requests > plain  # the students' period read again
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(wikibase_revisions)) == 0
        full = open_db(f"sqlite:///{tmp_path / 'full.sqlite'}")
        try:
            new_course(full, api)
            add_wiki(full, LIVE, api, wikibase=False)
            assert update_course(full, "wd", as_of=end, full=True).status == "done"
            assert comparable(course_stats(engine, "wd")) == comparable(course_stats(full, "wd"))
        finally:
            full.dispose()
        assert update_course(engine, "wd", as_of=end).requests <= plain
    finally:
        engine.dispose()


def test_what_summaries_and_json_diffs_cost(wikibase_wiki):
    """Summaries ride on list=usercontribs (no request more); JSON diffs need every revision's text
    and its parent's (prop=revisions, 50 revisions a request). Measured here, printed with -s."""
    api = wikibase_wiki.api_url
    base = {"action": "query", "list": "usercontribs", "ucuser": "|".join(STUDENTS), "uclimit": "max",
            "format": "json", "formatversion": "2"}

    def fetch(params):
        began = time.perf_counter()
        body = httpx.get(api, params=params).content
        return len(body), time.perf_counter() - began, json.loads(body)

    plain, plain_s, answer = fetch({**base, "ucprop": "ids|title|timestamp|size|sizediff|flags"})
    with_comment, comment_s, _ = fetch({**base, "ucprop": "ids|title|timestamp|size|sizediff|flags|comment"})
    contribs = answer["query"]["usercontribs"]
    revids = sorted({c["revid"] for c in contribs} | {c["parentid"] for c in contribs if c.get("parentid")})
    content, content_s, _ = fetch({"action": "query", "prop": "revisions", "revids": "|".join(map(str, revids)),
                                   "rvprop": "ids|content", "rvslots": "main", "format": "json", "formatversion": "2"})
    print(f"\nusercontribs for {len(contribs)} edits: {plain} bytes ({plain_s * 1000:.1f} ms); with comment "
          f"{with_comment} bytes ({comment_s * 1000:.1f} ms), +{(with_comment - plain) / len(contribs):.0f} bytes an edit, "
          f"the same 1 request; texts of the {len(revids)} revisions and parents: {content} bytes "
          f"({content_s * 1000:.1f} ms), 1 request per 50")
    assert with_comment > plain  # the summaries are in the answer
    assert content > with_comment  # the texts cost more than the summaries, even for these small entities
