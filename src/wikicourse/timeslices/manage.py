"""Creating and deleting windows (TimesliceManager / TimesliceCleaner of the reference system)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, and_, delete, insert, select, update

from .tables import act, articles, articles_courses, coverage, cuwt, cwt, fine, rereads
from .windows import Grid


def _window_tables():
    return (fine, act, cuwt, rereads, cwt)


def delete_windows(conn: Connection, course_id: int, wiki_id: int, starts: list[datetime]) -> None:
    """Delete windows and every row in them, at every grain."""
    if not starts:
        return
    for table in _window_tables():
        conn.execute(delete(table).where(table.c.course_id == course_id, table.c.wiki_id == wiki_id,
                                         table.c.start.in_(starts)))


def delete_wiki(conn: Connection, course_id: int, wiki_id: int) -> None:
    """Forget a wiki the course no longer tracks: its windows, coverage and articles courses."""
    for table in _window_tables() + (coverage,):
        conn.execute(delete(table).where(table.c.course_id == course_id, table.c.wiki_id == wiki_id))
    wiki_articles = select(articles.c.id).where(articles.c.wiki_id == wiki_id)
    conn.execute(delete(articles_courses).where(articles_courses.c.course_id == course_id,
                                                articles_courses.c.article_id.in_(wiki_articles)))


def sync_windows(conn: Connection, course_id: int, wiki_id: int, grid: Grid) -> None:
    """Make the course wiki timeslices those of `grid`: create gained windows, delete lost ones.

    Coverage is clamped to the new period. A window whose end moved earlier lost the data
    past its new end, which a window cannot split: its rows go and it is fetched again.
    """
    existing = dict(conn.execute(select(cwt.c.start, cwt.c.end).where(
        cwt.c.course_id == course_id, cwt.c.wiki_id == wiki_id)).all())
    expected = {s: grid.end_of(s) for s in grid.starts()}
    gained = [s for s in expected if s not in existing]
    # Windows that no longer fall on the grid, or a period that grew backwards, leave
    # the stored facts misaligned with (or short of) the new windows: refetch this wiki.
    refetch = bool(existing) and (any(not grid.aligned(s) for s in existing) or min(expected) < min(existing))
    delete_windows(conn, course_id, wiki_id, [s for s in existing if s not in expected])
    if gained:
        conn.execute(insert(cwt), [dict(course_id=course_id, wiki_id=wiki_id, start=s, end=expected[s],
                                        needs_update=False, finest_changed=False) for s in gained])
    clip = grid.period_end
    for start, old_end in existing.items():
        new_end = expected.get(start)
        if new_end is None or new_end == old_end:
            continue
        for table in (cwt, cuwt, act):
            conn.execute(update(table).where(table.c.course_id == course_id, table.c.wiki_id == wiki_id,
                                             table.c.start == start).values(end=new_end))
        if new_end < old_end:
            conn.execute(delete(fine).where(fine.c.course_id == course_id, fine.c.wiki_id == wiki_id,
                                            fine.c.start == start))
            mark(conn, course_id, wiki_id, [start])
            clip = min(clip, start)
    where = and_(coverage.c.course_id == course_id, coverage.c.wiki_id == wiki_id)
    if refetch:
        reset_coverage(conn, course_id, wiki_id, grid)
    else:
        conn.execute(update(coverage).where(where, coverage.c.ingested_until > clip).values(ingested_until=clip))
        conn.execute(update(coverage).where(where, coverage.c.ingested_until < grid.period_start)
                     .values(ingested_until=grid.period_start))


def reset_coverage(conn: Connection, course_id: int, wiki_id: int, grid: Grid) -> None:
    """Declare nothing ingested: the next ingest refetches the wiki and replaces the rows it holds."""
    conn.execute(delete(rereads).where(rereads.c.course_id == course_id, rereads.c.wiki_id == wiki_id))
    conn.execute(update(coverage).where(coverage.c.course_id == course_id, coverage.c.wiki_id == wiki_id)
                 .values(ingested_until=grid.period_start))


CHANGED = dict(needs_update=True, finest_changed=True)  # what a change of finest-grain rows marks


def mark(conn: Connection, course_id: int, wiki_id: int, starts: list[datetime]) -> None:
    """Mark the windows with these starts: their finest grain changed."""
    if starts:
        conn.execute(update(cwt).where(cwt.c.course_id == course_id, cwt.c.wiki_id == wiki_id,
                                       cwt.c.start.in_(starts)).values(**CHANGED))


def clear_from(conn: Connection, course_id: int, wiki_id: int, start: datetime) -> None:
    """Empty the windows from `start` on at every grain, keeping the (zeroed) windows."""
    for table in (fine, act, cuwt, rereads):
        conn.execute(delete(table).where(table.c.course_id == course_id, table.c.wiki_id == wiki_id,
                                         table.c.start >= start))
    conn.execute(update(cwt).where(cwt.c.course_id == course_id, cwt.c.wiki_id == wiki_id, cwt.c.start >= start)
                 .values(character_sum=0, references_count=0, revision_count=0, last_mw_rev_datetime=None))
