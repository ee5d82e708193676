"""Fixtures of the wiki client's tests: one real MediaWiki per session, loaded with wiki_data.py."""
from __future__ import annotations


from typing import Iterator

import pytest

from support.faults import FaultProxy
from support.mediawiki import TestWiki
from support.ports import free_port
from wiki_data import DELETED_PAGE, HIDDEN, PAGES, USERS, export_xml
from wikicourse.wiki import MediaWikiSource

# Small enough that the Big page's revisions need one response each, large enough for a
# batch of 50 contributions.
WIKI_SETTINGS = "$wgAPIMaxResultSize = 6000;"


@pytest.fixture(scope="session")
def _loaded_wiki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestWiki, dict[str, list[dict]]]]:
    """The session's wiki with wiki_data's pages imported, one deleted and one revision's text hidden;
    with every page's revisions as imported (title -> oldest first, ids included)."""
    root = tmp_path_factory.mktemp("mediawiki")
    test_wiki = TestWiki(root / "wiki", free_port(8301, 8339), settings=WIKI_SETTINGS)
    test_wiki.up()
    try:
        dump = root / "dump.xml"
        dump.write_text(export_xml(PAGES), encoding="utf-8")
        test_wiki.create_users(USERS)
        test_wiki.import_dump(dump)
        imported = {page.title: test_wiki.page_revisions(page.title) for page in PAGES}
        test_wiki.delete_page(DELETED_PAGE)
        title, index = HIDDEN
        test_wiki.hide_revision_text(imported[title][index]["revid"])
        test_wiki.snapshot()
        yield test_wiki, imported
    finally:
        test_wiki.down()


@pytest.fixture(scope="session")
def wiki(_loaded_wiki: tuple[TestWiki, dict]) -> TestWiki:
    return _loaded_wiki[0]


@pytest.fixture(scope="session")
def revisions(_loaded_wiki: tuple[TestWiki, dict]) -> dict[str, list[dict]]:
    """Every page's revisions as imported, the deleted page's too."""
    return _loaded_wiki[1]


@pytest.fixture(params=[2, 1], ids=["fv2", "fv1"])
def source(request: pytest.FixtureRequest, wiki: TestWiki) -> Iterator[MediaWikiSource]:
    """A client of the session's wiki, once per JSON format version."""
    with MediaWikiSource(wiki.api_url, formatversion=request.param, sleep=_no_sleep) as client:
        yield client


def _no_sleep(seconds: float) -> None:
    raise AssertionError(f"a healthy wiki should need no retry (asked to wait {seconds} s)")


@pytest.fixture
def proxy(wiki: TestWiki) -> Iterator[FaultProxy]:
    """A fault-injecting proxy in front of the session's wiki; passes everything on until given a schedule."""
    upstream = wiki.api_url.removesuffix("/api.php")
    with FaultProxy(upstream, free_port(8340, 8399)) as fault_proxy:
        yield fault_proxy
