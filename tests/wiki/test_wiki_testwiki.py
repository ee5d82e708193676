"""The test wiki helper itself: snapshots bring a wiki back between tests."""
from __future__ import annotations

import httpx

from support.mediawiki import TestWiki


def test_restore_brings_back_what_a_test_deleted(wiki: TestWiki, revisions: dict) -> None:
    assert wiki.page_revisions("Referenced")
    try:
        wiki.delete_page("Referenced")
        assert wiki.page_revisions("Referenced") == []
    finally:
        wiki.restore()
    assert [r["revid"] for r in wiki.page_revisions("Referenced")] == [
        r["revid"] for r in revisions["Referenced"]
    ]


def test_api_url_serves_the_action_api(wiki: TestWiki) -> None:
    answer = httpx.get(wiki.api_url, params={"action": "query", "meta": "siteinfo", "siprop": "namespaces",
                                             "format": "json", "formatversion": "2"}).json()
    assert answer["query"]["namespaces"]["118"]["name"] == "Draft"  # Wikipedia's Draft namespace
