"""The Wikidata panel in a real browser (docs/wikidata.md): on the overview of a course on a
Wikibase wiki (the live wiki of test_wikidata_live, its imported entity edits) it shows the
oracle's figures for the course and each student, with its CSV; a course on a wiki that is no
Wikibase repository has neither. No page breaks the Content Security Policy."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from support.browser import CHROMIUM, number, page_errors, served
from test_wikidata_live import LIVE, STUDENTS, new_course, oracle, running_wikibase_wiki

from wikicourse import courses
from wikicourse.db import open_db
from wikicourse.demo.generate import generate
from wikicourse.update.cycle import update_course
from wikicourse.wikidata import FIGURES
from wikicourse.wikis import add_wiki

END = datetime(2024, 3, 11, tzinfo=timezone.utc)

if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is missing: `make services` installs it", allow_module_level=True)


@pytest.fixture(scope="module")
def wikibase_wiki(tmp_path_factory: pytest.TempPathFactory):
    yield from running_wikibase_wiki(tmp_path_factory.mktemp("wikibase"))


@pytest.fixture(scope="module")
def site(wikibase_wiki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("browser-wikidata")
    db = f"sqlite:///{folder / 'web.sqlite'}"
    engine = open_db(db)
    try:
        new_course(engine, wikibase_wiki.api_url)
        assert update_course(engine, "wd", as_of=END).status == "done"
        # A plain wiki: an XML export (never taken for a Wikibase repository).
        export = folder / "plain.xml"
        generate(export, users=STUDENTS, pages=5, revisions=30, start=END - timedelta(days=9), days=8, seed=7,
                 wiki="plain.test")
        add_wiki(engine, "plain.test", export.resolve().as_uri())
        courses.create_course(engine, "plain", title="Plain wiki", start=(END - timedelta(days=10)).date(),
                              end=(END - timedelta(days=1)).date(), wikis=["plain.test"])
        courses.enroll(engine, "plain", STUDENTS)
        assert update_course(engine, "plain", as_of=END).status == "done"
    finally:
        engine.dispose()
    with served(db, folder) as url:
        yield url


def test_the_wikidata_panel_shows_the_oracles_figures_only_for_a_wikibase_course(page: Page, site, wikibase_wiki):
    want = oracle(wikibase_wiki.api_url, END, STUDENTS)
    page.goto(f"{site}/courses/wd")
    panel = page.locator("section#wikidata")
    expect(panel).to_be_visible()
    expect(panel.locator("h2")).to_have_text("Wikidata")
    expect(panel).to_contain_text(LIVE)
    rows = panel.locator("table#wikidata-figures tbody tr")
    expect(rows).to_have_count(len(FIGURES))
    for field in FIGURES:
        row = panel.locator(f'tr[data-field="{field}"]')
        assert number(row.locator("td.total").inner_text()) == want["totals"][field], field
        for user in want["users"]:
            cell = row.locator(f'td[data-user="{user["username"]}"]')
            assert number(cell.inner_text()) == user[field], (field, user["username"])
    link = page.locator('a.csv[href$="/wikidata.csv"]')
    expect(link).to_have_count(1)
    with page.expect_download() as download:
        link.click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[-1] == ["total", "", *(str(want["totals"][f]) for f in FIGURES)]
    assert page_errors(page) == []

    page.goto(f"{site}/courses/plain")
    expect(page.locator("section#headline")).to_be_visible()
    expect(page.locator("section#wikidata")).to_have_count(0)
    expect(page.locator('a.csv[href$="/wikidata.csv"]')).to_have_count(0)
    assert page_errors(page) == []
