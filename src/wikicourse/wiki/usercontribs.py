"""Users' edits through list=usercontribs, streamed one API response (a batch) at a time."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Iterator, Mapping, Sequence

from wikicourse.errors import AccountRenamed, WikiError
from wikicourse.sources.base import Contribution
from wikicourse.wiki.api import ActionAPI, flag, join_values, parsing
from wikicourse.wiki.users import normalise_username

BATCH = 50  # ucuser takes at most 50 names (500 with apihighlimits)
PROPS = "ids|title|timestamp|size|sizediff|flags"


def api_timestamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def whole_second_bounds(start: datetime, end: datetime) -> tuple[datetime, datetime] | None:
    """[start, end) as the inclusive whole-second bounds usercontribs takes; None if no second fits.

    Wiki timestamps are whole seconds, so the first one counted is start rounded up and the
    last is end rounded up, minus one second.
    """
    for moment in (start, end):
        if moment.tzinfo is None:
            raise ValueError(f"naive datetime {moment!r}: wiki times must be timezone-aware")
    first = _ceil_second(start)
    last = _ceil_second(end) - timedelta(seconds=1)
    return (first, last) if first <= last else None


def _ceil_second(moment: datetime) -> datetime:
    moment = moment.astimezone(timezone.utc)
    if moment.microsecond:
        return moment.replace(microsecond=0) + timedelta(seconds=1)
    return moment


def parse_contribution(item: Mapping[str, Any], comments: bool = False) -> Contribution:
    new = flag(item, "new")
    if "sizediff" in item:
        sizediff = int(item["sizediff"])
    elif new:
        sizediff = int(item.get("size", 0))
    else:
        # MediaWiki leaves sizediff out only when the revision's length was never recorded
        # (rev_len NULL); the change is then unknown and counts as none.
        sizediff = 0
    return Contribution(
        revid=int(item["revid"]),
        parentid=int(item.get("parentid", 0)),
        pageid=int(item["pageid"]),
        title=item["title"],
        namespace=int(item["ns"]),
        timestamp=parse_timestamp(item["timestamp"]),
        user=item["user"],
        sizediff=sizediff,
        new=new,
        userid=int(item.get("userid", 0)),
        # A hidden summary (revision deletion) is left out: no summary, as an edit without one.
        comment=(item.get("comment") if isinstance(item.get("comment"), str) else "") if comments else None,
    )


def _check_accounts(api: ActionAPI, answers: list[dict[str, Any]], ids: dict[str, int]) -> None:
    with parsing(api.wiki, "list=users"):
        gone = {u["name"]: ids[u["name"]] for u in answers if flag(u, "missing") and u["name"] in ids}
    if not gone:
        return
    now = api.call({"action": "query", "list": "users", "ususerids": "|".join(str(i) for i in gone.values())})
    with parsing(api.wiki, "list=users"):
        names = {int(u["userid"]): u["name"] for u in now.get("query", {}).get("users", []) if "name" in u}
    raise AccountRenamed(api.wiki, {old: names.get(i) for old, i in gone.items()})


class _GroupCheck:
    """Guards the protocol's order (grouped by user, oldest first) that callers checkpoint on.

    MediaWiki sorts several users' contributions by actor, then timestamp, then revision,
    which is that order; a wiki that interleaved users instead must fail loudly, not
    silently split a user's edits.
    """

    def __init__(self, wiki: str) -> None:
        self.wiki = wiki
        self.done: set[str] = set()
        self.current: str | None = None
        self.last: tuple[datetime, int] | None = None

    def check(self, contribution: Contribution) -> None:
        key = (contribution.timestamp, contribution.revid)
        if contribution.user != self.current:
            if contribution.user in self.done:
                raise WikiError(f"{self.wiki} listed {contribution.user}'s edits in two separate runs")
            if self.current is not None:
                self.done.add(self.current)
            self.current = contribution.user
        elif self.last is not None and key < self.last:
            raise WikiError(f"{self.wiki} listed {contribution.user}'s edits out of time order")
        self.last = key


def contributions(
    api: ActionAPI,
    users: Sequence[str],
    start: datetime,
    end: datetime,
    namespaces: Sequence[int],
    *,
    limit: int | str = "max",
    must_exist: Mapping[str, int] | None = None,
    comments: bool = False,
) -> Iterator[list[Contribution]]:
    """Visible edits of `users` with start <= timestamp < end, one list per non-empty API response.

    More than 50 users are sent in batches of 50, one after the other; the order within
    and across batches stays grouped by user, each user's edits oldest first. Bad
    arguments raise here, before any request; wiki failures raise while iterating.

    A batch holding names of `must_exist` (name -> the account's id) asks list=users about
    them in the same request (no request more); `comments` asks each edit's summary too (the
    same requests, a little longer answers): usercontribs answers a renamed user's old
    name with no edits and no error, so a name without an account raises AccountRenamed,
    with the accounts' names now (one list=users request by id).
    """
    bounds = whole_second_bounds(start, end)
    names = list(dict.fromkeys(normalise_username(user) for user in users if user.strip()))
    if bounds is None or not names or not namespaces:
        return iter(())
    known = {normalise_username(n): i for n, i in (must_exist or {}).items()}
    return _batches(api, names, bounds, namespaces, limit, known, comments)


def _batches(
    api: ActionAPI,
    names: list[str],
    bounds: tuple[datetime, datetime],
    namespaces: Sequence[int],
    limit: int | str,
    must_exist: dict[str, int],
    comments: bool = False,
) -> Iterator[list[Contribution]]:
    first, last = bounds
    order = _GroupCheck(api.wiki)
    for i in range(0, len(names), BATCH):
        group = names[i : i + BATCH]
        checked = [n for n in group if n in must_exist]
        params = {
            "list": "usercontribs|users" if checked else "usercontribs",
            "ucuser": join_values(group),
            "ucdir": "newer",  # oldest first; ucstart is then the older bound
            "ucstart": api_timestamp(first),
            "ucend": api_timestamp(last),
            "ucnamespace": "|".join(str(ns) for ns in namespaces),
            "uclimit": str(limit),
            "ucprop": PROPS + ("|comment" if comments else ""),  # Wikibase: the summary says what changed
            **({"ususers": join_values(checked)} if checked else {}),
        }
        for result in api.query(params):
            if checked and "users" in result.get("query", {}):
                _check_accounts(api, result["query"]["users"], must_exist)
            with parsing(api.wiki, "list=usercontribs"):
                batch = [parse_contribution(item, comments) for item in result.get("query", {}).get("usercontribs", [])]
            for contribution in batch:
                order.check(contribution)
            if batch:
                yield batch
