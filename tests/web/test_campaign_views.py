"""The dashboard's campaign pages: the list, a campaign's figures, wikis, sortable courses and
activity, the CSVs, and the site nav; checked against the campaign document."""
from __future__ import annotations

import csv
import html
import io

import pytest
from fastapi.testclient import TestClient

from support import campaigns as world
from test_views import number, page
from wikicourse.campaign_stats import campaign_stats
from wikicourse.campaigns import add_courses, create_campaign
from wikicourse.db import open_db
from wikicourse.web import create_app

SLUG = "uni/spring_(2024)"  # "/" and brackets, as course slugs have
HTML = {"accept": "text/html"}


@pytest.fixture(scope="module")
def reader(tmp_path_factory):
    engine = open_db(f"sqlite:///{tmp_path_factory.mktemp('campaign-pages') / 'db.sqlite'}")
    world.build_world(engine)
    create_campaign(engine, SLUG, title="Spring <2024>")
    create_campaign(engine, "empty", title="Nothing yet")
    add_courses(engine, SLUG, ["c1", "c2"])
    with TestClient(create_app(engine), headers=HTML) as client:
        client.engine = engine
        yield client
    engine.dispose()


def test_the_list_shows_each_campaign_with_its_figures(reader):
    doc = page(reader.get("/campaigns").text)
    rows = {tr.get("data-slug"): tr for tr in doc.one("table", id="campaigns").one("tbody").all("tr")}
    assert set(rows) == {SLUG, "empty"}
    link = rows[SLUG].one("a")
    assert link.get("href") == f"/campaigns/{SLUG}" and link.text == "Spring <2024>"  # escaped, shown as typed
    assert {c.get("data-field"): number(c.text) for c in rows[SLUG].all("td", data_field=True)} == {
        "course_count": 2, **{f: world.UNION[f] for f in ("student_count", "article_count", "new_article_count",
                                                          "revision_count", "character_sum", "references_count")}}
    assert "2024-01-07 23:59" in rows[SLUG].one("td", class_="last-update").text
    assert "never" in rows["empty"].one("td", class_="last-update").text


def test_the_site_nav_leads_to_courses_and_campaigns(reader):
    for path, here in (("/", "Courses"), ("/campaigns", "Campaigns"), (f"/campaigns/{SLUG}", "Campaigns"),
                       ("/courses/c1", "Courses")):
        nav = page(reader.get(path).text).one("nav", class_="site")
        assert {a.text: a.get("href") for a in nav.all("a")} == {"Courses": "/", "Campaigns": "/campaigns"}
        assert [a.text for a in nav.all("a", class_="here")] == [here], path


def test_a_campaign_shows_its_union_figures_per_wiki_and_its_activity(reader):
    doc = page(reader.get(f"/campaigns/{SLUG}").text)
    shown = {el.get("data-field"): number(el.text) for el in doc.one("section", id="headline").all(data_field=True)}
    assert shown == world.UNION
    for wiki, figures in world.PER_WIKI.items():
        tr = doc.one("table", id="per-wiki").one("tr", data_wiki=wiki)
        assert {c.get("data-field"): number(c.text) for c in tr.all("td")} == figures
    assert "counts once" in doc.one(id="last-update").text and "2024-01-07 23:59" in doc.one(id="last-update").text
    for svg in ("chart-characters", "chart-revisions"):
        assert doc.one("svg", id=svg)
    bars = doc.one("svg", id="chart-revisions").all("rect", class_="bar")
    assert len(bars) == len(world.ACTIVITY)  # one bar per day and wiki
    assert {a.get("href") for a in doc.all("a", class_="csv")} == {
        f"/campaigns/{SLUG}/courses.csv", f"/campaigns/{SLUG}/wikis.csv"}


COLUMNS = ["title", "student_count", "article_count", "new_article_count", "revision_count", "character_sum",
           "references_count", "character_sum_user", "character_sum_draft", "last_update"]


@pytest.mark.parametrize("direction", ["asc", "desc"])
@pytest.mark.parametrize("field", COLUMNS)
def test_the_courses_table_sorts_by_each_column_both_ways(reader, field, direction):
    doc = page(reader.get(f"/campaigns/{SLUG}", params={"sort": field, "dir": direction}).text)
    table = doc.one("table", id="campaign-courses")
    own = {c["slug"]: c for c in campaign_stats(reader.engine, SLUG)["courses"]}
    rows = table.one("tbody").all("tr")
    keys = [own[tr.get("data-slug")][field] for tr in rows]
    assert sorted(tr.get("data-slug") for tr in rows) == ["c1", "c2"]
    if keys[0] != keys[1]:
        assert keys == sorted(keys, reverse=direction == "desc")
    for tr in rows:
        assert {c.get("data-field"): number(c.text) for c in tr.all("td", data_field=True)} == {
            f: own[tr.get("data-slug")][f] for f in world.FIGURES}
        assert tr.one("a").get("href") == f"/courses/{tr.get('data-slug')}"
    active = [th for th in table.all("th") if th.get("aria-sort")]
    assert len(active) == 1 and active[0].one("a", class_="sort").get("data-sort") == field


def test_sorting_differs_where_the_courses_do(reader):
    def order(**query):
        table = page(reader.get(f"/campaigns/{SLUG}", params=query).text).one("table", id="campaign-courses")
        return [tr.get("data-slug") for tr in table.one("tbody").all("tr")]

    assert order() == ["c1", "c2"]  # by title
    assert order(sort="revision_count") == ["c2", "c1"]  # 5 before 4: largest first
    assert order(sort="revision_count", dir="asc") == ["c1", "c2"]
    assert order(sort="character_sum_draft") == ["c2", "c1"]
    r = reader.get(f"/campaigns/{SLUG}", params={"sort": "secret"})
    assert r.status_code == 422 and "cannot sort by 'secret'" in html.unescape(r.text)


def _csv(client, kind: str) -> list[dict]:
    r = client.get(f"/campaigns/{SLUG}/{kind}.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == f'attachment; filename="uni_spring_(2024)-{kind}.csv"'
    return list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))


def test_the_csvs_hold_the_courses_and_the_wikis(reader):
    courses = _csv(reader, "courses")
    assert [(c["slug"], {f: int(c[f]) for f in world.FIGURES}) for c in courses] == [
        ("c1", world.C1), ("c2", world.C2)]
    assert courses[0]["last_update"] == "2024-01-07T23:59:59Z" and courses[0]["start"] == "2024-01-01"
    wikis = _csv(reader, "wikis")
    assert wikis[-1]["scope"] == "total" and {f: int(wikis[-1][f]) for f in world.FIGURES} == world.UNION
    assert {w["wiki"]: {"editors" if f == "students_editing" else f: int(w[f]) for f in w
                        if f not in ("scope", "wiki", "tracked", "student_count")} for w in wikis[:-1]} == \
        world.PER_WIKI


def test_an_empty_campaign_and_an_unknown_one(reader):
    doc = page(reader.get("/campaigns/empty").text)
    assert "No courses yet" in doc.one("table", id="campaign-courses").text and not doc.all("svg")
    assert "No revision counted yet" in doc.one(id="no-activity").text
    r = reader.get("/campaigns/nope")
    assert r.status_code == 404 and "no campaign &#39;nope&#39;" in r.text
    assert reader.get("/campaigns/nope/courses.csv").status_code == 404
