"""The wiki's log, through list=logevents: the entries that change its past (docs/wiki-past.md)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Mapping

from wikicourse.sources.base import LogEvent
from wikicourse.wiki.api import ActionAPI, parsing
from wikicourse.wiki.usercontribs import api_timestamp, parse_timestamp

# (type, action) -> LogEvent.kind. A move over a redirect deletes the redirect (delete_redir).
KINDS = {
    ("move", "move"): "move",
    ("move", "move_redir"): "move",
    ("delete", "delete"): "delete",
    ("delete", "delete_redir"): "delete",
    ("delete", "restore"): "restore",
    ("delete", "revision"): "revision",
    ("renameuser", "renameuser"): "rename",
}
TYPES = ("move", "delete", "renameuser")
PROPS = "ids|title|type|timestamp|details"


def parse_entry(item: Mapping[str, Any]) -> LogEvent | None:
    """A LogEvent, or None for an entry of no concern (other types, a hidden target)."""
    kind = KINDS.get((item.get("type"), item.get("action")))
    if kind is None or "title" not in item:  # a suppressed entry shows no target
        return None
    params = item.get("params") or {}
    common = dict(log_id=int(item["logid"]), timestamp=parse_timestamp(item["timestamp"]), kind=kind,
                  page_id=int(item.get("logpage", 0) or 0), title=item["title"], namespace=int(item.get("ns", 0)))
    if kind == "move":
        return LogEvent(**common, new_title=params["target_title"], new_namespace=int(params["target_ns"]))
    if kind == "revision":
        if params.get("type") != "revision":  # the deletion of log entries, not of revisions
            return None
        return LogEvent(**common, rev_ids=tuple(int(r) for r in params.get("ids", ())))
    if kind == "rename":
        return LogEvent(**{**common, "title": params["olduser"]}, new_title=params["newuser"])
    return LogEvent(**common)


def _entries(results: Iterable[dict], wiki: str) -> list[LogEvent]:
    out = []
    for result in results:
        with parsing(wiki, "list=logevents"):
            out += [e for e in map(parse_entry, result.get("query", {}).get("logevents", [])) if e is not None]
    return out


def log_events(api: ActionAPI, since: datetime) -> list[LogEvent]:
    """Entries from `since` on, oldest first.

    A quiet wiki's whole log since the last read fits one request, asked without a type
    (letype takes one value). A busy wiki's does not: the rest is then read type by type,
    three requests that skip what does not matter (new accounts, patrols, thanks).
    """
    base = {"action": "query", "list": "logevents", "ledir": "newer", "leprop": PROPS, "lelimit": "max"}
    first = api.call({**base, "lestart": api_timestamp(since)})
    events = _entries([first], api.wiki)
    if "continue" in first:
        with parsing(api.wiki, "list=logevents"):
            entries = first["query"]["logevents"]
            resume = parse_timestamp(entries[-1]["timestamp"]) if entries else since
        for log_type in TYPES:
            events += _entries(api.query({"list": "logevents", "ledir": "newer", "leprop": PROPS, "lelimit": "max",
                                          "letype": log_type, "lestart": api_timestamp(resume)}), api.wiki)
    unique = {e.log_id: e for e in events}
    return sorted(unique.values(), key=lambda e: (e.timestamp, e.log_id))
