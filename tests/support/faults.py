"""A loopback HTTP proxy in front of a wiki that misbehaves on a schedule, for retry tests."""
from __future__ import annotations

import base64
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterable


@dataclass(frozen=True)
class Fault:
    """What the proxy does with one request instead of passing it on."""

    kind: str  # "status", "maxlag", "hang", "drop", "trickle", "trickle_headers", "huge" or "pass"
    status: int = 200
    retry_after: str | None = None
    seconds: float = 0.0  # hang: how long before passing the request on; trickle: between two bytes
    lag: int = 5  # maxlag: the lag the error reports
    size: int = 0  # huge: the body's length
    declared: bool = False  # huge: with a Content-Length header


PASS = Fault("pass")


def status(code: int, retry_after: str | None = None) -> Fault:
    return Fault("status", status=code, retry_after=retry_after)


def maxlag(lag: int = 5, retry_after: str | None = "5") -> Fault:
    """MediaWiki's answer to a request whose maxlag the replicas exceed: HTTP 200, an error code, Retry-After."""
    return Fault("maxlag", lag=lag, retry_after=retry_after)


def hang(seconds: float) -> Fault:
    return Fault("hang", seconds=seconds)


def drop() -> Fault:
    """Close the connection without an answer."""
    return Fault("drop")


def trickle(every: float = 0.2, headers: bool = False) -> Fault:
    """Answer one byte every `every` seconds for ever (until the client leaves): in the body, after
    prompt headers that promise a small JSON answer, or in the headers themselves."""
    return Fault("trickle_headers" if headers else "trickle", seconds=every)


def huge(size: int, declared: bool = False) -> Fault:
    """A 200 answer of `size` bytes of JSON (blanks, then {}), sent as fast as the client reads it;
    with a Content-Length header if `declared`, else ended by closing the connection."""
    return Fault("huge", size=size, declared=declared)


class FaultProxy:
    """Serves 127.0.0.1:`port`, answering request n with the n-th scheduled fault, then with `then`.

    With `credentials` (user, password) set, it is a private wiki behind HTTP basic auth: a
    request without them is answered 401 (and counted in `refused`), before any fault."""

    credentials: tuple[str, str] | None = None
    refused = 0

    def __init__(self, upstream: str, port: int) -> None:
        self.upstream = upstream.rstrip("/")
        self.port = port
        self.requests: list[str] = []  # path and query of every request received
        self.sent = 0  # bytes of the trickled and huge answers sent
        self.served = 0  # requests whose handling ended (the client may have left first)
        self._schedule: list[Fault] = []
        self._then = PASS
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api.php"

    @property
    def request_count(self) -> int:
        return len(self.requests)

    def schedule(self, faults: Iterable[Fault], then: Fault = PASS) -> None:
        """Replace the schedule and forget earlier requests."""
        with self._lock:
            self._schedule = list(faults)
            self._then = then
            self.requests = []

    def _next(self, path: str) -> Fault:
        with self._lock:
            self.requests.append(path)
            return self._schedule.pop(0) if self._schedule else self._then

    def close(self) -> None:
        self._closing.set()  # cuts hangs short
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # quiet test output
                pass

            def do_GET(self) -> None:
                self._serve(None)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                self._serve(self.rfile.read(length))

            def _serve(self, body: bytes | None) -> None:
                if proxy.credentials and self.headers.get("Authorization") != _basic(*proxy.credentials):
                    proxy.refused += 1
                    self._answer(401, b"<html>who are you?</html>", "text/html", None)
                    return
                fault = proxy._next(self.path)
                try:
                    if fault.kind == "status":
                        self._answer(fault.status, b"<html>trouble</html>", "text/html", fault.retry_after)
                    elif fault.kind == "maxlag":
                        error = {"error": {"code": "maxlag", "info": f"Waiting for db: {fault.lag} seconds lagged.",
                                           "host": "db", "lag": fault.lag, "type": "db"}}
                        self._answer(200, json.dumps(error).encode(), "application/json", fault.retry_after)
                    elif fault.kind == "drop":
                        self.close_connection = True
                        self.connection.close()
                    elif fault.kind in ("trickle", "trickle_headers"):
                        self._trickle(fault)
                    elif fault.kind == "huge":
                        self._huge(fault)
                    else:
                        if fault.kind == "hang" and proxy._closing.wait(fault.seconds):
                            return
                        self._forward(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up first, as a timing-out client does
                finally:
                    with proxy._lock:
                        proxy.served += 1

            def _send_counted(self, data: bytes) -> None:
                self.wfile.write(data)
                with proxy._lock:
                    proxy.sent += len(data)

            def _trickle(self, fault: Fault) -> None:
                self.close_connection = True
                if fault.kind == "trickle":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", "1000")
                    self.end_headers()
                else:
                    self._send_counted(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                while not proxy._closing.wait(fault.seconds):
                    self._send_counted(b" ")

            def _huge(self, fault: Fault) -> None:
                self.close_connection = True
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                if fault.declared:
                    self.send_header("Content-Length", str(fault.size))
                else:
                    self.send_header("Connection", "close")
                self.end_headers()
                block = b" " * 65536
                left = fault.size - 2
                while left > 0 and not proxy._closing.is_set():
                    self._send_counted(block[:left])
                    left -= len(block)
                self._send_counted(b"{}")

            def _upstream(self, body: bytes | None):
                """The wiki's answer to the request: (status, headers, payload)."""
                request = urllib.request.Request(proxy.upstream + self.path, data=body, method=self.command)
                for name in ("Content-Type", "User-Agent", "Accept-Encoding"):
                    if name in self.headers:
                        request.add_header(name, self.headers[name])
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        return response.status, response.headers, response.read()
                except urllib.error.HTTPError as exc:
                    return exc.code, exc.headers, exc.read()

            def _forward(self, body: bytes | None) -> None:
                code, headers, payload = self._upstream(body)
                self.send_response(code)
                for name in ("Content-Type", "Content-Encoding", "Retry-After"):
                    if headers.get(name):
                        self.send_header(name, headers[name])
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _answer(self, code: int, payload: bytes, content_type: str, retry_after: str | None) -> None:
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                if retry_after is not None:
                    self.send_header("Retry-After", retry_after)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        return Handler


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class CountingProxy(FaultProxy):
    """A FaultProxy that notes how many requests it held at once (docs/workers.md: requests to a wiki
    are serial) and for how long it held any (`busy`, in seconds)."""

    def __init__(self, upstream: str, port: int) -> None:
        self.in_flight = self.max_in_flight = 0
        self.busy = 0.0
        self._since = 0.0
        self._count_lock = threading.Lock()
        super().__init__(upstream, port)

    def busy_now(self) -> float:
        """`busy`, with the request held right now counted so far."""
        with self._count_lock:
            return self.busy + (time.perf_counter() - self._since if self.in_flight else 0.0)

    def reset_counts(self) -> None:
        with self._count_lock:
            self.max_in_flight, self.busy = self.in_flight, 0.0
            self._since = time.perf_counter()

    def _serve_counted(self, serve) -> None:
        with self._count_lock:
            if self.in_flight == 0:
                self._since = time.perf_counter()
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            serve()
        finally:
            with self._count_lock:
                self.in_flight -= 1
                if self.in_flight == 0:
                    self.busy += time.perf_counter() - self._since

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        base = super()._handler()
        proxy = self

        class Handler(base):
            def _serve(self, body: bytes | None) -> None:
                proxy._serve_counted(lambda: base._serve(self, body))

        return Handler
