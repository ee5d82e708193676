"""Action API calls: request parameters, response and error parsing, continuation."""
from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Any, Iterable, Iterator, Mapping

import httpx

from wikicourse.errors import WikiAPIError, WikiError
from wikicourse.wiki.retry import Retry, RetryPolicy
from wikicourse.wiki.transport import Answer, TooLarge, TooSlow, Transport

log = logging.getLogger(__name__)

Params = Mapping[str, str | int]

# API error codes that describe a passing state of the wiki rather than a bad request.
RETRYABLE_CODES = frozenset({"maxlag", "ratelimited", "readonly"})


def join_values(values: Iterable[str]) -> str:
    """A multi-value parameter; values containing "|" switch to the API's U+001F separator."""
    values = list(values)
    if any("|" in value for value in values):
        return "\x1f" + "\x1f".join(values)
    return "|".join(values)


def flag(item: Mapping[str, Any], key: str) -> bool:
    """A boolean in either format: formatversion 2 sends true/false, 1 sends "" when true and nothing when false."""
    return key in item and item[key] is not False


def pages_of(query: Mapping[str, Any]) -> list[dict[str, Any]]:
    """query.pages, a list in formatversion 2 and an object keyed by page id in 1."""
    pages = query.get("pages", [])
    return list(pages.values()) if isinstance(pages, dict) else list(pages)


@contextmanager
def parsing(wiki: str, what: str) -> Iterator[None]:
    """Report an answer of unexpected shape as a WikiError, not a KeyError from deep inside."""
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise WikiError(f"{wiki} answered {what} in an unexpected shape ({type(exc).__name__}: {exc})") from None


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _retry_after(response: Answer) -> float | None:
    # Only the seconds form: MediaWiki and Wikimedia's front ends do not send HTTP dates here.
    return _number(response.headers.get("Retry-After"))


class ActionAPI:
    """One wiki's api.php, called with retries; every failure comes out as a WikiError."""

    def __init__(
        self,
        transport: Transport,
        retry: RetryPolicy,
        *,
        maxlag: int | None = 5,
        formatversion: int = 2,
    ) -> None:
        if formatversion not in (1, 2):
            raise ValueError(f"formatversion must be 1 or 2, not {formatversion!r}")
        self.transport = transport
        self.retry = retry
        self.maxlag = maxlag
        self.formatversion = formatversion

    @property
    def wiki(self) -> str:
        return self.transport.wiki

    def build(self, params: Params) -> dict[str, str]:
        """The full parameter set of a request: the caller's plus format, formatversion and maxlag."""
        full = {"format": "json", "formatversion": str(self.formatversion)}
        if self.maxlag is not None:
            full["maxlag"] = str(self.maxlag)
        full.update((key, str(value)) for key, value in params.items())
        return full

    def call(self, params: Params) -> dict[str, Any]:
        """One request (with retries); raises WikiAPIError on an API error code."""
        full = self.build(params)
        return self.retry.run(lambda: self._attempt(full), self.wiki)

    def query(self, params: Params) -> Iterator[dict[str, Any]]:
        """action=query, following continuation: one result per response.

        Each request is the original one plus the last `continue` object, as the API asks.
        """
        base = {**params, "action": "query"}
        cont: dict[str, Any] = {}
        while True:
            result = self.call({**base, **cont})
            yield result
            if "continue" not in result:
                return
            if result["continue"] == cont:
                # A single item larger than the wiki's result size limit comes back as the same
                # continuation forever.
                raise WikiError(f"{self.wiki} returned the same continuation twice; giving up on this query")
            cont = result["continue"]

    def _attempt(self, params: dict[str, str]) -> dict[str, Any]:
        try:
            response = self.transport.send(params, within=self.retry.remaining())
        except TooSlow as exc:  # a trickle: as a timeout, worth another try within the fetch budget
            raise Retry(str(exc)) from None
        except TooLarge as exc:  # the same question gets the same answer: not retried
            raise WikiError(f"{self.wiki} sent an answer larger than {exc.limit / 2**20:g} MB; stopped reading it"
                            " (the limit of one answer: $WIKICOURSE_MAX_RESPONSE_MB)") from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise WikiError(f"{self.wiki}: cannot use API URL {self.transport.api_url!r}: {exc}") from None
        except httpx.TimeoutException:
            raise Retry("the wiki stopped answering (a read timed out)") from None
        except httpx.TransportError as exc:
            raise Retry(f"connection failed: {type(exc).__name__}: {exc}") from None
        except httpx.HTTPError as exc:
            raise WikiError(f"{self.wiki}: request failed: {type(exc).__name__}: {exc}") from None

        status = response.status_code
        if status == 429 or status >= 500:
            raise Retry(f"HTTP {status} {response.reason_phrase}", _retry_after(response))
        if status >= 400:
            raise WikiError(f"{self.wiki} answered HTTP {status} {response.reason_phrase} for {self.transport.api_url}")
        try:
            data = response.json()
        except ValueError:
            raise WikiError(
                f"{self.wiki} did not answer with Action API JSON; is {self.transport.api_url} its api.php?"
            ) from None
        if not isinstance(data, dict):
            raise WikiError(f"{self.wiki} answered with unexpected JSON: {str(data)[:80]}")

        error = data.get("error")
        if error is not None:
            code = str(error.get("code", "unknown"))
            info = " ".join(str(error.get("info", error.get("*", ""))).split())
            if code in RETRYABLE_CODES:
                # maxlag answers carry Retry-After; the lag itself is the fallback hint.
                hint = _retry_after(response)
                if hint is None and code == "maxlag":
                    hint = _number(error.get("lag"))
                raise Retry(f"API error {code}: {info}", hint)
            raise WikiAPIError(code, info)
        if "warnings" in data:
            log.debug("%s warned: %s", self.wiki, data["warnings"])
        return data
