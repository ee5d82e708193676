"""Ingestion plan: which students' revisions to fetch, from where, in batches the API takes."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from ..timeslices.tables import coverage, students, users
from ..timeslices.windows import Grid
from .context import UpdateContext

BATCH = 50  # list=usercontribs takes up to 50 users per request


@dataclass(frozen=True)
class FetchJob:
    """Fetch the revisions of `users` (id, username) on a wiki with start <= t < end."""

    wiki_id: int
    grid: Grid
    start: datetime  # a window start: the ingestion point of these users
    end: datetime  # min(as-of, end of the period)
    users: tuple[tuple[int, str], ...]


def plan_jobs(conn: Connection, ctx: UpdateContext) -> dict[int, list[FetchJob]]:
    """Per wiki, the jobs that bring every current student's coverage up to the horizon.

    Students are grouped by their ingestion point (the start of the window holding their
    ingested_until: that window may be partial), so existing students share one wide
    range and new ones another: adding a user fetches only that user's revisions.
    """
    jobs: dict[int, list[FetchJob]] = {}
    for cw in ctx.wikis:
        horizon = cw.grid.horizon(ctx.as_of)
        rows = conn.execute(
            select(coverage.c.user_id, users.c.username, coverage.c.ingested_until)
            .join(users, users.c.id == coverage.c.user_id)
            .where(coverage.c.course_id == ctx.course_id, coverage.c.wiki_id == cw.wiki_id,
                   coverage.c.user_id.in_(students(ctx.course_id)), coverage.c.ingested_until < horizon)
            .order_by(users.c.username)).all()
        by_point: dict[datetime, list[tuple[int, str]]] = defaultdict(list)
        for user_id, name, until in rows:
            by_point[cw.grid.floor(until)].append((user_id, name))
        jobs[cw.wiki_id] = [
            FetchJob(cw.wiki_id, cw.grid, point, horizon, tuple(group[i:i + BATCH]))
            for point, group in sorted(by_point.items()) for i in range(0, len(group), BATCH)]
    return jobs
