"""Requests to one wiki, serial and spaced across every worker on every machine.

Wikimedia asks API clients for serial requests per wiki. Within one process the Transport's
lock gives that; across workers a Redis lock per wiki does, and a key that lives for
`interval` seconds after each request spaces them (a rate limit of 1/interval per wiki).
The lock's token names its holder's process, so a worker killed while holding it is seen at
once on the same host (elsewhere the lock expires after its hold time, which is longer than
any one request may take: the request's deadline and a margin).
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator
from uuid import uuid4

import redis
from redis.exceptions import LockError, RedisError

from .. import settings
from ..errors import WikiUnavailable
from .. import redact
from ..sources import RevisionSource
from ..wiki.transport import REQUEST_DEADLINE
from ..wikis import open_source
from ..update.cycle import SourceFactory
from ..update.runs import process_gone, this_holder

# A request ends by its deadline (wiki.deadline cuts it); the margin covers entering and
# leaving the gate, so a live holder's lock never expires under its request.
MARGIN = 30.0


def hold_time(deadline: float) -> float:
    """Seconds a lock outlives a killed holder: above any one request."""
    return deadline + MARGIN


HOLD = hold_time(REQUEST_DEADLINE)


class WikiGate:
    """`hold`: the lock's lifetime (default HOLD), above the deadline of the requests it guards."""

    def __init__(self, client: redis.Redis, wiki: str, interval: float = 0.0, hold: float | None = None):
        self.client = client
        self.wiki = wiki
        self.interval = interval
        self.hold = HOLD if hold is None else hold
        self.next_key = f"wikicourse:wiki:{wiki}:next"
        self.lock = client.lock(f"wikicourse:wiki:{wiki}:lock", timeout=self.hold, thread_local=False)

    @contextmanager
    def __call__(self) -> Iterator[None]:
        try:
            self._acquire()
            wait_ms = self.client.pttl(self.next_key)
            if wait_ms > 0:
                time.sleep(wait_ms / 1000)
                self.lock.extend(self.hold, replace_ttl=True)  # the wait must not eat the request's share
        except RedisError as exc:  # no request without the gate: this fetch fails, its windows stay marked
            raise WikiUnavailable(f"{self.wiki}: the workers' request gate (Redis) failed: {exc}") from None
        try:
            yield
        finally:
            try:
                if self.interval > 0:
                    self.client.set(self.next_key, 1, px=max(1, int(self.interval * 1000)))
            except RedisError:
                pass  # the next request comes a little early: better than a lock held for its hold time
            finally:
                try:
                    self.lock.release()
                except (LockError, RedisError):
                    pass  # expired (held past its hold time) or unreachable: it expires by itself

    def _acquire(self) -> None:
        token = f"{this_holder()}:{uuid4().hex}".encode()
        while not self.lock.acquire(blocking=True, blocking_timeout=1.0, token=token):
            held = self.client.get(self.lock.name)
            if held and process_gone(held.decode().rsplit(":", 1)[0]):
                try:  # compare-and-delete: only that dead holder's token
                    self.lock.do_release(held)
                except LockError:
                    pass


def gated_sources(redis_url: str, interval: float) -> SourceFactory:
    """Open sources whose every request to a live wiki passes that wiki's gate."""
    # Timeouts: a Redis that stops answering fails the fetch instead of hanging the update.
    client = redis.Redis.from_url(redis_url, socket_timeout=10, socket_connect_timeout=5)

    def open_gated(api_url: str) -> RevisionSource:
        hold = hold_time(settings.wiki_limits().get("deadline", REQUEST_DEADLINE))
        host = redact.host(api_url)  # the gate's key: never the URL's credentials
        return open_source(api_url, gate=WikiGate(client, host, interval, hold))

    return open_gated
