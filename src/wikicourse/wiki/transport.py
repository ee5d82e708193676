"""The HTTP side of one wiki: a pooled httpx client with a descriptive User-Agent, and a request counter;
every answer read in full within a deadline and a size limit."""
from __future__ import annotations

import json
import threading
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Callable, Mapping
from urllib.parse import urlencode

import httpx

import wikicourse
from wikicourse.redact import host
from wikicourse.wiki.deadline import Deadline

# Wikimedia's User-Agent policy asks for a name, a version and a way to reach the operator.
CONTACT = "https://github.com/wikicourse/wikicourse; wikicourse@example.org"

# Long GET URLs (50 usernames, percent-encoded) can exceed what front-end caches accept;
# the Action API takes the same parameters as a POST form.
MAX_GET_URL = 7000

# The longest one request may take, its answer read in full ($WIKICOURSE_REQUEST_DEADLINE):
# the timeout (30 s) applies to each read, which a trickling wiki resets byte by byte.
REQUEST_DEADLINE = 120.0
# The largest answer read ($WIKICOURSE_MAX_RESPONSE_MB). MediaWiki caps a result at 8 MiB
# ($wgAPIMaxResultSize), which JSON's escapes can make a few times larger; parsing costs
# about three times the answer's size in memory.
MAX_RESPONSE_BYTES = 32 * 2**20

# Held around each request: a gate shared by every process that asks the same wiki (the
# workers' Redis gate) keeps their requests serial and spaced, as Wikimedia asks.
Gate = Callable[[], AbstractContextManager]


class TooSlow(Exception):
    """The answer did not come in full within the request's deadline."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no full answer within {seconds:g} s")
        self.seconds = seconds


class TooLarge(Exception):
    """The answer is larger than the transport reads."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the answer is larger than {limit / 2**20:g} MB")
        self.limit = limit


@dataclass(frozen=True)
class Answer:
    """A wiki's answer, read in full."""

    status_code: int
    reason_phrase: str
    headers: httpx.Headers
    content: bytes | bytearray

    def json(self) -> Any:
        return json.loads(self.content)


def default_user_agent() -> str:
    return f"wikicourse/{wikicourse.__version__} ({CONTACT}) httpx/{httpx.__version__}"


class Transport:
    """Sends one HTTP request per call to a wiki's api.php; retries are the caller's business.

    Requests through one Transport are serial; `gate`, if given, is entered around each one too.
    `timeout` bounds each read, `deadline` the whole request (the gate's wait aside), and
    `max_bytes` the answer's body, which is streamed and dropped past it."""

    def __init__(
        self,
        api_url: str,
        *,
        user_agent: str | None = None,
        timeout: float = 30.0,
        deadline: float = REQUEST_DEADLINE,
        max_bytes: int = MAX_RESPONSE_BYTES,
        transport: httpx.BaseTransport | None = None,
        gate: Gate | None = None,
    ) -> None:
        self.api_url = api_url
        self.gate = gate
        # The wiki's name in messages: its host (and port, for a local test wiki), never its credentials.
        self.wiki = host(api_url) or api_url
        self.timeout = timeout
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.request_count = 0
        # Wikimedia asks for serial requests per wiki, even if a caller shares the source.
        self._lock = threading.Lock()
        self._deadline = Deadline()
        self._client = httpx.Client(
            headers={"User-Agent": user_agent or default_user_agent()},
            timeout=timeout,
            follow_redirects=True,
            transport=transport,
        )

    def send(self, params: Mapping[str, str], within: float | None = None) -> Answer:
        """One attempt, answered in full within the deadline (or `within` seconds, if sooner).

        Raises TooSlow and TooLarge; httpx exceptions pass through for the caller to classify."""
        with self._lock, (self.gate() if self.gate else nullcontext()):
            # Counted before sending: an attempt that times out still cost the wiki a request.
            self.request_count += 1
            seconds = self.deadline if within is None else max(min(self.deadline, within), 0.001)
            with self._deadline.running(seconds):
                try:
                    return self._exchange(params, seconds)
                except httpx.TransportError:
                    if self._deadline.passed():  # the timer cut the connection
                        raise TooSlow(seconds) from None
                    raise

    def _exchange(self, params: Mapping[str, str], seconds: float) -> Answer:
        if len(self.api_url) + len(urlencode(params)) > MAX_GET_URL:
            request: dict[str, Any] = dict(method="POST", data=dict(params))
        else:
            request = dict(method="GET", params=dict(params))
        with self._client.stream(url=self.api_url, timeout=min(self.timeout, seconds),
                                 extensions={"trace": self._deadline.trace}, **request) as response:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise TooLarge(self.max_bytes)
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > self.max_bytes:
                    raise TooLarge(self.max_bytes)  # leaving the stream closes the connection
                if self._deadline.passed():
                    raise TooSlow(seconds)
            return Answer(response.status_code, response.reason_phrase, response.headers, body)

    def close(self) -> None:
        self._client.close()
