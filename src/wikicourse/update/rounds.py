"""Update rounds (docs/shared-ingestion.md): the workers read each wiki's contributions once per round.

When the workers update many courses one after the other, each would ask the wiki for
its own students' latest edits: a student in five courses would be read five times, and
every course would cost a request per 50 students. Instead the first update on a wiki
that finds no fresh round claims one and reads, in batches of 50, every student of every
followed course on the wiki up to now; the updates after it, within the round's age,
count as of that round's time and ask the wiki nothing for students it read. An update
that finds a round being read waits for it rather than read the same users again, while
the update reading it is alive (a killed one's round is taken over).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, func, select, update

from ..clock import now_utc
from ..sources.base import RevisionSource
from ..models.tables import course_wikis, courses, enrollments, update_runs, users, wikis
from ..timeslices.windows import day_start, through
from .ingest import IngestResult, ingest
from .plan import Need, batch_needs
from .runs import abandoned
from .spans import gaps, spans_of

POLL = 0.5  # seconds between looks at a round another update is reading


@dataclass
class Round:
    as_of: datetime | None  # what the round's reads are final to; None: no round to count as of
    requests: int = 0  # what reading the round cost, if this update read it
    revisions: int = 0
    errors: tuple[str, ...] = ()


def round_as_of(engine: Engine, run_id: int, sources: dict[int, RevisionSource], max_age: float,
                grace_days: int) -> Round:
    """The as-of time the update `run_id` of a course on these wikis can count at: the latest
    round of each (read now if none is fresher than `max_age` seconds), the earliest of them."""
    found, times = Round(None), []
    for wiki_id, source in sources.items():
        before = source.request_count
        at, read = _wiki_round(engine, run_id, wiki_id, source, max_age, grace_days)
        found.requests += source.request_count - before
        if read is not None:
            found.revisions += read.revisions
            found.errors += tuple(read.errors)
        if at is None:
            return found
        times.append(at)
    found.as_of = min(times) if times else None
    return found


def _reader_alive(conn: Connection, run_id: int) -> bool:
    """Is the update run reading a round still at it (not finished, not killed)?"""
    run = conn.execute(select(update_runs.c.status, update_runs.c.holder,
                              update_runs.c.heartbeat_at).where(update_runs.c.id == run_id)).first()
    return run is not None and run.status == "running" and not abandoned(run.holder, run.heartbeat_at, now_utc())


def _wiki_round(engine: Engine, run_id: int, wiki_id: int, source: RevisionSource, max_age: float,
                grace_days: int) -> tuple[datetime | None, IngestResult | None]:
    """The wiki's fresh round (None if there is none to count as of), and what this update
    read of it, if it read it."""
    waited_since = time.monotonic()
    while True:
        now = now_utc()
        with engine.begin() as conn:
            round_at, reader = conn.execute(select(wikis.c.round_at, wikis.c.round_run)
                                            .where(wikis.c.id == wiki_id)).one()
            if round_at is not None and (now - round_at).total_seconds() < max_age:
                return round_at, None
            if reader is None or not _reader_alive(conn, reader):
                # Compare and set: of two updates that found no fresh round, one reads it.
                taken = conn.execute(update(wikis).where(
                    wikis.c.id == wiki_id, wikis.c.round_run.is_(None) if reader is None else wikis.c.round_run == reader)
                    .values(round_run=run_id)).rowcount
                if taken:
                    break
        if time.monotonic() - waited_since > max_age:
            return None, None  # the round being read is slow: this update reads on its own
        time.sleep(POLL)
    at = None
    try:
        at, read = _read_round(engine, wiki_id, source, now, grace_days)
        return at, read
    finally:
        with engine.begin() as conn:
            conn.execute(update(wikis).where(wikis.c.id == wiki_id, wikis.c.round_run == run_id).values(
                round_run=None, **({"round_at": at} if at is not None else {})))


def _read_round(engine: Engine, wiki_id: int, source: RevisionSource, now: datetime,
                grace_days: int) -> tuple[datetime | None, IngestResult]:
    """Read every followed student up to now; returns the round's time (None if a read
    failed) and what was read."""
    settled = now.replace(microsecond=0)  # the running second is not final (Grid.settled)
    with engine.connect() as conn:
        needs = round_needs(conn, wiki_id, now, settled, grace_days)
        jobs = batch_needs(conn, wiki_id, needs)
    result = ingest(engine, {wiki_id: jobs}, {wiki_id: source})
    return (None if result.errors else settled - timedelta(seconds=1)), result


def round_needs(conn: Connection, wiki_id: int, now: datetime, settled: datetime, grace_days: int) -> list[Need]:
    """Every student of a course on the wiki that is followed now (running, or ended less
    than the grace period ago): what the store lacks of them from the start of their first
    period to now (or the end of their last period)."""
    today = now.date()
    rows = conn.execute(
        select(enrollments.c.user_id, users.c.username, func.min(courses.c.start), func.max(courses.c.end))
        .join(courses, courses.c.id == enrollments.c.course_id)
        .join(course_wikis, course_wikis.c.course_id == courses.c.id)
        .join(users, users.c.id == enrollments.c.user_id)
        .where(course_wikis.c.wiki_id == wiki_id, enrollments.c.role == "student", courses.c.start <= today,
               courses.c.end >= today - timedelta(days=grace_days))
        .group_by(enrollments.c.user_id, users.c.username)).all()
    spans = spans_of(conn, wiki_id, [r.user_id for r in rows])
    needs = []
    for user_id, name, first, last in rows:
        end = min(through(now), day_start(last) + timedelta(days=1))
        for start, stop in gaps(spans.get(user_id, []), day_start(first), end):
            needs.append(Need(user_id, name, start, stop, min(settled, stop)))
    return needs
