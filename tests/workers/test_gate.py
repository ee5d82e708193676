"""Requests to one wiki pass one at a time, spaced, across workers (each its own Redis client)."""
from __future__ import annotations

import itertools
import threading
import time

import pytest
import redis

from wikicourse.errors import WikiUnavailable
from wikicourse.workers import gate as gate_module
from wikicourse.workers.gate import WikiGate


def through_gate(redis_url: str, wiki: str, times: int, interval: float, inside: float,
                 log: list[tuple[float, float, int]], who: int, start: threading.Barrier) -> None:
    """One worker: its own client and gate, `times` requests that each take `inside` seconds."""
    client = redis.Redis.from_url(redis_url)
    gate = WikiGate(client, wiki, interval)
    start.wait()
    try:
        for _ in range(times):
            with gate():
                entered = time.monotonic()
                time.sleep(inside)
                log.append((entered, time.monotonic(), who))
    finally:
        client.close()


def run_workers(redis_url, wiki, *, workers, times, interval, inside):
    log: list[tuple[float, float, int]] = []
    barrier = threading.Barrier(workers)
    threads = [threading.Thread(target=through_gate, args=(redis_url, wiki, times, interval, inside, log, w, barrier))
               for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert not any(t.is_alive() for t in threads)
    assert len(log) == workers * times
    return sorted(log)


def test_requests_to_one_wiki_never_overlap_across_workers(redis_url):
    log = run_workers(redis_url, "one.wiki", workers=4, times=4, interval=0.0, inside=0.01)
    for (_, left, _), (entered, _, _) in itertools.pairwise(log):
        assert entered >= left, "two workers were inside the gate of one wiki at once"
    assert len({who for *_, who in log}) == 4


def test_requests_to_one_wiki_are_spaced_by_the_interval(redis_url):
    log = run_workers(redis_url, "one.wiki", workers=3, times=3, interval=0.05, inside=0.005)
    for (first, left, _), (entered, _, _) in itertools.pairwise(log):
        assert entered >= left  # serial
        assert entered - first >= 0.05, f"entries {entered - first:.3f} s apart"
        assert entered - left >= 0.045  # the space counts from the end of the previous request (ms rounding)


def test_different_wikis_do_not_wait_for_each_other(redis_url):
    slow = WikiGate(redis.Redis.from_url(redis_url), "slow.wiki", interval=5.0)
    other = WikiGate(redis.Redis.from_url(redis_url), "other.wiki", interval=0.3)
    inside_slow = threading.Event()
    release = threading.Event()

    def hold():
        with slow():
            inside_slow.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert inside_slow.wait(5)
        began = time.monotonic()
        with other():  # the slow wiki's lock is held: this one goes ahead anyway
            pass
        with other():  # and only its own interval spaces its requests
            pass
        assert 0.25 <= time.monotonic() - began < 1.5
    finally:
        release.set()
        holder.join()
    began = time.monotonic()
    with WikiGate(redis.Redis.from_url(redis_url), "third.wiki", interval=5.0)():  # slow.wiki's interval is its own
        pass
    assert time.monotonic() - began < 0.5


def test_a_lock_left_by_a_killed_holder_expires(redis_url, monkeypatch):
    monkeypatch.setattr(gate_module, "HOLD", 0.6)
    dead_client = redis.Redis.from_url(redis_url)
    dead = WikiGate(dead_client, "one.wiki")
    request = dead()
    request.__enter__()  # the worker was killed inside its request: it never leaves the gate
    dead_client.close()
    began = time.monotonic()
    with WikiGate(redis.Redis.from_url(redis_url), "one.wiki")():
        waited = time.monotonic() - began
    assert 0.4 <= waited < 3, f"waited {waited:.2f} s for a lock held {gate_module.HOLD} s"


def test_a_request_that_outlived_its_lock_still_lets_the_next_go(redis_url, monkeypatch):
    monkeypatch.setattr(gate_module, "HOLD", 0.3)
    first = WikiGate(redis.Redis.from_url(redis_url), "one.wiki")
    with first():
        time.sleep(0.5)  # longer than HOLD: the lock expired under it; leaving must not raise
    began = time.monotonic()
    with WikiGate(redis.Redis.from_url(redis_url), "one.wiki")():
        pass
    assert time.monotonic() - began < 0.5


def test_a_lock_left_by_a_dead_process_on_this_host_is_taken_without_waiting_out_its_hold(redis_url):
    """(The gate's token names its holder's process: gate.py's _acquire, uncommitted when written.)"""
    import socket
    import subprocess

    gone = subprocess.Popen(["true"])
    gone.wait()
    client = redis.Redis.from_url(redis_url)
    client.set("wikicourse:wiki:one.wiki:lock", f"{socket.gethostname()}:{gone.pid}:0123abcd", px=90_000)
    began = time.monotonic()
    with WikiGate(client, "one.wiki")():
        waited = time.monotonic() - began
    assert waited < 3, f"waited {waited:.2f} s behind a dead process's lock"


def test_without_its_redis_the_gate_fails_the_fetch_as_an_unavailable_wiki():
    """The request is not sent; the fetch fails like a wiki that is down, so its windows stay pending."""
    gate = WikiGate(redis.Redis(port=1, socket_connect_timeout=1), "unreachable.test")
    with pytest.raises(WikiUnavailable, match="request gate"):
        with gate():
            raise AssertionError("the request went out without the gate")


def test_the_lock_outlives_any_one_request_through_the_gate(redis_url, monkeypatch):
    """A trickled answer ends at the request's deadline; the lock is held until then, so no
    other worker's request to the wiki overlaps it: its hold time comes from the deadline."""
    from support.faults import FaultProxy, trickle
    from support.ports import free_port
    from wikicourse.wiki.transport import REQUEST_DEADLINE

    assert gate_module.HOLD >= REQUEST_DEADLINE + 10  # the defaults, with room to enter and leave
    monkeypatch.setenv("WIKICOURSE_REQUEST_DEADLINE", "1.5")  # an operator's setting moves the hold
    monkeypatch.setattr(gate_module, "MARGIN", 0.5)  # a small margin, to see that it suffices
    with FaultProxy("http://127.0.0.1:9", free_port(18500, 18599)) as wiki:
        wiki.schedule([], then=trickle(every=0.1))
        source = gate_module.gated_sources(redis_url, 0.0)(wiki.api_url)
        source.retry.max_attempts = 1
        assert (source.transport.deadline, source.transport.gate.hold) == (1.5, 2.0)
        client = redis.Redis.from_url(redis_url)
        key = f"wikicourse:wiki:127.0.0.1:{wiki.port}:lock"
        ttls: list[int] = []
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                ttls.append(client.pttl(key))
                time.sleep(0.02)

        watcher = threading.Thread(target=watch)
        watcher.start()
        began = time.monotonic()
        try:
            with pytest.raises(WikiUnavailable, match="no full answer within 1.5 s"):
                source.canonical_usernames(["Somebody"])
        finally:
            took = time.monotonic() - began
            done.set()
            watcher.join()
            source.close()
        assert 1.5 <= took < 1.9, f"the request took {took:.2f} s"
        held = [t for t in ttls if t != -2]  # -2: no lock (before the request, after it)
        assert held and min(held) > 0, "the lock expired under its request"
        assert client.pttl(key) == -2  # released when the request ended
        client.close()


def test_a_private_wikis_gate_names_it_without_its_credentials():
    """A wiki's gate is its host's: the credentials of its API URL are in neither its Redis
    keys nor the error a failing gate gives."""
    source = gate_module.gated_sources("redis://:Red1s-secret@127.0.0.1:1/0", 0.0)(
        "http://bot:Wiki-secret@127.0.0.1:1/api.php")
    try:
        gate = source.transport.gate
        assert (gate.wiki, gate.next_key) == ("127.0.0.1:1", "wikicourse:wiki:127.0.0.1:1:next")
        with pytest.raises(WikiUnavailable) as failed:
            source.canonical_usernames(["Ann"])
        assert "request gate" in str(failed.value) and "secret" not in str(failed.value)
    finally:
        source.close()
