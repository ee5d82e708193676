"""The dashboard's reading pages: courses, a course's overview, activity, students, articles, CSVs.

Every figure comes from the stats document (`wikicourse stats --json`), so a page, a CSV and
the API never disagree. `render` is shared with the signed-in pages (manage.py).
"""
from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, unquote, urlencode

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse

from .. import settings
from ..changes import summarize
from ..collation import name_key
from ..drilldowns import course_articles
from ..errors import InvalidInput
from ..stats import course_stats, per_wiki
from ..history import last_moves, update_history
from . import chart, exports
from .course_list import courses_listing
from ..wikidata.figures import LABELS as WIKIDATA_LABELS
from .auth import csrf_token, page_actor

FLASH = "wikicourse_flash"
FLASH_BYTES = 1024  # the flash cookie's value at most, quoted
ELLIPSIS = quote("…")
ARTICLES_PER_PAGE = 500
HISTORY_SHOWN = 10  # the overview's "Update history": this many runs, whatever they did
# The figures as the update history's compact rows name them.
FIGURE_SHORT = {"student_count": "students", "article_count": "articles", "new_article_count": "new articles",
                "revision_count": "revisions", "character_sum": "characters", "references_count": "references",
                "character_sum_user": "user space", "character_sum_draft": "drafts",
                "upload_count": "uploads", "uploads_in_use_count": "files in use", "upload_usages_count": "file usages"}
# The headline figures as the overview names them (stats.COURSE_FIELDS), in its order.
FIGURE_LABELS = {"student_count": "students", "article_count": "articles edited",
                 "new_article_count": "new articles", "revision_count": "revisions",
                 "character_sum": "characters added to articles", "references_count": "references added",
                 "character_sum_user": "characters in user space", "character_sum_draft": "characters in drafts"}


# ---- rendering shared by every page -------------------------------------------------------------

def num(value) -> str:
    return f"{value:,}" if isinstance(value, int) else ("" if value is None else str(value))


def took(seconds: int | None) -> str:
    """A run's duration as "42 s", "3 min 5 s", "2 h 10 min"; "" for one not finished."""
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def when(iso: str | None, never: str = "never") -> str:
    """An ISO time as "2024-02-01 00:00 UTC" (seconds only clutter a page)."""
    return never if not iso else f"{iso[:10]} {iso[11:16]} UTC"


def figures_as_of(course: dict) -> str | None:
    """The time the course's figures hold for: the last update's as-of time, but no later than
    the course's end, since nothing after the end counts (an update run later adds nothing)."""
    as_of = course.get("last_update")
    return as_of and min(as_of, course["end"])  # both ISO times in UTC, "...Z": they compare as text


def contributions_url(wiki: str, username: str) -> str:
    return f"https://{wiki}/wiki/Special:Contributions/{quote(username.replace(' ', '_'), safe='()_,:!*')}"


def article_url(wiki: str, title: str) -> str:
    return f"https://{wiki}/wiki/{quote(title.replace(' ', '_'), safe='/()_,:!*')}"


def student_page(slug: str, username: str) -> str:
    """A student's drill-down (drilldown_views): underscores for spaces, as on the wikis."""
    return f"/courses/{slug}/students/{quote(username.replace(' ', '_'), safe='()_,:!*')}"


def article_page(slug: str, article_id: int) -> str:
    return f"/courses/{slug}/articles/{article_id}"


def set_flash(request: Request, response: Response, message: str, kind: str = "ok") -> None:
    """A message for the next page this browser shows (a cookie, so no URL can forge it), cut
    short to FLASH_BYTES: every request carries the cookie, and a browser drops one over 4 KB."""
    value = quote(f"{kind}|{message}")
    if len(value) > FLASH_BYTES:  # cut between characters, never inside one's %-escapes
        value = quote(f"{kind}|")
        for char in message:
            if len(value) + len(quote(char)) + len(ELLIPSIS) > FLASH_BYTES:
                break
            value += quote(char)
        value += ELLIPSIS
    response.set_cookie(FLASH, value, max_age=60, httponly=True, samesite="lax", secure=request.url.scheme == "https")


def setup_templates(templates) -> None:
    """Give the templates their helpers, so error pages (rendered by app.py) show the header too."""
    templates.env.filters.update(num=num, when=when, summarize=summarize, took=took, as_of=figures_as_of)
    templates.env.globals.update(page_actor=page_actor, csrf_token=csrf_token, student_page=student_page,
                                 article_page=article_page)


def render(request: Request, template: str, context: dict, status: int = 200) -> HTMLResponse:
    """The page, with the flash message left by the previous action (context["flash"] overrides it)."""
    cookie = unquote(request.cookies.get(FLASH, ""))
    kind, _, message = cookie.partition("|")
    base = {"actor": page_actor(request), "csrf": csrf_token(request),
            "flash": {"kind": "error" if kind == "error" else "ok", "message": message} if message else None}
    response = request.app.state.templates.TemplateResponse(request, template, {**base, **context},
                                                            status_code=status)
    if cookie:
        response.delete_cookie(FLASH)
    return response


router = APIRouter(include_in_schema=False)


# ---- sortable tables ----------------------------------------------------------------------------

def sorted_table(rows: list[dict], columns: list[tuple[str, str, bool]], sort: str | None,
                 direction: str | None) -> tuple[list[dict], list[dict]]:
    """Rows ordered by the `sort` column (default: the first) and the header cells linking to each order.

    `columns` are (field, label, numeric); numeric columns sort largest first on a first click,
    text columns A to Z, case-insensitively. Ties keep the first column's order."""
    numeric = {field for field, _, is_number in columns if is_number}
    fields = [field for field, _, _ in columns]
    sort = sort or fields[0]
    if sort not in fields:
        raise InvalidInput(f"cannot sort by {sort!r}: sort by one of {', '.join(fields)}")
    if direction not in (None, "asc", "desc"):
        raise InvalidInput(f"dir must be asc or desc, not {direction!r}")
    direction = direction or ("desc" if sort in numeric else "asc")
    ordered = sorted(sorted(rows, key=lambda r: _key(r, fields[0])), key=lambda r: _key(r, sort),
                     reverse=direction == "desc")
    headers = []
    for field, label, is_number in columns:
        active = field == sort
        goes = ("asc" if direction == "desc" else "desc") if active else ("desc" if is_number else "asc")
        headers.append({"field": field, "label": label, "numeric": is_number,
                        "href": "?" + urlencode({"sort": field, "dir": goes}),
                        "aria": ("ascending" if direction == "asc" else "descending") if active else None})
    return ordered, headers


def _key(row: dict, field: str):
    value = row[field]
    if isinstance(value, list):  # an article's editors: by how many
        return len(value)
    return name_key(value) if isinstance(value, str) else value  # the order stats and the API list names in


STUDENT_COLUMNS = [("username", "Username", False), ("role", "Role", False),
                   ("revision_count", "Revisions", True), ("character_sum_ms", "Characters (articles)", True),
                   ("character_sum_us", "User space", True), ("character_sum_draft", "Drafts", True),
                   ("references_count", "References", True)]
ARTICLE_COLUMNS = [("title", "Article", False), ("wiki", "Wiki", False), ("new_article", "New", True),
                   ("revision_count", "Revisions", True), ("character_sum", "Characters", True),
                   ("references_count", "References", True), ("editors", "Editors", False)]


# ---- pages --------------------------------------------------------------------------------------

@router.get("/", response_class=HTMLResponse)
def courses_page(request: Request, q: str = "", wiki: str = "", state: str = "", sort: str = "", dir: str = "",
                 page: Annotated[int, Query(ge=1)] = 1):
    return render(request, "courses.html", courses_listing(request.app.state.engine, q=q, wiki=wiki, state=state,
                                                           sort=sort, direction=dir, page=page))


@router.get("/courses/{slug:path}/activity", response_class=HTMLResponse)
def activity_page(request: Request, slug: str):
    doc = course_stats(request.app.state.engine, slug, ("course", "timeslices"))
    c, windows = doc["course"], doc["timeslices"]
    charts = {field: chart.chart(windows, field, start=c["start"], end=c["end"], svg_id=f"chart-{name}",
                                 label=label, as_of=figures_as_of(c))
              for field, name, label in (("character_sum", "characters", "Characters added"),
                                         ("revision_count", "revisions", "Revisions"))}
    return render(request, "activity.html", {"course": c, "tab": "activity", "charts": charts,
                                             "legend": chart.legend(windows), "windows": windows,
                                             "pending": any(w["needs_update"] for w in windows)})


@router.get("/courses/{slug:path}/students", response_class=HTMLResponse)
def students_page(request: Request, slug: str, sort: str | None = None, dir: str | None = None):
    doc = course_stats(request.app.state.engine, slug, ("course", "users"))
    rows, headers = sorted_table(doc["users"], STUDENT_COLUMNS, sort, dir)
    links = {u["username"]: [(w, contributions_url(w, u["username"])) for w in doc["course"]["wikis"]]
             for u in rows}
    return render(request, "students.html", {"course": doc["course"], "tab": "students", "users": rows,
                                             "headers": headers, "links": links, "csv_order": _order(sort, dir)})


def article_filters(request: Request) -> dict[str, str]:
    """The articles list's filters set in the query (an empty choice is no filter)."""
    return {k: v for k in ("kind", "wiki", "editor") if (v := request.query_params.get(k, "").strip())}


@router.get("/courses/{slug:path}/articles", response_class=HTMLResponse)
def articles_page(request: Request, slug: str, sort: str | None = None, dir: str | None = None,
                  page: Annotated[int, Query(ge=1)] = 1):
    engine = request.app.state.engine
    doc = course_stats(engine, slug, ("course", "users"))
    filters = article_filters(request)
    listed = course_articles(engine, slug, **filters)
    one_wiki = len(doc["course"]["wikis"]) == 1
    columns = [c for c in ARTICLE_COLUMNS if not (one_wiki and c[0] == "wiki")]
    rows, headers = sorted_table(listed, columns, sort, dir)
    query = urlencode(filters)
    for h in headers:  # sorting keeps the filters
        h["href"] += "&" + query if query else ""
    # A big course edits thousands of articles: pages of ARTICLES_PER_PAGE keep the page light.
    pages = max(1, -(-len(rows) // ARTICLES_PER_PAGE))
    if page > pages:
        raise InvalidInput(f"page {page} is past the last page ({pages})")
    first = (page - 1) * ARTICLES_PER_PAGE
    shown = rows[first:first + ARTICLES_PER_PAGE]
    for a in shown:
        a["url"] = article_url(a["wiki"], a["title"])
    order = {k: v for k, v in (("sort", sort), ("dir", dir)) if v}
    pager = {"page": page, "pages": pages, "first": first + 1, "last": first + len(shown), "total": len(rows),
             "prev": "?" + urlencode({**order, **filters, "page": page - 1}) if page > 1 else None,
             "next": "?" + urlencode({**order, **filters, "page": page + 1}) if page < pages else None}
    students = [u["username"] for u in doc["users"] if u["role"] == "student"]
    return render(request, "articles.html", {"course": doc["course"], "tab": "articles", "articles": shown,
                                             "headers": headers, "pager": pager, "order": order,
                                             "filters": {**filters, "query": query}, "students": students,
                                             "csv_query": "?" + urlencode({**order, **filters}) if order or filters
                                             else ""})


def _order(sort: str | None, direction: str | None) -> str:
    """The query that downloads a table's CSV in the order the page shows it ("" for the default)."""
    order = {k: v for k, v in (("sort", sort), ("dir", direction)) if v}
    return "?" + urlencode(order) if order else ""


# The CSVs of the sortable tables list their rows in the table's order (?sort=&dir= as on the page).
CSV_TABLES = {"students": ("users", STUDENT_COLUMNS), "articles": ("articles", ARTICLE_COLUMNS)}


def _csv_route(kind: str) -> None:
    def download(request: Request, slug: str, sort: str | None = None, dir: str | None = None) -> Response:
        engine = request.app.state.engine
        if kind == "articles":  # filtered as the page is
            doc = {"articles": course_articles(engine, slug, **article_filters(request))}
        else:
            doc = course_stats(engine, slug, {"overview": ("course",), "students": ("users",)}.get(kind, (kind,)))
            if kind == "wikidata" and kind not in doc:
                raise HTTPException(404, "this course tracks no Wikibase wiki: it has no Wikidata figures")
        if kind in CSV_TABLES:
            part, columns = CSV_TABLES[kind]
            doc[part] = sorted_table(doc[part], columns, sort, dir)[0]
        if kind == "overview":
            header, rows = exports.overview_rows(doc, per_wiki(engine, slug))
        else:
            header, rows = getattr(exports, f"{kind}_rows")(doc)
        return exports.download(slug, kind, header, rows)

    router.add_api_route(f"/courses/{{slug:path}}/{kind}.csv", download, methods=["GET"],
                         name=f"{kind}_csv")


for _kind in exports.KINDS:
    _csv_route(_kind)


@router.get("/courses/{slug:path}", response_class=HTMLResponse)
def overview_page(request: Request, slug: str):
    engine = request.app.state.engine
    doc = course_stats(engine, slug, ("course", "wikidata"))
    runs = update_history(engine, slug, HISTORY_SHOWN)
    return render(request, "overview.html", {"course": doc["course"], "tab": "overview",
                                             "wikis": per_wiki(engine, slug), "run": runs[0] if runs else None,
                                             "history": runs, "last_moves": last_moves(runs),
                                             "figure_short": FIGURE_SHORT,
                                             "csvs": [k for k in exports.KINDS if k != "wikidata" or k in doc],
                                             "figure_labels": FIGURE_LABELS,
                                             "wikidata": doc.get("wikidata"), "wikidata_labels": WIKIDATA_LABELS,
                                             "grace_days": settings.grace_days()})
