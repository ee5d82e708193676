"""The dashboard in a real browser (Debian's Chromium driven by Playwright) against a real
`wikicourse serve` over the two loopback MediaWikis: what an instructor sees and does.

The module shares one served course; the tests that change it (removing a student, then
updating) run last and each still works when run alone.
"""
from __future__ import annotations

import csv
import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import time as dt_time
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest
from playwright.sync_api import Locator, Page, expect
from support.browser import CHROMIUM, course_over_wikis, number, page_errors, served
from twowikis import DOMAINS, END, QUIET, START, USERS

from wikicourse import courses
from wikicourse.db import open_db
from wikicourse.stats import COURSE_FIELDS, USER_FIELDS
from wikicourse.tokens import create_token

SLUG = "Uni/Browser_(2024)"  # a "/" in the slug, as real course slugs have
TITLE = "Writing Wikipedia in a browser"
OTHER = "other-course"  # a course the instructor does not teach
STUDENTS = USERS[:7]
INSTRUCTOR = QUIET[0]
UPDATE_TIMEOUT = 90_000  # ms; an update against the loopback wikis takes a few seconds

if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is missing: `make services` installs it", allow_module_level=True)


@dataclass
class Site:
    url: str  # http://127.0.0.1:PORT
    token: str  # the instructor's
    before: dict  # the course's statistics document after the first update

    def course(self, suffix: str = "") -> str:
        return f"{self.url}/courses/{SLUG}{suffix}"

    def api(self, path: str = "") -> dict:
        with urllib.request.urlopen(f"{self.url}/api/courses/{quote(SLUG)}{path}", timeout=30) as r:
            return json.load(r)


@pytest.fixture(scope="module")
def site(wikis, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A course over both wikis, updated once, served by `wikicourse serve` on a free port."""
    folder = tmp_path_factory.mktemp("browser")
    db = f"sqlite:///{folder / 'web.sqlite'}"
    engine = open_db(db)
    try:
        course_over_wikis(engine, wikis, SLUG, TITLE, START, END, STUDENTS, instructor=INSTRUCTOR)
        courses.create_course(engine, OTHER, title="Another course", start=START, end=END, wikis=[DOMAINS[0]])
        token = create_token(engine, "browser tests", role="instructor", username=INSTRUCTOR)
    finally:
        engine.dispose()
    with served(db, folder) as url:
        site = Site(url, token, {})
        site.before = site.api()
        assert site.before["course"]["revision_count"] > 0, "the first update found nothing"
        yield site


# -- helpers ----------------------------------------------------------------------------


def numbers_in(text: str) -> set[int]:
    """Every number in a text, read with thousands separators."""
    return {number(m) for m in re.findall(r"\d{1,3}(?:[,\u00a0\u202f\u2009 ]\d{3})+(?!\d)|\d+", text)}


def username_in(row: Locator) -> str:
    """The username of a table row: its first cell, less the wiki links after the name."""
    text = row.locator("td, th").first.inner_text().strip()
    wiki = "|".join(map(re.escape, DOMAINS))
    return re.sub(rf"(\s+({wiki}))+$", "", text)


def sign_in(page: Page, site: Site, token: str, next_path: str | None = None) -> None:
    target = f"{site.url}/login" + (f"?next={quote(next_path)}" if next_path else "")
    page.goto(target)
    page.fill("form#login input#token", token)
    page.locator("form#login").locator("button, input[type=submit]").first.click()


def sole_articles(doc: dict, username: str) -> list[dict]:
    """The articles only this student edited: they stop counting when the student leaves."""
    return [a for a in doc["articles"] if a["editors"] == [username]]


def leaving(doc: dict) -> dict:
    """The student whose removal the tests check: one with edits of every kind if possible,
    and who alone edited some article, so that every course figure drops."""
    students = [u for u in doc["users"] if u["role"] == "student" and u["revision_count"] > 0]

    def score(u):
        return (bool(sole_articles(doc, u["username"])), u["character_sum_ms"] > 0, u["references_count"] > 0,
                u["character_sum_us"] > 0, u["revision_count"], u["username"])

    return max(students, key=score)


def creations(facts: dict, username: str) -> int:
    """The in-scope page creations of a student in the main namespace: the new articles they made."""
    first, last = datetime.combine(START, dt_time.min, UTC), datetime.combine(END, dt_time.max, UTC)
    return sum(1 for fs in facts.values() for f in fs
               if f.user == username and f.new and f.namespace == 0 and not f.deleted and first <= f.timestamp <= last)


def without(doc: dict, user: dict, facts: dict) -> dict:
    """The course figures once `user`'s edits stop counting (docs/metrics.md). An article they created
    stops being new even when others edited it too (it then still counts as an article): the
    document does not say who created what, the revision facts do."""
    c, name = doc["course"], user["username"]
    gone = sole_articles(doc, name)
    return {**{f: c[f] for f in COURSE_FIELDS},
            "student_count": c["student_count"] - 1,
            "revision_count": c["revision_count"] - user["revision_count"],
            "character_sum": c["character_sum"] - user["character_sum_ms"],
            "character_sum_user": c["character_sum_user"] - user["character_sum_us"],
            "character_sum_draft": c["character_sum_draft"] - user["character_sum_draft"],
            "references_count": c["references_count"] - user["references_count"],
            "article_count": c["article_count"] - len(gone),
            "new_article_count": c["new_article_count"] - creations(facts, name)}


def headline(page: Page) -> dict[str, int]:
    """The overview's figures: section#headline's data-field elements."""
    out = {}
    cells = page.locator("section#headline [data-field]")
    for i in range(cells.count()):
        cell = cells.nth(i)
        out[cell.get_attribute("data-field")] = number(cell.inner_text())
    return out


def table_rows(page: Page, table: str) -> tuple[list[str], list[list[str]]]:
    """A table's header texts and its body rows' cell texts."""
    heads = page.locator(f"table#{table} thead th").all_inner_texts()
    rows = page.locator(f"table#{table} tbody tr")
    return heads, [rows.nth(i).locator("td, th").all_inner_texts() for i in range(rows.count())]


# -- the tests ---------------------------------------------------------------------------


def test_the_browser_reaches_the_api_and_its_description(page: Page, site: Site):
    page.goto(f"{site.url}/api/courses")
    listed = json.loads(page.locator("body").inner_text())
    assert SLUG in [c["slug"] for c in listed["courses"]]
    page.goto(f"{site.url}/docs")  # Swagger UI, served from here: it renders with no network
    expect(page).to_have_title(re.compile("wikicourse"))
    expect(page.locator(".opblock-summary-path", has_text="/api/courses/{slug}/updates").first).to_be_visible()


def test_the_courses_list_links_to_the_course_whose_overview_shows_the_api_figures(page: Page, site: Site):
    page.goto(site.url + "/")
    listing = page.locator("table#courses")
    ours = listing.locator("tbody tr", has_text=TITLE)
    expect(ours).to_have_count(1)
    other = listing.locator("tbody tr", has_text="Another course")
    expect(other).to_contain_text("never")  # never updated
    ours.get_by_role("link", name=TITLE).click()
    expect(page.locator("section#headline")).to_be_visible()
    assert unquote(page.url) == site.course()

    doc = site.api()
    assert headline(page) == {f: doc["course"][f] for f in COURSE_FIELDS}
    # The per-wiki table: each wiki's row shows that wiki's share, which the doc holds too.
    for domain in DOMAINS:
        row = page.locator("table#per-wiki tr", has_text=domain)
        expect(row).to_have_count(1)
        windows = [t for t in doc["timeslices"] if t["wiki"] == domain]
        pages = [a for a in doc["articles"] if a["wiki"] == domain]
        want = {sum(t[f] for t in windows) for f in ("revision_count", "character_sum", "references_count")}
        want |= {len(pages), sum(a["new_article"] for a in pages)}
        shown = numbers_in(row.inner_text())
        assert want <= shown, f"{domain}: {sorted(want - shown)} missing from {row.inner_text()!r}"
    # When the figures are from, and what they count.
    expect(page.locator("#last-update")).to_contain_text(doc["course"]["last_update"][:10])
    expect(page.locator("section#explanations")).to_contain_text("next update")
    for name in ("overview", "students", "articles", "timeslices"):
        expect(page.locator(f"a.csv[href$='{name}.csv']")).to_have_count(1)


def _column(page: Page, table: str, field: str) -> tuple[int, list[int], str | None]:
    """The index of `field`'s column, its numbers top to bottom, and its aria-sort."""
    heads = page.locator(f"table#{table} thead th")
    index = next(i for i in range(heads.count())
                 if heads.nth(i).locator(f"a.sort[data-sort='{field}']").count())
    head = heads.nth(index)
    sort = head.get_attribute("aria-sort") or head.locator("a.sort").get_attribute("aria-sort")
    rows = page.locator(f"table#{table} tbody tr")
    values = [number(rows.nth(r).locator("td, th").nth(index).inner_text()) for r in range(rows.count())]
    return index, values, sort


def test_sorting_the_students_table_by_a_column_and_back(page: Page, site: Site):
    page.goto(site.course("/students"))
    users = {u["username"]: u for u in site.api("/users")["users"]}
    expect(page.locator("table#students tbody tr")).to_have_count(len(users))
    for field in ("revision_count", "character_sum_ms"):
        page.locator(f"table#students a.sort[data-sort='{field}']").click()
        expect(page).to_have_url(re.compile(rf"[?&]sort={field}\b"))
        _, first, direction = _column(page, "students", field)
        assert direction in ("ascending", "descending"), direction
        assert len(set(first)) > 1, f"{field}: all equal, the test shows nothing"
        assert first == sorted(first, reverse=direction == "descending"), (field, direction, first)
        page.locator(f"table#students a.sort[data-sort='{field}']").click()
        expect(page.locator("table#students th[aria-sort], table#students a.sort[aria-sort]").first) \
            .not_to_have_attribute("aria-sort", direction)
        _, second, again = _column(page, "students", field)
        assert {direction, again} == {"ascending", "descending"}, (direction, again)
        assert second == sorted(first, reverse=again == "descending"), (field, again, second)
    # The cells are the API's figures, row by row.
    rows = page.locator("table#students tbody tr")
    _, values, _ = _column(page, "students", "character_sum_ms")
    for r, value in enumerate(values):
        name = username_in(rows.nth(r))
        assert users[name]["character_sum_ms"] == value, name
    # Usernames link to their contributions on each course wiki.
    some = rows.first.locator("td, th").first
    name = username_in(rows.first)
    for domain in DOMAINS:
        expect(some.locator(f"a[href^='https://{domain}/wiki/Special:Contributions/']")).to_have_count(1)
    href = some.locator(f"a[href^='https://{DOMAINS[0]}/']").get_attribute("href")
    assert unquote(href).replace("_", " ").endswith(f"Special:Contributions/{name}"), href


def test_downloading_students_csv_gives_the_api_users(page: Page, site: Site):
    page.goto(site.course())
    with page.expect_download() as event:
        page.locator("a.csv[href$='students.csv']").click()
    download = event.value
    assert download.suggested_filename == SLUG.replace("/", "_") + "-students.csv"
    with open(download.path(), newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    users = site.api("/users")["users"]
    columns = ("username", "role", *USER_FIELDS)
    assert set(columns) <= set(rows[0]), f"columns: {list(rows[0])}"
    got = sorted(tuple(r[c] for c in columns) for r in rows)
    assert got == sorted(tuple(str(u[c]) for c in columns) for u in users)


def test_the_activity_charts_and_the_articles_table_show_both_wikis(page: Page, site: Site):
    doc = site.api()
    page.goto(site.course("/activity"))
    for chart in ("svg#chart-characters", "svg#chart-revisions"):
        expect(page.locator(chart)).to_be_visible()
    for domain in DOMAINS:
        expect(page.locator("main")).to_contain_text(domain)
    page.get_by_role("navigation").get_by_role("link", name="Articles").click()
    rows = page.locator("table#articles tbody tr")
    expect(rows).to_have_count(len(doc["articles"]))
    expect(page.locator("table#articles span.new")).to_have_count(doc["course"]["new_article_count"])
    article = doc["articles"][0]
    row = page.locator("table#articles tbody tr").filter(
        has=page.get_by_role("link", name=article["title"], exact=True)).first
    href = unquote(row.locator("a.wiki-link").get_attribute("href")).replace("_", " ")
    assert href == f"https://{article['wiki']}/wiki/{article['title']}", href
    assert row.get_by_role("link", name=article["title"], exact=True).get_attribute("href").startswith(
        f"/courses/{SLUG}/articles/")  # the title opens the article's drill-down
    assert page_errors(page) == []  # the charts and their legend need nothing the CSP refuses


def test_signed_out_visitors_sign_in_before_managing_and_bad_tokens_are_refused(page: Page, site: Site):
    page.goto(site.course())
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    page.get_by_role("navigation").get_by_role("link", name="Manage").click()
    expect(page.locator("form#login")).to_be_visible()
    assert urlsplit(page.url).path == "/login" and "manage" in unquote(page.url), page.url

    # A token nobody issued: the form again, with a message, and a 401.
    page.fill("form#login input#token", "not-a-token-anybody-issued")
    with page.expect_response(lambda r: r.request.method == "POST" and "/login" in r.url) as answer:
        page.locator("form#login").locator("button, input[type=submit]").first.click()
    assert answer.value.status == 401
    expect(page.locator("form#login")).to_be_visible()
    refusal = page.locator(".error, p.flash, [role=alert]").first
    expect(refusal).to_be_visible()
    assert refusal.inner_text().strip(), "an empty error message"

    # The instructor's token: back where they were going, signed in.
    page.fill("form#login input#token", site.token)
    page.locator("form#login").locator("button, input[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/manage$"))
    assert unquote(page.url) == site.course("/manage")
    expect(page.locator("header")).to_contain_text("Signed in as")
    expect(page.locator("form#start-update")).to_be_visible()
    # A course they do not teach: refused, not shown.
    response = page.goto(f"{site.url}/courses/{OTHER}/manage")
    assert response.status == 403
    expect(page.locator("form#start-update")).to_have_count(0)
    # Signing out: Manage asks for the token again.
    page.locator("header form").locator("button, input[type=submit]").first.click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    page.goto(site.course("/manage"))
    expect(page.locator("form#login")).to_be_visible()


def test_removing_a_student_says_what_leaves_then_takes_them_off_the_roster(page: Page, site: Site, facts):
    user = leaving(site.before)
    name = user["username"]
    if name not in {u["username"] for u in site.api("/users")["users"]}:
        pytest.skip(f"{name} is already removed")  # a rerun within the module
    sign_in(page, site, site.token, f"/courses/{SLUG}/manage")
    roster = page.locator("table#roster")
    expect(roster).to_contain_text(name)
    roster.locator("tr", has_text=name).locator("a.disenroll").click()

    confirm = page.locator("section#confirm-disenroll")
    expect(confirm).to_be_visible()
    expect(confirm).to_contain_text(name)
    expect(confirm).to_contain_text("next update")
    shown = numbers_in(confirm.inner_text())
    gone = sole_articles(site.before, name)
    want = {user["revision_count"], user["character_sum_ms"], user["references_count"], len(gone)}
    assert want <= shown, f"{sorted(want - shown)} missing from {confirm.inner_text()!r}"
    for article in gone[:3]:
        expect(confirm).to_contain_text(article["title"])
    # Each labelled figure is the student's share; the new articles lost are those they created
    # (the revision facts say which), shared with other students or not.
    share = {"student_count": 1, "revision_count": user["revision_count"], "character_sum": user["character_sum_ms"],
             "character_sum_user": user["character_sum_us"], "character_sum_draft": user["character_sum_draft"],
             "references_count": user["references_count"], "article_count": len(gone),
             "new_article_count": creations(facts, name)}
    assert {field: number(confirm.locator(f"[data-field='{field}']").inner_text()) for field in share} == share
    # Nothing has changed yet.
    assert name in {u["username"] for u in site.api("/users")["users"]}

    page.locator("form#confirm-disenroll-form").get_by_role("button", name=f"Remove {name}").click()
    expect(page).to_have_url(re.compile(r"/manage(\?.*)?$"))
    expect(page.locator("p.flash")).to_contain_text(name)
    expect(page.locator("table#roster")).not_to_contain_text(name)
    assert name not in {u["username"] for u in site.api("/users")["users"]}


def test_an_update_shows_progress_and_the_figures_drop_by_the_removed_students_share(page: Page, site: Site,
                                                                                    facts):
    user = leaving(site.before)
    name = user["username"]
    if name in {u["username"] for u in site.api("/users")["users"]}:  # run alone: remove through the API
        request = urllib.request.Request(f"{site.url}/api/courses/{quote(SLUG)}/users/{quote(name)}",
                                         method="DELETE", headers={"Authorization": f"Bearer {site.token}"})
        urllib.request.urlopen(request, timeout=30).close()
    runs_before = [r["id"] for r in site.api("/updates?limit=100")["updates"]]

    sign_in(page, site, site.token, f"/courses/{SLUG}/manage")
    # A rebuild re-fetches both wikis: long enough to watch it run (an incremental update
    # after a removal asks no wiki and ends before the page is back).
    rebuild = page.locator("form#start-update input[name=full]")
    if rebuild.count():
        rebuild.check()
    page.locator("button#start-update-button").click()
    progress = page.locator("div#update-progress")
    expect(progress).to_be_visible()
    seen = progress.get_attribute("data-status")
    if seen == "running":
        expect(page.locator("button#start-update-button")).to_be_disabled()
        expect(progress).to_contain_text(re.compile(r"starting|preparing|fetching|deriving"))
    # The page polls the run and reloads itself when it ends: the button is enabled again.
    expect(progress).to_have_attribute("data-status", "done", timeout=UPDATE_TIMEOUT)
    expect(page.locator("button#start-update-button")).to_be_enabled()
    assert page_errors(page) == []  # the progress script ran under the CSP, nothing refused
    latest = site.api("/updates?limit=1")["updates"][0]
    assert latest["id"] not in runs_before and latest["status"] == "done", latest

    want = without(site.before, user, facts)
    doc = site.api()
    assert {f: doc["course"][f] for f in COURSE_FIELDS} == want
    assert name not in {u["username"] for u in doc["users"]}
    page.goto(site.course())
    assert headline(page) == want
