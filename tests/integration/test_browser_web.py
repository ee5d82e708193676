"""The dashboard's finer points in a real browser (Debian's Chromium driven by Playwright) against
a real `wikicourse serve` over the two loopback MediaWikis: the charts on a 390-px phone, the
running total stopping at the as-of time, the overview's two times, CSVs with a byte-order mark,
names in a reader's order, and /docs's Authorize button.

The course is updated as of mid-course, so the weeks after the as-of time have no figures yet.
"""
from __future__ import annotations

import csv
import json
import unicodedata
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, expect
from support.browser import CHROMIUM, course_over_wikis, fresh_page, served
from twowikis import DOMAINS, END, QUIET, START, USERS

from wikicourse.db import open_db
from wikicourse.web import chart

SLUG = "Uni/Phones_(2024)"
AS_OF = datetime(2024, 3, 14, 12, 0, tzinfo=UTC)  # mid-course: the course ends 2024-03-23
PHONE = {"width": 390, "height": 844}
CHARTS = ("characters", "revisions")
READABLE_PX = 9  # a label's rendered height at least this

if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is missing: `make services` installs it", allow_module_level=True)


@dataclass
class Site:
    url: str

    def course(self, suffix: str = "") -> str:
        return f"{self.url}/courses/{SLUG}{suffix}"

    def api(self, path: str = "") -> dict:
        with urllib.request.urlopen(f"{self.url}/api/courses/{quote(SLUG)}{path}", timeout=30) as r:
            return json.load(r)


@pytest.fixture(scope="module")
def site(wikis, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A course over both wikis, updated once as of mid-course, served by `wikicourse serve`."""
    folder = tmp_path_factory.mktemp("browser-web")
    db = f"sqlite:///{folder / 'web.sqlite'}"
    engine = open_db(db)
    try:
        course_over_wikis(engine, wikis, SLUG, "Phones and charts", START, END, USERS, instructor=QUIET[0], as_of=AS_OF)
    finally:
        engine.dispose()
    with served(db, folder) as url:
        site = Site(url)
        assert site.api()["course"]["revision_count"] > 0, "the update found nothing"
        yield site


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A fresh 390-px-wide context: a phone held upright."""
    yield from fresh_page(browser, PHONE)


# -- helpers ----------------------------------------------------------------------------

def label_boxes(page: Page, svg: str) -> list[dict]:
    """Every text of the chart as the browser lays it out: its words and its box on the screen."""
    return page.locator(f"{svg} text").evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect();"
        " return {text: e.textContent, left: r.left, top: r.top, right: r.right, bottom: r.bottom}; })")


def overlapping(boxes: list[dict]) -> list[tuple[str, str]]:
    """The pairs of boxes that share some area (touching edges are fine)."""
    def meet(a, b):
        return a["left"] < b["right"] - 0.5 and b["left"] < a["right"] - 0.5 and \
            a["top"] < b["bottom"] - 0.5 and b["top"] < a["bottom"] - 0.5
    return [(a["text"], b["text"]) for i, a in enumerate(boxes) for b in boxes[i + 1:] if meet(a, b)]


def plain(text: str) -> str:
    """A name as a reader alphabetises it: no case, no accents."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


# -- the tests ---------------------------------------------------------------------------

def test_at_390_px_the_chart_labels_are_readable_and_none_overlaps(phone: Page, site: Site):
    phone.goto(site.course("/activity"))
    for name in CHARTS:
        expect(phone.locator(f"svg#chart-{name}")).to_be_hidden()  # the wide layout
        svg = f"svg#chart-{name}-narrow"
        expect(phone.locator(svg)).to_be_visible()
        frame = phone.locator(svg).bounding_box()
        assert frame["x"] >= 0 and frame["x"] + frame["width"] <= PHONE["width"], frame
        boxes = label_boxes(phone, svg)
        ticks = [b for b in boxes if b["text"]]
        assert len(ticks) >= 6, ticks  # time labels and both value axes
        assert overlapping(ticks) == [], name
        for b in ticks:
            assert b["bottom"] - b["top"] >= READABLE_PX, (name, b)
            assert frame["x"] - 0.5 <= b["left"] and b["right"] <= frame["x"] + frame["width"] + 0.5, (name, b)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling


def test_on_a_desktop_the_wide_charts_show_and_their_labels_do_not_overlap(page: Page, site: Site):
    page.goto(site.course("/activity"))
    for name in CHARTS:
        expect(page.locator(f"svg#chart-{name}-narrow")).to_be_hidden()
        expect(page.locator(f"svg#chart-{name}")).to_be_visible()
        boxes = [b for b in label_boxes(page, f"svg#chart-{name}") if b["text"]]
        assert boxes and overlapping(boxes) == [], name


def test_the_running_total_stops_at_the_as_of_time(phone: Page, site: Site):
    course = site.api()["course"]
    start = chart.parse_time(course["start"])
    end = chart.parse_time(course["end"]) + timedelta(seconds=1)
    phone.goto(site.course("/activity"))
    for name in CHARTS:
        svg = f"svg#chart-{name}-narrow"
        points = phone.locator(f"{svg} polyline.cumulative").evaluate(
            "el => Array.from(el.points, p => [p.x, p.y])")
        frame = chart.Frame(start, end, chart.NARROW)
        assert points[-1][0] == pytest.approx(frame.x(AS_OF), abs=0.06), name
        assert points[-1][0] < frame.x(end) - 40  # well short of the course's end: the future is blank
        # The line climbs to the course's total (as of then) and no further.
        total = course["character_sum" if name == "characters" else "revision_count"]
        top = min(y for _, y in points)
        assert points[-1][1] == top and total > 0


def test_the_overview_says_when_the_update_ran_and_what_time_the_figures_hold_for(phone: Page, site: Site):
    course = site.api()["course"]
    phone.goto(site.course())
    as_of = phone.locator("#last-update time#as-of")
    expect(as_of).to_have_attribute("datetime", "2024-03-14T12:00:00Z")
    expect(as_of).to_have_text("2024-03-14 12:00 UTC")
    ran = phone.locator("#last-update time#updated-at")
    expect(ran).to_have_attribute("datetime", course["updated_at"])
    expect(ran).to_have_text(f"{course['updated_at'][:10]} {course['updated_at'][11:16]} UTC")
    assert course["updated_at"][:10] == datetime.now(UTC).date().isoformat()  # the wall clock, not the as-of
    expect(phone.locator("#as-of-capped")).to_have_count(0)  # mid-course: nothing capped


def test_the_students_come_in_a_readers_order_on_the_page_and_in_the_csv(page: Page, site: Site):
    users = [u["username"] for u in site.api("/users")["users"]]
    want = sorted(USERS + [QUIET[0]], key=lambda n: (plain(n), n))
    assert users == want
    page.goto(site.course("/students"))
    expect(page.locator("table#students tbody tr")).to_have_count(len(want))
    shown = page.locator("table#students tbody tr").evaluate_all("trs => trs.map(tr => tr.dataset.username)")
    assert shown == want
    with page.expect_download() as event:
        page.locator("a.csv[href$='students.csv']").click()
    raw = Path(event.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "no byte-order mark: a spreadsheet would garble the accents"
    with open(event.value.path(), newline="", encoding="utf-8-sig") as f:
        assert [r["username"] for r in csv.DictReader(f)] == want


def test_the_overview_csv_downloads_with_one_kind_of_value_per_column(page: Page, site: Site):
    page.goto(site.course())
    with page.expect_download() as event:
        page.locator("a.csv[href$='overview.csv']").click()
    with open(event.value.path(), newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert [(r["scope"], r["wiki"]) for r in rows] == [("wiki", d) for d in DOMAINS] + [("total", "")]
    assert int(rows[-1]["revision_count"]) == site.api()["course"]["revision_count"]


def test_docs_offers_to_authorize_and_locks_the_actions(page: Page, site: Site):
    page.goto(f"{site.url}/docs")
    expect(page.locator("button.authorize").first).to_be_visible()
    action = page.locator(".opblock-post", has=page.locator(".opblock-summary-path",
                                                            has_text="/api/courses/{slug}/updates"))
    expect(action.locator(".authorization__btn")).to_have_count(1)
    reading = page.locator(".opblock-get", has=page.locator(".opblock-summary-path[data-path='/api/courses']"))
    expect(reading.locator(".authorization__btn")).to_have_count(0)
