"""The course's copy step: its finest grain from the shared store (SPEC §4b), set-based.

Each student's windows from the one holding their ingestion point on are taken again
from `revisions`, as far as the store holds that student's contributions (and no further
than the update's settled horizon); their ingested_until advances in the same
transaction. The windows to read again (rereads) are taken again once the store holds
them anew. No request to any wiki: whichever update fetched the rows, every course
counts them the same way.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import Connection, and_, case, delete, func, insert, literal, select, update

from ..sql import chunks
from ..timeslices.manage import CHANGED
from ..timeslices.tables import coverage, cwt, fine, rereads, revisions, students
from .context import UpdateContext
from .spans import holds, reach, spans_of


def copy_in(conn: Connection, ctx: UpdateContext) -> int:
    """Bring the course's finest grain up to what the store holds; returns the edits it
    counts that it did not before."""
    counted = 0
    for cw in ctx.wikis:
        c, w = ctx.course_id, cw.wiki_id
        covered = cw.grid.settled(ctx.as_of, ctx.now)
        rows = dict(conn.execute(select(coverage.c.user_id, coverage.c.ingested_until).where(
            coverage.c.course_id == c, coverage.c.wiki_id == w, coverage.c.user_id.in_(students(c)))).all())
        spans = spans_of(conn, w, rows)
        horizon = cw.grid.horizon(ctx.as_of)
        forward: dict[tuple[datetime, datetime, datetime], list[int]] = defaultdict(list)
        for user_id, until in rows.items():
            point = cw.grid.floor(until)
            held = reach(spans.get(user_id, []), point)
            # Held to the settled horizon: what the store has of the running second counts
            # too (this update read it), but stays to be read again (ingested_until).
            to = horizon if held >= covered else held
            if to > until:
                forward[(point, min(held, covered), to)].append(user_id)
        for (point, new, counted_to), uids in forward.items():
            counted += _newly_counted(conn, c, w, uids, counted_to)
            for batch in chunks(uids):
                conn.execute(update(coverage).where(coverage.c.course_id == c, coverage.c.wiki_id == w,
                                                    coverage.c.user_id.in_(batch)).values(ingested_until=new))
                rows.update((u, new) for u in batch)
            copy_windows(conn, c, w, uids, point, counted_to, upto=counted_to)
        # Windows read again: taken once the store holds them (forward copies took theirs).
        done: dict[datetime, list[int]] = defaultdict(list)
        for user_id, start in conn.execute(select(rereads.c.user_id, rereads.c.start).where(
                rereads.c.course_id == c, rereads.c.wiki_id == w)).all():
            until = rows.get(user_id)
            if until is not None and holds(spans.get(user_id, []), start, min(cw.grid.end_of(start), until)):
                done[start].append(user_id)
        forwarded = {u: (point, counted_to) for (point, _, counted_to), group in forward.items() for u in group}
        for start, uids in done.items():
            rest = [u for u in uids if not (u in forwarded and forwarded[u][0] <= start < forwarded[u][1])]
            if rest:
                copy_windows(conn, c, w, rest, start, cw.grid.end_of(start))
            for batch in chunks(uids):
                conn.execute(delete(rereads).where(rereads.c.course_id == c, rereads.c.wiki_id == w,
                                                   rereads.c.start == start, rereads.c.user_id.in_(batch)))
    return counted


def _newly_counted(conn: Connection, course_id: int, wiki_id: int, user_ids: list[int], new: datetime) -> int:
    """The store's edits of these students between their ingested_until and `new`."""
    total = 0
    for batch in chunks(user_ids):
        total += conn.scalar(select(func.count()).select_from(revisions).join(coverage, and_(
            coverage.c.course_id == course_id, coverage.c.wiki_id == wiki_id,
            coverage.c.user_id == revisions.c.user_id, revisions.c.timestamp >= coverage.c.ingested_until))
            .where(revisions.c.wiki_id == wiki_id, revisions.c.user_id.in_(batch), revisions.c.timestamp < new))
    return total


def copy_windows(conn: Connection, course_id: int, wiki_id: int, user_ids: list[int],
                 first: datetime, last: datetime, upto: datetime | None = None) -> None:
    """The finest-grain rows of these students in the windows starting in [first, last),
    taken again from the store up to `upto` (each one's ingested_until if None); the
    windows are marked."""
    c, w = course_id, wiki_id
    window = and_(cwt.c.course_id == c, cwt.c.wiki_id == w, cwt.c.start <= revisions.c.timestamp,
                  cwt.c.end > revisions.c.timestamp, cwt.c.start >= first, cwt.c.start < last)
    if upto is None:
        ingested = and_(coverage.c.course_id == c, coverage.c.wiki_id == w,
                        coverage.c.user_id == revisions.c.user_id, revisions.c.timestamp < coverage.c.ingested_until)
    for batch in chunks(user_ids):
        conn.execute(delete(fine).where(fine.c.course_id == c, fine.c.wiki_id == w, fine.c.user_id.in_(batch),
                                        fine.c.start >= first, fine.c.start < last))
        rows = (select(literal(c), revisions.c.user_id, revisions.c.article_id, literal(w), cwt.c.start,
                       func.sum(revisions.c.characters), func.sum(revisions.c.references), func.count(),
                       func.max(case((revisions.c.new, 1), else_=0)) > 0, func.max(revisions.c.timestamp))
                .join(cwt, window)
                .where(revisions.c.wiki_id == w, revisions.c.user_id.in_(batch), revisions.c.timestamp >= first)
                .group_by(revisions.c.user_id, revisions.c.article_id, cwt.c.start))
        rows = rows.join(coverage, ingested) if upto is None else rows.where(revisions.c.timestamp < upto)
        conn.execute(insert(fine).from_select(
            ["course_id", "user_id", "article_id", "wiki_id", "start", "character_sum", "references_count",
             "revision_count", "new_article", "last_rev_at"], rows))
    conn.execute(update(cwt).where(cwt.c.course_id == c, cwt.c.wiki_id == w, cwt.c.start >= first,
                                   cwt.c.start < last).values(**CHANGED))
