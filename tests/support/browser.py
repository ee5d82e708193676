"""What the browser tests share: a real `wikicourse serve` on a free port, Debian's Chromium
through Playwright (never `playwright install`), and figures read as a page shows them."""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page

from support.serving import serving

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1280, "height": 900}


@contextmanager
def served(db: str, folder: Path, timeout: float = 30) -> Iterator[str]:
    """`wikicourse serve` over the database `db` until the block ends; yields its base URL once it
    answers (support.serving.serving). What it printed is kept in folder/serve.log."""
    log = folder / "serve.log"
    server = None
    try:
        with serving(db, timeout=timeout) as server:
            yield server.url
    finally:
        if server is not None:
            log.write_text(server.stderr + server.stdout)


def fresh_page(browser: Browser, viewport: dict = DESKTOP) -> Iterator[Page]:
    """A page in a context of its own (no cookies), downloads accepted. A Content Security
    Policy violation on any page it shows fails the test (at teardown): Chromium logs each."""
    context = browser.new_context(viewport=viewport, accept_downloads=True)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.console_errors = console_errors(page)
        yield page
        violations = [e for e in page.console_errors if "Content Security Policy" in e]
        assert not violations, violations
    finally:
        context.close()


def console_errors(page: Page) -> list[str]:
    """The errors `page` logs from now on (script errors, refused loads, CSP violations), each
    with the URL it came from; a list that grows as the page runs."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"{m.text} [{m.location.get('url')}]") if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    return errors


def page_errors(page: Page) -> list[str]:
    """The console errors so far, less the browser's own ask for /favicon.ico (none is served)."""
    return [e for e in page.console_errors if not e.endswith("/favicon.ico]")]


def number(text: str) -> int:
    """A figure as a page shows it: thousands separators (",", spaces, thin spaces) allowed."""
    digits = re.sub(r"[,\s\u00a0\u202f\u2009']", "", text.strip())
    assert re.fullmatch(r"-?\d+", digits), f"not a number: {text!r}"
    return int(digits)


def course_over_wikis(engine, wikis: dict, slug: str, title: str, start, end, students, *,
                      instructor: str | None = None, as_of=None) -> None:
    """Register the test wikis, create `slug` over all of them, enroll, and update it once."""
    from wikicourse import courses
    from wikicourse.update.cycle import update_course
    from wikicourse.wikis import add_wiki

    for domain, w in wikis.items():
        add_wiki(engine, domain, w.api_url)
    courses.create_course(engine, slug, title=title, start=start, end=end, wikis=list(wikis))
    courses.enroll(engine, slug, students)
    if instructor:
        courses.enroll(engine, slug, [instructor], role="instructor")
    report = update_course(engine, slug, as_of=as_of)
    assert report.status == "done", report
