"""Pre-update, dates: windows the course gained are created, windows it lost are deleted."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Connection, select

from ..timeslices.manage import sync_windows
from ..models.tables import course_wiki_timeslices
from .context import UpdateContext


def prepare_dates(conn: Connection, ctx: UpdateContext) -> list[dict]:
    """Returns the reason to record when the period or the timeslice length changed."""

    def windows() -> set[tuple]:
        return set(
            conn.execute(
                select(
                    course_wiki_timeslices.c.wiki_id, course_wiki_timeslices.c.start, course_wiki_timeslices.c.end
                ).where(course_wiki_timeslices.c.course_id == ctx.course_id)
            ).all()
        )

    before = windows()
    for cw in ctx.wikis:
        sync_windows(conn, ctx.course_id, cw.wiki_id, cw.grid)
    after = windows()
    # Any window gained, lost or re-ended (a new length can keep the period and the count).
    if not before or before == after:
        return []  # a course's first windows, or nothing moved

    def period(rows: set[tuple]) -> str:
        start, end = min(r[1] for r in rows), max(r[2] for r in rows)
        return f"{start:%Y-%m-%d} to {end - timedelta(seconds=1):%Y-%m-%d}, {len(rows)} windows"

    return [dict(kind="dates", detail=f"{period(before)} -> {period(after)}")]
