"""The courses list and the overview's update history in a real browser (Debian's Chromium
driven by Playwright) against a real `wikicourse serve` over the two loopback MediaWikis:
searching, filtering, sorting and paging the courses, and reading what the last updates did.

The module's data: one course over both wikis, updated, then updated again after a student
left (so its history has a drop to show), and enough other courses (never updated, ended,
running and to come, on one wiki or the other) for two pages of the list.
"""
from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest
from playwright.sync_api import Page, expect
from support.browser import CHROMIUM, course_over_wikis, number, served
from twowikis import DOMAINS, END, START, USERS

from wikicourse import courses
from wikicourse.clock import now_utc
from wikicourse.db import open_db
from wikicourse.stats import COURSE_FIELDS, course_stats
from wikicourse.update.cycle import update_course

SLUG = "Uni/Lodz_history_(2024)"  # a "/" in the slug, as real course slugs have
TITLE = "Historia Łodzi: écrire sur Wikipédia"
STUDENTS = USERS[:6]
FILLERS = 57  # with the course: 58, two pages of 50
TODAY = now_utc().date()

if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is missing: `make services` installs it", allow_module_level=True)


@dataclass
class Site:
    url: str
    before: dict  # the course's figures after its first update, before a student left
    leaver: str

    def api(self, path: str, **params) -> dict:
        query = f"?{urlencode(params)}" if params else ""
        with urllib.request.urlopen(f"{self.url}/api/{path}{query}", timeout=30) as r:
            return json.load(r)


@pytest.fixture(scope="module")
def site(wikis, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("browser-lists")
    db = f"sqlite:///{folder / 'web.sqlite'}"
    engine = open_db(db)
    try:
        course_over_wikis(engine, wikis, SLUG, TITLE, START, END, STUDENTS)
        doc = course_stats(engine, SLUG, ("course", "users"))
        leaver = max((u for u in doc["users"] if u["revision_count"]), key=lambda u: u["revision_count"])["username"]
        courses.disenroll(engine, SLUG, [leaver])
        assert update_course(engine, SLUG).status == "done"
        for i in range(FILLERS):
            start = TODAY + timedelta(days=(i % 3 - 1) * 40 - 5)  # ended, running, to come
            courses.create_course(engine, f"filler-{i:02d}", title=f"Seminar {i:02d}", start=start,
                                  end=start + timedelta(days=10), wikis=[DOMAINS[i % 2]])
    finally:
        engine.dispose()
    with served(db, folder) as url:
        yield Site(url, doc["course"], leaver)


def listed(page: Page) -> list[str]:
    """The slugs of the courses table's rows, top to bottom."""
    return [row.get_attribute("data-slug") for row in page.locator("table#courses tbody tr").all()]


def query(page: Page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


# -- the tests ---------------------------------------------------------------------------


def test_the_courses_list_pages_through_every_course_with_its_count(page: Page, site: Site):
    page.goto(site.url + "/")
    total = site.api("courses")["total"]
    assert total == FILLERS + 1
    expect(page.locator("#course-count")).to_have_text(f"{total} courses")
    expect(page.locator("table#courses tbody tr")).to_have_count(50)
    assert listed(page) == [c["slug"] for c in site.api("courses", page=1)["courses"]]
    expect(page.locator("nav.pager a[rel=prev]")).to_have_count(0)
    page.locator("nav.pager a[rel=next]").click()
    expect(page.locator("table#courses tbody tr")).to_have_count(total - 50)
    assert query(page)["page"] == "2"
    assert listed(page) == [c["slug"] for c in site.api("courses", page=2)["courses"]]
    expect(page.locator("nav.pager")).to_contain_text(f"51–{total} of {total}")
    page.locator("nav.pager a[rel=prev]").click()
    expect(page.locator("table#courses tbody tr")).to_have_count(50)


def test_searching_and_filtering_keep_the_choices_in_the_form(page: Page, site: Site):
    page.goto(site.url + "/")
    page.fill("form#course-filters input[name=q]", "ecrire sur WIKIPEDIA")  # no accents, other case
    page.locator("form#course-filters button[type=submit]").click()
    expect(page.locator("table#courses tbody tr")).to_have_count(1)
    expect(page.locator("table#courses tbody tr")).to_contain_text(TITLE)
    expect(page.locator("#course-count")).to_have_text("1 course found")
    expect(page.locator("form#course-filters input[name=q]")).to_have_value("ecrire sur WIKIPEDIA")

    page.fill("form#course-filters input[name=q]", "seminar")
    page.select_option("form#course-filters select[name=wiki]", DOMAINS[1])
    page.select_option("form#course-filters select[name=state]", "running")
    page.locator("form#course-filters button[type=submit]").click()
    want = site.api("courses", q="seminar", wiki=DOMAINS[1], state="running", limit=500)
    assert want["total"] > 1
    expect(page.locator("table#courses tbody tr")).to_have_count(want["total"])
    assert listed(page) == [c["slug"] for c in want["courses"]]
    assert all(c["state"] == "running" and c["wikis"] == [DOMAINS[1]] for c in want["courses"])
    assert query(page) == {"q": "seminar", "wiki": DOMAINS[1], "state": "running"}
    expect(page.locator("form#course-filters select[name=wiki]")).to_have_value(DOMAINS[1])
    expect(page.locator("form#course-filters select[name=state]")).to_have_value("running")

    page.locator("a#clear-filters").click()
    expect(page.locator("#course-count")).to_have_text(f"{FILLERS + 1} courses")
    expect(page.locator("form#course-filters input[name=q]")).to_have_value("")

    page.fill("form#course-filters input[name=q]", "no such course anywhere")
    page.locator("form#course-filters button[type=submit]").click()
    expect(page.locator("table#courses")).to_have_count(0)
    expect(page.locator("body")).to_contain_text("No course matches")


def test_sorting_by_a_column_and_back_keeps_the_filters(page: Page, site: Site):
    page.goto(site.url + "/?" + urlencode({"state": "ended"}))
    ended = site.api("courses", state="ended", limit=500)
    expect(page.locator("table#courses tbody tr")).to_have_count(ended["total"])
    for sort in ("title", "students", "end"):
        page.locator(f"table#courses a.sort[data-sort='{sort}']").click()
        expect(page).to_have_url(re.compile(rf"[?&]sort={sort}\b"))
        first = query(page)
        assert first["state"] == "ended", first
        head = page.locator("table#courses thead th[aria-sort]")
        expect(head).to_have_count(1)
        direction = head.get_attribute("aria-sort")
        assert listed(page) == [c["slug"] for c in site.api("courses", state="ended", sort=sort,
                                                            dir=first["dir"], limit=500)["courses"]]
        assert direction == {"asc": "ascending", "desc": "descending"}[first["dir"]]
        page.locator(f"table#courses a.sort[data-sort='{sort}']").click()
        expect(page.locator("table#courses thead th[aria-sort]")).not_to_have_attribute("aria-sort", direction)
        again = query(page)
        assert again["dir"] != first["dir"] and again["state"] == "ended"
        assert listed(page) == [c["slug"] for c in site.api("courses", state="ended", sort=sort,
                                                            dir=again["dir"], limit=500)["courses"]]
    # By students, the one course with some leads.
    page.goto(site.url + "/?" + urlencode({"state": "ended", "sort": "students", "dir": "desc"}))
    assert listed(page)[0] == SLUG
    row = page.locator(f"table#courses tbody tr[data-slug='{SLUG}']")
    assert number(row.locator("td[data-field=student_count]").inner_text()) == len(STUDENTS) - 1


def test_the_overview_shows_the_update_history_and_what_the_last_update_changed(page: Page, site: Site):
    page.goto(f"{site.url}/courses/{SLUG}")
    updates = site.api(f"courses/{quote(SLUG)}/updates")["updates"]
    assert [u["status"] for u in updates] == ["done", "done"]
    rows = page.locator("section#update-history table#updates tbody tr")
    expect(rows).to_have_count(len(updates))
    for i, run in enumerate(updates):
        row = rows.nth(i)
        assert row.get_attribute("data-run") == str(run["id"])
        expect(row.locator("time.ran")).to_have_attribute("datetime", run["started_at"])
        expect(row.locator("time.as-of")).to_have_attribute("datetime", run["as_of"])
        expect(row.locator(".run-status")).to_have_text("done")
        assert row.locator("td.took").get_attribute("data-seconds") == str(run["duration_seconds"])
        expect(row.locator("td.took")).to_contain_text(re.compile(r"\d+ (s|min)"))
        for field, moved in run["figures"].items():
            cell = row.locator(f"td.changed .moved[data-field='{field}']")
            expect(cell).to_contain_text(f"{moved['before']:,} → {moved['after']:,}")
    latest = rows.first
    expect(latest.locator("td.why")).to_contain_text(f"student removed: {site.leaver}")
    expect(rows.nth(1).locator("td.why")).to_contain_text("student added")
    # The headline marks what the last update changed, old -> new: the leaver's share.
    doc = site.api(f"courses/{quote(SLUG)}")["course"]
    moved = {f: (site.before[f], doc[f]) for f in COURSE_FIELDS if site.before[f] != doc[f]}
    assert {"student_count", "revision_count"} <= set(moved)
    assert moved == {f: (v["before"], v["after"]) for f, v in updates[0]["figures"].items()}
    marks = page.locator("section#headline .figure .last-move")
    expect(marks).to_have_count(len(moved))
    for field, (old, new) in moved.items():
        figure = page.locator("section#headline .figure").filter(has=page.locator(f"[data-field='{field}']"))
        expect(figure.locator(".last-move")).to_have_text(f"{old:,} → {new:,}")
        expect(figure.locator(".value")).to_have_text(f"{new:,}")
    # The changes resource tells the same story, with the same times.
    changes = site.api(f"courses/{quote(SLUG)}/changes")["changes"]
    assert [(c["run"], c["figures"], c["started_at"], c["duration_seconds"]) for c in changes] == [
        (u["id"], u["figures"], u["started_at"], u["duration_seconds"]) for u in updates]


def test_a_never_updated_course_has_no_history(page: Page, site: Site):
    page.goto(f"{site.url}/courses/filler-00")
    expect(page.locator("section#headline")).to_be_visible()
    expect(page.locator("section#update-history")).to_have_count(0)
    expect(page.locator("section#headline .last-move")).to_have_count(0)
