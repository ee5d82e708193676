"""The real wikis' answers, recorded once and replayed from memory: the live path without the wikis.

Recording runs the benchmark's operations (benchmarks/scenario.py, without changing the
wikis' past) against the two real MediaWikis through httpx transports that keep every
answer; replaying serves the same answers from memory with httpx.MockTransport. So the
replayed updates run all of wikicourse's live code (HTTP client, JSON parsing, retries,
the fetch threads, the writer, the copy, the derivation) while the wikis cost nothing:
what the replay measures is wikicourse alone.

Answers are keyed by the request (wiki, method, parameters): an update asking for
something the recording lacks fails loudly (the code's requests changed: record again,
`run.py --record`).
"""
from __future__ import annotations

import gzip
import json
import threading
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx

from wikicourse.wiki.source import MediaWikiSource

FORMAT = "1"
# Parameters the wall clock sets (the log is read from the course's creation on): an answer
# recorded on another day serves for them (the wikis' logs are quiet over the operations).
CLOCK_PARAMS = frozenset({"lestart", "leend"})


def _key(domain: str, request: httpx.Request) -> str:
    """The wiki, the method and the parameters (query string or form), order-free."""
    params = parse_qsl(urlsplit(str(request.url)).query, keep_blank_values=True)
    if request.method == "POST":
        params += parse_qsl(request.content.decode(), keep_blank_values=True)
    return json.dumps([domain, request.method, sorted(p for p in params if p[0] not in CLOCK_PARAMS)])


def replay_url(domain: str) -> str:
    """The API URL a replayed wiki is registered under (never contacted)."""
    return f"http://{domain}/w/api.php"


class Recording:
    """Answers by request key; a key asked for again with another answer keeps the first one."""

    def __init__(self, answers: dict[str, list] | None = None) -> None:
        self.answers: dict[str, list] = answers or {}  # key -> [status, content type, body text]
        self.misses: list[str] = []
        self._lock = threading.Lock()

    # -- recording ----------------------------------------------------------------------------

    def recorder(self, domain: str) -> httpx.BaseTransport:
        recording = self

        class Recorder(httpx.HTTPTransport):
            def handle_request(self, request: httpx.Request) -> httpx.Response:
                response = super().handle_request(request)
                body = response.read()
                with recording._lock:
                    recording.answers.setdefault(_key(domain, request), [
                        response.status_code, response.headers.get("content-type", ""), body.decode()])
                return httpx.Response(response.status_code, headers=response.headers, content=body)

        return Recorder()

    def recording_source(self, domain: str, api_url: str) -> MediaWikiSource:
        return MediaWikiSource(api_url, transport=self.recorder(domain))

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        with gzip.open(tmp, "wt") as out:
            json.dump({"format": FORMAT, "answers": self.answers}, out)
        tmp.replace(path)

    # -- replaying ----------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path) -> Recording | None:
        try:
            with gzip.open(path, "rt") as f:
                doc = json.load(f)
        except (OSError, ValueError):
            return None
        if doc.get("format") != FORMAT:
            return None
        # Bodies as bytes once, up front: replaying costs no encoding.
        return cls({k: [s, t, b.encode()] for k, (s, t, b) in doc["answers"].items()})

    def _answer(self, domain: str, request: httpx.Request) -> httpx.Response:
        key = _key(domain, request)
        found = self.answers.get(key)
        if found is None:
            with self._lock:
                self.misses.append(key)
            # Not a wiki error the update would retry or forgive: the replay is out of date.
            raise RuntimeError(f"the recording has no answer to {key[:200]}: record again (run.py --record)")
        status, content_type, body = found
        return httpx.Response(status, headers={"content-type": content_type}, content=body)

    def replaying_source(self, api_url: str) -> MediaWikiSource:
        """A source for a wiki registered under replay_url(domain)."""
        domain = urlsplit(api_url).netloc
        return MediaWikiSource(api_url, transport=httpx.MockTransport(lambda r: self._answer(domain, r)))

    @property
    def bytes(self) -> int:
        return sum(len(b) for _, _, b in self.answers.values())
