"""Ingestion plan: which students' revisions to fetch, from where, in batches the API takes."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from ..timeslices.tables import accounts, coverage, rereads, students, users
from ..timeslices.windows import Grid
from .context import UpdateContext

BATCH = 50  # list=usercontribs takes up to 50 users per request


@dataclass(frozen=True)
class FetchJob:
    """Fetch the revisions of `users` (id, username) on a wiki with start <= t < end.

    A job either advances the users' coverage from their ingestion point (start) to the
    horizon (end), or, `reread`, fetches again windows they already cover, where the wiki's
    past changed (SPEC §4a); their coverage then stays as it is.
    """

    wiki_id: int
    grid: Grid
    start: datetime  # a window start: the ingestion point of these users, or a reread's first window
    end: datetime  # min(as-of, end of the period), or a reread's end
    users: tuple[tuple[int, str], ...]
    covered: datetime  # what a user done is recorded as ingested up to (see Grid.settled)
    reread: bool = False
    # The users known to have an account on the wiki (name -> its id): should one no longer
    # exist (renamed since the log was read), the job fails rather than take "no edits"
    # for an answer, and the account's new name is taken (see ingest).
    accounts: tuple[tuple[str, int], ...] = ()


def plan_jobs(conn: Connection, ctx: UpdateContext) -> dict[int, list[FetchJob]]:
    """Per wiki, the jobs that bring every current student's coverage up to the horizon,
    then those that read again the windows marked for a reread.

    Students are grouped by their ingestion point (the start of the window holding their
    ingested_until: that window may be partial), so existing students share one wide
    range and new ones another: adding a user fetches only that user's revisions.
    """
    jobs: dict[int, list[FetchJob]] = {}
    for cw in ctx.wikis:
        horizon = cw.grid.horizon(ctx.as_of)
        covered = cw.grid.settled(ctx.as_of, ctx.now)
        rows = conn.execute(
            select(coverage.c.user_id, users.c.username, coverage.c.ingested_until)
            .join(users, users.c.id == coverage.c.user_id)
            .where(coverage.c.course_id == ctx.course_id, coverage.c.wiki_id == cw.wiki_id,
                   coverage.c.user_id.in_(students(ctx.course_id)))
            .order_by(users.c.username)).all()
        names = {user_id: name for user_id, name, _ in rows}
        known = dict(conn.execute(select(accounts.c.user_id, accounts.c.account_id).where(
            accounts.c.wiki_id == cw.wiki_id, accounts.c.user_id.in_(students(ctx.course_id)))).all())
        by_point: dict[datetime, list[tuple[int, str]]] = defaultdict(list)
        read_from: dict[int, datetime] = {}  # where this update reads each student anyway
        for user_id, name, until in rows:
            if until < horizon:
                by_point[cw.grid.floor(until)].append((user_id, name))
                read_from[user_id] = cw.grid.floor(until)
        jobs[cw.wiki_id] = [job for point, group in sorted(by_point.items())
                            for job in _batches(cw.wiki_id, cw.grid, point, horizon, covered, group, known)]
        ingested = {user_id: until for user_id, _, until in rows}
        jobs[cw.wiki_id] += _reread_jobs(conn, ctx.course_id, cw.wiki_id, cw.grid, names, read_from, ingested, known)
    return jobs


def _batches(wiki_id: int, grid: Grid, start: datetime, end: datetime, covered: datetime,
             group: list[tuple[int, str]], known: dict[int, int], reread: bool = False) -> list[FetchJob]:
    """Jobs of at most BATCH users (what usercontribs takes)."""
    return [FetchJob(wiki_id, grid, start, end, tuple(batch), covered, reread,
                     tuple((name, known[user_id]) for user_id, name in batch if user_id in known))
            for batch in (group[i:i + BATCH] for i in range(0, len(group), BATCH))]


def _reread_jobs(conn: Connection, course_id: int, wiki_id: int, grid: Grid, names: dict[int, str],
                 read_from: dict[int, datetime], ingested: dict[int, datetime],
                 known: dict[int, int]) -> list[FetchJob]:
    """Jobs for the windows to read again: wide ranges, as for ingestion (the windows between
    a student's rereads are read again too: a few more revisions cost less than a request
    per range). Students who are ingested alike share jobs of 50, each from the first of
    their rereads to the last, never past what is ingested of them (nothing later may count
    yet) nor into what this update's ingestion reads anyway."""
    first: dict[int, datetime] = {}
    last: dict[int, datetime] = {}
    for user_id, start in conn.execute(select(rereads.c.user_id, rereads.c.start).where(
            rereads.c.course_id == course_id, rereads.c.wiki_id == wiki_id).order_by(rereads.c.start)):
        limit = read_from.get(user_id, ingested.get(user_id))
        if user_id in names and limit is not None and start < limit:
            first.setdefault(user_id, start)
            last[user_id] = min(grid.end_of(start), limit)
    alike: dict[datetime, list[int]] = defaultdict(list)
    for user_id in first:
        alike[read_from.get(user_id, ingested[user_id])].append(user_id)
    jobs = []
    for group in alike.values():
        group.sort(key=names.get)
        for i in range(0, len(group), BATCH):
            batch = group[i:i + BATCH]
            start, end = min(first[u] for u in batch), max(last[u] for u in batch)
            jobs += _batches(wiki_id, grid, start, end, end, [(u, names[u]) for u in batch], known, reread=True)
    return jobs
