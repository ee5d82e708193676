"""The courses list (search, filters, sort, pages) in Python, on the API and on the page, and the
update history on the overview. Data: courses updated from the bundled demo export (and a small
second wiki), a dis-enrollment and a second update, plus enough never-updated courses for two pages.
Expected orders and figures are computed here from the stats documents and the courses' own dates."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert

from support.course import setup_course, update
from support.exports import write_export
from test_views import page
from wikicourse import courses
from wikicourse.changes import course_changes
from wikicourse.clock import now_utc
from wikicourse.db import open_db
from wikicourse.demo import DEMO_END, DEMO_START, DEMO_STUDENTS, DEMO_WIKI, DEMO_XML
from wikicourse.errors import InvalidInput
from wikicourse.history import update_history
from wikicourse.listing import PER_PAGE, list_courses
from wikicourse.models.tables import courses as courses_table
from wikicourse.stats import COURSE_FIELDS, course_stats
from wikicourse.web import create_app
from wikicourse.web.views import took

SECOND = "second.wikicourse.invalid"
TODAY = now_utc().date()  # the fixtures' today: passed to list_courses, so a run across midnight stays right
HTML = {"accept": "text/html"}
# The updated courses: slug -> (title, students, wikis).
UPDATED = {"demo-2024": ("Écrire Wikipédia", DEMO_STUDENTS, [DEMO_WIKI]),
           "demo-small": ("Zoology seminar", DEMO_STUDENTS[:3], [DEMO_WIKI]),
           "demo-two": ("Ólafur's history class", DEMO_STUDENTS[3:], [DEMO_WIKI, SECOND])}
LEAVER = "Lena Fischer"  # dis-enrolled from demo-2024 before its second update


def fillers() -> dict[str, tuple[str, date, date, list[str]]]:
    """Never-updated courses: slug -> (title, start, end, wikis), ended, running and upcoming today."""
    out = {}
    for i in range(56):
        shift = (i % 3 - 1) * 40  # -40: ended, 0: running, 40: upcoming
        start = TODAY + timedelta(days=shift - 10)
        out[f"filler-{i:02d}"] = (f"Filler course {55 - i:02d}", start, start + timedelta(days=20),
                                  [SECOND] if i % 4 == 0 else [DEMO_WIKI])
    out["filler-pct"] = ("Editing 100% of it_all", TODAY, TODAY, [DEMO_WIKI])  # LIKE's wildcards, literally
    out["ends-today"] = ("ending today", TODAY - timedelta(days=5), TODAY, [DEMO_WIKI])
    out["starts-tomorrow"] = ("starting tomorrow", TODAY + timedelta(days=1), TODAY + timedelta(days=2), [SECOND])
    return out


@dataclass
class Lists:
    url: str
    before: dict  # demo-2024's course figures after its first update, before LEAVER left


@pytest.fixture(scope="module")
def lists_db(tmp_path_factory) -> Lists:
    folder = tmp_path_factory.mktemp("lists")
    second = write_export(folder / "second.xml", {
        ("Rzeka", 0): [("2024-01-05T10:00:00Z", "Zofia Wiśniewska", "Rzeka <ref>a</ref>"),
                       ("2024-01-06T10:00:00Z", "Mei Chen", "Rzeka <ref>a</ref> płynie")]})
    url = f"sqlite:///{folder / 'lists.sqlite'}"
    engine = open_db(url)
    # Registers both wikis; its course stays, never updated.
    setup_course(engine, {DEMO_WIKI: DEMO_XML, SECOND: second}, slug="setup", start=str(DEMO_START),
                 end=str(DEMO_END), wikis=[DEMO_WIKI])
    for slug, (title, students, wikis) in UPDATED.items():
        courses.create_course(engine, slug, title=title, start=DEMO_START, end=DEMO_END, wikis=wikis)
        courses.enroll(engine, slug, list(students))
        update(engine, slug, "2024-02-01T00:00:00Z")
    before = course_stats(engine, "demo-2024", ("course",))["course"]
    courses.disenroll(engine, "demo-2024", [LEAVER])
    update(engine, "demo-2024", "2024-02-02T00:00:00Z")
    for slug, (title, start, end, wikis) in fillers().items():
        courses.create_course(engine, slug, title=title, start=start, end=end, wikis=wikis)
    engine.dispose()
    return Lists(url, before)


@pytest.fixture(scope="module")
def engine(lists_db):
    eng = open_db(lists_db.url, migrate=False)
    yield eng
    eng.dispose()


@pytest.fixture(scope="module")
def client(engine):
    with TestClient(create_app(engine)) as c:
        yield c


# ---- the expected lists, computed from the stats documents ------------------------------------

def fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


def expected_rows(engine) -> list[dict]:
    """Every course as the stats document and the course's own dates say."""
    rows = []
    for slug in ["setup", *UPDATED, *fillers()]:
        c = course_stats(engine, slug, ("course",))["course"]
        start, end = date.fromisoformat(c["start"][:10]), date.fromisoformat(c["end"][:10])
        rows.append({**c, "start": start.isoformat(), "end": end.isoformat(),
                     "state": "upcoming" if TODAY < start else "ended" if TODAY > end else "running"})
    return rows


KEYS = {"title": lambda r: fold(r["title"]), "start": lambda r: r["start"], "end": lambda r: r["end"],
        "students": lambda r: r["student_count"], "edits": lambda r: r["revision_count"],
        "characters": lambda r: r["character_sum"], "articles": lambda r: r["article_count"],
        "last_update": lambda r: r["last_update"] or ""}


def expected_order(rows: list[dict], sort: str, descending: bool) -> list[str]:
    ties = sorted(rows, key=lambda r: (fold(r["title"]), r["slug"]))
    ordered = sorted(ties, key=KEYS[sort], reverse=descending)  # stable: ties stay by title, then slug
    if sort == "last_update":  # never updated: last either way
        ordered = [r for r in ordered if r["last_update"]] + [r for r in ordered if not r["last_update"]]
    return [r["slug"] for r in ordered]


def slugs(found: dict) -> list[str]:
    return [c["slug"] for c in found["courses"]]


# ---- list_courses -------------------------------------------------------------------------------

@pytest.mark.parametrize("sort", ["title", "start", "end", "students", "edits", "characters", "articles",
                                  "last_update"])
@pytest.mark.parametrize("descending", [False, True])
def test_every_sort_in_both_directions_orders_as_computed_from_the_stats(engine, sort, descending):
    rows = expected_rows(engine)
    found = list_courses(engine, today=TODAY, sort=sort, descending=descending, limit=None)
    assert found["total"] == len(rows) == len(found["courses"])
    assert slugs(found) == expected_order(rows, sort, descending)
    assert len({KEYS[sort](r) for r in rows}) > 2, f"{sort}: too few distinct values to show an order"


def test_each_listed_course_carries_the_figures_of_its_stats_document(engine):
    listed = {c["slug"]: c for c in list_courses(engine, today=TODAY, limit=None)["courses"]}
    for r in expected_rows(engine):
        c = listed[r["slug"]]
        assert {f: c[f] for f in COURSE_FIELDS} == {f: r[f] for f in COURSE_FIELDS}
        assert (c["title"], c["start"], c["end"], c["state"], c["wikis"], c["last_update"]) == \
            (r["title"], r["start"], r["end"], r["state"], r["wikis"], r["last_update"])
    assert listed["demo-2024"]["student_count"] == len(DEMO_STUDENTS) - 1 and listed["demo-two"]["wikis"] == [
        DEMO_WIKI, SECOND]


@pytest.mark.parametrize("text,found", [
    ("olafur", ["demo-two"]), ("ÓLAFUR'S", ["demo-two"]), ("ecrire wikipedia", ["demo-2024"]),
    ("Écrire", ["demo-2024"]), ("  zoology   SEMINAR ", ["demo-small"]), ("DEMO-", ["demo-2024", "demo-two", "demo-small"]),
    ("100%", ["filler-pct"]), ("%", ["filler-pct"]), ("it_all", ["filler-pct"]), ("_", ["filler-pct"]),
    ("no such course", []), ("", None)])
def test_search_finds_the_text_in_the_title_or_slug_case_and_accent_blind(engine, text, found):
    result = list_courses(engine, today=TODAY, search=text, sort="title", limit=None)
    if found is None:  # an empty search is no filter
        assert result["total"] == len(expected_rows(engine))
        return
    want = [r["slug"] for r in expected_rows(engine) if r["slug"] in found]
    assert slugs(result) == expected_order([r for r in expected_rows(engine) if r["slug"] in want], "title", False)
    assert result["total"] == len(found)


def test_filters_by_wiki_and_state_combine_with_the_search(engine):
    rows = expected_rows(engine)
    for wiki in (DEMO_WIKI, SECOND, SECOND.upper()):
        for state in (None, "running", "ended", "upcoming"):
            want = [r for r in rows if wiki.lower() in r["wikis"] and state in (None, r["state"])]
            found = list_courses(engine, today=TODAY, wiki=wiki, state=state, sort="title", limit=None)
            assert slugs(found) == expected_order(want, "title", False), (wiki, state)
            assert want, (wiki, state)
    assert {"ends-today", "filler-pct"} <= set(slugs(list_courses(engine, today=TODAY, state="running", limit=None)))
    assert "starts-tomorrow" in slugs(list_courses(engine, today=TODAY, state="upcoming", limit=None))
    assert slugs(list_courses(engine, today=TODAY, search="filler course 0", wiki=SECOND, state="ended", sort="title",
                              limit=None)) == expected_order(
        [r for r in rows if r["title"].startswith("Filler course 0") and SECOND in r["wikis"]
         and r["state"] == "ended"], "title", False)
    # Relative to the day given: in 2024 the demo courses were running.
    assert set(slugs(list_courses(engine, state="running", today=date(2024, 1, 15), limit=None))) == {
        "setup", *UPDATED}


def test_pages_follow_one_another_without_overlap_and_say_the_total(engine):
    every = slugs(list_courses(engine, today=TODAY, sort="characters", limit=None))
    pages = [list_courses(engine, today=TODAY, sort="characters", limit=7, offset=o) for o in range(0, len(every) + 7, 7)]
    assert [s for p in pages for s in slugs(p)] == every
    assert {p["total"] for p in pages} == {len(every)} and slugs(pages[-1]) == []
    assert len(every) > PER_PAGE  # the page shows two pages


@pytest.mark.parametrize("kw,message", [
    ({"sort": "title; drop table courses"}, "cannot sort courses by"), ({"sort": "slug"}, "cannot sort courses by"),
    ({"state": "finished"}, "unknown state 'finished'"), ({"wiki": "nowhere.example"}, "unknown wiki"),
    ({"limit": 0}, "the limit is 1 to"), ({"limit": 501}, "the limit is 1 to"), ({"offset": -1}, "the offset"),
    ({"search": "x" * 201}, "at most 200 characters")])
def test_bad_choices_are_refused_in_one_line(engine, kw, message):
    with pytest.raises(InvalidInput, match=message) as err:
        list_courses(engine, today=TODAY, **kw)
    assert "\n" not in str(err.value)


def test_the_same_on_postgresql_and_sqlite(any_url, tmp_path):
    """Search, title order, wiki and state filters, pages: the same SQL on both databases."""
    eng = open_db(any_url)
    try:
        second = write_export(tmp_path / "second.xml", {("Rzeka", 0): [("2024-01-05T10:00:00Z", "Ana", "Rzeka")]})
        setup_course(eng, {DEMO_WIKI: DEMO_XML, SECOND: second}, slug="setup", start="2024-01-01",
                     end="2024-01-31", wikis=[SECOND])
        titles = {"a": "Zoë's course", "b": "zoe's other", "c": "Ólafur", "d": "Ålesund", "e": "alpha", "f": "Émile"}
        for i, (slug, title) in enumerate(titles.items()):
            courses.create_course(eng, slug, title=title, start=TODAY + timedelta(days=i - 3),
                                  end=TODAY + timedelta(days=i - 2), wikis=[DEMO_WIKI])
        assert slugs(list_courses(eng, today=TODAY, sort="title", wiki=DEMO_WIKI, limit=None)) == ["d", "e", "f", "c", "a", "b"]
        assert slugs(list_courses(eng, today=TODAY, sort="title", descending=True, limit=3)) == ["b", "a", "c"]
        assert slugs(list_courses(eng, today=TODAY, search="ZOE", sort="title", limit=None)) == ["a", "b"]
        assert slugs(list_courses(eng, today=TODAY, search="ale", sort="title", limit=None)) == ["d"]
        assert slugs(list_courses(eng, today=TODAY, wiki=SECOND, limit=None)) == ["setup"]
        # a (days -3..-2) and b (-2..-1) ended; c (-1..0) and d (0..1) run; e and f are to come.
        assert [slugs(list_courses(eng, today=TODAY, state=s, wiki=DEMO_WIKI, sort="start", descending=False, limit=None))
                for s in ("ended", "running", "upcoming")] == [["a", "b"], ["c", "d"], ["e", "f"]]
        found = list_courses(eng, today=TODAY, sort="start", descending=False, limit=2, offset=2)
        assert slugs(found) == ["b", "c"] and found["total"] == 7
    finally:
        eng.dispose()


# ---- the API ------------------------------------------------------------------------------------

def test_the_api_gives_the_same_pages_with_the_total(client, engine):
    body = client.get("/api/courses").json()
    assert body == list_courses(engine)  # newest start first, PER_PAGE of them
    assert body["total"] == len(expected_rows(engine)) and len(body["courses"]) == PER_PAGE
    params = {"q": "filler", "wiki": DEMO_WIKI, "state": "ended", "sort": "title", "dir": "desc"}
    assert client.get("/api/courses", params=params).json() == list_courses(
        engine, search="filler", wiki=DEMO_WIKI, state="ended", sort="title", descending=True)
    second = client.get("/api/courses", params={"sort": "edits", "limit": 5, "page": 2}).json()
    assert second == list_courses(engine, today=TODAY, sort="edits", limit=5, offset=5) and second["offset"] == 5
    assert client.get("/api/courses", params={"sort": "edits", "limit": 5, "offset": 5}).json() == second


@pytest.mark.parametrize("params,status,message", [
    ({"sort": "slug"}, 422, "sort"), ({"state": "done"}, 422, "state"), ({"dir": "up"}, 422, "dir"),
    ({"limit": 0}, 422, "limit"), ({"page": 0}, 422, "page"), ({"page": 2, "offset": 3}, 422, "page or offset"),
    ({"wiki": "nowhere.example"}, 422, "unknown wiki")])
def test_the_api_refuses_bad_parameters_with_one_line(client, params, status, message):
    r = client.get("/api/courses", params=params)
    assert r.status_code == status
    error = r.json()["error"]
    assert message in error and "\n" not in error


# ---- the page -----------------------------------------------------------------------------------

def rows_of(html: str) -> list[str]:
    table = page(html).all("table", id="courses")
    return [tr.get("data-slug") for tr in table[0].one("tbody").all("tr")] if table else []


def test_the_page_shows_the_first_page_the_count_and_links_to_the_next(client, engine):
    every = slugs(list_courses(engine, today=TODAY, limit=None))
    r = client.get("/", headers=HTML)
    doc = page(r.text)
    assert doc.one(id="course-count").text == f"{len(every)} courses"
    assert rows_of(r.text) == every[:PER_PAGE]
    pager = doc.one("nav", class_="pager")
    assert not pager.all("a", rel="prev") and f"1–{PER_PAGE} of {len(every)}" in pager.text
    second = client.get(pager.one("a", rel="next").get("href"), headers=HTML)
    assert rows_of(second.text) == every[PER_PAGE:]
    back = page(second.text).one("nav", class_="pager")
    assert not back.all("a", rel="next") and page(client.get(back.one("a", rel="prev").get("href"),
                                                              headers=HTML).text).one(id="course-count")


def test_the_page_searches_filters_and_sorts_keeping_the_choices_in_the_form_and_links(client, engine):
    r = client.get("/", params={"q": "filler", "wiki": SECOND, "state": "ended", "sort": "title", "dir": "desc"},
                   headers=HTML)
    want = slugs(list_courses(engine, today=TODAY, search="filler", wiki=SECOND, state="ended", sort="title", descending=True))
    assert want and rows_of(r.text) == want
    doc = page(r.text)
    assert doc.one(id="course-count").text == f"{len(want)} course{'s' if len(want) != 1 else ''} found"
    form = doc.one("form", id="course-filters")
    assert form.one("input", name="q").get("value") == "filler"
    assert form.one("select", name="wiki").one("option", selected=True).get("value") == SECOND
    assert form.one("select", name="state").one("option", selected=True).get("value") == "ended"
    assert {i.get("name"): i.get("value") for i in form.all("input", type="hidden")} == {"sort": "title",
                                                                                         "dir": "desc"}
    head = doc.one("table", id="courses").one("thead")
    title = head.one("a", data_sort="title")
    assert title.get("href") == f"?q=filler&wiki={SECOND}&state=ended&sort=title&dir=asc"  # the other way now
    assert head.one("th", aria_sort=True).get("aria-sort") == "descending"
    students = head.one("a", data_sort="students")
    again = client.get(students.get("href"), headers=HTML)
    assert rows_of(again.text) == slugs(list_courses(engine, today=TODAY, search="filler", wiki=SECOND, state="ended",
                                                     sort="students", descending=True))
    assert "q=filler" in students.get("href") and "state=ended" in students.get("href")
    none = client.get("/", params={"q": "no such course"}, headers=HTML)
    assert rows_of(none.text) == [] and "No course matches" in none.text


@pytest.mark.parametrize("params,message", [({"sort": "slug"}, "cannot sort courses by 'slug'"),
                                            ({"state": "finished"}, "unknown state"),
                                            ({"page": 9}, "page 9 is past the last page (2)")])
def test_the_page_refuses_bad_choices_with_an_error_page(client, params, message):
    r = client.get("/", params=params, headers=HTML)
    assert r.status_code == 422 and "<html" in r.text.lower() and message in page(r.text).text


# ---- the update history -------------------------------------------------------------------------

def test_the_history_lists_the_runs_with_their_times_moves_and_reasons(engine, lists_db):
    history = update_history(engine, "demo-2024")
    after = course_stats(engine, "demo-2024", ("course",))["course"]
    assert [r["as_of"] for r in history] == ["2024-02-02T00:00:00Z", "2024-02-01T00:00:00Z"]
    assert all(r["status"] == "done" and r["duration_seconds"] is not None for r in history)
    drop, first = history
    moved = {f: {"before": lists_db.before[f], "after": after[f]} for f in COURSE_FIELDS
             if lists_db.before[f] != after[f]}
    assert drop["figures"] == moved and {"student_count", "revision_count"} <= set(moved)
    assert [r["subject"] for r in drop["reasons"] if r["kind"] == "students_removed"] == [LEAVER]
    assert first["figures"]["student_count"] == {"before": 0, "after": len(DEMO_STUDENTS)}
    # /changes lists the same runs with the same moves, reasons and durations.
    assert [(c["run"], c["figures"], c["reasons"], c["duration_seconds"], c["started_at"])
            for c in course_changes(engine, "demo-2024")] == [
        (r["id"], r["figures"], r["reasons"], r["duration_seconds"], r["started_at"]) for r in history]


def test_the_overview_shows_the_history_and_marks_what_the_last_update_changed(client, engine, lists_db):
    history = update_history(engine, "demo-2024")
    doc = page(client.get("/courses/demo-2024", headers=HTML).text)
    after = course_stats(engine, "demo-2024", ("course",))["course"]
    shown = {}
    for figure in doc.one("section", id="headline").all("div", class_="figure"):
        field = figure.one("span", class_="value").get("data-field")
        for m in figure.all("span", class_="last-move"):
            shown[field] = (int(m.get("data-before")), int(m.get("data-after")), m.text)
    assert shown and shown == {f: (lists_db.before[f], after[f], f"{lists_db.before[f]:,} → {after[f]:,}")
                               for f in COURSE_FIELDS if lists_db.before[f] != after[f]}
    table = doc.one("section", id="update-history").one("table", id="updates")
    rows = table.one("tbody").all("tr")
    assert [int(tr.get("data-run")) for tr in rows] == [r["id"] for r in history]
    for tr, run in zip(rows, history):
        assert tr.one("time", class_="ran").get("datetime") == run["started_at"]
        assert tr.one("time", class_="as-of").get("datetime") == run["as_of"]
        assert tr.one("span", class_="run-status").text == run["status"]
        assert int(tr.one("td", class_="took").get("data-seconds")) == run["duration_seconds"]
        assert {m.get("data-field"): m.text.rsplit(" ", 3)[-3:] for m in tr.all("span", class_="moved")} == {
            f: [f"{v['before']:,}", "→", f"{v['after']:,}"] for f, v in run["figures"].items()}
    assert f"student removed: {LEAVER}" in rows[0].one("td", class_="why").text
    assert "student added:" in rows[1].one("td", class_="why").text and "more" in rows[1].one("td", class_="why").text
    # The API's /updates gives what the page shows.
    assert client.get("/api/courses/demo-2024/updates").json() == {"updates": history}


def test_a_never_updated_course_has_no_history_and_no_marks(client):
    doc = page(client.get("/courses/setup", headers=HTML).text)
    assert not doc.all("section", id="update-history") and not doc.all("span", class_="last-move")
    assert client.get("/api/courses/setup/updates").json() == {"updates": []}


def test_a_course_inserted_without_create_course_still_gets_its_title_key(tmp_path):
    """The key is the model's default, so no insert path leaves a course unfindable."""
    eng = open_db(f"sqlite:///{tmp_path / 'keys.sqlite'}")
    try:
        with eng.begin() as conn:
            conn.execute(insert(courses_table).values(slug="bare", title="Ólafur’s  Łódź class",
                                                      start=date(2024, 1, 1), end=date(2024, 2, 1)))
        assert slugs(list_courses(eng, today=TODAY, search="olafur")) == ["bare"]
        assert slugs(list_courses(eng, today=TODAY, search="LODZ")) == ["bare"]
    finally:
        eng.dispose()


@pytest.mark.parametrize("seconds,text", [(None, ""), (0, "0 s"), (59, "59 s"), (65, "1 min 5 s"),
                                          (3599, "59 min 59 s"), (7322, "2 h 2 min")])
def test_a_run_s_duration_reads_in_the_largest_units(seconds, text):
    assert took(seconds) == text
