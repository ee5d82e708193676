"""The Uploads page in a real browser (docs/uploads.md): students upload to a real MediaWiki (one past
upload imported, two through action=upload), a page embeds one file and another file is deleted;
after an update the page shows each file's thumbnail loaded straight from the wiki (the URL the
wiki's own API gives, under a Content-Security-Policy that allows exactly that origin), links to
the file pages, and the figures the test counts itself. The overview links to it."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Page, expect
from support.browser import CHROMIUM, number, page_errors, served
from support.mediawiki import TestWiki, uploads_settings
from support.pictures import png, write_pngs
from twowikis import free_port

from wikicourse import courses
from wikicourse.db import open_db
from wikicourse.tokens import create_token
from wikicourse.update.cycle import update_course
from wikicourse.wikis import add_wiki

SLUG = "files-browser"
DOMAIN = "pictures.test"
STUDENTS = ["Bea Bild", "Cem Camera"]
INSTRUCTOR = "Ida Instructor"
PASSWORD = "Browser-Uploads-2024"

if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is missing: `make services` installs it", allow_module_level=True)


def wiki_files(wiki: TestWiki, titles: list[str]) -> dict[str, dict]:
    """Each file's thumbnail and page URL as the wiki's API gives them (read here, with plain HTTP)."""
    params = {"action": "query", "prop": "imageinfo", "iiprop": "url", "iiurlwidth": "120",
              "titles": "|".join(titles), "format": "json", "formatversion": "2"}
    pages = httpx.get(wiki.api_url, params=params).json()["query"]["pages"]
    return {p["title"]: p["imageinfo"][0] for p in pages if "imageinfo" in p}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, TestWiki]]:
    folder = tmp_path_factory.mktemp("browser-uploads")
    root = folder / "wiki"
    wiki = TestWiki(root, free_port(), settings=uploads_settings(root))
    wiki.up()
    try:
        wiki.create_users(STUDENTS, password=PASSWORD)
        wiki.create_users([INSTRUCTOR])
        wiki.import_images(write_pngs(folder / "past", ["Old harbour map.png"], 7), STUDENTS[0], "20240305100000")
        with wiki.login(STUDENTS[0], PASSWORD) as bea, wiki.login(STUDENTS[1], PASSWORD) as cem:
            bea.upload("Crane at dusk.png", png(60, 40, (250, 120, 0)))
            cem.upload("Quay wall.png", png(30, 50, (0, 90, 200)))
            cem.upload("Mistake.png", png(20, 20, (9, 9, 9)))
            bea.edit("Port of Tallinn", "[[File:Crane at dusk.png|thumb|A crane]] [[File:Old harbour map.png]]")
        wiki.delete_page("File:Mistake.png")
        db = f"sqlite:///{folder / 'web.sqlite'}"
        engine = open_db(db)
        try:
            add_wiki(engine, DOMAIN, wiki.api_url)
            courses.create_course(engine, SLUG, title="Pictures", start=date(2024, 3, 1),
                                  end=datetime.now(timezone.utc).date() + timedelta(days=1), wikis=[DOMAIN],
                                  timeslice_days=30)
            courses.enroll(engine, SLUG, STUDENTS)
            courses.enroll(engine, SLUG, [INSTRUCTOR], role="instructor")
            assert update_course(engine, SLUG).status == "done"  # uploads not counted yet
            token = create_token(engine, "browser tests", role="instructor", username=INSTRUCTOR)
        finally:
            engine.dispose()
        with served(db, folder) as url:
            yield url, wiki, token
    finally:
        wiki.down()


def test_the_uploads_page_shows_the_wikis_thumbnails_and_links(page: Page, site):
    url, wiki, token = site
    files = wiki_files(wiki, ["File:Old harbour map.png", "File:Crane at dusk.png", "File:Quay wall.png"])
    assert len(files) == 3

    # The instructor has the course count uploads, then starts an update, on the manage page.
    page.goto(f"{url}/courses/{SLUG}")
    expect(page.locator("p#uploads-summary")).to_contain_text("Uploads: not counted for this course")
    page.goto(f"{url}/login?next={quote(f'/courses/{SLUG}/manage')}")
    page.fill("form#login input#token", token)
    page.locator("form#login").locator("button, input[type=submit]").first.click()
    page.locator("input#count-uploads-on").check()
    page.locator("form#count-uploads button[type=submit]").click()
    expect(page.locator("p.flash")).to_contain_text("Uploads counted. The next update adjusts the statistics.")
    expect(page.locator("input#count-uploads-on")).to_be_checked()
    page.locator("button#start-update-button").click()
    expect(page.locator("div#update-progress")).to_have_attribute("data-status", "done", timeout=90_000)

    page.goto(f"{url}/courses/{SLUG}")
    expect(page.locator("p#uploads-summary")).to_contain_text("3 new files, 2 in use, 2 usages")
    split = page.locator(f'table#per-wiki tr[data-wiki="{DOMAIN}"]')
    assert [number(split.locator(f"td[data-field={f}]").inner_text())
            for f in ("upload_count", "uploads_in_use_count", "upload_usages_count")] == [3, 2, 2]
    overview_csv = httpx.get(f"{url}/courses/{SLUG}/overview.csv").text.lstrip("\ufeff").splitlines()
    header, total = overview_csv[0].split(","), overview_csv[-1].split(",")
    assert [total[header.index(f)] for f in ("upload_count", "uploads_in_use_count", "upload_usages_count")] == [
        "3", "2", "2"]
    page.locator("p#uploads-summary a").click()
    expect(page).to_have_url(f"{url}/courses/{SLUG}/uploads")

    # The three live files, counted as the test made them; the deleted one listed, counting nowhere.
    figures = page.locator("p#upload-figures")
    assert [number(figures.locator(f"[data-field={f}]").inner_text())
            for f in ("upload_count", "uploads_in_use_count", "upload_usages_count")] == [3, 2, 2]
    expect(page.locator("span#no-global-usage")).to_contain_text(f"{DOMAIN} does not offer GlobalUsage")
    for title, info in files.items():
        row = page.locator(f'table#uploads tr[data-title="{title}"]')
        img = row.locator("img.thumb")
        expect(img).to_have_attribute("src", info["thumburl"])
        assert info["thumburl"].startswith(f"http://127.0.0.1:{wiki.port}/")  # from the wiki, not this site
        expect(row.locator("a.file")).to_have_attribute("href", info["descriptionurl"])
        # The browser loaded the picture from the wiki, at its own size.
        assert img.evaluate("i => i.complete && i.naturalWidth") > 0
    expect(page.locator('table#uploads tr[data-title="File:Crane at dusk.png"] td.in-use')).to_have_text("yes")
    expect(page.locator('table#uploads tr[data-title="File:Quay wall.png"] td.in-use')).to_have_text("no")
    deleted = page.locator('table#uploads tr[data-title="File:Mistake.png"]')
    expect(deleted).to_have_class("deleted")
    assert deleted.locator("img").count() == 0
    assert page_errors(page) == []

    # The policy opens images to the wiki's origin on this page only; every other page keeps its own.
    own = httpx.get(f"{url}/courses/{SLUG}/uploads").headers["content-security-policy"]
    assert f"img-src 'self' data: http://127.0.0.1:{wiki.port};" in own
    assert "img-src 'self' data:;" in httpx.get(f"{url}/courses/{SLUG}").headers["content-security-policy"]
    csv = httpx.get(f"{url}/courses/{SLUG}/uploads.csv").text
    assert "Crane at dusk.png" in csv and files["File:Crane at dusk.png"]["thumburl"] in csv
