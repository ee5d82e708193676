"""Which windows hold all current students' data, and so may lose their needs_update mark."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, and_, exists, func, or_, select, update

from ..models.tables import ingestion_coverage, course_wiki_timeslices, rereads, students
from .windows import Grid


def covered_until(conn: Connection, course_id: int, wiki_id: int, grid: Grid) -> datetime:
    """The earliest ingested_until over the current students (period start if one has none)."""
    current = students(course_id)
    n_students = conn.scalar(select(func.count()).select_from(current.subquery()))
    n_covered, until = conn.execute(
        select(func.count(), func.min(ingestion_coverage.c.ingested_until)).where(
            ingestion_coverage.c.course_id == course_id,
            ingestion_coverage.c.wiki_id == wiki_id,
            ingestion_coverage.c.user_id.in_(current),
        )
    ).one()
    if n_students == 0:
        return grid.period_end
    if n_covered < n_students or until is None:
        return grid.period_start
    return until


def settle_marks(conn: Connection, course_id: int, wiki_id: int, grid: Grid, horizon: datetime) -> None:
    """needs_update := the window lies before the as-of time and some student's data for it is
    missing, or must be read again (a reread, docs/wiki-past.md).

    Run right after the marked windows were derived. A window after the horizon (the
    settled part of the as-of time) is never marked: nothing there can be fetched yet.
    """
    until = covered_until(conn, course_id, wiki_id, grid)
    this_wiki = and_(course_wiki_timeslices.c.course_id == course_id, course_wiki_timeslices.c.wiki_id == wiki_id)
    reread = exists().where(
        rereads.c.course_id == course_id,
        rereads.c.wiki_id == wiki_id,
        rereads.c.start == course_wiki_timeslices.c.start,
    )
    # Everyone's data reaches the horizon: only rereads are missing.
    missing = (
        reread
        if until >= horizon
        else or_(and_(course_wiki_timeslices.c.start < horizon, course_wiki_timeslices.c.end > until), reread)
    )
    conn.execute(
        update(course_wiki_timeslices)
        .where(this_wiki, course_wiki_timeslices.c.needs_update, ~missing)
        .values(needs_update=False)
    )
    conn.execute(
        update(course_wiki_timeslices)
        .where(this_wiki, ~course_wiki_timeslices.c.needs_update, missing)
        .values(needs_update=True)
    )
