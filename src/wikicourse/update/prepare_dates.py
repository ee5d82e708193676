"""Pre-update, dates: windows the course gained are created, windows it lost are deleted."""
from __future__ import annotations

from sqlalchemy import Connection

from ..timeslices.manage import sync_windows
from .context import UpdateContext


def prepare_dates(conn: Connection, ctx: UpdateContext) -> None:
    for cw in ctx.wikis:
        sync_windows(conn, ctx.course_id, cw.wiki_id, cw.grid)
