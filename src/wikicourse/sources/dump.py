"""An offline RevisionSource over a MediaWiki XML export, reporting what usercontribs would."""
from __future__ import annotations

import bisect
import bz2
import dataclasses
import gzip
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Iterable, Iterator, Mapping, Sequence

from wikicourse.errors import AccountRenamed, InvalidInput, WikiAPIError
from wikicourse.refs import count_refs
from wikicourse.sources.base import TRACKED_NAMESPACES, Contribution, LogEvent, PageEdit, normalize_username

# usercontribs returns at most this many edits per request with uclimit=max.
PAGE_SIZE = 500
# usercontribs takes at most this many names in ucuser.
MAX_USERS = 50

# Used only when a page has no <ns> and the export has no <siteinfo>: Wikipedia's names.
_DEFAULT_NAMESPACES = {
    "talk": 1,
    "user": 2,
    "user talk": 3,
    "project": 4,
    "wikipedia": 4,
    "file": 6,
    "image": 6,
    "mediawiki": 8,
    "template": 10,
    "help": 12,
    "category": 14,
    "portal": 100,
    "draft": 118,
    "draft talk": 119,
}



def canonical_username(name: str) -> str | None:
    """MediaWiki's spelling of a user name; None for what cannot be one (empty, or characters
    no title may hold)."""
    name = normalize_username(name)
    if not name or any(c in name for c in "#<>[]|{}"):
        return None
    return name


@dataclass(slots=True)
class _Rev:
    """A parsed revision before page histories are linked (revid may still be unknown)."""

    revid: int | None
    page: int  # index into DumpSource._pages
    timestamp: datetime
    user: str | None  # None: an IP or a hidden contributor, whom usercontribs never lists
    size: int
    refs: int | None  # None when the text is missing or revision-deleted
    order: int  # document order, to break timestamp ties the way the file lists them
    comment: str = ""  # the edit summary ("" when none, or revision-deleted)


def _local(tag: str) -> str:
    # Namespace-agnostic: exports 0.10 and 0.11 differ only by their xmlns.
    return tag.rpartition("}")[2]


def _utc(t: datetime) -> datetime:
    # Naive datetimes are taken as UTC, like every time in wikicourse.
    return t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t.astimezone(timezone.utc)


class DumpSource:
    """The revisions of one MediaWiki XML export (.xml, .xml.gz, .xml.bz2), parsed once on first use.

    Edits by a list of users come grouped by user in the order the names are given (a
    live wiki groups them by its internal actor id instead: callers must not rely on
    the order of the groups), each user's oldest first.

    `known_users` (or, when omitted, a companion file `<export>.users` with one name a
    line, if present) lists accounts that exist without an edit in the export.
    `deleted_titles` are pages to treat as deleted on the wiki: their edits are hidden,
    as usercontribs hides them after a deletion.
    """

    request_count: int

    def __init__(
        self,
        path: Path | str,
        *,
        known_users: Iterable[str] | None = None,
        deleted_titles: Iterable[str] = (),
    ) -> None:
        self.path = Path(path)
        self.request_count = 0  # offline: never talks to a wiki
        if known_users is None:
            companion = self.path.with_name(self.path.name + ".users")
            known_users = companion.read_text(encoding="utf-8").splitlines() if companion.exists() else ()
        self._extra_users = {c for c in map(canonical_username, known_users) if c}
        self._deleted_titles = set(deleted_titles)
        self._loaded = False
        # Filled by _load():
        self._by_user: dict[str, list[Contribution]] = {}
        self._times_by_user: dict[str, list[datetime]] = {}
        self._refs: dict[int, int] = {}
        self._account_names: set[str] = set()
        self._ids: dict[str, int] = {}  # account name -> user id (an export has none: made up)
        self._pages: list[tuple[int | None, str, int]] = []  # (page id, title, namespace)
        self._ns_names: dict[str, int] = {}
        self._ns_display: dict[str, int] = {}  # the same names as the export spells them
        # The wiki's past changing (change_page): its log, and the deleted pages' edits and refs.
        self._log: list[LogEvent] = []
        self._deleted: dict[int, tuple[list[Contribution], dict[int, int]]] = {}

    # -- RevisionSource -------------------------------------------------------------

    def wikibase(self) -> bool:
        return False  # an export does not say: wiki add --wikibase says it is one

    def namespace_names(self) -> dict[str, int]:
        """The export's namespaces (its <siteinfo>): name -> number; main space is ''."""
        self._load()
        return {"": 0, **(self._ns_display or self._ns_names or _DEFAULT_NAMESPACES)}

    def canonical_usernames(self, names: Sequence[str]) -> dict[str, str | None]:
        self._load()
        result: dict[str, str | None] = {}
        for name in names:
            canonical = canonical_username(name)
            exists = canonical is not None and (canonical in self._account_names or canonical in self._extra_users)
            result[name] = canonical if exists else None
        return result

    def contributions(
        self,
        users: Sequence[str],
        start: datetime,
        end: datetime,
        namespaces: Sequence[int] = TRACKED_NAMESPACES,
        *,
        must_exist: Mapping[str, int] | None = None,
        comments: bool = False,  # an export's edits carry their summaries anyway
    ) -> Iterator[list[Contribution]]:
        if isinstance(users, str):
            raise TypeError("users must be a sequence of names, not one string")
        if len(users) > MAX_USERS:
            # The live API refuses this too; failing here keeps callers honest offline.
            raise WikiAPIError("toomanyvalues", f'Too many values supplied for parameter "ucuser". The limit is {MAX_USERS}.')
        self._load()
        gone = [n for n in must_exist or () if self.canonical_usernames([n])[n] is None]
        if gone:
            raise AccountRenamed(self.path.name, dict.fromkeys(gone))
        start, end = _utc(start), _utc(end)
        wanted_ns = set(namespaces)
        seen: set[str] = set()
        page: list[Contribution] = []
        for name in users:
            user = canonical_username(name)
            if user is None or user in seen:
                continue
            seen.add(user)
            edits = self._by_user.get(user)
            if not edits:
                continue
            times = self._times_by_user[user]
            for c in edits[bisect.bisect_left(times, start) : bisect.bisect_left(times, end)]:
                if c.namespace in wanted_ns:
                    page.append(c)
                    if len(page) == PAGE_SIZE:
                        yield page
                        page = []
        if page:
            yield page

    def reference_counts(self, revids: Sequence[int]) -> dict[int, int]:
        self._load()
        return {r: self._refs[r] for r in revids if r in self._refs}

    def log_events(self, since: datetime) -> list[LogEvent]:
        since = _utc(since)
        return [e for e in self._log if e.timestamp >= since]

    def page_edits(self, title: str, since: datetime) -> tuple[int, list[PageEdit]]:
        self._load()
        since = _utc(since)
        edits = sorted((c for c in self._visible() if c.title == title), key=lambda c: (c.timestamp, c.revid))
        page_id = edits[0].pageid if edits else 0
        return page_id, [PageEdit(c.user, c.timestamp) for c in edits if c.timestamp >= since]

    def close(self) -> None:
        pass

    def __enter__(self) -> DumpSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- beyond the protocol, for tests and tools ----------------------------------------

    def all_contributions(self) -> list[Contribution]:
        """Every visible edit by an account, oldest first (ties by revision id)."""
        self._load()
        every = [c for edits in self._by_user.values() for c in edits]
        every.sort(key=lambda c: (c.timestamp, c.revid))
        return every

    def change_page(self, kind: str, title: str, at: datetime, new_title: str = "") -> LogEvent | None:
        """Change the wiki's past as an admin would, and log it: "move" `title` to `new_title`
        (every revision of the page with it), "delete" it, or "restore" the page deleted
        under `title`. Returns the log entry, or None when there is nothing to change."""
        self._load()
        at = _utc(at)
        if kind == "restore":
            found = [(p, kept) for p, kept in self._deleted.items() if kept[0] and kept[0][0].title == title]
            if not found or any(c.title == title for c in self._visible()):
                return None
            page_id, (edits, refs) = found[0]
            del self._deleted[page_id]
            self._refs.update(refs)
            self._reindex(self._visible() + edits)
            return self._logged("restore", at, page_id, title)
        edits = [c for c in self._visible() if c.title == title]
        if not edits:
            return None
        page_id = edits[0].pageid
        rest = [c for c in self._visible() if c.pageid != page_id]
        if kind == "delete":
            self._deleted[page_id] = (edits, {c.revid: self._refs.pop(c.revid) for c in edits if c.revid in self._refs})
            self._reindex(rest)
            return self._logged("delete", at, page_id, title)
        if kind != "move" or not new_title or any(c.title == new_title for c in rest):
            raise ValueError(f"cannot {kind} {title!r} to {new_title!r}")
        namespace = self._namespace_of(new_title)
        self._reindex(rest + [dataclasses.replace(c, title=new_title, namespace=namespace) for c in edits])
        return self._logged("move", at, page_id, title, new_title=new_title, new_namespace=namespace)

    def _user_id(self, name: str) -> int:
        return self._ids.setdefault(name, len(self._ids) + 1)

    def _visible(self) -> list[Contribution]:
        return [c for edits in self._by_user.values() for c in edits]

    def _reindex(self, contributions: list[Contribution]) -> None:
        by_user: dict[str, list[Contribution]] = {}
        for c in sorted(contributions, key=lambda c: (c.timestamp, c.revid)):
            by_user.setdefault(c.user, []).append(c)
        self._by_user = by_user
        self._times_by_user = {u: [c.timestamp for c in edits] for u, edits in by_user.items()}

    def _namespace_of(self, title: str) -> int:
        prefix, colon, _ = title.partition(":")
        return (self._ns_names or _DEFAULT_NAMESPACES).get(prefix.strip().lower(), 0) if colon else 0

    def _logged(self, kind: str, at: datetime, page_id: int, title: str, **more) -> LogEvent:
        event = LogEvent(log_id=len(self._log) + 1, timestamp=at, kind=kind, page_id=page_id, title=title,
                         namespace=self._namespace_of(title), **more)
        self._log.append(event)
        return event

    # -- parsing --------------------------------------------------------------------

    def _load(self) -> None:
        if self._loaded:
            return
        try:
            revs = self._parse()
        except (ET.ParseError, OSError, EOFError, ValueError) as e:
            raise InvalidInput(f"cannot read MediaWiki export {self.path}: {e}") from e
        self._link(revs)
        self._loaded = True

    def _parse(self) -> list[_Rev]:
        self._pages = []  # a failed earlier attempt may have left some
        opener = {".gz": gzip.open, ".bz2": bz2.open}.get(self.path.suffix, open)
        with opener(self.path, "rb") as f:
            return self._parse_stream(f)

    def _parse_stream(self, f: IO[bytes]) -> list[_Rev]:
        revs: list[_Rev] = []
        ns_names: dict[str, int] = {}
        self._ns_names = ns_names  # filled from <siteinfo> below: titles moved later need it
        root: ET.Element | None = None
        for event, elem in ET.iterparse(f, events=("start", "end")):
            if event == "start":
                if root is None:
                    root = elem
                continue
            tag = _local(elem.tag)
            if tag == "namespaces":
                for n in elem:
                    if n.text:
                        ns_names[n.text.strip().lower()] = int(n.get("key", "0"))
                        self._ns_display[n.text.strip()] = int(n.get("key", "0"))
            elif tag == "page":
                self._parse_page(elem, ns_names, revs)
                # Drop finished pages so memory stays flat however large the export is.
                assert root is not None
                root.clear()
        return revs

    def _parse_page(self, page: ET.Element, ns_names: dict[str, int], revs: list[_Rev]) -> None:
        title = ""
        ns: int | None = None
        pageid: int | None = None
        revisions: list[ET.Element] = []
        for child in page:
            tag = _local(child.tag)
            if tag == "title":
                title = (child.text or "").strip()
            elif tag == "ns":
                ns = int((child.text or "0").strip())
            elif tag == "id":
                pageid = int((child.text or "").strip())
            elif tag == "revision":
                revisions.append(child)
        if ns is None:
            prefix, colon, _ = title.partition(":")
            names = ns_names or _DEFAULT_NAMESPACES
            ns = names.get(prefix.strip().lower(), 0) if colon else 0
        index = len(self._pages)
        self._pages.append((pageid, title, ns))
        for rev in revisions:
            revid: int | None = None
            timestamp: datetime | None = None
            user: str | None = None
            size = 0
            refs: int | None = None
            comment = ""
            for child in rev:
                tag = _local(child.tag)
                if tag == "id":
                    revid = int((child.text or "").strip())
                elif tag == "timestamp":
                    timestamp = _utc(datetime.fromisoformat((child.text or "").strip()))
                elif tag == "comment" and child.get("deleted") is None:
                    comment = child.text or ""
                elif tag == "contributor":
                    if child.get("deleted") is None:
                        for c in child:
                            if _local(c.tag) == "username" and c.text:
                                user = canonical_username(c.text)
                elif tag == "text":
                    if child.get("deleted") is None and child.text is not None:
                        text = child.text
                        size = len(text.encode("utf-8"))
                        refs = count_refs(text)
                    elif child.get("deleted") is None and child.get("location") is None:
                        # An empty <text/> is an empty page, not a missing one.
                        refs = 0
                        size = int(child.get("bytes", "0"))
                    else:
                        size = int(child.get("bytes", "0"))
            if timestamp is None:
                raise InvalidInput(f"revision without a timestamp on page {title!r} in {self.path}")
            revs.append(_Rev(revid, index, timestamp, user, size, refs, len(revs), comment))

    def _link(self, revs: list[_Rev]) -> None:
        # Revision ids: the export's, or sequential in time order when it has none.
        if any(r.revid is None for r in revs):
            next_id = max((r.revid for r in revs if r.revid is not None), default=0) + 1
            for r in sorted((r for r in revs if r.revid is None), key=lambda r: (r.timestamp, r.order)):
                r.revid = next_id
                next_id += 1
        # Page ids: the export's, or sequential in document order after the largest one.
        next_page = max((p[0] for p in self._pages if p[0] is not None), default=0) + 1
        page_ids: list[int] = []
        for pid, _, _ in self._pages:
            if pid is None:
                pid, next_page = next_page, next_page + 1
            page_ids.append(pid)
        # A page's history may be split across several <page> elements; join them by title.
        history: dict[str, list[_Rev]] = {}
        first_index: dict[str, int] = {}
        for r in revs:
            title = self._pages[r.page][1]
            history.setdefault(title, []).append(r)
            first_index.setdefault(title, r.page)
        by_user: dict[str, list[Contribution]] = {}
        for title, page_revs in history.items():
            page_revs.sort(key=lambda r: (r.timestamp, r.order))
            index = first_index[title]
            pageid, _, ns = page_ids[index], title, self._pages[index][2]
            deleted = title in self._deleted_titles
            parent_id, parent_size = 0, 0
            for r in page_revs:
                assert r.revid is not None
                if r.user is not None and not deleted:
                    self._account_names.add(r.user)
                    by_user.setdefault(r.user, []).append(
                        Contribution(
                            revid=r.revid,
                            parentid=parent_id,
                            pageid=pageid,
                            title=title,
                            namespace=ns,
                            timestamp=r.timestamp,
                            user=r.user,
                            sizediff=r.size - parent_size,
                            new=parent_id == 0,
                            userid=self._user_id(r.user),
                            comment=r.comment,
                        )
                    )
                elif r.user is not None:
                    # The account exists even though its edits here were deleted.
                    self._account_names.add(r.user)
                if r.refs is not None and not deleted:
                    self._refs[r.revid] = r.refs
                parent_id, parent_size = r.revid, r.size
        for user, edits in by_user.items():
            # usercontribs orders by timestamp, then revision id.
            edits.sort(key=lambda c: (c.timestamp, c.revid))
            self._by_user[user] = edits
            self._times_by_user[user] = [c.timestamp for c in edits]
