"""What every source of revisions (a live wiki, a bundled export) offers the update cycle."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Iterator, Mapping, Protocol, Sequence

# Namespaces whose edits count (docs/metrics.md): main, User, Draft.
NS_MAIN, NS_USER, NS_DRAFT = 0, 2, 118
# What a wiki's shared store holds by default; a course may count more (wikicourse.namespaces).
STORE_NAMESPACES = TRACKED_NAMESPACES = (NS_MAIN, NS_USER, NS_DRAFT)
NAMESPACE_NAMES = {NS_MAIN: "article", NS_USER: "user", NS_DRAFT: "draft"}  # as the drill-downs show them
_SPACES = re.compile(r"[\s_]+")


def normalize_username(name: str) -> str:
    """MediaWiki's spelling as far as it can be known offline: runs of spaces and underscores
    as one space, first letter upper case (the rest is case-sensitive)."""
    name = _SPACES.sub(" ", name).strip()
    return name[:1].upper() + name[1:]


@dataclass(frozen=True, slots=True)
class Contribution:
    """One visible edit, as list=usercontribs reports it."""

    revid: int
    parentid: int  # 0 when the edit created the page
    pageid: int
    title: str
    namespace: int
    timestamp: datetime  # timezone-aware UTC
    user: str  # canonical username (spaces, first letter upper case)
    sizediff: int  # bytes; for a creation, the page size
    new: bool  # the edit created the page
    userid: int = 0  # the account's id on this wiki (a rename keeps it)
    comment: str | None = None  # the edit summary, asked for on Wikibase wikis only (docs/wikidata.md)


@dataclass(frozen=True, slots=True)
class LogEvent:
    """An entry of a wiki's log that changes its past (docs/wiki-past.md), as list=logevents reports it.

    kind: "move" (title/namespace -> new_title/new_namespace), "delete", "restore",
    "revision" (revision deletion of `rev_ids`), "rename" (user `title` -> `new_title`).
    """

    log_id: int
    timestamp: datetime
    kind: str
    page_id: int  # the page the entry was written for (0: none, as for a rename)
    title: str  # the full title ("User:X/sandbox"), or a rename's old user name
    namespace: int
    new_title: str = ""
    new_namespace: int | None = None
    rev_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class PageEdit:
    """One visible revision of a page by an account: who and when (prop=revisions)."""

    user: str
    timestamp: datetime


class RevisionSource(Protocol):
    """A wiki's revisions. Implementations: wikicourse.wiki (Action API), sources.dump (XML export)."""

    request_count: int  # requests sent so far (0 for offline sources)

    def canonical_usernames(self, names: Sequence[str]) -> dict[str, str | None]:
        """Map each given name to the wiki's canonical spelling, or None if no such account."""

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
        """Visible edits of `users` (at most 50) with start <= timestamp < end, in pages.

        Grouped by user, each user's edits oldest first (the order of usercontribs with
        ucdir=newer). Raises WikiError when the wiki fails; pages already yielded stand.
        Raises AccountRenamed if a name of `must_exist` (name -> account id) has no account
        any more: a wiki answers no edits for a renamed user's old name, which must not
        pass for none. With `comments`, each edit's summary too (no request more).
        """

    def wikibase(self) -> bool:
        """Whether the wiki is a Wikibase repository (docs/wikidata.md#detection)."""

    def reference_counts(self, revids: Sequence[int]) -> dict[int, int]:
        """refs(text) of each revision's main slot; revisions whose text is gone are left out."""

    def log_events(self, since: datetime) -> list[LogEvent]:
        """The moves, deletions, restores, revision deletions and user renames logged at
        `since` or later, oldest first (every other log entry is left out)."""

    def page_edits(self, title: str, since: datetime) -> tuple[int, list[PageEdit]]:
        """A page's id (0 if there is no such page) and its visible revisions by accounts
        from `since` on, oldest first."""

    def close(self) -> None: ...
