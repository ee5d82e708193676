"""MediaWikiSource: a live wiki's revisions through its Action API, as the update cycle asks for them."""
from __future__ import annotations

import time
from datetime import datetime
from typing import Callable, Iterator, Mapping, Sequence

import httpx

from wikicourse.redact import without_credentials
from wikicourse.sources.base import TRACKED_NAMESPACES, Contribution, LogEvent, PageEdit
from wikicourse.wiki import contents, history, logevents, uploads, usercontribs
from wikicourse.wiki import users as accounts
from wikicourse.wiki.api import ActionAPI, parsing
from wikicourse.wiki.retry import FETCH_BUDGET, RetryPolicy
from wikicourse.wiki.transport import MAX_RESPONSE_BYTES, REQUEST_DEADLINE, Gate, Transport


class MediaWikiSource:
    """A RevisionSource over one wiki's api.php; every failure it raises is a WikiError.

    `uclimit` (default "max") sets usercontribs' batch size; small values exist for tests
    of continuation. `transport` replaces httpx's network transport (tests, proxies);
    `gate` is entered around every request (see Transport). `deadline` bounds each request,
    answer included; `fetch_budget` every request of the source (their seconds and retry waits, summed);
    `max_bytes` each answer.
    """

    def __init__(
        self,
        api_url: str,
        *,
        user_agent: str | None = None,
        timeout: float = 30.0,
        deadline: float = REQUEST_DEADLINE,
        max_attempts: int = 5,
        budget: float = 300.0,
        fetch_budget: float = FETCH_BUDGET,
        max_bytes: int = MAX_RESPONSE_BYTES,
        maxlag: int | None = 5,
        formatversion: int = 2,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        uclimit: int | str = "max",
        gate: Gate | None = None,
    ) -> None:
        self.api_url = api_url
        self.uclimit = uclimit
        self.transport = Transport(api_url, user_agent=user_agent, timeout=timeout, deadline=deadline,
                                   max_bytes=max_bytes, transport=transport, gate=gate)
        self.retry = RetryPolicy(max_attempts=max_attempts, budget=budget, fetch_budget=fetch_budget, sleep=sleep)
        self.api = ActionAPI(self.transport, self.retry, maxlag=maxlag, formatversion=formatversion)

    @property
    def wiki(self) -> str:
        return self.transport.wiki

    @property
    def request_count(self) -> int:
        """HTTP requests sent so far, each retry included."""
        return self.transport.request_count

    @request_count.setter
    def request_count(self, value: int) -> None:
        self.transport.request_count = value

    def canonical_usernames(self, names: Sequence[str]) -> dict[str, str | None]:
        return accounts.canonical_usernames(self.api, names)

    def namespace_names(self) -> dict[str, int]:
        """The wiki's namespaces (meta=siteinfo): local and canonical names and aliases -> number,
        each namespace's local name first; main space is ''. One request."""
        query = self.api.call({"action": "query", "meta": "siteinfo", "siprop": "namespaces|namespacealiases"})
        query = query.get("query", {})
        names: dict[str, int] = {}
        spaces = query.get("namespaces", {})
        for item in spaces.values() if isinstance(spaces, dict) else spaces:
            for key in ("name", "canonical", "*"):
                if isinstance(item.get(key), str):
                    names.setdefault(item[key], int(item["id"]))
        for alias in query.get("namespacealiases", []):
            text = alias.get("alias", alias.get("*"))
            if isinstance(text, str):
                names.setdefault(text, int(alias["id"]))
        return names

    def contributions(
        self,
        users: Sequence[str],
        start: datetime,
        end: datetime,
        namespaces: Sequence[int] = TRACKED_NAMESPACES,
        *,
        must_exist: Mapping[str, int] | None = None,
        comments: bool = False,
    ) -> Iterator[list[Contribution]]:
        return usercontribs.contributions(self.api, users, start, end, namespaces, limit=self.uclimit,
                                          must_exist=must_exist, comments=comments)

    def wikibase(self) -> bool:
        """A Wikibase repository's siteinfo has `wikibase-conceptbaseuri` (its RepoHooks add it). One request."""
        answer = self.api.call({"action": "query", "meta": "siteinfo", "siprop": "general"})
        with parsing(self.wiki, "siteinfo"):
            return isinstance(answer["query"]["general"].get("wikibase-conceptbaseuri"), str)

    def reference_counts(self, revids: Sequence[int]) -> dict[int, int]:
        return contents.reference_counts(self.api, revids)

    def log_events(self, since: datetime) -> list[LogEvent]:
        return logevents.log_events(self.api, since)

    def page_edits(self, title: str, since: datetime) -> tuple[int, list[PageEdit]]:
        return history.page_edits(self.api, title, since)

    def upload_log(self, user: str, start: datetime, end: datetime) -> list[uploads.UploadEvent]:
        return uploads.upload_log(self.api, user, start, end)

    def has_global_usage(self) -> bool:
        return uploads.has_global_usage(self.api)

    def file_usage(self, page_ids: Sequence[int], *, global_usage: bool,
                   thumb_width: int) -> dict[int, uploads.FileUsage]:
        return uploads.file_usage(self.api, page_ids, global_usage=global_usage, thumb_width=thumb_width)

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> MediaWikiSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"MediaWikiSource({without_credentials(self.api_url)!r})"
