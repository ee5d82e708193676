"""Retries, backoff and the time budget, against a proxy that makes the real wiki misbehave on a schedule."""
from __future__ import annotations

import time
import tracemalloc
from datetime import datetime, timezone

import pytest

from support.faults import PASS, FaultProxy, drop, hang, huge, maxlag, status, trickle
from wiki_data import ALICE, BOB, ZOE
from wikicourse.errors import WikiAPIError, WikiError, WikiUnavailable
from wikicourse.wiki import MediaWikiSource

MARCH = datetime(2024, 3, 1, tzinfo=timezone.utc)
MAY = datetime(2024, 5, 1, tzinfo=timezone.utc)


class Sleeps(list):
    """An injected sleep that only writes the waits down."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(proxy: FaultProxy, sleeps: Sleeps, **options) -> MediaWikiSource:
    return MediaWikiSource(proxy.api_url, sleep=sleeps, **options)


def test_5xx_answers_are_retried_with_growing_jittered_backoff(proxy: FaultProxy) -> None:
    proxy.schedule([status(500), status(503), status(502)])
    sleeps = Sleeps()
    with client(proxy, sleeps) as source:
        assert source.canonical_usernames([ALICE]) == {ALICE: ALICE}
        assert source.request_count == proxy.request_count == 4
    assert len(sleeps) == 3
    for failures, wait in enumerate(sleeps, start=1):
        base = 2 ** (failures - 1)
        assert 0.5 * base <= wait <= 1.5 * base


def test_429_waits_as_long_as_retry_after_says_within_a_cap(proxy: FaultProxy) -> None:
    proxy.schedule([status(429, retry_after="7"), status(429, retry_after="86400")])
    sleeps = Sleeps()
    with client(proxy, sleeps) as source:
        assert source.canonical_usernames([BOB]) == {BOB: BOB}
    assert sleeps == [7.0, 60.0]
    assert proxy.request_count == 3


def test_maxlag_error_waits_for_retry_after_or_the_lag(proxy: FaultProxy) -> None:
    proxy.schedule([maxlag(lag=3, retry_after="4"), maxlag(lag=2, retry_after=None)])
    sleeps = Sleeps()
    with client(proxy, sleeps) as source:
        assert source.reference_counts([2]) == {2: 1}
    assert sleeps == [4.0, 2.0]
    assert proxy.request_count == 3
    assert all("maxlag=5" in path for path in proxy.requests)


def test_hang_past_the_timeout_and_dropped_connections_are_retried(proxy: FaultProxy) -> None:
    proxy.schedule([hang(3.0), drop()])
    sleeps = Sleeps()
    started = time.monotonic()
    with client(proxy, sleeps, timeout=0.3) as source:
        assert source.canonical_usernames([ZOE]) == {ZOE: ZOE}
        assert source.request_count == proxy.request_count == 3
    assert time.monotonic() - started < 2.0  # the hang cost one timeout, not its full length
    assert len(sleeps) == 2


def test_a_wiki_failing_every_way_in_turn_is_still_read_in_full(proxy: FaultProxy) -> None:
    with MediaWikiSource(proxy.api_url) as direct:
        expected = list(direct.contributions([ZOE, ALICE, BOB], MARCH, MAY))
    proxy.schedule([status(500), status(503), status(429, retry_after="1"), maxlag(), hang(3.0)])
    sleeps = Sleeps()
    with client(proxy, sleeps, timeout=0.3, max_attempts=6) as source:
        assert list(source.contributions([ZOE, ALICE, BOB], MARCH, MAY)) == expected
        assert source.request_count == proxy.request_count == 6
    assert len(sleeps) == 5 and sleeps[2:4] == [1.0, 5.0]


def test_out_of_attempts_raises_wiki_unavailable_in_one_line(proxy: FaultProxy) -> None:
    proxy.schedule([], then=status(503))
    sleeps = Sleeps()
    with client(proxy, sleeps, max_attempts=3) as source, pytest.raises(WikiUnavailable) as caught:
        source.canonical_usernames([ALICE])
    message = str(caught.value)
    assert "\n" not in message
    assert f"127.0.0.1:{proxy.port}" in message and "3 attempts" in message and "503" in message
    assert proxy.request_count == 3 and len(sleeps) == 2


def test_retry_budget_is_spent_across_calls_of_one_source(proxy: FaultProxy) -> None:
    sleeps = Sleeps()
    with client(proxy, sleeps, max_attempts=100, budget=30) as source:
        proxy.schedule([], then=status(503, retry_after="20"))
        with pytest.raises(WikiUnavailable, match="budget of 30 s") as caught:
            source.canonical_usernames([ALICE])
        assert "\n" not in str(caught.value) and f"127.0.0.1:{proxy.port}" in str(caught.value)
        assert sleeps == [20.0] and proxy.request_count == 2  # a second 20 s wait would pass 30 s

        proxy.schedule([status(503, retry_after="5")])  # 25 s of 30 spent: still worth one wait
        assert source.canonical_usernames([ALICE]) == {ALICE: ALICE}
        assert sleeps == [20.0, 5.0]

        proxy.schedule([status(503, retry_after="10")])  # 35 s would pass the budget: give up at once
        with pytest.raises(WikiUnavailable):
            source.canonical_usernames([ALICE])
        assert proxy.request_count == 1 and sleeps == [20.0, 5.0]


def test_time_lost_to_timeouts_counts_against_the_budget(proxy: FaultProxy) -> None:
    proxy.schedule([], then=hang(5.0))
    sleeps = Sleeps()
    started = time.monotonic()
    with client(proxy, sleeps, timeout=0.25, max_attempts=100, budget=1.0) as source:
        with pytest.raises(WikiUnavailable, match="budget"):
            source.canonical_usernames([ALICE])
    assert time.monotonic() - started < 2.5
    assert 1 <= proxy.request_count <= 4


def test_failure_mid_stream_keeps_the_pages_already_yielded(proxy: FaultProxy) -> None:
    proxy.schedule([PASS], then=status(500))
    sleeps = Sleeps()
    with client(proxy, sleeps, uclimit=2, max_attempts=2) as source:
        pages = source.contributions([ZOE, ALICE, BOB], MARCH, MAY)
        first = next(pages)
        assert len(first) == 2
        with pytest.raises(WikiUnavailable):
            next(pages)
    assert proxy.request_count == 3


def test_api_errors_are_not_retried(wiki) -> None:
    sleeps = Sleeps()
    with MediaWikiSource(wiki.api_url, sleep=sleeps) as source, pytest.raises(WikiAPIError) as caught:
        list(source.contributions(["Bad#Name"], MARCH, MAY))
    assert caught.value.code == "baduser" and "\n" not in str(caught.value)
    assert source.request_count == 1 and sleeps == []


def test_http_4xx_is_a_wiki_error_without_retry(proxy: FaultProxy) -> None:
    proxy.schedule([status(404)])
    sleeps = Sleeps()
    with client(proxy, sleeps) as source, pytest.raises(WikiError, match="HTTP 404") as caught:
        source.canonical_usernames([ALICE])
    assert not isinstance(caught.value, WikiUnavailable)
    assert proxy.request_count == 1 and sleeps == []


def test_a_wiki_nobody_answers_for_is_unavailable(proxy: FaultProxy) -> None:
    port = proxy.port
    proxy.close()  # nothing listens there now: connections are refused
    sleeps = Sleeps()
    with MediaWikiSource(f"http://127.0.0.1:{port}/api.php", sleep=sleeps, max_attempts=2) as source:
        with pytest.raises(WikiUnavailable, match="ConnectError") as caught:
            source.canonical_usernames([ALICE])
        assert source.request_count == 2 and "\n" not in str(caught.value)


@pytest.mark.parametrize("headers", [False, True], ids=["body", "headers"])
def test_an_answer_trickled_byte_by_byte_is_cut_at_the_request_deadline_and_retried(
    proxy: FaultProxy, headers: bool
) -> None:
    """httpx's timeout resets with every byte read: only the request's deadline ends a trickle."""
    proxy.schedule([trickle(every=0.1, headers=headers)])
    sleeps = Sleeps()
    started = time.monotonic()
    with client(proxy, sleeps, deadline=0.8) as source:
        assert source.canonical_usernames([ALICE]) == {ALICE: ALICE}
    elapsed = time.monotonic() - started
    assert 0.8 <= elapsed < 2.5, f"the trickle held the request {elapsed:.2f} s"
    assert proxy.request_count == 2 and len(sleeps) == 1
    wait_served(proxy)
    assert proxy.sent >= 3  # it did trickle before it was cut


def test_a_wiki_that_always_trickles_is_given_up_on_once_the_fetch_budget_is_spent(proxy: FaultProxy) -> None:
    proxy.schedule([], then=trickle(every=0.1))
    with MediaWikiSource(proxy.api_url, deadline=0.4, fetch_budget=1.5, max_attempts=100) as source:
        source.retry.backoff, source.retry.jitter = 0.05, 0.0  # real waits, short ones
        started = time.monotonic()
        with pytest.raises(WikiUnavailable, match="time budget of 1.5 s for this update is spent") as caught:
            source.canonical_usernames([ALICE])
        # Attempts of 0.4 s and growing waits, until the next wait (or attempt) passes the budget.
        assert 1.1 <= time.monotonic() - started < 2.0
        assert "no full answer within" in str(caught.value) and "\n" not in str(caught.value)
        asked = proxy.request_count
        assert asked >= 3
        with pytest.raises(WikiUnavailable, match="time budget"):  # spent: the next call asks nothing
            source.reference_counts([2])
        assert proxy.request_count == asked


def test_the_fetch_budget_counts_only_the_wikis_own_time(proxy: FaultProxy) -> None:
    """Time the update spends elsewhere between requests (another, stalling wiki; the database)
    costs a wiki nothing: only its own attempts and waits count."""
    proxy.schedule([hang(0.3)])  # one slow answer, then prompt ones
    with MediaWikiSource(proxy.api_url, fetch_budget=1.0) as source:
        source.canonical_usernames([ALICE])
        took = source.retry.used
        assert 0.3 <= took < 1.0
        time.sleep(1.2)  # longer than the whole budget, spent outside the source
        assert source.canonical_usernames([BOB]) == {BOB: BOB}
        assert took < source.retry.used < 1.0 and not source.retry.given_up


@pytest.mark.parametrize("declared", [False, True], ids=["streamed", "declared"])
def test_an_answer_past_the_size_limit_is_not_read_further_nor_retried(proxy: FaultProxy, declared: bool) -> None:
    size = 200 * 2**20  # read whole and parsed, such an answer took 690 MB
    proxy.schedule([huge(size, declared=declared)])
    tracemalloc.start()
    try:
        with client(proxy, Sleeps(), max_bytes=2**20) as source, pytest.raises(WikiError) as caught:
            source.canonical_usernames([ALICE])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(caught.value)
    assert not isinstance(caught.value, WikiUnavailable) and "\n" not in message
    assert f"127.0.0.1:{proxy.port} sent an answer larger than 1 MB" in message, message
    assert proxy.request_count == 1  # the same question would get the same answer
    assert peak < 6 * 2**20, f"{peak / 2**20:.0f} MB held"
    wait_served(proxy)
    assert proxy.sent < 48 * 2**20, f"{proxy.sent / 2**20:.0f} MB were sent"  # the cap and the sockets' buffers


def wait_served(proxy: FaultProxy) -> None:
    """Wait until the proxy is done with every request (a client that left ends its answer)."""
    deadline = time.monotonic() + 10
    while proxy.served < proxy.request_count:
        assert time.monotonic() < deadline, "the proxy is still answering"
        time.sleep(0.02)
