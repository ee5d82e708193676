"""The campaign pages in a real browser (Debian's Chromium driven by Playwright) against a real
`wikicourse serve`: from the site nav to the campaigns list, to a campaign, sorting its courses
and downloading its CSV. The data is the hand-made world of tests/support/campaigns.py (no
wiki needed: campaign figures read the database only)."""
from __future__ import annotations

import csv
import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from playwright.sync_api import Page, expect

from support import campaigns as world
from support.browser import CHROMIUM, number, served
from wikicourse.campaigns import add_courses, create_campaign
from wikicourse.db import open_db

SLUG = "uni/Spring_(2024)"
TITLE = "Spring campaign 2024"

if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is missing: `make services` installs it", allow_module_level=True)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("browser-campaigns")
    db = f"sqlite:///{folder / 'web.sqlite'}"
    engine = open_db(db)
    world.build_world(engine)
    create_campaign(engine, SLUG, title=TITLE)
    add_courses(engine, SLUG, ["c1", "c2"])
    engine.dispose()
    with served(db, folder) as url:
        yield url


def api(url: str) -> dict:
    with urllib.request.urlopen(f"{url}/api/campaigns/{quote(SLUG)}", timeout=30) as r:
        return json.load(r)


def column(page: Page, field: str) -> tuple[list[int], str | None]:
    """The numbers of the courses table's `field` column, top to bottom, and its aria-sort."""
    cells = page.locator(f"table#campaign-courses tbody td[data-field='{field}']")
    head = page.locator("table#campaign-courses thead th").filter(has=page.locator(f"a.sort[data-sort='{field}']"))
    return [number(t) for t in cells.all_inner_texts()], head.get_attribute("aria-sort")


def test_the_nav_leads_to_the_campaigns_and_a_campaign_shows_the_api_figures(page: Page, site: str):
    page.goto(site + "/")
    page.locator("nav.site").get_by_role("link", name="Campaigns").click()
    assert page.url == site + "/campaigns"
    row = page.locator("table#campaigns tbody tr", has_text=TITLE)
    expect(row).to_have_count(1)
    row.get_by_role("link", name=TITLE).click()
    expect(page.locator("section#headline")).to_be_visible()
    assert unquote(page.url) == f"{site}/campaigns/{SLUG}"
    doc = api(site)
    cells = page.locator("section#headline [data-field]")
    shown = {cells.nth(i).get_attribute("data-field"): number(cells.nth(i).inner_text()) for i in range(cells.count())}
    assert shown == {f: doc["campaign"][f] for f in world.FIGURES} == world.UNION
    for w in doc["wikis"]:
        expect(page.locator(f"table#per-wiki tr[data-wiki='{w['wiki']}'] td[data-field='revision_count']")) \
            .to_have_text(str(w["revision_count"]))
    expect(page.locator("svg#chart-characters")).to_be_visible()
    expect(page.locator("svg#chart-revisions")).to_be_visible()


def test_sorting_the_courses_table_by_a_column_and_back(page: Page, site: str):
    page.goto(f"{site}/campaigns/{quote(SLUG)}")
    for field in ("revision_count", "character_sum"):
        page.locator(f"table#campaign-courses a.sort[data-sort='{field}']").click()
        expect(page).to_have_url(re.compile(rf"[?&]sort={field}\b"))
        first, direction = column(page, field)
        assert direction == "descending" and len(set(first)) > 1, (field, first)
        assert first == sorted(first, reverse=True)
        page.locator(f"table#campaign-courses a.sort[data-sort='{field}']").click()
        expect(page).to_have_url(re.compile(r"dir=asc"))
        second, again = column(page, field)
        assert again == "ascending" and second == sorted(first)
    courses = {c["slug"]: c for c in api(site)["courses"]}
    rows = page.locator("table#campaign-courses tbody tr")
    for i in range(rows.count()):
        slug = rows.nth(i).get_attribute("data-slug")
        expect(rows.nth(i).locator("td[data-field='character_sum']")).to_have_text(
            f"{courses[slug]['character_sum']:,}")


def test_downloading_the_courses_csv_gives_the_api_courses(page: Page, site: str):
    page.goto(f"{site}/campaigns/{quote(SLUG)}")
    with page.expect_download() as event:
        page.locator("a.csv[href$='courses.csv']").click()
    download = event.value
    assert download.suggested_filename == SLUG.replace("/", "_") + "-courses.csv"
    with open(download.path(), newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert [(r["slug"], r["title"], *(int(r[f]) for f in world.FIGURES)) for r in rows] == [
        (c["slug"], c["title"], *(c[f] for f in world.FIGURES)) for c in api(site)["courses"]]
