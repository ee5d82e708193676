"""Pre-update, dates: windows the course gained are created, windows it lost are deleted."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Connection, func, select

from ..timeslices.manage import sync_windows
from ..timeslices.tables import cwt
from .context import UpdateContext


def prepare_dates(conn: Connection, ctx: UpdateContext) -> list[dict]:
    """Returns the reason to record when the period or the timeslice length changed."""
    before = conn.execute(select(func.min(cwt.c.start), func.max(cwt.c.end), func.count()).where(
        cwt.c.course_id == ctx.course_id)).one()
    for cw in ctx.wikis:
        sync_windows(conn, ctx.course_id, cw.wiki_id, cw.grid)
    after = conn.execute(select(func.min(cwt.c.start), func.max(cwt.c.end), func.count()).where(
        cwt.c.course_id == ctx.course_id)).one()
    if before[2] == 0 or tuple(before) == tuple(after):
        return []  # a course's first windows, or nothing moved

    def period(row) -> str:
        return f"{row[0]:%Y-%m-%d} to {row[1] - timedelta(seconds=1):%Y-%m-%d}, {row[2]} windows"

    return [dict(kind="dates", detail=f"{period(before)} -> {period(after)}")]
