"""The dashboard's pages: what each shows (checked against the stats), sorting, CSVs, signing in,
and the manage actions with their refusals. Data: the bundled demo export, updated once per module
and copied for each test that changes it. HTML is read with the standard library's parser."""
from __future__ import annotations

import csv
import html
import io
import re
import socket
import sqlite3
import subprocess
import unicodedata
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, timedelta
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert

from support.changes import add_run
from support.course import setup_course, update
from wikicourse.courses import course_id, create_course, enroll
from wikicourse.db import open_db
from wikicourse.demo import DEMO_END, DEMO_START, DEMO_WIKI, DEMO_XML
from wikicourse.models.uploads import UPLOAD_FIGURES
from wikicourse.stats import COURSE_FIELDS, course_list, course_stats, per_wiki
from wikicourse.tokens import create_token
from wikicourse.models.tables import update_runs
from wikicourse.update.runs import begin_run, end_run, now_utc, recent_runs
from wikicourse.web import auth, chart, create_app

SLUG = "demo-2024"
OTHER = "Uni/Other_(2024)"  # a slug with "/" and parentheses, taught by someone else
STUDENTS = ["Amara Okafor", "Lena Fischer", "Tomás Ibáñez", "Zofia Wiśniewska", "Priya Raman",
            "Ólafur Jónsson", "Jonas Berg", "Mei Chen"]
INSTRUCTOR = "Helen Carter (Wiki Ed)"
OTHER_INSTRUCTOR = "Kenji Watanabe"
AS_OF = "2024-02-01T00:00:00Z"
HTML = {"accept": "text/html"}
OWN_FORM = {"origin": "http://testserver"}  # as a browser posts this site's sign-in form


@dataclass
class Demo:
    url: str
    admin: str
    instructor: str  # Helen Carter's token: manages SLUG
    other: str  # Kenji Watanabe's token: manages OTHER only


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Demo:
    path = tmp_path_factory.mktemp("web") / "demo.sqlite"
    engine = open_db(f"sqlite:///{path}")
    setup_course(engine, {DEMO_WIKI: DEMO_XML}, slug=SLUG, start=str(DEMO_START), end=str(DEMO_END),
                 students=STUDENTS, instructors=[INSTRUCTOR])
    update(engine, SLUG, AS_OF)
    create_course(engine, OTHER, title="Another course", start=DEMO_START, end=DEMO_END, wikis=[DEMO_WIKI])
    enroll(engine, OTHER, [OTHER_INSTRUCTOR], role="instructor")
    demo = Demo(f"sqlite:///{path}", create_token(engine, "admin", role="admin"),
                create_token(engine, "helen", role="instructor", username=INSTRUCTOR),
                create_token(engine, "kenji", role="instructor", username=OTHER_INSTRUCTOR))
    engine.dispose()
    return demo


@pytest.fixture(scope="module")
def reader(demo_db):
    """A client on the shared demo database, for tests that only read."""
    engine = open_db(demo_db.url, migrate=False)
    with TestClient(create_app(engine), headers=HTML) as client:
        client.engine = engine
        yield client
    engine.dispose()


@pytest.fixture
def writer(demo_db, tmp_path):
    """A client on this test's own copy of the demo database, for tests that change it."""
    copy = tmp_path / "copy.sqlite"
    with sqlite3.connect(demo_db.url.removeprefix("sqlite:///")) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    engine = open_db(f"sqlite:///{copy}", migrate=False)
    app = create_app(engine)
    with TestClient(app, headers=HTML) as client:
        client.engine = engine
        client.app_state = app.state
        yield client
    app.state.updater.wait(30)
    engine.dispose()


def sign_in(client: TestClient, token: str) -> None:
    r = client.post("/login", data={"token": token, "next": "/"}, headers=OWN_FORM, follow_redirects=False)
    assert r.status_code == 303, r.text


# ---- reading HTML -------------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list = dataclass_field(default_factory=list)  # Nodes and strings

    @property
    def text(self) -> str:
        return " ".join("".join(c if isinstance(c, str) else " " + c.text + " " for c in self.children).split())

    def get(self, name: str, default=None):
        return self.attrs.get(name, default)

    def all(self, tag: str | None = None, **attrs) -> list[Node]:
        """Descendants with the tag and attributes (class_ matches one class; value True: present)."""
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if child._matches(tag, attrs):
                    found.append(child)
                found += child.all(tag, **attrs)
        return found

    def one(self, tag: str | None = None, **attrs) -> Node:
        found = self.all(tag, **attrs)
        assert len(found) == 1, f"{len(found)} <{tag or '*'} {attrs}>"
        return found[0]

    def _matches(self, tag, attrs) -> bool:
        if tag and self.tag != tag:
            return False
        for name, want in attrs.items():
            name = name.rstrip("_").replace("_", "-")
            have = self.attrs.get(name)
            if want is True:
                if have is None:
                    return False
            elif name == "class":
                if want not in (have or "").split():
                    return False
            elif have != want:
                return False
        return True

    def rows(self) -> list[list[str]]:
        """A table's body rows as the texts of their cells."""
        return [[c.text for c in tr.children if isinstance(c, Node) and c.tag in ("td", "th")]
                for tr in self.one("tbody").all("tr")]


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v if v is not None else "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def page(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


def number(text: str) -> int:
    return int(text.replace(",", ""))


# ---- reading pages ------------------------------------------------------------------------------

def test_courses_page_lists_each_course_with_its_headline_figures(reader):
    doc = page(reader.get("/").text)
    rows = {tr.get("data-slug"): tr for tr in doc.one("table", id="courses").one("tbody").all("tr")}
    assert set(rows) == {SLUG, OTHER}
    for c in course_list(reader.engine):
        tr = rows[c["slug"]]
        assert tr.one("a").get("href") == f"/courses/{c['slug']}" and tr.one("a").text == c["title"]
        for cell in tr.all("td", data_field=True):
            assert number(cell.text) == c[cell.get("data-field")]
    assert "never" in rows[OTHER].one("td", class_="last-update").text
    assert "2024-02-01" in rows[SLUG].one("td", class_="last-update").text


def test_overview_shows_every_course_figure_and_the_per_wiki_split(reader):
    stats = course_stats(reader.engine, SLUG)["course"]
    doc = page(reader.get(f"/courses/{SLUG}").text)
    headline = doc.one("section", id="headline")
    shown = {el.get("data-field"): number(el.text) for el in headline.all(data_field=True)}
    assert shown == {f: stats[f] for f in COURSE_FIELDS}
    assert stats["character_sum"] > 999 and f"{stats['character_sum']:,}" in headline.text  # separators
    for w in per_wiki(reader.engine, SLUG):
        tr = doc.one("table", id="per-wiki").one("tr", data_wiki=w["wiki"])
        # Every figure of the split; the upload figures only for a course that counts uploads (this one does not).
        assert not stats["count_uploads"]
        assert {c.get("data-field"): number(c.text) for c in tr.all("td")} == {
            k: v for k, v in w.items() if k not in ("wiki", "tracked", *UPLOAD_FIGURES)}
    last = doc.one(id="last-update")
    assert "No window pending" in last.text
    assert {a.get("href") for a in doc.all("a", class_="csv")} == {
        f"/courses/{SLUG}/{kind}.csv" for kind in ("overview", "students", "articles", "timeslices")}


def test_overview_explains_what_counts_and_why_a_figure_drops(reader):
    text = page(reader.get(f"/courses/{SLUG}").text).one("section", id="explanations").text
    for phrase in ("enrolled in the course as students", "2024-01-01 00:00 UTC", "2024-01-31 23:59:59 UTC",
                   "demo.wikicourse.invalid", "counts as zero", "<ref>", "created during the course",
                   "stop counting for the whole course", "an article only they edited no longer counts",
                   "A deleted page's edits", "no longer as an article", "until 14 days after the course's end",
                   "redone at the next update"):
        assert phrase in text, phrase


def test_a_never_updated_course_with_a_slash_in_its_slug_renders_every_page(reader):
    for suffix in ("", "/activity", "/students", "/articles"):
        r = reader.get(f"/courses/{OTHER}{suffix}")
        assert r.status_code == 200, suffix
        assert "Another course" in r.text
    assert "Not updated yet" in page(reader.get(f"/courses/{OTHER}").text).one(id="last-update").text
    assert "No figures yet" in reader.get(f"/courses/{OTHER}/activity").text


def test_the_overview_history_lists_each_run_with_its_moves_and_reasons(writer):
    older = add_run(writer.engine, SLUG, "2024-02-02T00:00:00Z", figures={"student_count": [8, 15]},
                    reasons=[{"kind": "students_added", "subject": f"Student {i}"} for i in range(1, 8)])
    quiet = add_run(writer.engine, SLUG, "2024-02-03T00:00:00Z")  # found nothing new: listed, moving nothing
    drop = add_run(writer.engine, SLUG, "2024-02-04T06:30:00Z", "partial",
                   figures={"revision_count": [120, 98], "character_sum": [12400, 11900]},
                   reasons=[{"kind": "deleted", "subject": "Siege of Kaunas", "detail": DEMO_WIKI},
                            {"kind": "students_removed", "subject": "<b>Ana</b>"}])
    r = writer.get(f"/courses/{SLUG}")
    assert "<b>Ana</b>" not in r.text and "&lt;b&gt;Ana&lt;/b&gt;" in r.text
    doc = page(r.text)
    assert not doc.all(id="recent-changes")  # one history on the overview, not two
    rows = doc.one("section", id="update-history").one("tbody").all("tr")
    assert [tr.get("data-run") for tr in rows[:3]] == [str(drop), str(quiet), str(older)]
    first = rows[0]
    assert first.one("time", class_="as-of").get("datetime") == "2024-02-04T06:30:00Z"
    assert first.one("span", class_="run-status").text == "partial"
    assert [(m.get("data-field"), m.text) for m in first.all("span", class_="moved")] == [
        ("revision_count", "revisions 120 → 98"), ("character_sum", "characters 12,400 → 11,900")]
    assert all("down" in m.get("class") for m in first.all("span", class_="moved"))
    assert [x.text for x in first.all("span", class_="reason")] == [
        f"page deleted: Siege of Kaunas ({DEMO_WIKI})", "student removed: <b>Ana</b>"]
    assert "nothing" in rows[1].one("td", class_="changed").text and not rows[1].all("span", class_="reason")
    assert "up" in rows[2].one("span", class_="moved").get("class")
    assert [x.text for x in rows[2].all("span", class_="reason")] == ["student added: Student 1, Student 2 and 5 more"]
    # The headline marks what the last finished update moved, old -> new.
    marks = {f.one("span", class_="value").get("data-field"): f.one("span", class_="last-move").text
             for f in doc.all("div", class_="figure") if f.all("span", class_="last-move")}
    assert marks == {"revision_count": "120 → 98", "character_sum": "12,400 → 11,900"}


def test_overview_shows_no_history_before_a_run(writer):
    assert not page(writer.get(f"/courses/{OTHER}").text).all(id="update-history")
    add_run(writer.engine, OTHER, "2024-02-03T00:00:00Z", "failed")
    row = page(writer.get(f"/courses/{OTHER}").text).one("section", id="update-history").one("tbody").one("tr")
    assert row.one("span", class_="run-status").text == "failed" and "nothing" in row.text


def test_unknown_course_is_a_404_page(reader):
    r = reader.get("/courses/no-such-course/students")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    doc = page(r.text)
    assert "no course 'no-such-course'" in doc.one("p", class_="error").text
    assert doc.one("a", class_="site-name").get("href") == "/"


def test_activity_page_draws_both_charts_from_the_timeslices(reader):
    windows = course_stats(reader.engine, SLUG)["timeslices"]
    doc = page(reader.get(f"/courses/{SLUG}/activity").text)
    for svg_id, field in (("chart-characters", "character_sum"), ("chart-revisions", "revision_count")):
        svg = doc.one("svg", id=svg_id)
        assert len(svg.all("rect", class_="bar")) == sum(1 for w in windows if w[field] > 0)
        assert 3 <= len(svg.all("text", class_="tick-x")) <= chart.MAX_TICKS
        assert f"{sum(w[field] for w in windows):,} in all" in svg.one("title", id=f"{svg_id}-title").text
        assert len(svg.all("polyline", class_="cumulative")) == 1
    assert len(doc.one("table", id="windows").rows()) == len(windows)


def _windows(start: date, days: int, wiki: str = "xx.example.org") -> list[dict]:
    def iso(d: date) -> str:
        return f"{d.isoformat()}T00:00:00Z"
    return [{"wiki": wiki, "start": iso(start + timedelta(days=i)), "end": iso(start + timedelta(days=i + 1)),
             "character_sum": 100 + i % 50, "references_count": 0, "revision_count": 1 + i % 3,
             "needs_update": i == 3} for i in range(days)]


@pytest.mark.parametrize("days,month_labels", [(7, False), (31, False), (365, True), (1200, True)])
def test_charts_stay_readable_from_a_week_to_years(days, month_labels):
    start = date(2023, 3, 1)
    end = start + timedelta(days=days - 1)
    svg = page(str(chart.chart(_windows(start, days), "character_sum", start=f"{start}T00:00:00Z",
                               end=f"{end}T23:59:59Z", svg_id="c", label="Characters added"))).one("svg", id="c")
    labels = [t.text for t in svg.all("text", class_="tick-x")]
    assert 3 <= len(labels) <= chart.MAX_TICKS
    assert all(re.fullmatch(r"[A-Z][a-z]{2}( \d{4})?", t) for t in labels) == month_labels, labels
    bars = svg.all("rect", class_="bar")
    assert len(bars) == days and len(svg.all("rect", class_="pending")) == 1
    assert all(float(b.get("width")) > 0 for b in bars)
    xs = [float(b.get("x")) for b in bars]
    assert xs == sorted(xs) and xs[-1] + float(bars[-1].get("width")) <= chart.WIDTH - chart.RIGHT + 0.01


def test_chart_text_is_escaped():
    markup = str(chart.chart(_windows(date(2024, 1, 1), 2, wiki="<b>evil</b>.org"), "revision_count",
                             start="2024-01-01T00:00:00Z", end="2024-01-02T23:59:59Z", svg_id="c",
                             label="Revisions"))
    assert "<b>" not in markup and "&lt;b&gt;evil&lt;/b&gt;.org" in markup


def plain(text: str) -> str:
    """A name as a reader alphabetises it: no case, no accents."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


STUDENT_COLUMNS = ["username", "role", "revision_count", "character_sum_ms", "character_sum_us",
                   "character_sum_draft", "references_count"]


@pytest.mark.parametrize("direction", ["asc", "desc"])
@pytest.mark.parametrize("field", STUDENT_COLUMNS)
def test_students_sort_by_each_column_both_ways(reader, field, direction):
    doc = page(reader.get(f"/courses/{SLUG}/students", params={"sort": field, "dir": direction}).text)
    table = doc.one("table", id="students")
    rows = table.rows()
    names = [tr.one("a", class_="student").text for tr in table.one("tbody").all("tr")]
    users = course_stats(reader.engine, SLUG)["users"]
    assert sorted(names) == sorted(u["username"] for u in users)
    by_name = {u["username"]: u for u in users}
    keys = [by_name[name][field] for name in names]
    keys = [plain(k) for k in keys] if isinstance(keys[0], str) else keys
    assert keys == sorted(keys, reverse=direction == "desc")
    for name, r in zip(names, rows):  # the cells show the stats
        assert [number(v) for v in r[2:]] == [by_name[name][f] for f in STUDENT_COLUMNS[2:]]
    active = [th for th in table.all("th") if th.get("aria-sort")]
    assert len(active) == 1 and active[0].one("a", class_="sort").get("data-sort") == field
    assert active[0].get("aria-sort") == ("ascending" if direction == "asc" else "descending")
    toggled = "desc" if direction == "asc" else "asc"
    assert active[0].one("a").get("href") == f"?sort={field}&dir={toggled}"


def test_students_link_to_their_page_and_contributions_and_default_to_name_order(reader):
    table = page(reader.get(f"/courses/{SLUG}/students").text).one("table", id="students")
    names = [a.text for a in table.all("a", class_="student")]
    assert names == sorted(names, key=plain)
    assert names.index("Mei Chen") < names.index("Ólafur Jónsson") < names.index("Tomás Ibáñez")  # not after Z
    row = table.one("tr", data_username="Helen Carter (Wiki Ed)")
    assert row.one("a", class_="wiki-link").get("href") == (
        "https://demo.wikicourse.invalid/wiki/Special:Contributions/Helen_Carter_(Wiki_Ed)")
    assert row.one("a", class_="student").get("href") == f"/courses/{SLUG}/students/Helen_Carter_(Wiki_Ed)"
    assert table.one("th", aria_sort="ascending").one("a").get("data-sort") == "username"


@pytest.mark.parametrize("query,message", [({"sort": "password"}, "cannot sort by 'password'"),
                                           ({"sort": "username", "dir": "up"}, "dir must be asc or desc")])
def test_an_unknown_sort_is_refused_with_a_clear_message(reader, query, message):
    r = reader.get(f"/courses/{SLUG}/students", params=query)
    assert r.status_code == 422 and message in html.unescape(r.text)
    assert reader.get(f"/courses/{SLUG}/articles", params=query).status_code == 422


@pytest.mark.parametrize("field,direction", [("character_sum", "desc"), ("character_sum", "asc"),
                                             ("title", "desc"), ("editors", "desc"), ("new_article", "desc")])
def test_articles_sort_and_show_the_stats(reader, field, direction):
    table = page(reader.get(f"/courses/{SLUG}/articles", params={"sort": field, "dir": direction}).text) \
        .one("table", id="articles")
    articles = {a["title"]: a for a in course_stats(reader.engine, SLUG)["articles"]}
    rows = table.one("tbody").all("tr")
    assert sorted(tr.get("data-title") for tr in rows) == sorted(articles)
    def key(a):
        v = a[field]
        return len(v) if isinstance(v, list) else plain(v) if isinstance(v, str) else v
    keys = [key(articles[tr.get("data-title")]) for tr in rows]
    assert keys == sorted(keys, reverse=direction == "desc")
    for tr in rows:  # one wiki: no wiki column
        a = articles[tr.get("data-title")]
        cells = [c.text for c in tr.all("td")]
        assert [number(v) for v in cells[2:5]] == [a["revision_count"], a["character_sum"], a["references_count"]]
        assert bool(tr.all("span", class_="new")) == a["new_article"]
        editors = tr.one("td", class_="editors").all("a")
        assert [e.text for e in editors] == a["editors"]
        assert [unquote(e.get("href")) for e in editors] == \
            [f"/courses/{SLUG}/students/" + name.replace(" ", "_") for name in a["editors"]]
        assert unquote(tr.one("a", class_="wiki-link").get("href")) == \
            f"https://{DEMO_WIKI}/wiki/" + a["title"].replace(" ", "_")
        assert tr.one("a", class_="article").get("href") == f"/courses/{SLUG}/articles/{tr.get('data-article')}"
    assert "Wiki" not in [th.text for th in table.all("th")]
    assert len(table.all("span", class_="new")) == course_stats(reader.engine, SLUG)["course"]["new_article_count"]


def test_a_long_article_list_comes_in_pages_that_keep_the_order(reader, monkeypatch):
    monkeypatch.setattr("wikicourse.web.views.ARTICLES_PER_PAGE", 10)
    order = {"sort": "character_sum", "dir": "desc"}
    whole = sorted(course_stats(reader.engine, SLUG)["articles"], key=lambda a: -a["character_sum"])
    assert len(whole) > 20
    seen = []
    for number_ in (1, 2, 3):
        doc = page(reader.get(f"/courses/{SLUG}/articles", params={**order, "page": number_}).text)
        seen += [tr.get("data-title") for tr in doc.one("table", id="articles").one("tbody").all("tr")]
        pager = doc.one("nav", class_="pager")
        assert f"page {number_} of 3" in pager.text and f"of {len(whole)}" in pager.text
        links = {a.get("rel"): a.get("href") for a in pager.all("a")}
        if number_ < 3:
            assert links["next"] == f"?sort=character_sum&dir=desc&page={number_ + 1}"
    assert [a["character_sum"] for a in whole] == \
        [next(a for a in whole if a["title"] == t)["character_sum"] for t in seen]
    assert sorted(seen) == sorted(a["title"] for a in whole)
    refused = reader.get(f"/courses/{SLUG}/articles", params={"page": 4}, headers={"accept": "text/html"})
    assert refused.status_code == 422 and "past the last page (3)" in refused.text
    assert reader.get(f"/courses/{SLUG}/articles", params={"page": 0}).status_code == 422


# ---- CSV ----------------------------------------------------------------------------------------

def _csv(client, slug: str, kind: str) -> list[dict]:
    r = client.get(f"/courses/{slug}/{kind}.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == f'attachment; filename="{slug.replace("/", "_")}-{kind}.csv"'
    assert r.content.startswith(b"\xef\xbb\xbf"), "no UTF-8 byte-order mark: spreadsheets misread accents"
    return list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))


def test_csv_downloads_hold_the_stats(reader):
    doc = course_stats(reader.engine, SLUG)
    overview = _csv(reader, SLUG, "overview")
    assert [r["scope"] for r in overview] == ["wiki"] * (len(overview) - 1) + ["total"]
    assert overview[-1]["wiki"] == overview[-1]["students_editing"] == ""
    assert {f: int(overview[-1][f]) for f in COURSE_FIELDS} == {f: doc["course"][f] for f in COURSE_FIELDS}
    wikis = [{**w, "tracked": "yes" if w["tracked"] else "no"} for w in per_wiki(reader.engine, SLUG)]
    assert [{"wiki": r["wiki"], "tracked": r["tracked"], "editors": int(r["students_editing"]),
             **{f: int(r[f]) for f in COURSE_FIELDS + UPLOAD_FIGURES if f != "student_count"}}
            for r in overview[:-1]] == wikis
    assert {r["student_count"] for r in overview[:-1]} == {""}
    students = _csv(reader, SLUG, "students")
    assert [{k: (v if k in ("username", "role") else int(v)) for k, v in row.items()} for row in students] \
        == doc["users"]
    articles = _csv(reader, SLUG, "articles")
    assert [(a["title"], int(a["character_sum"]), int(a["references_count"]), int(a["revision_count"]),
             a["new_article"] == "yes", a["editors"].split("; ") if a["editors"] else []) for a in articles] == \
        [(a["title"], a["character_sum"], a["references_count"], a["revision_count"], a["new_article"],
          a["editors"]) for a in doc["articles"]]
    windows = _csv(reader, SLUG, "timeslices")
    assert [(w["start"], int(w["character_sum"]), int(w["revision_count"]), w["needs_update"] == "yes")
            for w in windows] == [(w["start"], w["character_sum"], w["revision_count"], w["needs_update"])
                                  for w in doc["timeslices"]]
    assert _csv(reader, OTHER, "students")[0]["username"] == OTHER_INSTRUCTOR


# ---- signing in ---------------------------------------------------------------------------------

def test_manage_sends_a_signed_out_visitor_to_the_login_page(reader):
    r = reader.get(f"/courses/{OTHER}/manage", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fcourses%2FUni%2FOther_%282024%29%2Fmanage"
    form = page(reader.get(r.headers["location"]).text).one("form", id="login")
    assert form.one("input", name="next").get("value") == f"/courses/{OTHER}/manage"
    assert form.one("input", id="token").get("name") == "token"


def test_login_with_a_bad_token_is_401_and_the_form_again(writer):
    r = writer.post("/login", data={"token": "wct_not-a-token", "next": "/"}, headers=OWN_FORM,
                    follow_redirects=False)
    assert r.status_code == 401 and "not valid" in r.text
    assert page(r.text).one("form", id="login")
    assert auth.COOKIE not in writer.cookies


def test_login_sets_a_safe_cookie_and_goes_only_to_local_paths(writer, demo_db):
    r = writer.post("/login", data={"token": demo_db.instructor, "next": f"/courses/{SLUG}/manage"},
                    headers=OWN_FORM, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/courses/{SLUG}/manage"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    header = page(writer.get("/").text).one("div", class_="signin")
    assert "Signed in as Helen Carter (Wiki Ed)" in header.text
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        r = writer.post("/login", data={"token": demo_db.instructor, "next": target}, headers=OWN_FORM,
                        follow_redirects=False)
        assert r.headers["location"] == "/", target


def test_logout_needs_the_form_token_and_clears_the_cookie(writer, demo_db):
    sign_in(writer, demo_db.admin)
    assert writer.post("/logout", data={}).status_code == 403
    csrf = page(writer.get("/").text).one("form", action="/logout").one("input", name="csrf").get("value")
    r = writer.post("/logout", data={"csrf": csrf})
    assert r.status_code == 200 and "Signed out." in page(r.text).one("p", class_="flash").text
    assert "Sign in" in page(r.text).one("div", class_="signin").text


def test_an_instructor_of_another_course_is_refused(writer, demo_db):
    sign_in(writer, demo_db.other)
    r = writer.get(f"/courses/{SLUG}/manage")
    assert r.status_code == 403 and "is not an instructor of 'demo-2024'" in html.unescape(r.text)
    assert writer.get(f"/courses/{SLUG}/disenroll", params={"username": "Mei Chen"}).status_code == 403
    assert writer.get(f"/courses/{OTHER}/manage").status_code == 200
    csrf = _csrf(writer, OTHER)
    r = writer.post(f"/courses/{SLUG}/disenroll", data={"csrf": csrf, "username": "Mei Chen"})
    assert r.status_code == 403 and "Mei Chen" in _roster(writer.engine, SLUG)


# ---- managing -----------------------------------------------------------------------------------

def _csrf(client, slug: str) -> str:
    return page(client.get(f"/courses/{slug}/manage").text).one("form", id="enroll") \
        .one("input", name="csrf").get("value")


def _roster(engine, slug: str) -> dict[str, str]:
    return {u["username"]: u["role"] for u in course_stats(engine, slug)["users"]}


def test_manage_page_has_the_contract_forms(writer, demo_db):
    sign_in(writer, demo_db.instructor)
    doc = page(writer.get(f"/courses/{SLUG}/manage").text)
    for form_id, action in (("enroll", "enroll"), ("edit-course", "edit"), ("start-update", "update")):
        form = doc.one("form", id=form_id)
        assert form.get("action") == f"/courses/{SLUG}/{action}" and form.get("method") == "post"
        assert form.one("input", name="csrf").get("value")
    assert doc.one("textarea", id="enroll-usernames") and doc.one("select", id="enroll-role")
    roster = doc.one("table", id="roster")
    assert [r[0] for r in roster.rows()] == sorted(_roster(writer.engine, SLUG), key=plain)  # the name order
    link = roster.one("tr", data_username="Priya Raman").one("a", class_="disenroll")
    assert link.get("href") == f"/courses/{SLUG}/disenroll?username=Priya%20Raman"
    assert doc.one("div", id="update-progress").get("data-status") == "done"
    assert "disabled" not in doc.one("button", id="start-update-button").attrs


@pytest.mark.parametrize("csrf", [None, "", "0" * 64])
def test_forms_without_the_right_csrf_token_are_refused_and_change_nothing(writer, demo_db, csrf):
    sign_in(writer, demo_db.admin)
    before = course_stats(writer.engine, SLUG)
    extra = {} if csrf is None else {"csrf": csrf}
    for action, data in (("enroll", {"usernames": "Rafael Souza", "role": "student"}),
                         ("disenroll", {"username": "Mei Chen"}),
                         ("edit", {"start": "2024-01-05", "end": "2024-01-20"}),
                         ("update", {})):
        r = writer.post(f"/courses/{SLUG}/{action}", data={**data, **extra}, follow_redirects=False)
        assert r.status_code == 403, action
        assert "the form is stale or came from another site" in html.unescape(r.text)
    assert course_stats(writer.engine, SLUG) == before
    assert recent_runs(writer.engine, SLUG, 5)[0]["status"] == "done"


def test_enroll_names_the_canonical_users_and_refuses_unknown_ones(writer, demo_db):
    sign_in(writer, demo_db.instructor)
    csrf = _csrf(writer, SLUG)
    before = _roster(writer.engine, SLUG)
    r = writer.post(f"/courses/{SLUG}/enroll", data={"csrf": csrf, "role": "student",
                                                     "usernames": "Rafael Souza\nNo Such Person Here\n"})
    assert r.status_code == 422
    doc = page(r.text)
    assert "no such user on the course's wikis: No Such Person Here" in doc.one("p", class_="flash").text
    assert doc.one("textarea", id="enroll-usernames").text == "Rafael Souza No Such Person Here"  # kept
    assert _roster(writer.engine, SLUG) == before
    r = writer.post(f"/courses/{SLUG}/enroll", data={"csrf": csrf, "role": "student", "usernames": "rafael Souza"})
    assert r.status_code == 200 and r.url.path == f"/courses/{SLUG}/manage"
    assert "Enrolled as student: Rafael Souza." in page(r.text).one("p", class_="flash").text
    assert _roster(writer.engine, SLUG) == {**before, "Rafael Souza": "student"}
    assert not page(writer.get(f"/courses/{SLUG}/manage").text).all("p", class_="flash")  # shown once


def test_user_text_is_escaped_everywhere(writer, demo_db):
    create_course(writer.engine, "escape", title='<script>alert("t")</script> & Co', start=DEMO_START,
                  end=DEMO_END, wikis=[DEMO_WIKI])
    for url in ("/", "/courses/escape", "/courses/escape/activity"):
        text = writer.get(url).text
        assert "<script>alert" not in text and "&lt;script&gt;alert(" in text, url
    sign_in(writer, demo_db.admin)
    r = writer.post(f"/courses/{SLUG}/enroll", data={"csrf": _csrf(writer, SLUG), "role": "student",
                                                     "usernames": "<img src=x onerror=alert(1)>"})
    assert r.status_code == 422 and "<img src=x" not in r.text and "&lt;img src=x" in r.text


def test_disenroll_confirmation_shows_what_leaves_and_the_post_removes_the_student(writer, demo_db):
    sign_in(writer, demo_db.instructor)
    before = course_stats(writer.engine, SLUG)
    priya = next(u for u in before["users"] if u["username"] == "Priya Raman")
    alone = [a for a in before["articles"] if a["editors"] == ["Priya Raman"]]
    assert priya["revision_count"] > 0 and priya["character_sum_ms"] > 0
    r = writer.get(f"/courses/{SLUG}/disenroll", params={"username": "Priya Raman"})
    section = page(r.text).one("section", id="confirm-disenroll")
    loses = {c.get("data-field"): number(c.text) for c in section.all("td", data_field=True)}
    assert loses == {"student_count": 1, "revision_count": priya["revision_count"],
                     "character_sum": priya["character_sum_ms"], "character_sum_user": priya["character_sum_us"],
                     "character_sum_draft": priya["character_sum_draft"],
                     "references_count": priya["references_count"], "article_count": len(alone),
                     # her own new articles, and those she created that others edited too
                     "new_article_count": loses["new_article_count"]}
    assert loses["new_article_count"] >= sum(a["new_article"] for a in alone)
    for a in alone:
        assert a["title"] in section.text
    assert "next update" in section.text and "no wiki is asked" in section.text
    form = section.one("form", id="confirm-disenroll-form")
    assert form.one("button").text == "Remove Priya Raman"
    r = writer.post(form.get("action"), data={i.get("name"): i.get("value") for i in form.all("input")},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/courses/{SLUG}/manage"
    assert "Removed Priya Raman" in page(writer.get(r.headers["location"]).text).one("p", class_="flash").text
    assert "Priya Raman" not in _roster(writer.engine, SLUG)
    # The confirmation's figures are exactly what the next update takes away.
    update(writer.engine, SLUG, AS_OF)
    after = course_stats(writer.engine, SLUG)["course"]
    assert {f: before["course"][f] - after[f] for f in COURSE_FIELDS} == loses


def test_disenrolling_an_instructor_says_no_figure_changes(writer, demo_db):
    sign_in(writer, demo_db.admin)
    section = page(writer.get(f"/courses/{SLUG}/disenroll", params={"username": INSTRUCTOR}).text) \
        .one("section", id="confirm-disenroll")
    assert "their edits never counted, so no figure changes" in section.text
    r = writer.get(f"/courses/{SLUG}/disenroll", params={"username": "Rafael Souza"})
    assert r.status_code == 422 and "not enrolled in" in html.unescape(r.text)


def test_edit_dates_changes_the_course_and_bad_dates_say_why(writer, demo_db):
    sign_in(writer, demo_db.instructor)
    csrf = _csrf(writer, SLUG)
    for start, end, message in (("2024-13-01", "", "malformed start date '2024-13-01': use YYYY-MM-DD"),
                                ("", "31/01/2024", "malformed end date '31/01/2024'"),
                                ("2024-01-20", "2024-01-10", "the end 2024-01-10 is before the start 2024-01-20"),
                                ("", "", None)):
        r = writer.post(f"/courses/{SLUG}/edit", data={"csrf": csrf, "start": start, "end": end,
                                                       "add_wiki": "unknown.example.org" if message is None else ""})
        assert r.status_code == 422
        assert (message or "unknown.example.org") in page(r.text).one("p", class_="flash").text
        c = course_stats(writer.engine, SLUG)["course"]
        assert (c["start"], c["end"], c["wikis"]) == ("2024-01-01T00:00:00Z", "2024-01-31T23:59:59Z", [DEMO_WIKI])
    r = writer.post(f"/courses/{SLUG}/edit", data={"csrf": csrf, "start": "2024-01-05", "end": "2024-01-25"})
    assert r.status_code == 200 and "Course changed" in page(r.text).one("p", class_="flash").text
    c = course_stats(writer.engine, SLUG)["course"]
    assert (c["start"], c["end"]) == ("2024-01-05T00:00:00Z", "2024-01-25T23:59:59Z")
    doc = page(r.text).one("form", id="edit-course")
    assert doc.one("input", name="start").get("value") == "2024-01-05"


def test_the_timeslice_length_is_shown_and_set_in_the_manage_form_and_checked_like_the_cli(writer, demo_db):
    sign_in(writer, demo_db.instructor)
    csrf = _csrf(writer, SLUG)
    days = course_stats(writer.engine, SLUG)["course"]["timeslice_days"]
    form = page(writer.get(f"/courses/{SLUG}/manage").text).one("form", id="edit-course")
    assert form.one("input", name="timeslice_days").get("value") == str(days)
    for typed, message in (("0", "--timeslice-days must be at least 1"), ("week", "malformed timeslice length 'week'"),
                           ("99999", "--timeslice-days must be at most 3660")):
        r = writer.post(f"/courses/{SLUG}/edit", data={"csrf": csrf, "timeslice_days": typed})
        assert r.status_code == 422 and message in page(r.text).one("p", class_="flash").text
        assert page(r.text).one("input", name="timeslice_days").get("value") == typed  # kept to correct
        assert course_stats(writer.engine, SLUG)["course"]["timeslice_days"] == days
    r = writer.post(f"/courses/{SLUG}/edit", data={"csrf": csrf, "timeslice_days": str(days + 6)})
    assert r.status_code == 200 and "Course changed" in page(r.text).one("p", class_="flash").text
    assert course_stats(writer.engine, SLUG)["course"]["timeslice_days"] == days + 6
    assert page(r.text).one("input", name="timeslice_days").get("value") == str(days + 6)
    update(writer.engine, SLUG, AS_OF)  # the next update regrids the windows
    starts = {t["start"][:10] for t in course_stats(writer.engine, SLUG)["timeslices"]}
    assert len(starts) == -(-31 // (days + 6))

def test_the_article_namespaces_are_shown_and_set_in_the_manage_form(writer, demo_db):
    sign_in(writer, demo_db.instructor)
    csrf = _csrf(writer, SLUG)
    form = page(writer.get(f"/courses/{SLUG}/manage").text).one("form", id="edit-course")
    assert form.one("input", name="ns_wiki").get("value") == DEMO_WIKI
    assert form.one("input", name="ns_list").get("value") == "0"
    for typed, message in (("0, Nowhere", "the wiki has no namespace named 'Nowhere'"),
                           ("User", "User and Draft are tracked besides")):
        r = writer.post(f"/courses/{SLUG}/edit", data={"csrf": csrf, "ns_wiki": DEMO_WIKI, "ns_list": typed})
        assert r.status_code == 422 and message in page(r.text).one("p", class_="flash").text
        assert page(r.text).one("input", name="ns_list").get("value") == typed  # kept to correct
        assert course_stats(writer.engine, SLUG)["course"]["article_namespaces"] == {DEMO_WIKI: [0]}
    r = writer.post(f"/courses/{SLUG}/edit", data={"csrf": csrf, "ns_wiki": DEMO_WIKI, "ns_list": "0"})
    assert r.status_code == 200 and "Nothing to change" in page(r.text).one("p", class_="flash").text
    r = writer.post(f"/courses/{SLUG}/edit", data={"csrf": csrf, "ns_wiki": DEMO_WIKI, "ns_list": "Main, talk"})
    assert r.status_code == 200 and "namespaces on demo.wikicourse.invalid 0 -> 0,1" in \
        page(r.text).one("p", class_="flash").text
    assert page(r.text).one("input", name="ns_list").get("value") == "0, 1"
    update(writer.engine, SLUG, AS_OF)
    doc = course_stats(writer.engine, SLUG)
    assert doc["course"]["article_namespaces"] == {DEMO_WIKI: [0, 1]}
    talk = next(a for a in doc["articles"] if a["namespace"] == 1)
    # The student's page names the talk page's kind: an article, in Talk.
    student = writer.get(f"/courses/{SLUG}/students/{talk['editors'][0]}")
    assert student.status_code == 200 and "article (Talk)" in html.unescape(student.text)


def test_start_update_while_one_runs_shows_a_flash_and_the_progress(writer, demo_db):
    sign_in(writer, demo_db.instructor)
    csrf = _csrf(writer, SLUG)
    with writer.engine.connect() as conn:
        cid = course_id(conn, SLUG)
    run = begin_run(writer.engine, cid, slug=SLUG, full=False, as_of=now_utc(), started=now_utc())
    try:
        r = writer.post(f"/courses/{SLUG}/update", data={"csrf": csrf}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == f"/courses/{SLUG}/manage"
        doc = page(writer.get(r.headers["location"]).text)
        flash = doc.one("p", class_="flash")
        assert "error" in flash.get("class") and f"is being updated (run {run}" in flash.text
        progress = doc.one("div", id="update-progress")
        assert progress.get("data-status") == "running" and "Updating" in progress.text
        assert progress.get("data-api") == f"/api/courses/{SLUG}/updates?limit=1"
        assert "disabled" in doc.one("button", id="start-update-button").attrs
        assert doc.one("script").get("src") == "/static/progress.js"
    finally:
        end_run(writer.engine, run, status="done")
    assert writer.get("/static/progress.js").status_code == 200


def test_after_a_crash_the_page_shows_the_run_interrupted_and_a_new_update_starts(writer, demo_db):
    dead = subprocess.Popen(["true"])
    dead.wait()
    with writer.engine.begin() as conn:  # a server killed mid-update left its run "running"
        conn.execute(insert(update_runs).values(
            course_id=course_id(conn, SLUG), full=False, as_of=now_utc(), started_at=now_utc(),
            status="running", holder=f"{socket.gethostname()}:{dead.pid}", heartbeat_at=now_utc()))
    sign_in(writer, demo_db.admin)
    doc = page(writer.get(f"/courses/{SLUG}/manage").text)
    assert doc.one("div", id="update-progress").get("data-status") == "interrupted"
    assert "disabled" not in doc.one("button", id="start-update-button").attrs
    r = writer.post(f"/courses/{SLUG}/update", data={"csrf": _csrf(writer, SLUG)})
    assert "Update started (run" in page(r.text).one("p", class_="flash").text
    writer.app_state.updater.wait(30)
    assert [run["status"] for run in recent_runs(writer.engine, SLUG, 2)] == ["done", "interrupted"]


def test_start_update_runs_one_in_the_background(writer, demo_db):
    sign_in(writer, demo_db.admin)
    r = writer.post(f"/courses/{SLUG}/update", data={"csrf": _csrf(writer, SLUG)})
    assert "Update started (run" in page(r.text).one("p", class_="flash").text
    writer.app_state.updater.wait(30)
    doc = page(writer.get(f"/courses/{SLUG}/manage").text)
    assert doc.one("div", id="update-progress").get("data-status") == "done"
    assert not doc.all("script")
