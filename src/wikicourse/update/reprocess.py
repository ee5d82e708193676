"""Reprocess: re-derive every window marked needs_update, then keep the mark only where data is missing."""
from __future__ import annotations

from sqlalchemy import Connection

from ..timeslices.coverage import settle_marks
from ..timeslices.derive import derive_marked
from .context import UpdateContext


def reprocess(conn: Connection, ctx: UpdateContext) -> bool:
    """Returns whether any window was re-derived (else no timeslice changed)."""
    derived = derive_marked(conn, ctx.course_id)
    for cw in ctx.wikis:
        settle_marks(conn, ctx.course_id, cw.wiki_id, cw.grid, cw.grid.settled(ctx.as_of, ctx.now))
    return derived
