"""Article namespaces in a real browser (docs/metrics.md#namespaces): an instructor counts talk pages
as articles on one wiki through the manage form, by name, starts an update, and sees the
figures the oracle gives; a bad name is refused with what was typed kept."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect
from support import oracle
from support.browser import CHROMIUM, course_over_wikis, page_errors, served
from twowikis import DOMAINS, END, QUIET, START, USERS

from wikicourse.db import open_db
from wikicourse.tokens import create_token

SLUG = "ns-browser"
STUDENTS = USERS[:6]
INSTRUCTOR = QUIET[0]
UPDATE_TIMEOUT = 90_000

if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is missing: `make services` installs it", allow_module_level=True)


@pytest.fixture(scope="module")
def site(wikis, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    folder = tmp_path_factory.mktemp("browser-ns")
    db = f"sqlite:///{folder / 'web.sqlite'}"
    engine = open_db(db)
    try:
        course_over_wikis(engine, wikis, SLUG, "Talk pages count", START, END, STUDENTS, instructor=INSTRUCTOR)
        token = create_token(engine, "browser tests", role="instructor", username=INSTRUCTOR)
    finally:
        engine.dispose()
    with served(db, folder) as url:
        yield url, token


def api(url: str) -> dict:
    import json
    import urllib.request

    with urllib.request.urlopen(f"{url}/api/courses/{quote(SLUG)}", timeout=30) as r:
        return json.load(r)


def test_counting_talk_pages_as_articles_through_the_manage_form(page: Page, site, facts):
    url, token = site
    page.goto(f"{url}/login?next={quote(f'/courses/{SLUG}/manage')}")
    page.fill("form#login input#token", token)
    page.locator("form#login").locator("button, input[type=submit]").first.click()
    form = page.locator("form#edit-course")
    field = form.locator("input[name=ns_list]").nth(DOMAINS.index(DOMAINS[0]))
    expect(field).to_have_value("0")

    field.fill("0, Nowhere")
    form.locator("button[type=submit]").click()
    expect(page.locator("p.flash")).to_contain_text("the wiki has no namespace named 'Nowhere'")
    expect(page.locator("form#edit-course input[name=ns_list]").first).to_have_value("0, Nowhere")
    assert api(url)["course"]["article_namespaces"] == {d: [0] for d in DOMAINS}

    page.locator("form#edit-course input[name=ns_list]").first.fill("Main, Talk, User talk")
    page.locator("form#edit-course button[type=submit]").click()
    expect(page.locator("p.flash")).to_contain_text(f"namespaces on {DOMAINS[0]} 0 -> 0,1,3")
    page.locator("button#start-update-button").click()
    expect(page.locator("div#update-progress")).to_have_attribute("data-status", "done", timeout=UPDATE_TIMEOUT)
    # Nothing refused but the bad name's form (the browser logs its 422).
    assert [e for e in page_errors(page) if "status of 422" not in e or not e.endswith("/edit]")] == []

    doc = api(url)
    article = {DOMAINS[0]: [0, 1, 3], DOMAINS[1]: [0]}
    assert doc["course"]["article_namespace_names"] == {DOMAINS[0]: ["(main)", "Talk", "User talk"],
                                                        DOMAINS[1]: ["(main)"]}
    want = oracle.expected_stats(facts, students=STUDENTS, instructors=[INSTRUCTOR], start=START, end=END,
                                 wikis=list(DOMAINS), as_of=doc["course"]["last_update"], slug=SLUG,
                                 title="Talk pages count", article_namespaces=article)
    assert oracle.comparable(doc) == want
    talk = [a["title"] for a in doc["articles"] if a["namespace"] in (1, 3)]
    assert talk, "no talk page among the articles: the test shows nothing"
    page.goto(f"{url}/courses/{SLUG}/articles")
    expect(page.locator("body")).to_contain_text(talk[0])
