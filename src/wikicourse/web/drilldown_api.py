"""The drill-downs in the HTTP API: a student's and an article's counted revisions, the
course's latest edits, and the articles list filtered (wikicourse.drilldowns computes them).

Included before api.py's router: its bare /courses/{slug:path} would take
/courses/x/students/Ann for a course "x/students/Ann".
"""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from ..drilldowns import MAX_PER_PAGE, MAX_RECENT, PER_PAGE, RECENT, Paging, article_drilldown, course_articles
from ..drilldowns import recent_activity, student_drilldown
from .api import UntilDate, _day
from .openapi import READ, errors

router = APIRouter(prefix="/api", tags=["drill-downs"])

Sort = Annotated[str, Query(description="timestamp, wiki, title, namespace, characters, references, new, rev_id "
                                        "(and username for an article)")]
Direction = Annotated[Literal["asc", "desc"] | None, Query(description="default: newest or largest first, "
                                                                       "text A to Z")]
PageNumber = Annotated[int, Query(ge=1)]
PerPage = Annotated[int, Query(ge=1, le=MAX_PER_PAGE)]


@router.get("/courses/{slug:path}/students/{username}",
            summary="A student's counted revisions (sorted, in pages), their pages and their figures per wiki",
            responses=errors(*READ))
def student(request: Request, slug: str, username: str, sort: Sort = "timestamp", dir: Direction = None,
            page: PageNumber = 1, per_page: PerPage = PER_PAGE) -> dict:
    return student_drilldown(request.app.state.engine, slug, username, Paging(sort, dir, page, per_page))


@router.get("/courses/{slug:path}/articles/{article_id:int}",
            summary="An article's counted revisions in the course, its editors, figures per window and state",
            responses=errors(*READ))
def article(request: Request, slug: str, article_id: int, sort: Sort = "timestamp", dir: Direction = None,
            page: PageNumber = 1, per_page: PerPage = PER_PAGE) -> dict:
    return article_drilldown(request.app.state.engine, slug, article_id, Paging(sort, dir, page, per_page))


@router.get("/courses/{slug:path}/recent", summary="The course's latest counted revisions, newest first",
            responses=errors(*READ))
def recent(request: Request, slug: str, limit: Annotated[int, Query(ge=1, le=MAX_RECENT)] = RECENT) -> dict:
    return recent_activity(request.app.state.engine, slug, limit)


@router.get("/courses/{slug:path}/articles",
            summary="The articles the course's students edited, with their ids; filtered by kind, wiki and editor",
            responses=errors(*READ))
def articles(request: Request, slug: str,
             kind: Annotated[Literal["new", "edited"] | None,
                             Query(description="new: created during the course; edited: the others")] = None,
             wiki: Annotated[str | None, Query(description="only this wiki's articles")] = None,
             editor: Annotated[str | None, Query(description="only those this student edited")] = None,
             until: UntilDate = None) -> dict:
    return {"articles": course_articles(request.app.state.engine, slug, kind=kind, wiki=wiki, editor=editor,
                                        until=_day(until))}
