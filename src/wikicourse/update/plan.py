"""Ingestion plan: which students' contributions to fetch, from where, in batches the API takes.

Contributions go into the shared store (docs/shared-ingestion.md), so a course asks the wiki only for what
no span of the store holds: a student another course already follows costs nothing over
the overlap.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from ..models.tables import wiki_accounts, ingestion_coverage, rereads, students, users
from ..timeslices.windows import Grid
from .context import UpdateContext
from .spans import gaps, holds, spans_of

BATCH = 50  # list=usercontribs takes up to 50 users per request


@dataclass(frozen=True)
class FetchJob:
    """Fetch the contributions of `users` (id, username) on a wiki with start <= t < end into
    the store; what it reads is final up to `covered` (see Grid.settled)."""

    wiki_id: int
    start: datetime
    end: datetime
    users: tuple[tuple[int, str], ...]
    covered: datetime
    reread: bool = False  # reads again what the wiki's past changed (docs/wiki-past.md)
    # The users known to have an account on the wiki (name -> its id): should one no longer
    # exist (renamed since the log was read), the job fails rather than take "no edits"
    # for an answer, and the account's new name is taken (see ingest).
    accounts: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Need:
    """A user's contributions a course needs in the store: [start, end), final to `covered`."""

    user_id: int
    name: str
    start: datetime
    end: datetime
    covered: datetime
    reread: bool = False


def course_needs(conn: Connection, ctx: UpdateContext) -> dict[int, list[Need]]:
    """Per wiki, what the course's copy step (update.copy) will take from the store and the
    store lacks: each current student's contributions from the window holding their
    ingestion point to the horizon, and the windows to read again (rereads)."""
    needs: dict[int, list[Need]] = {}
    for cw in ctx.wikis:
        horizon = cw.grid.horizon(ctx.as_of)
        covered = cw.grid.settled(ctx.as_of, ctx.now)
        rows = conn.execute(
            select(ingestion_coverage.c.user_id, users.c.username, ingestion_coverage.c.ingested_until)
            .join(users, users.c.id == ingestion_coverage.c.user_id)
            .where(
                ingestion_coverage.c.course_id == ctx.course_id,
                ingestion_coverage.c.wiki_id == cw.wiki_id,
                ingestion_coverage.c.user_id.in_(students(ctx.course_id)),
            )
        ).all()
        spans = spans_of(conn, cw.wiki_id, [r.user_id for r in rows])
        wiki_needs = []
        for user_id, name, until in rows:
            # Only what no span holds: a period moved earlier, a new grid or a student other
            # courses follow costs the days the store lacks, not the whole range again.
            for start, end in gaps(spans.get(user_id, []), cw.grid.floor(until), horizon):
                wiki_needs.append(Need(user_id, name, start, end, min(covered, end)))
        names = {r.user_id: r.username for r in rows}
        ingested = {r.user_id: r.ingested_until for r in rows}
        wiki_needs += _reread_needs(conn, ctx.course_id, cw.wiki_id, cw.grid, names, ingested, spans, covered)
        needs[cw.wiki_id] = wiki_needs
    return needs


def _reread_needs(
    conn: Connection,
    course_id: int,
    wiki_id: int,
    grid: Grid,
    names: dict[int, str],
    ingested: dict[int, datetime],
    spans: dict,
    covered: datetime,
) -> list[Need]:
    """The windows to read again (docs/wiki-past.md; or new before the kept ones, manage.sync_windows)
    that lie before the window the forward read starts in, and that the store does not hold
    (another course may have read them already):
    per student, one wide range from the first to the last (a few more revisions cost less
    than a request per range), final up to the settled time `covered`."""
    first: dict[int, datetime] = {}
    last: dict[int, datetime] = {}
    for user_id, start in conn.execute(
        select(rereads.c.user_id, rereads.c.start)
        .where(rereads.c.course_id == course_id, rereads.c.wiki_id == wiki_id)
        .order_by(rereads.c.start)
    ):
        if user_id not in names or start >= grid.floor(ingested[user_id]):
            continue  # not a student any more, or read anyway by the forward read
        end = min(grid.end_of(start), ingested[user_id])
        if not holds(spans.get(user_id, []), start, end):
            first.setdefault(user_id, start)
            last[user_id] = end
    return [Need(u, names[u], first[u], last[u], min(last[u], covered), reread=True) for u in first]


def plan_jobs(conn: Connection, ctx: UpdateContext) -> dict[int, list[FetchJob]]:
    """Per wiki, the fetch jobs that bring the store to what the course needs."""
    grids = {cw.wiki_id: cw.grid for cw in ctx.wikis}
    return {
        wiki_id: batch_needs(conn, wiki_id, needs, grids[wiki_id]) for wiki_id, needs in course_needs(conn, ctx).items()
    }


def batch_needs(conn: Connection, wiki_id: int, needs: list[Need], grid: Grid | None = None) -> list[FetchJob]:
    """Jobs of at most BATCH users (what usercontribs takes), each from the earliest start of
    its users to the latest end. Users whose needs start in the same window (a day without a
    grid) and end alike share jobs: students read up to the same update share one range, and
    a new student's period is a job of its own rather than a range every other student would
    be read over again. Rereads share jobs whatever their ranges: a few more revisions cost
    less than a request per range."""
    known = (
        dict(
            conn.execute(
                select(wiki_accounts.c.user_id, wiki_accounts.c.account_id).where(
                    wiki_accounts.c.wiki_id == wiki_id, wiki_accounts.c.user_id.in_([n.user_id for n in needs])
                )
            ).all()
        )
        if needs
        else {}
    )
    alike: dict[tuple, list[Need]] = defaultdict(list)
    for need in needs:
        bucket = grid.floor(need.start) if grid else need.start.date()
        alike[(True,) if need.reread else (False, bucket, need.end, need.covered)].append(need)
    jobs = []
    for key, group in sorted(alike.items(), key=lambda kv: kv[0][:3]):
        group.sort(key=lambda n: n.name)
        for batch in (group[i : i + BATCH] for i in range(0, len(group), BATCH)):
            # Every user of the job is read over its whole range: what is final of it (the
            # latest `covered`, never past the settled time) holds for each of them.
            jobs.append(
                FetchJob(
                    wiki_id,
                    min(n.start for n in batch),
                    max(n.end for n in batch),
                    tuple((n.user_id, n.name) for n in batch),
                    max(n.covered for n in batch),
                    key[0],
                    tuple((n.name, known[n.user_id]) for n in batch if n.user_id in known),
                )
            )
    return jobs
