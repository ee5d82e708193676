"""The dashboard's finer points, on a course updated mid-way (as of 2024-01-10 12:00) and one
updated after its end: one name order in every interface, CSVs a spreadsheet reads, the
overview's two times, the chart's running total stopping at the as-of time."""
from __future__ import annotations

import csv
import html
import io
import json
import re
import sys
import unicodedata
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from support.course import setup_course, update
from wikicourse.cli import main
from wikicourse.db import open_db
from wikicourse.demo.generate import generate
from wikicourse.models.uploads import UPLOAD_FIGURES
from wikicourse.stats import COURSE_FIELDS, course_stats, per_wiki
from wikicourse.web import chart, create_app

WIKI = "names.demo.invalid"
# Byte order would put "ELLA" before "Eden", and "Émile" and "Ólafur" after "Zeynep".
NAMES = ["Zeynep Kaya", "Émile Roux", "Fatima Zahra", "ELLA Brown", "Emile Bernard", "Ólafur Jónsson",
         "Eden Hall"]
READING_ORDER = ["Eden Hall", "ELLA Brown", "Emile Bernard", "Émile Roux", "Fatima Zahra", "Ólafur Jónsson",
                 "Zeynep Kaya"]
MID, ENDED = "mid", "ended"  # the first runs past its as-of time, the second ended before it
AS_OF = "2024-01-10T12:00:00Z"


def plain(text: str) -> str:
    """A name as a reader alphabetises it: no case, no accents (then the name itself)."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("edges")
    generate(folder / "names.xml", users=NAMES, pages=12, revisions=160, seed=5, wiki=WIKI,
             start=datetime(2024, 1, 1, tzinfo=timezone.utc), days=20)
    url = f"sqlite:///{folder / 'edges.sqlite'}"
    engine = open_db(url)
    setup_course(engine, {WIKI: folder / "names.xml"}, slug=MID, start="2024-01-01", end="2024-01-20",
                 students=NAMES)
    setup_course(engine, {}, slug=ENDED, start="2024-01-01", end="2024-01-06", students=NAMES, wikis=[WIKI])
    for slug in (MID, ENDED):
        update(engine, slug, AS_OF)
    with TestClient(create_app(engine), headers={"accept": "text/html"}) as client:
        client.engine, client.url = engine, url
        yield client
    engine.dispose()


def csv_of(client, path: str, **params) -> list[dict]:
    r = client.get(path, params=params or None)  # (an empty dict would drop the query of `path`)
    assert r.status_code == 200, r.text
    assert r.content.startswith(b"\xef\xbb\xbf"), "no UTF-8 byte-order mark"
    return list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))


# ---- one name order ------------------------------------------------------------------------------

def test_names_come_in_one_accent_and_case_blind_order_everywhere(site, capsys, monkeypatch):
    assert sorted(NAMES, key=lambda n: (plain(n), n)) == READING_ORDER  # the test's own reading
    doc = course_stats(site.engine, MID)
    assert [u["username"] for u in doc["users"]] == READING_ORDER
    api = site.get(f"/api/courses/{MID}/users").json()["users"]
    assert [u["username"] for u in api] == READING_ORDER
    page = site.get(f"/courses/{MID}/students").text
    assert re.findall(r'<tr data-username="([^"]+)"', page) == READING_ORDER
    assert [r["username"] for r in csv_of(site, f"/courses/{MID}/students.csv")] == READING_ORDER
    # Editors of an article, in the document, the API, the CSV.
    shared = [a["editors"] for a in doc["articles"] if len(a["editors"]) > 2]
    assert shared, "no article with three editors: the generated wiki changed"
    for editors in shared:
        assert editors == sorted(editors, key=lambda n: (plain(n), n))
    assert [a["editors"] for a in site.get(f"/api/courses/{MID}/articles").json()["articles"]] == \
        [a["editors"] for a in doc["articles"]]
    # The command line: stats --json and the table for the terminal.
    def stats(*args: str) -> str:
        monkeypatch.setattr(sys, "argv", ["wikicourse", "--db", site.url, "stats", MID, *args])
        try:
            main()
        except SystemExit as exc:
            assert not exc.code, capsys.readouterr().err
        return capsys.readouterr().out
    assert [u["username"] for u in json.loads(stats("--json"))["users"]] == READING_ORDER
    text = stats()
    assert sorted(READING_ORDER, key=text.index) == READING_ORDER


# ---- CSVs ----------------------------------------------------------------------------------------

def test_overview_csv_gives_each_column_one_kind_of_value(site):
    rows = csv_of(site, f"/courses/{MID}/overview.csv")
    course = course_stats(site.engine, MID)["course"]
    assert list(rows[0]) == ["scope", "wiki", "tracked", *COURSE_FIELDS, *UPLOAD_FIGURES, "students_editing"]
    assert [r["scope"] for r in rows] == ["wiki", "total"]
    wiki, total = rows
    split = per_wiki(site.engine, MID)[0]
    assert (wiki["wiki"], wiki["tracked"], wiki["student_count"]) == (WIKI, "yes", "")
    assert int(wiki["students_editing"]) == split["editors"] > 0
    assert {f: int(wiki[f]) for f in COURSE_FIELDS if f != "student_count"} == \
        {f: split[f] for f in COURSE_FIELDS if f != "student_count"}
    assert (total["wiki"], total["tracked"], total["students_editing"]) == ("", "", "")
    assert {f: int(total[f]) for f in COURSE_FIELDS} == {f: course[f] for f in COURSE_FIELDS}
    for column in ("student_count", "students_editing", *COURSE_FIELDS, *UPLOAD_FIGURES):  # numbers or nothing
        assert all(re.fullmatch(r"\d*", r[column]) for r in rows), column


def test_csvs_carry_a_byte_order_mark_so_accents_survive_a_spreadsheet(site):
    r = site.get(f"/courses/{MID}/students.csv")
    assert r.content[:3] == b"\xef\xbb\xbf" and "Émile Roux".encode() in r.content
    for kind in ("overview", "articles", "timeslices"):
        assert site.get(f"/courses/{MID}/{kind}.csv").content[:3] == b"\xef\xbb\xbf", kind


@pytest.mark.parametrize("kind,part,key,sort,direction", [
    ("students", "users", "username", "revision_count", None),
    ("students", "users", "username", "character_sum_ms", "asc"),
    ("students", "users", "username", "username", "desc"),
    ("articles", "articles", "title", "character_sum", None),
    ("articles", "articles", "title", "title", "desc"),
    ("articles", "articles", "title", "revision_count", "asc"),
])
def test_the_tables_csvs_follow_the_tables_sort(site, kind, part, key, sort, direction):
    doc = course_stats(site.engine, MID)
    params = {"sort": sort, **({"dir": direction} if direction else {})}
    got = [r[key] for r in csv_of(site, f"/courses/{MID}/{kind}.csv", **params)]
    numeric = sort not in ("username", "title")
    descending = direction == "desc" or (direction is None and numeric)
    # Ties keep the name order (the table's first column, read as a reader would).
    by_name = sorted(doc[part], key=lambda row: (plain(row[key]), row[key]))
    want = sorted(by_name, key=lambda row: row[sort] if numeric else (plain(row[sort]), row[sort]),
                  reverse=descending)
    assert got == [row[key] for row in want]
    page = site.get(f"/courses/{MID}/{kind}", params=params).text
    shown = re.findall(r'<tr data-username="([^"]+)"', page) if kind == "students" else None
    assert shown is None or shown == got
    # The page's download link carries its order.
    (link,) = re.findall(rf'<a class="csv" href="([^"]*/{kind}\.csv[^"]*)"', page)
    assert [r[key] for r in csv_of(site, html.unescape(link))] == got


def test_a_bad_csv_sort_is_a_clear_error(site):
    r = site.get(f"/courses/{MID}/students.csv", params={"sort": "password"}, headers={"accept": "*/*"})
    assert r.status_code == 422 and "cannot sort by 'password'" in r.json()["error"]


# ---- the overview's two times, the chart's as-of --------------------------------------------------

def _times(html: str) -> dict[str, str]:
    return dict(re.findall(r'<time id="([a-z-]+)" datetime="([^"]*)"', html))


def test_the_overview_says_when_the_update_ran_and_the_time_the_figures_hold_for(site):
    for slug, as_of, capped in ((MID, AS_OF, False), (ENDED, "2024-01-06T23:59:59Z", True)):
        course = course_stats(site.engine, slug)["course"]
        assert course["last_update"] == AS_OF
        html = site.get(f"/courses/{slug}").text
        times = _times(html)
        assert times == {"as-of": as_of, "updated-at": course["updated_at"]}, slug
        assert course["updated_at"] > AS_OF  # the wall clock, today: not the as-of time
        assert f">{as_of[:10]} {as_of[11:16]} UTC</time>" in html
        assert f">{course['updated_at'][:10]} {course['updated_at'][11:16]} UTC</time>" in html
        assert ('id="as-of-capped"' in html) == capped
        activity = site.get(f"/courses/{slug}/activity").text
        assert f"Figures as of {as_of[:10]} {as_of[11:16]} UTC" in activity


def _line(svg: str) -> list[tuple[float, float]]:
    points = re.search(r'<polyline class="cumulative"[^>]* points="([^"]+)"', svg).group(1)
    return [tuple(map(float, p.split(","))) for p in points.split()]


@pytest.mark.parametrize("slug,stop", [(MID, AS_OF), (ENDED, "2024-01-07T00:00:00Z")])
def test_the_running_total_stops_at_the_as_of_time(site, slug, stop):
    html = site.get(f"/courses/{slug}/activity").text
    course = course_stats(site.engine, slug)["course"]
    start, end = chart.parse_time(course["start"]), chart.parse_time(course["end"]) + timedelta(seconds=1)
    for layout in (chart.WIDE, chart.NARROW):
        suffix = "" if layout is chart.WIDE else "-narrow"
        svg = re.search(rf'<svg id="chart-characters{suffix}".*?</svg>', html, re.S).group(0)
        xs = [x for x, _ in _line(svg)]
        frame = chart.Frame(start, end, layout)
        assert xs == sorted(xs) and xs[0] == pytest.approx(frame.x(start), abs=0.06)
        assert xs[-1] == pytest.approx(frame.x(chart.parse_time(stop)), abs=0.06), (slug, layout.name)
    windows = course_stats(site.engine, slug)["timeslices"]
    assert any(w["start"] >= stop for w in windows) == (slug == MID)  # windows lie past it, undrawn


def test_each_chart_comes_in_a_narrow_layout_with_fewer_labels(site):
    html = site.get(f"/courses/{MID}/activity").text
    for name in ("characters", "revisions"):
        narrow = re.search(rf'<svg id="chart-{name}-narrow" class="chart narrow" viewBox="0 0 (\d+) \d+".*?</svg>',
                           html, re.S)
        assert narrow and int(narrow.group(1)) < chart.WIDTH / 2
        assert 2 <= narrow.group(0).count('class="tick-x"') <= chart.NARROW.max_ticks
