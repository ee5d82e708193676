"""The HTTP API of campaigns: public to read, like courses; only admins create them and change
which courses they group (a campaign spans courses no single instructor teaches)."""
from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from .. import campaigns as campaign_api
from ..campaign_stats import campaign_list, campaign_stats
from ..tokens import Actor
from .auth import api_actor, require_admin
from .openapi import ACT, READ, errors

router = APIRouter(prefix="/api", tags=["campaigns"])
Caller = Annotated[Actor | None, Depends(api_actor)]
CourseSlug = Annotated[str, Field(min_length=1, max_length=255)]


class NewCampaign(BaseModel):
    slug: Annotated[str, Field(min_length=1, max_length=255)]
    title: Annotated[str, Field(min_length=1, max_length=500)]


class Courses(BaseModel):
    courses: list[CourseSlug] = Field(min_length=1, max_length=500)


@router.get("/campaigns", summary="Every campaign with its number of courses and its figures")
def list_campaigns(request: Request) -> dict:
    return {"campaigns": campaign_list(request.app.state.engine)}


@router.post("/campaigns", status_code=201, summary="Create a campaign (admins)", responses=errors(401, 403, 422))
def create(request: Request, body: NewCampaign, caller: Caller) -> dict:
    require_admin(caller)
    engine = request.app.state.engine
    campaign_api.create_campaign(engine, body.slug, title=body.title)
    return campaign_stats(engine, body.slug)


@router.post("/campaigns/{slug:path}/courses", summary="Add courses to a campaign (admins; all or none)",
             responses=errors(*ACT))
def add(request: Request, slug: str, body: Courses, caller: Caller) -> dict:
    require_admin(caller)
    return {"added": campaign_api.add_courses(request.app.state.engine, slug, body.courses)}


@router.delete("/campaigns/{slug:path}/courses/{course:path}", summary="Take a course out of a campaign (admins)",
               responses=errors(*ACT))
def remove(request: Request, slug: str, course: str, caller: Caller) -> dict:
    require_admin(caller)
    # Course slugs may hold "/courses/" but campaign slugs may not: the first one splits.
    slug, _, course = f"{slug}/courses/{course}".partition("/courses/")
    return {"removed": campaign_api.remove_courses(request.app.state.engine, slug, [course])}


@router.get("/campaigns/{slug:path}",
            summary="The campaign's figures (each revision counted once), its courses', per wiki and per day",
            responses=errors(*READ))
def campaign(request: Request, slug: str,
             until: Annotated[date | None, Query(description="count revisions of this day (UTC) or earlier")] = None
             ) -> dict:
    return campaign_stats(request.app.state.engine, slug, until)
