"""The HTTP API: courses and their statistics to read, and the actions of instructors and admins.

Reading is public, as on the reference dashboard. Actions need `Authorization: Bearer TOKEN`.
"""
from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from .. import courses as course_api
from .. import listing
from .. import wikis as wiki_api
from ..changes import course_changes
from ..errors import InvalidInput
from ..history import update_history
from ..namespaces import resolve_option
from ..uploads import count_uploads
from ..models import ROLES
from ..removal import removal_preview
from ..stats import course_stats, per_wiki
from ..tokens import Actor
from .auth import api_actor, require_manager
from .limits import MAX_USERNAMES
from .openapi import ACT, READ, errors

router = APIRouter(prefix="/api", tags=["courses"])
Caller = Annotated[Actor | None, Depends(api_actor)]
UntilDate = Annotated[str | None, Query(description="YYYY-MM-DD: the figures as of the end of that day (23:59:59 UTC), "
                                                   "from the stored timeslices ending by then", examples=["2024-01-31"])]


def _day(until: str | None) -> date | None:
    """?until=, checked as the command line checks --until (a malformed date is a 422)."""
    return None if until is None else course_api.parse_date(until, "until date")


class Enroll(BaseModel):
    usernames: list[Annotated[str, Field(min_length=1, max_length=255)]] = Field(min_length=1, max_length=MAX_USERNAMES)
    role: Literal[ROLES] = "student"  # type: ignore[valid-type]


class Edit(BaseModel):
    start: date | None = None
    end: date | None = None
    add_wikis: list[str] = []
    remove_wikis: list[str] = []
    timeslice_days: int | None = Field(None, description="New timeslice length in days, at least 1 (the next "
                                                         "update rebuilds the windows from the stored revisions)")
    namespaces: dict[str, list[int | str]] = Field(
        {}, description="Per tracked wiki, the namespaces counted as articles, by number or name "
                        "(`{\"en.wikisource.org\": [0, \"Page\"]}`); User and Draft are tracked besides",
        examples=[{"en.wikipedia.org": [0, "Project"]}])
    count_uploads: bool | None = Field(None, description="Count the files the students upload, or stop "
                                                         "(docs/uploads.md: a few more requests per wiki "
                                                         "at each update)")


class StartUpdate(BaseModel):
    full: bool = Field(False, description="Rebuild from scratch instead of updating incrementally")


@router.get("/courses", summary="The courses with their headline figures: searched, filtered, sorted, paged",
            responses=errors(422))
def list_courses(request: Request,
                 q: Annotated[str | None, Query(description="text in the title or slug, case- and accent-blind")] = None,
                 wiki: Annotated[str | None, Query(description="only the courses tracking this wiki")] = None,
                 state: Annotated[Literal[listing.STATES] | None,  # type: ignore[valid-type]
                                  Query(description="running, ended or upcoming, today (UTC)")] = None,
                 sort: Annotated[Literal[tuple(listing.SORTS)] | None,  # type: ignore[valid-type]
                                 Query(description="default: start")] = None,
                 dir: Annotated[Literal["asc", "desc"] | None,
                                Query(description="default: A to Z for titles, else largest or newest first")] = None,
                 limit: Annotated[int, Query(ge=1, le=listing.MAX_LIMIT)] = listing.PER_PAGE,
                 offset: Annotated[int | None, Query(ge=0, description="courses to skip (or give page)")] = None,
                 page: Annotated[int | None, Query(ge=1, description="1-based page of `limit` courses")] = None) -> dict:
    """`total` counts every course that matches; `courses` holds `limit` of them from `offset`."""
    if page is not None and offset is not None:
        raise InvalidInput("give page or offset, not both")
    sort, descending = listing.check_sort(sort, dir)
    return listing.list_courses(request.app.state.engine, search=q, wiki=wiki, state=state, sort=sort,
                                descending=descending, limit=limit,
                                offset=listing.page_offset(page, limit) if page else offset or 0)


@router.get("/courses/{slug:path}/users", summary="The course's enrolled users and their figures",
            responses=errors(*READ))
def course_users(request: Request, slug: str, until: UntilDate = None) -> dict:
    return {"users": course_stats(request.app.state.engine, slug, ("users",), until=_day(until))["users"]}


@router.get("/courses/{slug:path}/timeslices", summary="Per-wiki figures for each timeslice window",
            responses=errors(*READ))
def course_timeslices(request: Request, slug: str,
                      wiki: Annotated[str | None, Query(description="only this wiki's windows")] = None,
                      until: UntilDate = None) -> dict:
    windows = course_stats(request.app.state.engine, slug, ("timeslices",), until=_day(until))["timeslices"]
    return {"timeslices": [w for w in windows if wiki is None or w["wiki"] == wiki.lower()]}


@router.get("/courses/{slug:path}/updates",
            summary="The course's latest update runs, newest first: progress, duration, moved figures, reasons",
            responses=errors(*READ))
def course_updates(request: Request, slug: str, limit: Annotated[int, Query(ge=1, le=100)] = 10) -> dict:
    return {"updates": update_history(request.app.state.engine, slug, limit)}


@router.get("/courses/{slug:path}/changes",
            summary="Why the course's figures moved: the latest runs' moved figures and reasons, newest first",
            responses=errors(*READ))
def course_changes_resource(request: Request, slug: str,
                            limit: Annotated[int, Query(ge=1, le=100)] = 20) -> dict:
    return {"changes": course_changes(request.app.state.engine, slug, limit)}


@router.post("/courses/{slug:path}/updates", status_code=202,
             summary="Start an update in the background (409 while one runs), or queue it for the workers",
             responses=errors(*ACT, 409, 503))
def start_update(request: Request, slug: str, caller: Caller, body: StartUpdate | None = None) -> dict:
    require_manager(request, caller, slug)
    started = request.app.state.updater.start(slug, full=bool(body and body.full))
    return {"run": started.run, "queued": started.queue, "coalesced": started.coalesced,
            "progress": f"/api/courses/{slug}/updates"}


@router.post("/courses/{slug:path}/users", summary="Enroll users (checked against the course's wikis)",
             responses=errors(*ACT))
def enroll(request: Request, slug: str, body: Enroll, caller: Caller) -> dict:
    require_manager(request, caller, slug)
    changes = course_api.enroll(request.app.state.engine, slug, body.usernames, body.role,
                                source_factory=request.app.state.source_factory)
    return {"enrolled": [c.username for c in changes], "role": body.role, "changes": _roster(changes),
            "note": "a student's edits count from the next update"}


@router.delete("/courses/{slug:path}/users/{username}", summary="Dis-enroll a user", responses=errors(*ACT))
def disenroll(request: Request, slug: str, username: str, caller: Caller) -> dict:
    require_manager(request, caller, slug)
    changes = course_api.disenroll(request.app.state.engine, slug, [username])
    return {"removed": [c.username for c in changes], "changes": _roster(changes),
            "note": "a student's edits stop counting at the next update"}


def _roster(changes: list[course_api.RosterChange]) -> list[dict]:
    """Each user's role before and after (null: not enrolled), and what that means."""
    return [{"username": c.username, "before": c.before, "after": c.after, "text": c.describe()} for c in changes]


@router.get("/courses/{slug:path}/users/{username}/removal",
            summary="What dis-enrolling the user would make of the course's figures (token; changes nothing)",
            responses=errors(*ACT, 503))
def removal(request: Request, slug: str, username: str, caller: Caller) -> dict:
    require_manager(request, caller, slug)  # the preview of an action only a manager may take
    return removal_preview(request.app.state.engine, slug, [username])


@router.get("/courses/{slug:path}/wikis", summary="The course's figures split by wiki (they add up to the totals)",
            responses=errors(*READ))
def course_wikis(request: Request, slug: str) -> dict:
    return {"wikis": per_wiki(request.app.state.engine, slug)}


@router.get("/wikis", summary="Every registered wiki with its API URL")
def list_wikis(request: Request) -> dict:
    return {"wikis": wiki_api.list_wikis(request.app.state.engine)}


@router.patch("/courses/{slug:path}", summary="Change the course's dates, wikis, timeslice length or namespaces",
              responses=errors(*ACT))
def edit(request: Request, slug: str, body: Edit, caller: Caller) -> dict:
    require_manager(request, caller, slug)
    engine = request.app.state.engine
    spaces = resolve_option(engine, [f"{d}:{','.join(str(n) for n in ns)}" for d, ns in body.namespaces.items()])
    course_api.edit_course(engine, slug, start=body.start, end=body.end,
                           add_wikis=body.add_wikis, remove_wikis=body.remove_wikis,
                           timeslice_days=body.timeslice_days, namespaces=spaces)
    if body.count_uploads is not None:
        count_uploads(engine, slug, body.count_uploads)
    return {"course": course_stats(request.app.state.engine, slug, ("course",))["course"],
            "note": "the next update adjusts the statistics"}


@router.get("/courses/{slug:path}", summary="The course's statistics: the document of `stats --json`",
            responses=errors(*READ))
def course(request: Request, slug: str, until: UntilDate = None) -> dict:
    return course_stats(request.app.state.engine, slug, until=_day(until))
