"""The HTTP side of one wiki: a pooled httpx client with a descriptive User-Agent, and a request counter."""
from __future__ import annotations

import threading
from contextlib import AbstractContextManager, nullcontext
from typing import Callable, Mapping
from urllib.parse import urlencode, urlsplit

import httpx

import wikicourse

# Wikimedia's User-Agent policy asks for a name, a version and a way to reach the operator.
CONTACT = "https://github.com/wikicourse/wikicourse; wikicourse@example.org"

# Long GET URLs (50 usernames, percent-encoded) can exceed what front-end caches accept;
# the Action API takes the same parameters as a POST form.
MAX_GET_URL = 7000

# Held around each request: a gate shared by every process that asks the same wiki (the
# workers' Redis gate) keeps their requests serial and spaced, as Wikimedia asks.
Gate = Callable[[], AbstractContextManager]


def default_user_agent() -> str:
    return f"wikicourse/{wikicourse.__version__} ({CONTACT}) httpx/{httpx.__version__}"


class Transport:
    """Sends one HTTP request per call to a wiki's api.php; retries are the caller's business.

    Requests through one Transport are serial; `gate`, if given, is entered around each one too."""

    def __init__(
        self,
        api_url: str,
        *,
        user_agent: str | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        gate: Gate | None = None,
    ) -> None:
        self.api_url = api_url
        self.gate = gate
        # The wiki's name in messages: its host (and port, for a local test wiki), never its credentials.
        self.wiki = urlsplit(api_url).netloc.rpartition("@")[2] or api_url
        self.timeout = timeout
        self.request_count = 0
        # Wikimedia asks for serial requests per wiki, even if a caller shares the source.
        self._lock = threading.Lock()
        self._client = httpx.Client(
            headers={"User-Agent": user_agent or default_user_agent()},
            timeout=timeout,
            follow_redirects=True,
            transport=transport,
        )

    def send(self, params: Mapping[str, str]) -> httpx.Response:
        """One attempt; httpx exceptions pass through for the caller to classify."""
        with self._lock, (self.gate() if self.gate else nullcontext()):
            # Counted before sending: an attempt that times out still cost the wiki a request.
            self.request_count += 1
            if len(self.api_url) + len(urlencode(params)) > MAX_GET_URL:
                return self._client.post(self.api_url, data=dict(params))
            return self._client.get(self.api_url, params=dict(params))

    def close(self) -> None:
        self._client.close()
