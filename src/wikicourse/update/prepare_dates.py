"""Pre-update, dates: windows the course gained are created, windows it lost are deleted."""
from __future__ import annotations

from sqlalchemy import Connection

from ..timeslices.manage import WindowChanges, sync_windows
from .context import UpdateContext


def prepare_dates(conn: Connection, ctx: UpdateContext) -> dict[int, WindowChanges]:
    return {cw.wiki_id: sync_windows(conn, ctx.course_id, cw.wiki_id, cw.grid) for cw in ctx.wikis}
