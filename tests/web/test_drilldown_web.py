"""The drill-downs over HTTP: the API's student, article, recent and filtered articles resources,
and the pages that show them (paging, sorting, filters, diff links, 404s), on a course whose slug
holds "/". Data: the bundled demo export, updated once; its wiki then re-pointed at an http URL,
as a live wiki's would be, so that diffs have links (a drill-down never asks the wiki)."""
from __future__ import annotations

import csv
import io
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from fastapi.testclient import TestClient

from support.course import setup_course, update
from test_views import number, page
from wikicourse.courses import create_course
from wikicourse.db import open_db
from wikicourse.demo import DEMO_END, DEMO_START, DEMO_WIKI, DEMO_XML
from wikicourse.errors import InvalidInput
from wikicourse.stats import course_stats
from wikicourse.web import create_app
from wikicourse.wikis import add_wiki

SLUG = "Uni/Drill_(2024)"
STUDENTS = ["Amara Okafor", "Lena Fischer", "Tomás Ibáñez", "Priya Raman", "Mei Chen", "Jonas Berg"]
INSTRUCTOR = "Helen Carter (Wiki Ed)"
INDEX = f"https://{DEMO_WIKI}/w/index.php"
HTML = {"accept": "text/html"}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    engine = open_db(f"sqlite:///{tmp_path_factory.mktemp('drill-web') / 'db.sqlite'}")
    setup_course(engine, {DEMO_WIKI: DEMO_XML}, slug=SLUG, start=str(DEMO_START), end=str(DEMO_END),
                 students=STUDENTS, instructors=[INSTRUCTOR])
    update(engine, SLUG, "2024-02-01T00:00:00Z")
    add_wiki(engine, DEMO_WIKI, f"https://{DEMO_WIKI}/w/api.php")
    with TestClient(create_app(engine)) as c:
        c.engine = engine
        c.doc = course_stats(engine, SLUG)
        yield c
    engine.dispose()


def api(client, path: str, **params) -> dict:
    r = client.get(f"/api/courses/{SLUG}{path}", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def refused(client, path: str, status: int, **params) -> str:
    r = client.get(path, params=params)
    assert r.status_code == status, r.text
    assert set(r.json()) == {"error"} and "\n" not in r.json()["error"]
    return r.json()["error"]


def busiest(client) -> dict:
    return max((u for u in client.doc["users"] if u["role"] == "student"), key=lambda u: u["revision_count"])


# ---- the API ------------------------------------------------------------------------------------

def test_a_students_revisions_come_in_pages_that_sum_to_their_figures(client):
    user = busiest(client)
    name = user["username"].replace(" ", "_")
    first = api(client, f"/students/{name}", per_page=7)
    assert first["paging"] == {"sort": "timestamp", "dir": "desc", "page": 1, "pages": -(-user["revision_count"] // 7),
                               "per_page": 7, "total": user["revision_count"]}
    listed = list(first["revisions"])
    for n in range(2, first["paging"]["pages"] + 1):
        listed += api(client, f"/students/{name}", per_page=7, page=n)["revisions"]
    assert len({r["rev_id"] for r in listed}) == len(listed) == user["revision_count"]
    assert [r["timestamp"] for r in listed] == sorted((r["timestamp"] for r in listed), reverse=True)
    assert sum(r["characters"] for r in listed if r["namespace"] == 0) == user["character_sum_ms"]
    assert sum(r["characters"] for r in listed if r["namespace"] == 2) == user["character_sum_us"]
    assert sum(r["references"] for r in listed) == user["references_count"]
    assert {f: first["student"][f] for f in ("revision_count", "character_sum_ms", "references_count")} == \
        {f: user[f] for f in ("revision_count", "character_sum_ms", "references_count")}
    assert all(r["diff_url"] == f"{INDEX}?diff={r['rev_id']}" and r["username"] == user["username"] for r in listed)
    by_size = api(client, f"/students/{name}", sort="characters", dir="asc", per_page=500)["revisions"]
    assert [r["characters"] for r in by_size] == sorted(r["characters"] for r in listed)


def test_an_article_lists_its_revisions_editors_and_windows(client):
    articles = api(client, "/articles")["articles"]
    shared = max(articles, key=lambda a: (len(a["editors"]), a["revision_count"]))
    doc = api(client, f"/articles/{shared['id']}", sort="username", dir="asc")
    a = doc["article"]
    assert (a["title"], a["wiki"], a["namespace"], a["deleted"], a["moved"], a["counted"]) == \
        (shared["title"], DEMO_WIKI, 0, False, False, True)
    assert (a["revision_count"], a["character_sum"], a["references_count"], a["new_article"]) == \
        (shared["revision_count"], shared["character_sum"], shared["references_count"], shared["new_article"])
    assert [e["username"] for e in doc["editors"]] == shared["editors"]
    assert [r["username"] for r in doc["revisions"]] == sorted(r["username"] for r in doc["revisions"])
    assert sum(w["revision_count"] for w in doc["windows"]) == shared["revision_count"]
    assert all(r["article_id"] == shared["id"] for r in doc["revisions"])


def test_recent_edits_are_the_newest_counted_ones(client):
    recent = api(client, "/recent", limit=5)["revisions"]
    everyone = [r for u in client.doc["users"]
                for r in api(client, f"/students/{u['username']}", per_page=500)["revisions"]]
    newest = sorted(everyone, key=lambda r: (r["timestamp"], r["rev_id"]), reverse=True)[:5]
    assert recent == newest and len(api(client, "/recent")["revisions"]) == 20


def test_the_articles_resource_filters_by_kind_wiki_and_editor(client):
    every = client.doc["articles"]
    new = api(client, "/articles", kind="new")["articles"]
    assert [a["title"] for a in new] == [a["title"] for a in every if a["new_article"]]
    assert len(new) == client.doc["course"]["new_article_count"] > 0
    edited = api(client, "/articles", kind="edited")["articles"]
    assert len(edited) + len(new) == len(every) and not any(a["new_article"] for a in edited)
    assert len(api(client, "/articles", wiki=DEMO_WIKI)["articles"]) == len(every)
    name = busiest(client)["username"]
    theirs = api(client, "/articles", editor=name.replace(" ", "_"))["articles"]
    assert [a["title"] for a in theirs] == [a["title"] for a in every if name in a["editors"]] and theirs


@pytest.mark.parametrize("path,status,params,message", [
    ("/students/Nobody_Here", 404, {}, "'Nobody Here' is not enrolled"),
    ("/articles/987654", 404, {}, "no article 987654 in"),
    ("/students/Mei_Chen", 422, {"sort": "user_id"}, "cannot sort by 'user_id'"),
    ("/students/Mei_Chen", 422, {"page": 99}, "past the last page"),
    ("/students/Mei_Chen", 422, {"per_page": 0}, "per_page"),
    ("/recent", 422, {"limit": 0}, "limit"),
    ("/articles", 422, {"kind": "old"}, "kind"),
    ("/articles", 422, {"wiki": "other.wiki"}, "does not track 'other.wiki'"),
    ("/articles", 422, {"editor": "Nobody"}, "'Nobody' is not enrolled"),
])
def test_bad_requests_get_one_line(client, path, status, params, message):
    assert message in refused(client, f"/api/courses/{SLUG}{path}", status, **params)


def test_an_unknown_course_is_a_404_and_no_slug_may_hide_a_drilldown(client):
    assert "no course 'Uni/Nope'" in refused(client, "/api/courses/Uni/Nope/students/Mei_Chen", 404)
    with pytest.raises(InvalidInput, match="may not hold /students/"):
        create_course(client.engine, "Uni/students/Ann", title="x", start=DEMO_START, end=DEMO_END, wikis=[DEMO_WIKI])


def test_numbers_past_what_a_database_holds_are_refused_in_one_line(client):
    """An offset or id beyond the databases' integers once crashed inside the driver (a 500)."""
    student = busiest(client)["username"]
    huge = 10**20
    assert "page must be 1 to" in refused(client, f"/api/courses/{SLUG}/students/{student}", 422, page=huge // 10**10)
    assert "no article" in refused(client, f"/api/courses/{SLUG}/articles/{huge}", 404)
    assert "the offset is 0 to" in refused(client, "/api/courses", 422, offset=huge)
    assert "the page is 1 to" in refused(client, "/api/courses", 422, page=huge)
    assert client.get("/", params={"page": huge}, headers=HTML).status_code == 422


# ---- the pages ----------------------------------------------------------------------------------

def html(client, path: str, **params):
    r = client.get(path, params=params, headers=HTML)
    assert r.status_code == 200, r.text
    return page(r.text)


def test_the_student_page_shows_their_figures_pages_and_revisions_with_diff_links(client):
    user = busiest(client)
    drill = api(client, f"/students/{user['username']}")
    doc = html(client, f"/courses/{SLUG}/students/{user['username'].replace(' ', '_')}")
    assert doc.one("h2", id="student-name").text == user["username"]
    wiki = doc.one("table", id="student-wikis").one("tr", data_wiki=DEMO_WIKI)
    assert {c.get("data-field"): number(c.text) for c in wiki.all("td")} == \
        {k: v for k, v in drill["wikis"][0].items() if k != "wiki"}
    pages = doc.one("table", id="student-articles").one("tbody").all("tr")
    assert [tr.one("a").get("href") for tr in pages] == [f"/courses/{SLUG}/articles/{a['id']}" for a in drill["articles"]]
    rows = doc.one("table", id="revisions").one("tbody").all("tr")
    assert [int(tr.get("data-rev")) for tr in rows] == [r["rev_id"] for r in drill["revisions"]]
    assert len(rows) == min(50, user["revision_count"])
    assert [a.get("href") for a in doc.one("table", id="revisions").all("a", class_="diff")] == \
        [f"{INDEX}?diff={r['rev_id']}" for r in drill["revisions"]]
    headers = {a.get("data-sort"): a.get("href") for a in doc.one("table", id="revisions").all("a", class_="sort")}
    assert "wiki" not in headers and headers["characters"] == "?sort=characters&dir=desc"
    assert headers["timestamp"] == "?sort=timestamp&dir=asc"  # the active column turns around


def test_the_student_page_pages_and_sorts(client, monkeypatch):
    monkeypatch.setattr("wikicourse.web.drilldown_views.PER_PAGE", 10)
    user = busiest(client)
    assert user["revision_count"] > 20
    path = f"/courses/{SLUG}/students/{user['username']}"
    seen = []
    query = {"sort": "characters", "dir": "asc"}
    while True:
        doc = html(client, path, **query)
        seen += [number(tr.all("td")[3].text) for tr in doc.one("table", id="revisions").one("tbody").all("tr")]
        nxt = [a for a in doc.one("nav", class_="pager").all("a") if a.get("rel") == "next"]
        if not nxt:
            break
        query = {k: v[0] for k, v in parse_qs(urlsplit(nxt[0].get("href")).query).items()}
    assert seen == sorted(seen) and len(seen) == user["revision_count"]
    assert f"page {-(-user['revision_count'] // 10)} of {-(-user['revision_count'] // 10)}" in \
        doc.one("nav", class_="pager").text


def test_the_article_page_shows_its_state_chart_editors_and_revisions(client):
    shared = max(api(client, "/articles")["articles"], key=lambda a: len(a["editors"]))
    doc = html(client, f"/courses/{SLUG}/articles/{shared['id']}")
    assert doc.one("h2", id="article-title").text == shared["title"]
    status = doc.one("p", id="article-status")
    assert "Article on demo.wikicourse.invalid" in status.text and "no longer count" not in status.text
    figures = {el.get("data-field"): el.text for el in doc.one("section", id="headline").all(data_field=True)}
    assert number(figures["character_sum"]) == shared["character_sum"]
    assert number(figures["revision_count"]) == shared["revision_count"]
    assert doc.one("svg", id="chart-article") is not None
    editors = doc.one("table", id="editors")
    assert [unquote(a.get("href")) for a in editors.all("a")] == \
        [f"/courses/{SLUG}/students/{e.replace(' ', '_')}" for e in shared["editors"]]
    assert len(doc.one("table", id="revisions").one("tbody").all("tr")) == shared["revision_count"]


def test_the_recent_page_lists_the_latest_edits_linked(client):
    recent = api(client, "/recent", limit=10)["revisions"]
    doc = html(client, f"/courses/{SLUG}/recent", limit=10)
    rows = doc.one("table", id="recent").one("tbody").all("tr")
    assert [int(tr.get("data-rev")) for tr in rows] == [r["rev_id"] for r in recent]
    first = rows[0].all("a")
    assert unquote(first[0].get("href")) == f"/courses/{SLUG}/students/{recent[0]['username'].replace(' ', '_')}"
    assert first[1].get("href") == f"/courses/{SLUG}/articles/{recent[0]['article_id']}"
    assert first[2].get("href") == f"{INDEX}?diff={recent[0]['rev_id']}"
    assert doc.one("nav", class_="tabs").one("a", aria_current="page").text == "Recent edits"


def test_the_articles_page_filters_keep_their_choice_in_sorting_paging_and_the_csv(client):
    name = busiest(client)["username"]
    doc = html(client, f"/courses/{SLUG}/articles", kind="new", editor=name)
    rows = doc.one("table", id="articles").one("tbody").all("tr")
    want = [a for a in client.doc["articles"] if a["new_article"] and name in a["editors"]]
    assert sorted(tr.get("data-title") for tr in rows) == sorted(a["title"] for a in want) and want
    assert all(tr.all("span", class_="new") for tr in rows)
    form = doc.one("form", id="article-filters")
    assert form.one("select", name="kind").one("option", selected=True).get("value") == "new"
    assert form.one("select", name="editor").one("option", selected=True).text == name
    assert not form.all("select", name="wiki")  # one wiki: nothing to choose, and no wiki column
    sort = doc.one("table", id="articles").one("a", data_sort="character_sum").get("href")
    assert parse_qs(urlsplit(sort).query) == {"sort": ["character_sum"], "dir": ["desc"], "kind": ["new"],
                                             "editor": [name]}
    link = doc.one("a", class_="csv").get("href")
    assert parse_qs(urlsplit(link).query) == {"kind": ["new"], "editor": [name]}
    r = client.get(link)
    assert r.status_code == 200
    assert sorted(row["title"] for row in csv.DictReader(io.StringIO(r.text))) == sorted(a["title"] for a in want)
    nothing = html(client, f"/courses/{SLUG}/articles", kind="new", editor=INSTRUCTOR)
    assert "No article matches the filters" in nothing.one("table", id="articles").text


def test_unknown_drilldowns_are_404_pages(client):
    for path, word in ((f"/courses/{SLUG}/students/Nobody", "Nobody"), (f"/courses/{SLUG}/articles/987654", "987654")):
        r = client.get(path, headers=HTML)
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
        assert word in r.text
