"""The courses page's context: one page of listing.list_courses, with the links that keep the
visitor's search, filters and order (sorting by a column, the next and previous pages)."""
from __future__ import annotations

from urllib.parse import urlencode

from sqlalchemy import Engine

from .. import listing
from ..errors import InvalidInput
from ..wikis import list_wikis

# The table's columns: (label, [(sort name, link text)], numeric); the dates share one column.
COLUMNS = [("Course", [("title", "Course")], False), ("Dates", [("start", "Start"), ("end", "end")], False),
           ("Wikis", [], False), ("Students", [("students", "Students")], True),
           ("Articles", [("articles", "Articles")], True), ("New", [], True),
           ("Revisions", [("edits", "Revisions")], True), ("Characters", [("characters", "Characters")], True),
           ("References", [], True), ("Last update", [("last_update", "Last update")], False)]


def courses_listing(engine: Engine, *, q: str, wiki: str, state: str, sort: str, direction: str,
                    page: int) -> dict:
    sort, descending = listing.check_sort(sort, direction)
    found = listing.list_courses(engine, search=q, wiki=wiki, state=state, sort=sort, descending=descending,
                                 offset=listing.page_offset(page, listing.PER_PAGE))
    total, shown = found["total"], found["courses"]
    pages = max(1, -(-total // listing.PER_PAGE))
    if page > pages:
        raise InvalidInput(f"page {page} is past the last page ({pages})")
    chosen = {"q": q.strip(), "wiki": wiki.strip().lower(), "state": state}
    filters = {k: v for k, v in chosen.items() if v}
    explicit = sort != listing.DEFAULT_SORT or descending != listing.default_descending(sort)
    order = {"sort": sort, "dir": "desc" if descending else "asc"} if explicit else {}

    def link(**params) -> str:
        return "?" + urlencode({**filters, **params}) if filters or params else "?"

    headers = []
    for label, sorts, numeric in COLUMNS:
        links = []
        for name, text in sorts:
            goes = not descending if name == sort else listing.default_descending(name)
            links.append({"sort": name, "text": text, "href": link(sort=name, dir="desc" if goes else "asc"),
                          "arrow": ("▼" if descending else "▲") if name == sort else None})
        active = any(x["arrow"] for x in links)
        headers.append({"label": label, "numeric": numeric, "links": links,
                        "aria": ("descending" if descending else "ascending") if active else None})
    first = found["offset"] + 1
    pager = {"page": page, "pages": pages, "first": first, "last": first + len(shown) - 1, "total": total,
             "prev": link(**order, page=page - 1) if page > 1 else None,
             "next": link(**order, page=page + 1) if page < pages else None}
    return {"courses": shown, "total": total, "headers": headers, "pager": pager, "chosen": chosen,
            "order": order, "filtered": bool(filters), "wikis": [w["domain"] for w in list_wikis(engine)],
            "states": listing.STATES}
