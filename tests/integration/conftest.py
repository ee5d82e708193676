"""Two real MediaWikis on loopback for the end-to-end tests, loaded once per session.

Each wiki gets the same accounts (usernames are global), then a generated export of about
400 revisions over the course period (different seeds, so different histories); the
pages whose facts say deleted=True are then deleted on the wiki, as an admin would, and
the wiki's databases are snapshot. Tests that change a wiki ask for `pristine_wikis`,
which puts the snapshot back afterwards.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pytest

from support.mediawiki import TestWiki
from twowikis import DAYS, DOMAINS, QUIET, START, USERS, Proxy, free_port
from wikicourse.db import open_db
from wikicourse.demo.generate import RevisionFact, account_names, generate

SEEDS = {"one.test": 4101, "two.test": 4202}


@dataclass(frozen=True)
class LoadedWiki:
    domain: str
    wiki: TestWiki
    facts: tuple[RevisionFact, ...]  # every revision of the export, deleted ones marked

    @property
    def api_url(self) -> str:
        return self.wiki.api_url

    @property
    def upstream(self) -> str:
        return self.api_url.removesuffix("/api.php")


def _load(domain: str, test_wiki: TestWiki, folder: Path, up: bool) -> LoadedWiki:
    export = folder / f"{domain}.xml"
    facts = generate(export, users=USERS, pages=45, revisions=400,
                     start=datetime.combine(START, datetime.min.time(), timezone.utc), days=DAYS,
                     seed=SEEDS[domain], deleted_pages=0.15, wiki=domain, keep_text=True)
    if up:
        test_wiki.up()
    test_wiki.create_users(account_names(facts) + QUIET)
    test_wiki.import_dump(export)
    for title in sorted({f.title for f in facts if f.deleted}):
        test_wiki.delete_page(title)
    test_wiki.snapshot()
    return LoadedWiki(domain, test_wiki, tuple(facts))


@pytest.fixture(scope="session")
def wikis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, LoadedWiki]]:
    """Both wikis, up and loaded: domain -> LoadedWiki."""
    folder = tmp_path_factory.mktemp("two-wikis")
    first = free_port()
    test_wikis = {DOMAINS[0]: TestWiki(folder / DOMAINS[0], first),
                  DOMAINS[1]: TestWiki(folder / DOMAINS[1], free_port(first + 1))}
    started = []
    try:
        # The first wiki comes up alone: up.sh installs MediaWiki's packages when they are
        # missing, and two apt-get runs at once would fight over dpkg's lock.
        test_wikis[DOMAINS[0]].up()
        started.append(test_wikis[DOMAINS[0]])
        started.append(test_wikis[DOMAINS[1]])
        with ThreadPoolExecutor(2) as pool:
            futures = {d: pool.submit(_load, d, w, folder, d != DOMAINS[0]) for d, w in test_wikis.items()}
            loaded = {d: f.result() for d, f in futures.items()}
        for d, w in loaded.items():
            # The scenario needs deleted pages and students' edits on both wikis.
            assert any(f.deleted and f.user in USERS for f in w.facts), f"{d}: no deleted student page"
        yield loaded
    finally:
        for w in started:
            w.down()


@pytest.fixture(scope="session")
def facts(wikis: dict[str, LoadedWiki]) -> dict[str, tuple[RevisionFact, ...]]:
    """domain -> the revision facts of that wiki (the oracle's input)."""
    return {d: w.facts for d, w in wikis.items()}


@pytest.fixture(scope="session")
def wiki_urls(wikis: dict[str, LoadedWiki]) -> dict[str, str]:
    """domain -> the wiki's real API URL."""
    return {d: w.api_url for d, w in wikis.items()}


@pytest.fixture
def pristine_wikis(wikis: dict[str, LoadedWiki]) -> Iterator[dict[str, LoadedWiki]]:
    """The wikis, put back as loaded once the test is done with them (for tests that change them)."""
    yield wikis
    for w in wikis.values():
        w.wiki.restore()


@pytest.fixture
def proxies(wikis: dict[str, LoadedWiki]) -> Iterator[dict[str, Proxy]]:
    """A pass-through FaultProxy in front of each wiki: domain -> proxy."""
    opened: dict[str, Proxy] = {}
    try:
        for d, w in wikis.items():
            opened[d] = Proxy(w.upstream, free_port())
        yield opened
    finally:
        for p in opened.values():
            p.close()


@pytest.fixture
def slow_proxies(wikis: dict[str, LoadedWiki]) -> Iterator[dict[str, Proxy]]:
    """A proxy in front of each wiki that serves usercontribs in pages of 10: an update takes
    many requests, and checkpoints page by page."""
    opened = {d: Proxy(w.upstream, free_port(), uclimit=10) for d, w in wikis.items()}
    yield opened
    for p in opened.values():
        p.close()


@pytest.fixture
def proxy_urls(proxies: dict[str, Proxy]) -> dict[str, str]:
    return {d: p.api_url for d, p in proxies.items()}


@pytest.fixture
def new_db(tmp_path: Path):
    """new_db(name) -> an engine on a fresh SQLite database in the test's folder."""
    engines = []

    def make(name: str = "wikicourse"):
        engine = open_db(f"sqlite:///{tmp_path / f'{name}.sqlite'}")
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, driven by Playwright, for a module of browser tests."""
    from playwright.sync_api import sync_playwright
    from support.browser import ARGS, CHROMIUM

    pw = sync_playwright().start()
    try:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()
    finally:
        pw.stop()


@pytest.fixture
def page(browser):
    """A fresh desktop-sized page (no cookies) per test."""
    from support.browser import fresh_page

    yield from fresh_page(browser)
