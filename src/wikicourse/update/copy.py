"""The course's copy step: its finest grain from the shared store (docs/shared-ingestion.md), set-based.

Each student's windows from the one holding their ingestion point on are taken again
from `revisions`, as far as the store holds that student's contributions (to the horizon
when it holds them to the settled part of it: what the update read of its running second
counts too); their ingested_until, the exclusive end of what the course counts, advances
in the same transaction. The store's spans, not ingested_until, say what is read as final:
an update in that same second later reads it again and takes the course's windows again.
The windows to read again (rereads) are taken again once the store holds them anew. A
group of students for whom the store holds nothing the course does not count yet is left
alone. No request to any wiki: whichever update fetched the rows, every course counts
them the same way.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import Connection, and_, case, delete, func, insert, literal, select, update

from ..sql import chunks
from ..timeslices.manage import CHANGED
from ..models.tables import (
    ingestion_coverage,
    course_wiki_timeslices,
    course_user_article_timeslices,
    rereads,
    revisions,
    students,
)
from .context import UpdateContext
from .spans import holds, reach, spans_of


def copy_in(conn: Connection, ctx: UpdateContext) -> int:
    """Bring the course's finest grain up to what the store holds; returns the edits it
    counts that it did not before."""
    counted = 0
    for cw in ctx.wikis:
        c, w = ctx.course_id, cw.wiki_id
        covered = cw.grid.settled(ctx.as_of, ctx.now)
        rows = dict(
            conn.execute(
                select(ingestion_coverage.c.user_id, ingestion_coverage.c.ingested_until).where(
                    ingestion_coverage.c.course_id == c,
                    ingestion_coverage.c.wiki_id == w,
                    ingestion_coverage.c.user_id.in_(students(c)),
                )
            ).all()
        )
        spans = spans_of(conn, w, rows)
        horizon = cw.grid.horizon(ctx.as_of)
        forward: dict[tuple[datetime, datetime], list[int]] = defaultdict(list)
        for user_id, until in rows.items():
            point = cw.grid.floor(until)
            held = reach(spans.get(user_id, []), point)
            to = horizon if held >= covered else held
            # Further than before, or counting a running second the store now holds read again.
            if to > until or (held >= covered and until > covered):
                forward[(point, to)].append(user_id)
        copied: dict[tuple[datetime, datetime], list[int]] = {}
        for (point, to), uids in forward.items():
            before = _counted(conn, c, w, uids, point)
            for batch in chunks(uids):
                conn.execute(
                    update(ingestion_coverage)
                    .where(
                        ingestion_coverage.c.course_id == c,
                        ingestion_coverage.c.wiki_id == w,
                        ingestion_coverage.c.user_id.in_(batch),
                    )
                    .values(ingested_until=to)
                )
                rows.update((u, to) for u in batch)
            # Skip the usual hourly update's copy when it would change nothing: no rebuild, no
            # window of theirs to read again from here on (the store's rows there may have
            # changed), and the store holds there exactly the edits, characters and references
            # the course counts (rows only ever join a span read forward).
            if (
                not ctx.full
                and not _rereads_from(conn, c, w, uids, point)
                and _stored(conn, w, uids, point, to) == before
            ):
                continue
            copy_windows(conn, c, w, uids, point, to)
            copied[(point, to)] = uids
            counted += max(0, _counted(conn, c, w, uids, point)[0] - before[0])
        # Windows read again: taken once the store holds them (forward copies took theirs).
        done: dict[datetime, list[int]] = defaultdict(list)
        for user_id, start in conn.execute(
            select(rereads.c.user_id, rereads.c.start).where(rereads.c.course_id == c, rereads.c.wiki_id == w)
        ).all():
            until = rows.get(user_id)
            # (Up to the settled part: the running second is never held as final.)
            if until is not None and holds(spans.get(user_id, []), start, min(cw.grid.end_of(start), until, covered)):
                done[start].append(user_id)
        forwarded = {u: span for span, group in copied.items() for u in group}
        for start, uids in done.items():
            rest = [u for u in uids if not (u in forwarded and forwarded[u][0] <= start < forwarded[u][1])]
            if rest:
                copy_windows(conn, c, w, rest, start, cw.grid.end_of(start))
            for batch in chunks(uids):
                conn.execute(
                    delete(rereads).where(
                        rereads.c.course_id == c,
                        rereads.c.wiki_id == w,
                        rereads.c.start == start,
                        rereads.c.user_id.in_(batch),
                    )
                )
    return counted


def _counted(
    conn: Connection, course_id: int, wiki_id: int, user_ids: list[int], first: datetime
) -> tuple[int, int, int]:
    """The edits, characters and references the course counts of these students in its
    windows from `first` on."""
    total = (0, 0, 0)
    for batch in chunks(user_ids):
        row = conn.execute(
            select(
                *(
                    func.coalesce(func.sum(col), 0)
                    for col in (
                        course_user_article_timeslices.c.revision_count,
                        course_user_article_timeslices.c.character_sum,
                        course_user_article_timeslices.c.references_count,
                    )
                )
            ).where(
                course_user_article_timeslices.c.course_id == course_id,
                course_user_article_timeslices.c.wiki_id == wiki_id,
                course_user_article_timeslices.c.user_id.in_(batch),
                course_user_article_timeslices.c.start >= first,
            )
        ).one()
        total = tuple(a + b for a, b in zip(total, row))
    return total


def _stored(
    conn: Connection, wiki_id: int, user_ids: list[int], first: datetime, until: datetime
) -> tuple[int, int, int]:
    """The store's edits, characters and references of these users in [first, until)."""
    total = (0, 0, 0)
    for batch in chunks(user_ids):
        row = conn.execute(
            select(
                func.count(),
                func.coalesce(func.sum(revisions.c.characters), 0),
                func.coalesce(func.sum(revisions.c.references), 0),
            ).where(
                revisions.c.wiki_id == wiki_id,
                revisions.c.user_id.in_(batch),
                revisions.c.timestamp >= first,
                revisions.c.timestamp < until,
            )
        ).one()
        total = tuple(a + b for a, b in zip(total, row))
    return total


def _rereads_from(conn: Connection, course_id: int, wiki_id: int, user_ids: list[int], first: datetime) -> bool:
    return any(
        conn.scalar(
            select(rereads.c.user_id)
            .where(
                rereads.c.course_id == course_id,
                rereads.c.wiki_id == wiki_id,
                rereads.c.user_id.in_(batch),
                rereads.c.start >= first,
            )
            .limit(1)
        )
        is not None
        for batch in chunks(user_ids)
    )


def copy_windows(
    conn: Connection, course_id: int, wiki_id: int, user_ids: list[int], first: datetime, last: datetime
) -> None:
    """The finest-grain rows of these students in the windows starting in [first, last),
    taken again from the store up to each one's ingested_until; the windows are marked."""
    c, w = course_id, wiki_id
    window = and_(
        course_wiki_timeslices.c.course_id == c,
        course_wiki_timeslices.c.wiki_id == w,
        course_wiki_timeslices.c.start <= revisions.c.timestamp,
        course_wiki_timeslices.c.end > revisions.c.timestamp,
        course_wiki_timeslices.c.start >= first,
        course_wiki_timeslices.c.start < last,
    )
    ingested = and_(
        ingestion_coverage.c.course_id == c,
        ingestion_coverage.c.wiki_id == w,
        ingestion_coverage.c.user_id == revisions.c.user_id,
        revisions.c.timestamp < ingestion_coverage.c.ingested_until,
    )
    for batch in chunks(user_ids):
        conn.execute(
            delete(course_user_article_timeslices).where(
                course_user_article_timeslices.c.course_id == c,
                course_user_article_timeslices.c.wiki_id == w,
                course_user_article_timeslices.c.user_id.in_(batch),
                course_user_article_timeslices.c.start >= first,
                course_user_article_timeslices.c.start < last,
            )
        )
        rows = (
            select(
                literal(c),
                revisions.c.user_id,
                revisions.c.article_id,
                literal(w),
                course_wiki_timeslices.c.start,
                func.sum(revisions.c.characters),
                func.sum(revisions.c.references),
                func.count(),
                func.max(case((revisions.c.new, 1), else_=0)) > 0,
                func.max(revisions.c.timestamp),
            )
            .join(course_wiki_timeslices, window)
            .join(ingestion_coverage, ingested)
            .where(revisions.c.wiki_id == w, revisions.c.user_id.in_(batch), revisions.c.timestamp >= first)
            .group_by(revisions.c.user_id, revisions.c.article_id, course_wiki_timeslices.c.start)
        )
        conn.execute(
            insert(course_user_article_timeslices).from_select(
                [
                    "course_id",
                    "user_id",
                    "article_id",
                    "wiki_id",
                    "start",
                    "character_sum",
                    "references_count",
                    "revision_count",
                    "new_article",
                    "last_rev_at",
                ],
                rows,
            )
        )
    conn.execute(
        update(course_wiki_timeslices)
        .where(
            course_wiki_timeslices.c.course_id == c,
            course_wiki_timeslices.c.wiki_id == w,
            course_wiki_timeslices.c.start >= first,
            course_wiki_timeslices.c.start < last,
        )
        .values(**CHANGED)
    )
