"""Campaigns: named groups of courses whose figures are counted as one (docs/campaigns.md). The write side:
create a campaign, add courses to it, take them out. A course may be in several campaigns."""
from __future__ import annotations

from typing import Sequence

from sqlalchemy import Connection, Engine, delete, insert, select

from .clock import now_utc
from .courses import check_slug
from .errors import InvalidInput, UnknownCampaign
from .models.tables import campaign_courses, campaigns, courses
# Names of a campaign's own pages and resources on the web (slugs hold "/"): no part of a
# campaign slug may be one, so /campaigns/x/courses.csv and /api/campaigns/x/courses/c
# split in one way only.
RESERVED_PARTS = ("courses", "wikis")


def campaign_id(conn: Connection, slug: str) -> int:
    cid = conn.scalar(select(campaigns.c.id).where(campaigns.c.slug == slug))
    if cid is None:
        raise UnknownCampaign(f"no campaign {slug!r}")
    return cid


def create_campaign(engine: Engine, slug: str, *, title: str) -> int:
    check_slug(slug, "campaign")
    reserved = [part for part in slug.split("/") if part in RESERVED_PARTS]
    if reserved or slug.endswith(".csv"):
        name = f"/{reserved[0]}" if reserved else ".csv"
        raise InvalidInput(f"a campaign slug may not hold {name}: the dashboard's pages use that name")
    if not title.strip():
        raise InvalidInput("the title is empty")
    with engine.begin() as conn:
        if conn.scalar(select(campaigns.c.id).where(campaigns.c.slug == slug)) is not None:
            raise InvalidInput(f"campaign {slug!r} already exists")
        return conn.execute(insert(campaigns).values(slug=slug, title=title.strip(), created_at=now_utc())
                            ).inserted_primary_key[0]


def _course_ids(conn: Connection, slugs: Sequence[str]) -> dict[str, int]:
    """Course ids by slug; any unknown slug refuses the whole request (bad input, not a 404:
    the campaign is what the request is about)."""
    if not slugs:
        raise InvalidInput("give at least one course")
    found = dict(conn.execute(select(courses.c.slug, courses.c.id).where(courses.c.slug.in_(set(slugs)))).all())
    unknown = sorted(set(slugs) - found.keys())
    if unknown:
        raise InvalidInput(f"no course {', '.join(map(repr, unknown))}")
    return found


def _members(conn: Connection, cid: int) -> set[int]:
    return set(conn.scalars(select(campaign_courses.c.course_id).where(campaign_courses.c.campaign_id == cid)))


def add_courses(engine: Engine, slug: str, course_slugs: Sequence[str]) -> list[str]:
    """Put courses in the campaign; returns those that were not in it yet (the others are left as they are)."""
    with engine.begin() as conn:
        cid = campaign_id(conn, slug)
        ids = _course_ids(conn, course_slugs)
        members = _members(conn, cid)
        new = sorted(s for s, course in ids.items() if course not in members)
        if new:
            conn.execute(insert(campaign_courses), [dict(campaign_id=cid, course_id=ids[s]) for s in new])
    return new


def remove_courses(engine: Engine, slug: str, course_slugs: Sequence[str]) -> list[str]:
    """Take courses out of the campaign; a course not in it refuses the whole request."""
    with engine.begin() as conn:
        cid = campaign_id(conn, slug)
        ids = _course_ids(conn, course_slugs)
        members = _members(conn, cid)
        outside = sorted(s for s, course in ids.items() if course not in members)
        if outside:
            raise InvalidInput(f"not in campaign {slug!r}: {', '.join(outside)}")
        conn.execute(delete(campaign_courses).where(campaign_courses.c.campaign_id == cid,
                                                    campaign_courses.c.course_id.in_(ids.values())))
    return sorted(ids)
