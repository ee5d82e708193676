"""The drill-down pages: a student, an article, the course's latest edits.

Their lists and figures come from wikicourse.drilldowns, as the API's do. Included before
views.py's router: its bare /courses/{slug:path} would take /courses/x/students/Ann for a
course "x/students/Ann".
"""
from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from ..drilldowns import MAX_RECENT, PER_PAGE, REVISION_SORTS, Paging, article_drilldown, recent_activity
from ..drilldowns import student_drilldown
from ..sources.base import NAMESPACE_NAMES as NAMESPACES
from ..stats import course_stats
from . import chart
from .views import article_url, contributions_url, render

router = APIRouter(include_in_schema=False)
RECENT_SHOWN = 50

# (field, label, numeric): the sortable columns of a revision list, in the order shown.
STUDENT_REVISION_COLUMNS = [("timestamp", "Date", False), ("wiki", "Wiki", False), ("title", "Page", False),
                            ("namespace", "Namespace", False), ("characters", "Characters", True),
                            ("references", "References", True), ("new", "New", False),
                            ("rev_id", "Revision", True)]
ARTICLE_REVISION_COLUMNS = [("timestamp", "Date", False), ("username", "Student", False),
                            ("characters", "Characters", True), ("references", "References", True),
                            ("new", "New", False), ("rev_id", "Revision", True)]


def _headers(columns: list[tuple[str, str, bool]], paging: dict) -> list[dict]:
    """Header cells linking to each order (the macros' sort_header), from the list's page 1."""
    headers = []
    for field, label, numeric in columns:
        active = field == paging["sort"]
        goes = ("asc" if paging["dir"] == "desc" else "desc") if active else REVISION_SORTS[field]
        headers.append({"field": field, "label": label, "numeric": numeric,
                        "href": "?" + urlencode({"sort": field, "dir": goes}),
                        "aria": ("ascending" if paging["dir"] == "asc" else "descending") if active else None})
    return headers


def _pager(paging: dict, shown: int) -> dict:
    order = {"sort": paging["sort"], "dir": paging["dir"]}
    page, pages = paging["page"], paging["pages"]
    first = (page - 1) * paging["per_page"]
    return {**paging, "first": first + 1, "last": first + shown,
            "prev": "?" + urlencode({**order, "page": page - 1}) if page > 1 else None,
            "next": "?" + urlencode({**order, "page": page + 1}) if page < pages else None}


def _one_wiki(columns: list, course: dict) -> list:
    """A one-wiki course needs no wiki column."""
    return [c for c in columns if c[0] != "wiki"] if len(course["wikis"]) == 1 else columns


def _kinds(course: dict) -> dict:
    """What a page's namespace is to the course, by number: article, user, draft, and the other
    article namespaces as "article (Name)" (docs/metrics.md#namespaces)."""
    kinds = dict(NAMESPACES)
    for wiki, numbers in course.get("article_namespaces", {}).items():
        names = course.get("article_namespace_names", {}).get(wiki, [])
        for n, name in zip(numbers, names):
            kinds.setdefault(n, f"article ({name})")
    return kinds


@router.get("/courses/{slug:path}/students/{username}", response_class=HTMLResponse)
def student_view(request: Request, slug: str, username: str, sort: str = "timestamp", dir: str | None = None,
                 page: Annotated[int, Query(ge=1)] = 1):
    engine = request.app.state.engine
    course = course_stats(engine, slug, ("course",))["course"]
    drill = student_drilldown(engine, slug, username, Paging(sort, dir, page, PER_PAGE))
    name = drill["student"]["username"]
    columns = _one_wiki(STUDENT_REVISION_COLUMNS, course)
    return render(request, "student.html", {
        "course": course, "tab": "students", "drill": drill, "student": drill["student"],
        "contributions": [(w, contributions_url(w, name)) for w in course["wikis"]],
        "headers": _headers(columns, drill["paging"]), "columns": [c[0] for c in columns],
        "pager": _pager(drill["paging"], len(drill["revisions"])), "namespaces": _kinds(course)})


@router.get("/courses/{slug:path}/articles/{article_id:int}", response_class=HTMLResponse)
def article_view(request: Request, slug: str, article_id: int, sort: str = "timestamp", dir: str | None = None,
                 page: Annotated[int, Query(ge=1)] = 1):
    engine = request.app.state.engine
    course = course_stats(engine, slug, ("course",))["course"]
    drill = article_drilldown(engine, slug, article_id, Paging(sort, dir, page, PER_PAGE))
    a = drill["article"]
    windows = [{**w, "needs_update": False} for w in drill["windows"]]
    figure = chart.chart(windows, "character_sum", start=course["start"], end=course["end"],
                         svg_id="chart-article", label="Characters added") if windows else None
    return render(request, "article.html", {
        "course": course, "tab": "articles", "drill": drill, "article": a, "chart": figure,
        "url": None if a["deleted"] else article_url(a["wiki"], a["title"]),
        "headers": _headers(ARTICLE_REVISION_COLUMNS, drill["paging"]),
        "pager": _pager(drill["paging"], len(drill["revisions"])), "namespaces": _kinds(course)})


@router.get("/courses/{slug:path}/recent", response_class=HTMLResponse)
def recent_view(request: Request, slug: str, limit: Annotated[int, Query(ge=1, le=MAX_RECENT)] = RECENT_SHOWN):
    engine = request.app.state.engine
    course = course_stats(engine, slug, ("course",))["course"]
    return render(request, "recent.html", {
        "course": course, "tab": "recent", "revisions": recent_activity(engine, slug, limit)["revisions"],
        "limit": limit, "one_wiki": len(course["wikis"]) == 1, "namespaces": _kinds(course)})
