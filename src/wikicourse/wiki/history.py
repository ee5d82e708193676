"""A page's history through prop=revisions: who edited it and when, as the wiki shows it now."""
from __future__ import annotations

from datetime import datetime

from wikicourse.sources.base import PageEdit
from wikicourse.wiki.api import ActionAPI, flag, pages_of, parsing
from wikicourse.wiki.usercontribs import api_timestamp, parse_timestamp


def page_edits(api: ActionAPI, title: str, since: datetime) -> tuple[int, list[PageEdit]]:
    """The page's id (0 if missing) and its revisions from `since` on whose user is shown."""
    params = {"prop": "revisions", "titles": title, "rvprop": "ids|timestamp|user", "rvdir": "newer",
              "rvstart": api_timestamp(since), "rvlimit": "max"}
    page_id, edits = 0, []
    for result in api.query(params):
        with parsing(api.wiki, "prop=revisions"):
            for page in pages_of(result.get("query", {})):
                if flag(page, "missing") or flag(page, "invalid"):
                    continue
                page_id = int(page["pageid"])
                edits += [PageEdit(r["user"], parse_timestamp(r["timestamp"])) for r in page.get("revisions", [])
                          if "user" in r and not flag(r, "userhidden")]
    return page_id, edits
