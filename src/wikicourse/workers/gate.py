"""Requests to one wiki, serial and spaced across every worker on every machine.

Wikimedia asks API clients for serial requests per wiki. Within one process the Transport's
lock gives that; across workers a Redis lock per wiki does, and a key that lives for
`interval` seconds after each request spaces them (a rate limit of 1/interval per wiki).
The lock's token names its holder's process, so a worker killed while holding it is seen at
once on the same host (elsewhere the lock expires after HOLD seconds).
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator
from urllib.parse import urlsplit
from uuid import uuid4

import redis
from redis.exceptions import LockError

from ..sources import RevisionSource, open_source
from ..update.cycle import SourceFactory
from ..update.runs import process_gone, this_holder

HOLD = 90.0  # seconds a lock outlives a killed holder: above any one request (30 s timeout)


class WikiGate:
    def __init__(self, client: redis.Redis, wiki: str, interval: float = 0.0):
        self.client = client
        self.interval = interval
        self.next_key = f"wikicourse:wiki:{wiki}:next"
        self.lock = client.lock(f"wikicourse:wiki:{wiki}:lock", timeout=HOLD, thread_local=False)

    @contextmanager
    def __call__(self) -> Iterator[None]:
        self._acquire()
        try:
            wait_ms = self.client.pttl(self.next_key)
            if wait_ms > 0:
                time.sleep(wait_ms / 1000)
            yield
        finally:
            if self.interval > 0:
                self.client.set(self.next_key, 1, px=max(1, int(self.interval * 1000)))
            try:
                self.lock.release()
            except LockError:
                pass  # held past HOLD: it had expired, and another request may already be on its way


    def _acquire(self) -> None:
        token = f"{this_holder()}:{uuid4().hex}".encode()
        while not self.lock.acquire(blocking=True, blocking_timeout=1.0, token=token):
            held = self.client.get(self.lock.name)
            if held and process_gone(held.decode().rsplit(":", 1)[0]):
                try:  # compare-and-delete: only that dead holder's token
                    self.lock.do_release(held)
                except LockError:
                    pass


def gated_sources(client: redis.Redis, interval: float) -> SourceFactory:
    """Open sources whose every request to a live wiki passes that wiki's gate."""
    def open_gated(api_url: str) -> RevisionSource:
        return open_source(api_url, gate=WikiGate(client, urlsplit(api_url).netloc, interval))

    return open_gated
