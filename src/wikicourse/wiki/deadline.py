"""An overall deadline for one HTTP exchange, however slowly its bytes come.

httpx's timeouts apply to each read: a wiki that sends a byte every few seconds, in its
headers or its body, never times out. When the time is up, a timer shuts the exchange's
socket down; the read blocked on it returns at once and httpx raises. The sockets come from
httpcore's `trace` extension (its connect_tcp and start_tls steps), so any httpx transport
built on httpcore is covered; another (a test's MockTransport) is not, and the body loop's
own look at the clock (`passed`) still ends a trickled body there.
"""
from __future__ import annotations

import socket
import threading
import time
import weakref
from contextlib import contextmanager
from typing import Any, Iterator


class Deadline:
    """The deadline of one client's exchanges, one after the other: pass `trace` as the request's
    trace extension, and run each exchange inside `running(seconds)`."""

    def __init__(self) -> None:
        self._sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._ends = float("inf")
        self._exchange = 0  # which exchange is running: a late timer of an earlier one does nothing
        self.expired = False

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's trace callback: notes the socket of each connection it opens."""
        stream = info.get("return_value")
        if not event.endswith(".complete") or not hasattr(stream, "get_extra_info"):
            return
        sock = stream.get_extra_info("socket")
        if sock is None:
            return
        with self._lock:
            self._sockets.add(sock)
            late = self.expired  # connected just as the time ran out
        if late:
            _shut(sock)

    @contextmanager
    def running(self, seconds: float) -> Iterator[None]:
        with self._lock:
            self._exchange += 1
            self.expired = False
            self._ends = time.monotonic() + seconds
            exchange = self._exchange
        timer = threading.Timer(seconds, self._expire, args=(exchange,))
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()
            with self._lock:
                self._exchange += 1
                self._ends = float("inf")

    def passed(self) -> bool:
        """Is the running exchange past its deadline?"""
        return self.expired or time.monotonic() >= self._ends

    def _expire(self, exchange: int) -> None:
        with self._lock:
            if exchange != self._exchange:
                return
            self.expired = True
            sockets = list(self._sockets)
        # Every socket of the client: its exchanges are serial, so the others are idle ones,
        # which the pool then finds closed and drops.
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # closed already, or handed over to TLS (that socket is noted too)
