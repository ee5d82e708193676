"""The drill-down pages in a real browser (Debian's Chromium driven by Playwright) against a real
`wikicourse serve` over the two loopback MediaWikis: from the students list to a student, their
revisions sorted and paged, a diff opened on the real wiki; from the articles list to an article
and on to its editors; the articles list filtered; the course's recent edits. Every figure is
checked against the API. Read-only: the module shares one served course.
"""
from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest
from playwright.sync_api import Page, expect
from support.browser import CHROMIUM, course_over_wikis, number, served
from twowikis import DOMAINS, END, QUIET, START, USERS

from wikicourse.db import open_db

SLUG = "Uni/Drill_(2024)"  # a "/" in the slug, as real course slugs have
TITLE = "Drilling down in a browser"
STUDENTS = USERS[:7]
INSTRUCTOR = QUIET[0]

if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is missing: `make services` installs it", allow_module_level=True)


@dataclass
class Site:
    url: str  # http://127.0.0.1:PORT
    index: dict[str, str]  # domain -> the wiki's index.php, where diffs are shown

    def course(self, suffix: str = "") -> str:
        return f"{self.url}/courses/{SLUG}{suffix}"

    def api(self, path: str = "", **params) -> dict:
        query = "?" + "&".join(f"{k}={quote(str(v))}" for k, v in params.items()) if params else ""
        with urllib.request.urlopen(f"{self.url}/api/courses/{quote(SLUG)}{path}{query}", timeout=30) as r:
            return json.load(r)


@pytest.fixture(scope="module")
def site(wikis, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A course over both wikis, updated once, served by `wikicourse serve` on a free port."""
    folder = tmp_path_factory.mktemp("browser-drill")
    db = f"sqlite:///{folder / 'web.sqlite'}"
    engine = open_db(db)
    try:
        course_over_wikis(engine, wikis, SLUG, TITLE, START, END, STUDENTS, instructor=INSTRUCTOR)
    finally:
        engine.dispose()
    with served(db, folder) as url:
        yield Site(url, {d: w.api_url.removesuffix("api.php") + "index.php" for d, w in wikis.items()})


# -- helpers ----------------------------------------------------------------------------


def busiest(site: Site) -> dict:
    users = site.api()["users"]
    return max((u for u in users if u["role"] == "student"), key=lambda u: u["revision_count"])


def rev_ids(page: Page, table: str) -> list[int]:
    return [int(v) for v in page.locator(f"table#{table} tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.rev)")]


# -- tests ------------------------------------------------------------------------------


def test_a_student_from_the_students_list_with_figures_sorting_paging_and_a_real_diff(page: Page, site: Site):
    user = busiest(site)
    assert user["revision_count"] > 50, "the busiest student should fill more than one page"
    page.goto(site.course("/students"))
    page.locator("table#students a.student", has_text=re.compile(f"^{re.escape(user['username'])}$")).click()
    expect(page.locator("h2#student-name")).to_have_text(user["username"])
    assert unquote(urlsplit(page.url).path) == f"/courses/{SLUG}/students/{user['username'].replace(' ', '_')}"
    drill = site.api(f"/students/{quote(user['username'])}")
    # Their figures per wiki, and in all: the API's, and the students list's.
    for w in drill["wikis"]:
        row = page.locator(f"table#student-wikis tr[data-wiki='{w['wiki']}']")
        for field in ("revision_count", "character_sum_ms", "references_count", "new_article_count"):
            assert number(row.locator(f"td[data-field='{field}']").inner_text()) == w[field], (w["wiki"], field)
    total = page.locator("table#student-wikis tr.total")
    assert number(total.locator("td[data-field='revision_count']").inner_text()) == user["revision_count"]
    assert number(total.locator("td[data-field='character_sum_ms']").inner_text()) == user["character_sum_ms"]
    # Newest first, 50 a page; each revision links to its diff on its wiki.
    assert rev_ids(page, "revisions") == [r["rev_id"] for r in drill["revisions"]]
    first = drill["revisions"][0]
    diff = page.locator(f"table#revisions tr[data-rev='{first['rev_id']}'] a.diff")
    assert diff.get_attribute("href") == f"{site.index[first['wiki']]}?diff={first['rev_id']}"
    # Sorting by characters, largest first, then the next page.
    page.locator("table#revisions a.sort[data-sort='characters']").click()
    expect(page.locator("table#revisions th[aria-sort='descending'] a.sort[data-sort='characters']")).to_be_visible()
    by_size = site.api(f"/students/{quote(user['username'])}", sort="characters", per_page=500)["revisions"]
    assert rev_ids(page, "revisions") == [r["rev_id"] for r in by_size[:50]]
    page.locator("nav.pager a[rel='next']").click()
    expect(page.locator("nav.pager")).to_contain_text("page 2 of")
    assert rev_ids(page, "revisions") == [r["rev_id"] for r in by_size[50:100]]
    assert parse_qs(urlsplit(page.url).query) == {"sort": ["characters"], "dir": ["desc"], "page": ["2"]}
    # The diff opens on the real wiki.
    page.goto(diff_url := f"{site.index[first['wiki']]}?diff={first['rev_id']}")
    expect(page.locator("table.diff")).to_have_count(1)
    assert f"diff={first['rev_id']}" in page.url or diff_url in page.url


def test_an_article_from_the_articles_list_and_on_to_an_editor(page: Page, site: Site):
    articles = site.api("/articles")["articles"]
    shared = max(articles, key=lambda a: (len(a["editors"]), a["revision_count"]))
    assert len(shared["editors"]) > 1
    page.goto(site.course("/articles?sort=editors&dir=desc"))
    page.locator(f"table#articles tr[data-article='{shared['id']}'] a.article").click()
    expect(page.locator("h2#article-title")).to_have_text(shared["title"])
    expect(page.locator("p#article-status")).to_contain_text(f"Article on {shared['wiki']}")
    expect(page.locator("svg#chart-article")).to_be_visible()
    figures = page.locator("section#headline")
    assert number(figures.locator("[data-field='revision_count']").inner_text()) == shared["revision_count"]
    assert number(figures.locator("[data-field='character_sum']").inner_text()) == shared["character_sum"]
    assert number(figures.locator("[data-field='references_count']").inner_text()) == shared["references_count"]
    expect(page.locator("table#editors tbody tr")).to_have_count(len(shared["editors"]))
    drill = site.api(f"/articles/{shared['id']}")
    assert rev_ids(page, "revisions") == [r["rev_id"] for r in drill["revisions"]]
    hrefs = page.locator("table#revisions a.diff").evaluate_all("links => links.map(a => a.href)")
    assert hrefs == [f"{site.index[shared['wiki']]}?diff={r['rev_id']}" for r in drill["revisions"]]
    editor = shared["editors"][-1]
    page.locator("table#editors").get_by_role("link", name=editor, exact=True).click()
    expect(page.locator("h2#student-name")).to_have_text(editor)
    expect(page.locator("table#student-articles").get_by_role("link", name=shared["title"], exact=True)).to_be_visible()


def test_filtering_the_articles_list_by_kind_wiki_and_editor(page: Page, site: Site):
    every = site.api("/articles")["articles"]
    page.goto(site.course("/articles"))
    expect(page.locator("table#articles thead")).to_contain_text("Wiki")  # two wikis: the column stays
    form = page.locator("form#article-filters")
    form.locator("select[name='kind']").select_option("new")
    form.get_by_role("button", name="Filter").click()
    new = [a for a in every if a["new_article"]]
    expect(page.locator("table#articles tbody tr")).to_have_count(len(new))
    expect(page.locator("table#articles tbody span.new")).to_have_count(len(new))
    wiki = DOMAINS[1]
    name = busiest(site)["username"]
    form.locator("select[name='wiki']").select_option(wiki)
    form.locator("select[name='editor']").select_option(name)
    form.get_by_role("button", name="Filter").click()
    want = [a for a in new if a["wiki"] == wiki and name in a["editors"]]
    assert want, "the busiest student should have created an article on the second wiki"
    expect(page.locator("table#articles tbody tr")).to_have_count(len(want))
    titles = page.locator("table#articles tbody tr").evaluate_all("rows => rows.map(r => r.dataset.title)")
    assert sorted(titles) == sorted(a["title"] for a in want)
    # Sorting keeps the filters; the CSV link carries them; "Show all" drops them.
    page.locator("table#articles a.sort[data-sort='character_sum']").click()
    expect(page.locator("table#articles th[aria-sort] a.sort[data-sort='character_sum']")).to_be_visible()
    expect(page.locator("table#articles tbody tr")).to_have_count(len(want))
    assert parse_qs(urlsplit(page.url).query)["editor"] == [name]
    csv_href = page.locator("a.csv").get_attribute("href")
    # The CSV is the table as shown: the same filters, in the same order.
    assert parse_qs(urlsplit(csv_href).query) == {"kind": ["new"], "wiki": [wiki], "editor": [name],
                                                  "sort": ["character_sum"], "dir": ["desc"]}
    page.get_by_role("link", name="Show all").click()
    expect(page.locator("table#articles tbody tr")).to_have_count(len(every))
    # The editors link to their pages.
    link = page.locator("td.editors").get_by_role("link", name=name, exact=True).first
    assert unquote(link.get_attribute("href")) == f"/courses/{SLUG}/students/{name.replace(' ', '_')}"


def test_the_recent_edits_tab_lists_the_latest_counted_revisions(page: Page, site: Site):
    page.goto(site.course())
    page.get_by_role("navigation", name="Course pages").get_by_role("link", name="Recent edits").click()
    expect(page.locator("table#recent")).to_be_visible()
    recent = site.api("/recent", limit=50)["revisions"]
    assert rev_ids(page, "recent") == [r["rev_id"] for r in recent] and len(recent) == 50
    top = page.locator("table#recent tbody tr").first
    expect(top.locator("td").nth(1)).to_have_text(recent[0]["username"])
    expect(top.locator("td").nth(2)).to_have_text(recent[0]["wiki"])
    top.get_by_role("link", name=recent[0]["title"], exact=True).click()
    expect(page.locator("h2#article-title")).to_have_text(recent[0]["title"])
