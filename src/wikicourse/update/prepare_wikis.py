"""Pre-update, wikis: forget the wikis the course dropped (prepare_dates creates the windows of new ones)."""

from __future__ import annotations

from sqlalchemy import Connection, select

from ..timeslices.manage import delete_wiki
from ..models.tables import course_wiki_timeslices
from .context import UpdateContext


def prepare_wikis(conn: Connection, ctx: UpdateContext) -> tuple[list[int], list[int]]:
    """Returns (removed, added) wiki ids."""
    tracked = {cw.wiki_id for cw in ctx.wikis}
    present = set(
        conn.scalars(
            select(course_wiki_timeslices.c.wiki_id)
            .where(course_wiki_timeslices.c.course_id == ctx.course_id)
            .distinct()
        )
    )
    removed = sorted(present - tracked)
    for wiki_id in removed:
        delete_wiki(conn, ctx.course_id, wiki_id)
    return removed, [cw.wiki_id for cw in ctx.wikis if cw.wiki_id not in present]
