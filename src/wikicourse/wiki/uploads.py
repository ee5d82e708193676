"""Uploads through the Action API (docs/uploads.md): a user's upload log, the files' usage and
thumbnails, and whether the wiki offers GlobalUsage."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from wikicourse.wiki.api import ActionAPI, flag, pages_of, parsing
from wikicourse.wiki.usercontribs import api_timestamp, parse_timestamp, whole_second_bounds

ACTIONS = ("upload", "overwrite", "revert")  # the upload log's actions (upload: a new file)
TITLES_PER_REQUEST = 50  # the Action API's limit of page ids per request for most clients


@dataclass(frozen=True, slots=True)
class UploadEvent:
    """One entry of the upload log, as list=logevents reports it."""

    log_id: int
    timestamp: datetime
    action: str
    page_id: int  # the file's page (0 when the log does not say)
    title: str  # "File:Name.png"


@dataclass(frozen=True, slots=True)
class FileUsage:
    """A file page as prop=info|imageinfo|fileusage|globalusage show it now."""

    page_id: int
    missing: bool  # the page does not exist (any more)
    title: str = ""
    local_usage: int = 0  # pages of this wiki using the file
    global_usage: int | None = None  # (wiki, page) usages on other wikis; None without GlobalUsage
    thumb_url: str = ""
    file_url: str = ""  # the file's page


def upload_log(api: ActionAPI, user: str, start: datetime, end: datetime) -> list[UploadEvent]:
    """The user's upload log entries in [start, end), oldest first (one request per 500 entries)."""
    bounds = whole_second_bounds(start, end)
    if bounds is None:
        return []
    first, last = bounds
    params = {"list": "logevents", "letype": "upload", "leuser": user, "ledir": "newer",
              "lestart": api_timestamp(first), "leend": api_timestamp(last),
              "leprop": "ids|title|type|timestamp", "lelimit": "max"}
    out = []
    for result in api.query(params):
        with parsing(api.wiki, "list=logevents&letype=upload"):
            for item in result.get("query", {}).get("logevents", []):
                if item.get("action") not in ACTIONS or "title" not in item:  # a hidden entry shows no file
                    continue
                out.append(UploadEvent(int(item["logid"]), parse_timestamp(item["timestamp"]), item["action"],
                                       int(item.get("logpage", 0) or 0), item["title"]))
    return out


def has_global_usage(api: ActionAPI) -> bool:
    """Does the wiki list its files' use on other wikis (the GlobalUsage extension)? One request."""
    result = api.call({"action": "query", "meta": "siteinfo", "siprop": "extensions"})
    with parsing(api.wiki, "meta=siteinfo&siprop=extensions"):
        names = {str(e.get("name", "")).replace(" ", "").lower() for e in result["query"].get("extensions", [])}
    return "globalusage" in names


def file_usage(api: ActionAPI, page_ids: Sequence[int], *, global_usage: bool,
               thumb_width: int) -> dict[int, FileUsage]:
    """Each file page's usage and URLs now, by page id (ids follow moves): up to 50 per request,
    more only for files used on more than 500 pages (continuation)."""
    found: dict[int, dict] = {}
    props = "info|imageinfo|fileusage" + ("|globalusage" if global_usage else "")
    for i in range(0, len(page_ids), TITLES_PER_REQUEST):
        batch = page_ids[i:i + TITLES_PER_REQUEST]
        params = {"prop": props, "pageids": "|".join(map(str, batch)), "iiprop": "url",
                  "iiurlwidth": thumb_width, "fuprop": "pageid", "fulimit": "max"}
        if global_usage:
            params.update(gulimit="max", gufilterlocal=1)
        for result in api.query(params):
            with parsing(api.wiki, "prop=fileusage"):
                for page in pages_of(result.get("query", {})):
                    _merge(found.setdefault(int(page["pageid"]), {}), page)
    return {pid: FileUsage(pid, missing=f.get("missing", True), title=f.get("title", ""),
                           local_usage=f.get("local", 0), global_usage=f.get("global", 0) if global_usage else None,
                           thumb_url=f.get("thumb", ""), file_url=f.get("page", ""))
            for pid, f in found.items() if pid in set(page_ids)}


def _merge(into: dict, page: dict) -> None:
    """One answer's part of a page (continuation sends a page's lists over several answers)."""
    into["missing"] = into.get("missing", False) or flag(page, "missing") or flag(page, "invalid")
    if "title" in page:
        into["title"] = page["title"]
    for info in page.get("imageinfo", [])[:1]:
        into["thumb"] = info.get("thumburl") or info.get("url", "")
        into["page"] = info.get("descriptionurl", "")
    into["local"] = into.get("local", 0) + len(page.get("fileusage", []))
    into["global"] = into.get("global", 0) + len(page.get("globalusage", []))
