"""What the shared store holds (docs/shared-ingestion.md): per wiki and user, the spans [start, end) of
their contributions that `revisions` holds in full.

Every course that tracks a user reads these spans before asking the wiki: only what no
span holds is fetched, whichever course's update fetched the rest. Spans only grow, by
fetching, and are cut where the wiki's past changed under them (a restore, hidden
revisions, a page moved into main space), so that whoever needs that part next reads it
again.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Iterable

from sqlalchemy import Connection, delete, insert, select

from ..sql import chunks
from ..models.tables import contribution_reads, wikis

Span = tuple[datetime, datetime]
SECOND = timedelta(seconds=1)


def reach(spans: list[Span], point: datetime) -> datetime:
    """How far from `point` on the spans hold everything (`point` itself if none holds it)."""
    for start, end in spans:
        if start <= point < end:
            return end
    return point


def gaps(spans: list[Span], start: datetime, end: datetime) -> list[Span]:
    """The parts of [start, end) no span holds."""
    out, t = [], start
    for s, e in spans:
        if e <= t or s >= end:
            continue
        if s > t:
            out.append((t, s))
        t = max(t, e)
    if t < end:
        out.append((t, end))
    return out


def holds(spans: list[Span], start: datetime, end: datetime) -> bool:
    return end <= start or reach(spans, start) >= end


def merge(spans: Iterable[Span]) -> list[Span]:
    out: list[Span] = []
    for start, end in sorted(s for s in spans if s[0] < s[1]):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def cut(spans: list[Span], start: datetime, end: datetime) -> list[Span]:
    """The spans without [start, end)."""
    out = []
    for s, e in spans:
        if e <= start or s >= end:
            out.append((s, e))
            continue
        if s < start:
            out.append((s, start))
        if e > end:
            out.append((end, e))
    return out


def generation(conn: Connection, wiki_id: int) -> int:
    """The wiki's store generation: only spans read in it hold anything (wikicourse.namespaces)."""
    return conn.scalar(select(wikis.c.store_generation).where(wikis.c.id == wiki_id)) or 0


def spans_of(conn: Connection, wiki_id: int, user_ids: Iterable[int]) -> dict[int, list[Span]]:
    found: dict[int, list[Span]] = defaultdict(list)
    current = generation(conn, wiki_id)
    for batch in chunks(sorted(set(user_ids))):
        for user_id, start, end in conn.execute(
            select(contribution_reads.c.user_id, contribution_reads.c.start, contribution_reads.c.end)
            .where(contribution_reads.c.wiki_id == wiki_id, contribution_reads.c.user_id.in_(batch),
                   contribution_reads.c.generation == current)
            .order_by(contribution_reads.c.user_id, contribution_reads.c.start)
        ):
            found[user_id].append((start, end))
    return found


def _rewrite(conn: Connection, wiki_id: int, before: dict[int, list[Span]], after: dict[int, list[Span]]) -> None:
    changed = [u for u in after if after[u] != before.get(u, [])]
    for batch in chunks(changed):
        conn.execute(
            delete(contribution_reads).where(
                contribution_reads.c.wiki_id == wiki_id, contribution_reads.c.user_id.in_(batch)
            )
        )
    current = generation(conn, wiki_id)  # (should the store widen meanwhile, these hold nothing)
    rows = [dict(wiki_id=wiki_id, user_id=u, start=s, end=e, generation=current) for u in changed for s, e in after[u]]
    for batch in chunks(rows):
        conn.execute(insert(contribution_reads), batch)


def record_read(conn: Connection, wiki_id: int, read: dict[int, Span], read_in: int | None = None) -> None:
    """The store now holds these users' contributions over these spans (merged into theirs);
    `read_in`: the store generation they were fetched in (none is recorded if it is past)."""
    read = {u: s for u, s in read.items() if s[0] < s[1]}
    if not read or (read_in is not None and read_in != generation(conn, wiki_id)):
        return
    before = spans_of(conn, wiki_id, read)
    _rewrite(conn, wiki_id, before, {u: merge(before.get(u, []) + [s]) for u, s in read.items()})


def forget_read(conn: Connection, wiki_id: int, ranges: Iterable[tuple[int, datetime, datetime]]) -> None:
    """The store's rows of these (user, start, end) may be stale: cut them out of the spans,
    so that the next course needing them reads them again."""
    by_user: dict[int, list[Span]] = defaultdict(list)
    for user_id, start, end in ranges:
        by_user[user_id].append((start, end))
    if not by_user:
        return
    before = spans_of(conn, wiki_id, by_user)
    after = {}
    for user_id, cuts in by_user.items():
        spans = before.get(user_id, [])
        for start, end in cuts:
            spans = cut(spans, start, end)
        after[user_id] = spans
    _rewrite(conn, wiki_id, before, after)


def forget_seconds(conn: Connection, wiki_id: int, seconds: Iterable[tuple[int, datetime]]) -> None:
    """forget_read for the whole seconds holding these (user, time)."""
    forget_read(conn, wiki_id, ((u, t.replace(microsecond=0), t.replace(microsecond=0) + SECOND) for u, t in seconds))
