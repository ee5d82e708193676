"""Article namespaces on a real MediaWiki (docs/metrics.md#namespaces): students edit main space,
Project (4) and Talk (1) pages through the API; the course adds Project and Talk mid-course,
by name, then leaves them and takes them back. After every update the figures equal those
the wiki's own list of contributions gives (counted here, by hand) and a --full rebuild's in
a fresh database; taking the namespaces back costs no request beyond a plain update's.

It also measures what widening the store costs (requests and stored rows), printed with -s.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from support.course import comparable
from support.mediawiki import TestWiki
from twowikis import live_wiki_with
from wikicourse import courses
from wikicourse.db import open_db
from wikicourse.models.tables import revisions
from wikicourse.namespaces import resolve_option
from wikicourse.stats import course_stats
from wikicourse.update.cycle import update_course
from wikicourse.wikis import add_wiki

LIVE = "ns-live.test"
STUDENTS = ["Nina Page", "Otto Talk"]
PASSWORD = "Student-Password-2024"


@pytest.fixture(scope="module")
def live_wiki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestWiki]:
    with live_wiki_with(tmp_path_factory.mktemp("nslive") / "wiki", STUDENTS, PASSWORD) as wiki:
        yield wiki


def contributions(api_url: str, user: str) -> list[dict]:
    """Every contribution of the user, in every namespace, as the wiki lists it."""
    params = {"action": "query", "list": "usercontribs", "ucuser": user, "ucprop": "ids|title|timestamp|sizediff",
              "uclimit": "max", "format": "json", "formatversion": "2"}
    body = httpx.get(api_url, params=params).json()
    assert "continue" not in body
    return body["query"]["usercontribs"]


def by_hand(api_url: str, article: tuple[int, ...]) -> dict:
    """The figures docs/metrics.md defines (references aside), from the wiki's own lists."""
    tracked = set(article) | {2, 118}
    users, pages = {}, set()
    for name in STUDENTS:
        mine = [c for c in contributions(api_url, name) if c["ns"] in tracked]
        users[name] = {"revision_count": len(mine),
                       "character_sum_ms": sum(max(0, c["sizediff"]) for c in mine if c["ns"] in article),
                       "character_sum_us": sum(max(0, c["sizediff"]) for c in mine if c["ns"] == 2)}
        pages |= {c["title"] for c in mine if c["ns"] in article}
    return {"users": users, "articles": sorted(pages),
            "revision_count": sum(u["revision_count"] for u in users.values()),
            "character_sum": sum(u["character_sum_ms"] for u in users.values())}


def shown(engine) -> dict:
    doc = course_stats(engine, "ns")
    return {"users": {u["username"]: {k: u[k] for k in ("revision_count", "character_sum_ms", "character_sum_us")}
                      for u in doc["users"]},
            "articles": sorted(a["title"] for a in doc["articles"]),
            "revision_count": doc["course"]["revision_count"], "character_sum": doc["course"]["character_sum"]}


def rebuilt(api_url: str, folder, article: tuple[int, ...], as_of: datetime, start, end) -> dict:
    engine = open_db(f"sqlite:///{folder / f'full-{len(article)}-{as_of:%H%M%S}.sqlite'}")
    try:
        add_wiki(engine, LIVE, api_url)
        # (Given through the wiki, as the course's were: its document shows their names too.)
        courses.create_course(engine, "ns", title="NS", start=start, end=end, wikis=[LIVE],
                              namespaces=resolve_option(engine, [f"{LIVE}:{','.join(map(str, article))}"]))
        courses.enroll(engine, "ns", STUDENTS)
        assert update_course(engine, "ns", as_of=as_of, full=True).status == "done"
        return comparable(course_stats(engine, "ns"))
    finally:
        engine.dispose()


def test_namespaces_added_mid_course_on_a_live_wiki(live_wiki, tmp_path):
    api = live_wiki.api_url
    today = datetime.now(timezone.utc).date()
    start, end = today - timedelta(days=2), today + timedelta(days=2)
    engine = open_db(f"sqlite:///{tmp_path / 'ns.sqlite'}")
    nina, otto = (live_wiki.login(name, PASSWORD) for name in STUDENTS)
    costs = {}

    def update(label: str, article: tuple[int, ...]) -> None:
        report = update_course(engine, "ns")
        assert report.status == "done", report
        with engine.connect() as conn:
            rows = conn.scalar(select(func.count()).select_from(revisions))
        costs[label] = (report.requests, rows)
        assert shown(engine) == by_hand(api, article)
        doc = comparable(course_stats(engine, "ns"))
        assert doc == rebuilt(api, tmp_path, article, report.as_of, start, end)

    try:
        add_wiki(engine, LIVE, api)
        courses.create_course(engine, "ns", title="NS", start=start, end=end, wikis=[LIVE])
        courses.enroll(engine, "ns", STUDENTS)
        nina.edit("Harbour of Tartu", "The harbour of Tartu lies on the Emajõgi.<ref>Source 1</ref>")
        nina.edit("Project:Harbour task force", "We write about harbours. Join us.")
        otto.edit("Talk:Harbour of Tartu", "Is the date of 1950 sourced? ~~~~")
        otto.edit("User:Otto Talk/sandbox", "Notes on harbours.")
        update("main space", (0,))

        otto.edit("Project:Harbour task force", "We write about harbours. Join us. Otto joined.")
        nina.edit("Talk:Harbour of Tartu", "Is the date of 1950 sourced? ~~~~\n:Yes, see the museum's page.")
        assert courses.edit_course(engine, "ns", namespaces=resolve_option(
            engine, [f"{LIVE}:Main,Project,talk"])).namespaces == [(LIVE, "0", "0,1,4")]
        update("Project and Talk added (the store widened)", (0, 1, 4))
        update("nothing changed", (0, 1, 4))

        courses.edit_course(engine, "ns", namespaces={LIVE: [0]})
        update("back to main space", (0,))
        courses.edit_course(engine, "ns", namespaces={LIVE: [0, 1, 4]})
        update("Project and Talk again", (0, 1, 4))
    finally:
        for session in (nina, otto):
            session.close()
        engine.dispose()
    print("\nrequests, stored revisions after each update:")
    for label, (requests, rows) in costs.items():
        print(f"  {label}: {requests} requests, {rows} rows")
    plain = costs["nothing changed"][0]
    # Taking namespaces back, or leaving them, is local: no more requests than a plain update.
    assert costs["back to main space"][0] == plain and costs["Project and Talk again"][0] == plain
    assert costs["Project and Talk added (the store widened)"][0] > plain


# -- what widening costs, on the two generated wikis loaded into MediaWiki --------------------

def _costs(proxies, engine) -> dict:
    from twowikis import revision_contents, usercontribs

    with engine.connect() as conn:
        rows = conn.scalar(select(func.count()).select_from(revisions))
    return {"usercontribs": sum(len(usercontribs(p)) for p in proxies.values()),
            "texts": sum(len(revision_contents(p)) for p in proxies.values()), "rows": rows}


def _reset(proxies) -> None:
    for p in proxies.values():
        p.schedule([])


def test_what_counting_talk_pages_costs_on_the_test_wikis(new_db, proxies, proxy_urls, facts, tmp_path):
    from support import oracle
    from twowikis import DOMAINS, USERS, Course

    T1, T2, T3 = "2024-03-11T13:17:00Z", "2024-03-18T19:40:00Z", "2024-03-20T08:00:00Z"
    talk = {d: (0, 1, 3) for d in DOMAINS}
    measured = {}

    def step(label: str, course: Course, as_of: str, article=None) -> None:
        _reset(proxies)
        assert course.update(as_of).status == "done"
        measured[label] = _costs(proxies, course.engine)
        want = oracle.expected_stats(facts, students=course.students, instructors=course.instructors,
                                     start=course.start, end=course.end, wikis=course.wikis, as_of=as_of,
                                     slug=course.slug, title=course.title, article_namespaces=article)
        assert oracle.comparable(course.stats()) == want

    # A course counting main space, then talk pages as well from T2 on: the store widens.
    plain = Course.create(new_db("plain"), proxy_urls, students=USERS[:8])
    step("main space, first update (T1)", plain, T1)
    step("main space, T2", plain, T2)
    courses.edit_course(plain.engine, plain.slug, namespaces=talk)
    step("talk pages added at T2: the store widens", plain, T2, talk)
    step("talk pages, T3", plain, T3, talk)
    # The same course counting talk pages from its creation, in a database of its own.
    wide = Course.create(new_db("wide"), proxy_urls, students=USERS[:8], slug="wide")
    courses.edit_course(wide.engine, wide.slug, namespaces=talk)
    step("talk pages from the start, T1", wide, T1, talk)
    step("talk pages from the start, T2", wide, T2, talk)
    step("talk pages from the start, T3", wide, T3, talk)
    print("\nusercontribs requests, text requests, stored revisions (cumulative):")
    for label, c in measured.items():
        print(f"  {label}: {c['usercontribs']}, {c['texts']}, {c['rows']}")
    assert measured["talk pages added at T2: the store widens"]["usercontribs"] > 0
    assert measured["talk pages added at T2: the store widens"]["rows"] > measured["main space, T2"]["rows"]
