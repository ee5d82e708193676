"""The client's parsing and request building, against canned answers (no wiki needed)."""
from __future__ import annotations

import random
import re
from datetime import datetime, timezone
from typing import Any, Callable

import httpx
import pytest

from wikicourse.errors import WikiError
from wikicourse.wiki import MediaWikiSource, RetryPolicy, default_user_agent
from wikicourse.wiki.api import join_values

MARCH = datetime(2024, 3, 1, tzinfo=timezone.utc)
APRIL = datetime(2024, 4, 1, tzinfo=timezone.utc)


def canned(answer: Callable[[httpx.Request], Any], **options: Any) -> tuple[MediaWikiSource, list[httpx.Request]]:
    """A source whose every request gets answer(request) as JSON (or as the Response it returns)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        result = answer(request)
        return result if isinstance(result, httpx.Response) else httpx.Response(200, json=result)

    source = MediaWikiSource("https://wiki.example.org/w/api.php", transport=httpx.MockTransport(handler),
                             sleep=lambda s: None, **options)
    return source, seen


def contribs(*items: dict) -> dict:
    return {"batchcomplete": "", "query": {"usercontribs": list(items)}}


ITEM = {"userid": 1, "user": "Alice Example", "pageid": 9, "revid": 20, "parentid": 0, "ns": 0, "title": "P",
        "timestamp": "2024-03-05T10:00:00Z", "size": 120}


def test_formatversion_1_flags_are_present_or_absent() -> None:
    source, _ = canned(lambda r: contribs({**ITEM, "new": "", "minor": "", "sizediff": 120},
                                          {**ITEM, "revid": 21, "parentid": 20, "sizediff": -4,
                                           "timestamp": "2024-03-06T10:00:00Z"}))
    creation, edit = next(source.contributions(["Alice Example"], MARCH, APRIL))
    assert (creation.new, creation.sizediff, edit.new, edit.sizediff) == (True, 120, False, -4)


def test_missing_sizediff_is_the_size_for_a_creation_and_zero_otherwise() -> None:
    source, _ = canned(lambda r: contribs({**ITEM, "new": True},
                                          {**ITEM, "revid": 21, "parentid": 20, "new": False,
                                           "timestamp": "2024-03-06T10:00:00Z"}))
    creation, edit = next(source.contributions(["Alice Example"], MARCH, APRIL))
    assert (creation.sizediff, edit.sizediff) == (120, 0)


def test_a_user_listed_twice_apart_is_refused() -> None:
    bob = {**ITEM, "user": "Bob", "revid": 30}
    source, _ = canned(lambda r: contribs(ITEM, bob, {**ITEM, "revid": 31, "timestamp": "2024-03-07T00:00:00Z"}))
    with pytest.raises(WikiError, match="Alice Example"):
        list(source.contributions(["Alice Example", "Bob"], MARCH, APRIL))


def test_a_continuation_that_does_not_advance_is_an_error_not_a_loop() -> None:
    source, seen = canned(lambda r: {**contribs(), "continue": {"uccontinue": "x", "continue": "-||"}})
    with pytest.raises(WikiError, match="same continuation"):
        list(source.contributions(["Alice Example"], MARCH, APRIL))
    assert len(seen) == 2


def test_continuation_replaces_the_previous_one() -> None:
    def answer(request: httpx.Request) -> dict:
        step = request.url.params.get("uccontinue")
        nxt = {None: "a", "a": "b"}.get(step)
        item = {**ITEM, "revid": {None: 1, "a": 2, "b": 3}[step]}
        return {**contribs(item), **({"continue": {"uccontinue": nxt, "continue": "-||"}} if nxt else {})}

    source, seen = canned(answer)
    pages = source.contributions(["Alice Example"], MARCH, APRIL)
    assert [[c.revid for c in page] for page in pages] == [[1], [2], [3]]
    assert [r.url.params.get("uccontinue") for r in seen] == [None, "a", "b"]
    assert all(r.url.params["ucuser"] == "Alice Example" for r in seen)


def test_an_answer_that_is_not_api_json_names_the_url() -> None:
    source, seen = canned(lambda r: httpx.Response(200, text="<html>Main Page</html>"))
    with pytest.raises(WikiError, match=re.escape("https://wiki.example.org/w/api.php")):
        source.canonical_usernames(["Alice"])
    assert len(seen) == 1


def test_formatversion_1_pages_and_content() -> None:
    answer = {"batchcomplete": "", "query": {
        "badrevids": {"7": {"revid": 7, "missing": ""}},
        "pages": {"3": {"pageid": 3, "ns": 0, "title": "P", "revisions": [
            {"revid": 5, "parentid": 0, "slots": {"main": {"contentmodel": "wikitext", "*": "a<ref>x</ref><ref/>"}}},
            {"revid": 6, "parentid": 5, "slots": {"main": {"texthidden": "", "contentmodel": "wikitext"}}},
        ]}}}}
    source, seen = canned(lambda r: answer, formatversion=1)
    assert source.reference_counts([5, 6, 7]) == {5: 2}
    assert seen[0].url.params["formatversion"] == "1"
    assert seen[0].url.params["revids"] == "5|6|7"


def test_user_agent_names_the_tool_a_contact_and_httpx() -> None:
    agent = default_user_agent()
    assert re.fullmatch(r"wikicourse/\S+ \(https://\S+; \S+@\S+\) httpx/\S+", agent)
    source, seen = canned(lambda r: {"query": {"users": []}})
    source.canonical_usernames(["Alice"])
    assert seen[0].headers["User-Agent"] == agent
    custom, seen = canned(lambda r: {"query": {"users": []}}, user_agent="Bot/1 (me@example.org)")
    custom.canonical_usernames(["Alice"])
    assert seen[0].headers["User-Agent"] == "Bot/1 (me@example.org)"


def test_very_long_parameter_lists_go_as_post() -> None:
    source, seen = canned(lambda r: {"query": {"users": []}})
    source.canonical_usernames([f"A very long username number {i:03d} " + "ü" * 40 for i in range(50)])
    assert seen[0].method == "POST"
    assert httpx.QueryParams(seen[0].content.decode())["list"] == "users"


def test_names_with_a_pipe_use_the_unit_separator() -> None:
    assert join_values(["a", "b"]) == "a|b"
    assert join_values(["a|b", "c"]) == "\x1fa|b\x1fc"


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(backoff=1.0, jitter=0.5, max_wait=60.0, rng=random.Random(4))
    for failures in range(1, 6):
        assert 0.5 * 2 ** (failures - 1) <= policy.delay(failures, None) <= 1.5 * 2 ** (failures - 1)
    assert policy.delay(20, None) == 60.0
    assert policy.delay(3, 7.0) == 7.0 and policy.delay(3, 1e9) == 60.0 and policy.delay(3, -1) == 0.0


def test_bad_api_urls_are_wiki_errors() -> None:
    with MediaWikiSource("ftp://wiki.example.org/api.php", sleep=lambda s: None) as source:
        with pytest.raises(WikiError, match="cannot use API URL") as caught:
            source.canonical_usernames(["Alice"])
    assert source.request_count == 1 and "\n" not in str(caught.value)
