"""The HTTP API: courses and their statistics to read, and the actions of instructors and admins.

Reading is public, as on the reference dashboard. Actions need `Authorization: Bearer TOKEN`.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from .. import courses as course_api
from ..changes import course_changes
from ..models import ROLES
from ..stats import course_list, course_stats, iso
from ..tokens import Actor
from ..update.runs import recent_runs
from .auth import api_actor, require_manager

router = APIRouter(prefix="/api", tags=["courses"])
Caller = Annotated[Actor | None, Depends(api_actor)]
UntilDate = Annotated[str | None, Query(description="YYYY-MM-DD: the figures as of the end of that day (23:59:59 UTC), "
                                                   "from the stored timeslices ending by then", examples=["2024-01-31"])]


def _day(until: str | None) -> date | None:
    """?until=, checked as the command line checks --until (a malformed date is a 422)."""
    return None if until is None else course_api.parse_date(until, "until date")


class Enroll(BaseModel):
    usernames: list[Annotated[str, Field(min_length=1, max_length=255)]] = Field(min_length=1, max_length=500)
    role: Literal[ROLES] = "student"  # type: ignore[valid-type]


class Edit(BaseModel):
    start: date | None = None
    end: date | None = None
    add_wikis: list[str] = []
    remove_wikis: list[str] = []


class StartUpdate(BaseModel):
    full: bool = Field(False, description="Rebuild from scratch instead of updating incrementally")


@router.get("/courses", summary="Every course with its headline figures")
def list_courses(request: Request) -> dict:
    return {"courses": course_list(request.app.state.engine)}


@router.get("/courses/{slug:path}/users", summary="The course's enrolled users and their figures")
def course_users(request: Request, slug: str, until: UntilDate = None) -> dict:
    return {"users": course_stats(request.app.state.engine, slug, ("users",), until=_day(until))["users"]}


@router.get("/courses/{slug:path}/timeslices", summary="Per-wiki figures for each timeslice window")
def course_timeslices(request: Request, slug: str,
                      wiki: Annotated[str | None, Query(description="only this wiki's windows")] = None,
                      until: UntilDate = None) -> dict:
    windows = course_stats(request.app.state.engine, slug, ("timeslices",), until=_day(until))["timeslices"]
    return {"timeslices": [w for w in windows if wiki is None or w["wiki"] == wiki.lower()]}


@router.get("/courses/{slug:path}/updates", summary="The course's latest update runs, newest first")
def course_updates(request: Request, slug: str, limit: Annotated[int, Query(ge=1, le=100)] = 10) -> dict:
    return {"updates": _jsonable(recent_runs(request.app.state.engine, slug, limit))}


@router.get("/courses/{slug:path}/changes",
            summary="Why the course's figures moved: the latest runs' moved figures and reasons, newest first")
def course_changes_resource(request: Request, slug: str,
                            limit: Annotated[int, Query(ge=1, le=100)] = 20) -> dict:
    return {"changes": course_changes(request.app.state.engine, slug, limit)}


@router.post("/courses/{slug:path}/updates", status_code=202,
             summary="Start an update in the background (409 while one runs), or queue it for the workers")
def start_update(request: Request, slug: str, caller: Caller, body: StartUpdate | None = None) -> dict:
    require_manager(request, caller, slug)
    started = request.app.state.updater.start(slug, full=bool(body and body.full))
    return {"run": started.run, "queued": started.queue, "coalesced": started.coalesced,
            "progress": f"/api/courses/{slug}/updates"}


@router.post("/courses/{slug:path}/users", summary="Enroll users (checked against the course's wikis)")
def enroll(request: Request, slug: str, body: Enroll, caller: Caller) -> dict:
    require_manager(request, caller, slug)
    names = course_api.enroll(request.app.state.engine, slug, body.usernames, body.role,
                              source_factory=request.app.state.source_factory)
    return {"enrolled": names, "role": body.role, "note": "their edits count from the next update"}


@router.delete("/courses/{slug:path}/users/{username}", summary="Dis-enroll a user")
def disenroll(request: Request, slug: str, username: str, caller: Caller) -> dict:
    require_manager(request, caller, slug)
    names = course_api.disenroll(request.app.state.engine, slug, [username])
    return {"removed": names, "note": "their edits stop counting at the next update"}


@router.patch("/courses/{slug:path}", summary="Change the course's dates or wikis")
def edit(request: Request, slug: str, body: Edit, caller: Caller) -> dict:
    require_manager(request, caller, slug)
    course_api.edit_course(request.app.state.engine, slug, start=body.start, end=body.end,
                           add_wikis=body.add_wikis, remove_wikis=body.remove_wikis)
    return {"course": course_stats(request.app.state.engine, slug, ("course",))["course"],
            "note": "the next update adjusts the statistics"}


@router.get("/courses/{slug:path}", summary="The course's statistics: the document of `stats --json`")
def course(request: Request, slug: str, until: UntilDate = None) -> dict:
    return course_stats(request.app.state.engine, slug, until=_day(until))


def _jsonable(rows: list[dict]) -> list[dict]:
    return [{k: (iso(v) if isinstance(v, datetime) else v) for k, v in r.items()} for r in rows]

