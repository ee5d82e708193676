"""list=users against a real MediaWiki: canonical spellings of usernames."""
from __future__ import annotations

from wiki_data import ALICE, BOB, CROWD
from wikicourse.wiki import MediaWikiSource


def test_names_map_to_canonical_spelling_or_none(source: MediaWikiSource) -> None:
    names = ["Alice_Example", "alice Example", "Bob Builder", "bob  Builder", "Bob builder",
             "Nobody Here", "Bad#Name", "Bad|Name", "", "  "]
    assert source.canonical_usernames(names) == {
        "Alice_Example": ALICE,
        "alice Example": ALICE,
        "Bob Builder": BOB,
        "bob  Builder": BOB,  # runs of spaces collapse, as in titles
        "Bob builder": None,  # letters after the first are case-sensitive
        "Nobody Here": None,
        "Bad#Name": None,
        "Bad|Name": None,
        "": None,
        "  ": None,
    }


def test_more_than_50_names_go_in_batches(source: MediaWikiSource) -> None:
    spelled = {name: "c" + name[1:].replace(" ", "_") for name in CROWD}  # crowd_Member_01
    got = source.canonical_usernames([*spelled.values(), "Ghost 1", "Ghost 2"])
    assert [got[spelled[name]] for name in CROWD] == CROWD
    assert got["Ghost 1"] is None and got["Ghost 2"] is None
    assert source.request_count == 2


def test_no_names_no_request(source: MediaWikiSource) -> None:
    assert source.canonical_usernames([]) == {}
    assert source.request_count == 0
