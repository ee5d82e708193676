"""list=usercontribs against a real MediaWiki: order, fields, windows, namespaces, batching, continuation."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest

from support.mediawiki import TestWiki
from wiki_data import ALICE, BOB, CROWD, IVY, ZOE, Expected, expected_contributions
from wikicourse.errors import AccountRenamed
from wikicourse.sources.base import Contribution
from wikicourse.wiki import MediaWikiSource

UTC = timezone.utc
MARCH = datetime(2024, 3, 1, tzinfo=UTC)
APRIL = datetime(2024, 4, 1, tzinfo=UTC)
MAY = datetime(2024, 5, 1, tzinfo=UTC)


def flat(pages: list[list[Contribution]]) -> list[Contribution]:
    return [c for page in pages for c in page]


def shape(contributions: list[Contribution]) -> list[Expected]:
    return [Expected(c.user, c.title, c.namespace, c.timestamp, c.sizediff, c.new) for c in contributions]


def test_several_users_come_grouped_by_account_then_oldest_first(source: MediaWikiSource) -> None:
    # Asked in alphabetical order, answered in account order (Zoe's account is the oldest):
    # MediaWiki sorts by actor, then timestamp, which is the grouping the protocol promises.
    got = flat(list(source.contributions([ALICE, BOB, ZOE], MARCH, MAY)))
    assert [c.user for c in got] == sorted((c.user for c in got), key=[ZOE, ALICE, BOB].index)
    assert shape(got) == expected_contributions([ALICE, BOB, ZOE], MARCH, MAY)


def test_contributions_carry_ids_sizes_and_creation_flags(source: MediaWikiSource, revisions: dict) -> None:
    got = {c.revid: c for c in flat(list(source.contributions([ALICE, BOB], MARCH, APRIL)))}
    first, second, third = revisions["Referenced"]
    creation = got[first["revid"]]
    assert (creation.new, creation.parentid, creation.sizediff) == (True, 0, first["size"])
    edit = got[second["revid"]]
    assert (edit.new, edit.parentid, edit.sizediff) == (False, first["revid"], second["size"] - first["size"])
    shrink = got[third["revid"]]
    assert shrink.sizediff == third["size"] - second["size"] < 0
    assert creation.pageid == edit.pageid == shrink.pageid
    assert creation.timestamp == datetime(2024, 3, 1, 10, tzinfo=UTC)
    assert creation.timestamp.tzinfo is not None


def test_tracked_namespaces_only_and_namespace_filter(source: MediaWikiSource) -> None:
    everything = flat(list(source.contributions([ALICE, BOB, ZOE], MARCH, MAY)))
    assert {c.namespace for c in everything} == {0, 2, 118}  # the Talk: edit is left out
    drafts = flat(list(source.contributions([ALICE, BOB, ZOE], MARCH, MAY, namespaces=[118])))
    assert shape(drafts) == expected_contributions([ALICE, BOB, ZOE], MARCH, MAY, (118,))
    assert {c.title for c in drafts} == {"Draft:Wikicourse topic"}


@pytest.mark.parametrize("spelling", ["Alice_Example", "alice Example", " Alice__Example "])
def test_usernames_with_underscores_or_lower_case_first_letter_find_the_same_edits(
    source: MediaWikiSource, spelling: str
) -> None:
    got = flat(list(source.contributions([spelling], MARCH, MAY)))
    assert got and {c.user for c in got} == {ALICE}
    assert shape(got) == expected_contributions([ALICE], MARCH, MAY)


def test_window_is_half_open_at_whole_seconds(source: MediaWikiSource) -> None:
    day = datetime(2024, 3, 1, tzinfo=UTC)
    got = flat(list(source.contributions([ALICE], day, day + timedelta(days=1))))
    # 00:00:00 (start, included), 10:00:00, 23:59:59 (last second before the exclusive end)
    assert [c.timestamp.time().isoformat() for c in got] == ["00:00:00", "10:00:00", "23:59:59"]

    end_of_march = flat(list(source.contributions([ALICE], datetime(2024, 3, 31, tzinfo=UTC), APRIL)))
    assert [c.title for c in end_of_march] == ["Boundary"]  # 23:59:59 in, 00:00:00 of April out
    april = flat(list(source.contributions([ALICE], APRIL, MAY)))
    assert [c.timestamp for c in april] == [APRIL]


def test_window_bounds_between_seconds_round_the_right_way(source: MediaWikiSource) -> None:
    half = timedelta(milliseconds=500)
    # start 23:59:58.5 takes 23:59:59; end 00:00:00.5 still takes 00:00:00
    got = flat(list(source.contributions([ALICE], APRIL - timedelta(seconds=1) - half, APRIL + half)))
    assert [c.timestamp for c in got] == [APRIL - timedelta(seconds=1), APRIL]
    # start 23:59:59.5 excludes 23:59:59
    got = flat(list(source.contributions([ALICE], APRIL - half, APRIL + half)))
    assert [c.timestamp for c in got] == [APRIL]


def test_empty_window_sends_no_request(source: MediaWikiSource) -> None:
    moment = datetime(2024, 3, 1, 12, 0, 0, 300_000, tzinfo=UTC)
    assert list(source.contributions([ALICE], moment, moment + timedelta(milliseconds=500))) == []
    assert list(source.contributions([], MARCH, MAY)) == []
    assert source.request_count == 0


def test_naive_datetimes_are_refused(source: MediaWikiSource) -> None:
    with pytest.raises(ValueError, match="timezone"):
        source.contributions([ALICE], datetime(2024, 3, 1), datetime(2024, 4, 1))  # at the call, not later


def test_deleted_page_is_not_listed(source: MediaWikiSource, revisions: dict) -> None:
    got = flat(list(source.contributions([ALICE, ZOE], MARCH, MAY)))
    assert "Doomed" not in {c.title for c in got}
    assert not {r["revid"] for r in revisions["Doomed"]} & {c.revid for c in got}


def test_hidden_text_does_not_hide_the_edit(source: MediaWikiSource, revisions: dict) -> None:
    got = flat(list(source.contributions([BOB], MARCH, MAY)))
    assert revisions["Hidden text"][1]["revid"] in {c.revid for c in got}


def test_user_without_edits_yields_nothing(source: MediaWikiSource) -> None:
    assert list(source.contributions([IVY], MARCH, MAY)) == []


def test_small_pages_stream_the_same_edits_as_one_big_page(wiki: TestWiki) -> None:
    with MediaWikiSource(wiki.api_url) as whole, MediaWikiSource(wiki.api_url, uclimit=2) as paged:
        one = list(whole.contributions([ZOE, ALICE, BOB], MARCH, MAY))
        many = list(paged.contributions([ZOE, ALICE, BOB], MARCH, MAY))
    total = len(flat(one))
    assert len(one) == 1 and whole.request_count == 1
    assert [len(page) for page in many] == [2] * (total // 2) + ([total % 2] if total % 2 else [])
    assert paged.request_count == len(many)  # each page one request, following `continue`
    assert flat(many) == flat(one)


class Recorder(httpx.BaseTransport):
    """Passes requests on to the network and keeps their query parameters."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.params: list[httpx.QueryParams] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        self.params.append(httpx.QueryParams(body.decode()) if body else request.url.params)
        return self.inner.handle_request(request)


def test_more_than_50_users_go_in_batches_of_50(wiki: TestWiki) -> None:
    recorder = Recorder()
    with MediaWikiSource(wiki.api_url, transport=recorder) as source:
        got = flat(list(source.contributions(list(reversed(CROWD)), MARCH, MAY)))
    batches = [p["ucuser"].split("|") for p in recorder.params]
    assert [len(b) for b in batches] == [50, 10]
    assert sorted(sum(batches, [])) == sorted(CROWD)
    assert sorted(c.user for c in got) == sorted(CROWD)
    assert all(c.title == "Crowd" for c in got)
    # each batch in account order; batches one after the other, so still grouped by user
    assert [c.user for c in got[:50]] == sorted(batches[0], key=CROWD.index)


def test_requests_carry_the_etiquette_parameters(wiki: TestWiki) -> None:
    recorder = Recorder()
    with MediaWikiSource(wiki.api_url, transport=recorder) as source:
        list(source.contributions([ALICE], MARCH, APRIL))
    params = recorder.params[0]
    assert params["maxlag"] == "5" and params["format"] == "json" and params["formatversion"] == "2"
    assert params["ucdir"] == "newer" and params["uclimit"] == "max"
    assert params["ucstart"] == "2024-03-01T00:00:00Z" and params["ucend"] == "2024-03-31T23:59:59Z"
    assert params["ucnamespace"] == "0|2|118"
    assert params["ucprop"] == "ids|title|timestamp|size|sizediff|flags"


def test_accounts_that_must_exist_are_checked_in_the_same_request(source: MediaWikiSource) -> None:
    plain = flat(list(source.contributions([ALICE, BOB, ZOE], MARCH, MAY)))
    assert len({c.userid for c in plain}) == 3 and all(c.userid for c in plain)  # account ids come along
    ids = {c.user: c.userid for c in plain}
    before = source.request_count
    checked = flat(list(source.contributions([ALICE, BOB, ZOE], MARCH, MAY, must_exist={ALICE: ids[ALICE],
                                                                                        ZOE: ids[ZOE]})))
    assert checked == plain
    assert source.request_count - before == 1  # list=users rode along with usercontribs
    with pytest.raises(AccountRenamed, match="Nobody Here") as failed:
        list(source.contributions([ALICE, "Nobody Here"], MARCH, MAY, must_exist={"Nobody Here": 999_999}))
    assert failed.value.renamed == {"Nobody Here": None}
