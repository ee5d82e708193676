"""Creating and deleting windows (TimesliceManager / TimesliceCleaner of the reference system)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, and_, delete, insert, select, update

from ..models.tables import (
    article_course_timeslices,
    articles,
    articles_courses,
    ingestion_coverage,
    course_user_wiki_timeslices,
    course_wiki_timeslices,
    course_user_article_timeslices,
    rereads,
    wikidata_user_timeslices,
)
from .windows import Grid


def _window_tables():
    return (
        course_user_article_timeslices,
        article_course_timeslices,
        course_user_wiki_timeslices,
        wikidata_user_timeslices,
        rereads,
        course_wiki_timeslices,
    )


def delete_windows(conn: Connection, course_id: int, wiki_id: int, starts: list[datetime]) -> None:
    """Delete windows and every row in them, at every grain."""
    if not starts:
        return
    for table in _window_tables():
        conn.execute(
            delete(table).where(table.c.course_id == course_id, table.c.wiki_id == wiki_id, table.c.start.in_(starts))
        )


def delete_wiki(conn: Connection, course_id: int, wiki_id: int) -> None:
    """Forget a wiki the course no longer tracks: its windows, coverage and articles courses."""
    for table in _window_tables() + (ingestion_coverage,):
        conn.execute(delete(table).where(table.c.course_id == course_id, table.c.wiki_id == wiki_id))
    wiki_articles = select(articles.c.id).where(articles.c.wiki_id == wiki_id)
    conn.execute(
        delete(articles_courses).where(
            articles_courses.c.course_id == course_id, articles_courses.c.article_id.in_(wiki_articles)
        )
    )


def sync_windows(conn: Connection, course_id: int, wiki_id: int, grid: Grid) -> None:
    """Make the course wiki timeslices those of `grid`: create gained windows, delete lost ones.

    A date edit is local: the windows kept with the same end keep their rows; the others
    are taken from the shared store by the copy step, which fetches only what the store
    lacks. Those after the first kept window (one cut short or grown by a new end, new
    ones) by clamping coverage to the first of them, from where the forward copy takes
    everything again; new ones before it (a start moved earlier) as windows to read
    (rereads), so that the kept ones are not taken again. A new grid keeps nothing.
    """
    existing = dict(
        conn.execute(
            select(course_wiki_timeslices.c.start, course_wiki_timeslices.c.end).where(
                course_wiki_timeslices.c.course_id == course_id, course_wiki_timeslices.c.wiki_id == wiki_id
            )
        ).all()
    )
    expected = {s: grid.end_of(s) for s in grid.starts()}
    gained = [s for s in expected if s not in existing]
    delete_windows(conn, course_id, wiki_id, [s for s in existing if s not in expected])
    if gained:
        conn.execute(
            insert(course_wiki_timeslices),
            [
                dict(
                    course_id=course_id,
                    wiki_id=wiki_id,
                    start=s,
                    end=expected[s],
                    needs_update=False,
                    finest_changed=False,
                )
                for s in gained
            ],
        )
    redo = set(gained)  # windows whose rows are not those of the new grid
    for start, old_end in existing.items():
        new_end = expected.get(start)
        if new_end is None or new_end == old_end:
            continue
        for table in (course_wiki_timeslices, course_user_wiki_timeslices, article_course_timeslices):
            conn.execute(
                update(table)
                .where(table.c.course_id == course_id, table.c.wiki_id == wiki_id, table.c.start == start)
                .values(end=new_end)
            )
        if new_end < old_end:  # its rows past the new end must stop counting now, fetch or not
            conn.execute(
                delete(course_user_article_timeslices).where(
                    course_user_article_timeslices.c.course_id == course_id,
                    course_user_article_timeslices.c.wiki_id == wiki_id,
                    course_user_article_timeslices.c.start == start,
                )
            )
            mark(conn, course_id, wiki_id, [start])
        redo.add(start)
    kept = sorted(s for s in existing if s in expected and s not in redo)
    # Windows before the first kept one that are all new: a start moved earlier. Any other
    # change there is a new grid, which keeps no window's rows.
    first_kept = kept[0] if kept and all(s in gained for s in redo if s < kept[0]) else grid.period_end
    clip = min((s for s in redo if s > first_kept), default=grid.period_end)
    this_wiki = and_(ingestion_coverage.c.course_id == course_id, ingestion_coverage.c.wiki_id == wiki_id)
    conn.execute(
        update(ingestion_coverage)
        .where(this_wiki, ingestion_coverage.c.ingested_until > clip)
        .values(ingested_until=clip)
    )
    if grid.period_start < first_kept < grid.period_end:  # a start moved earlier
        # Students whose ingested data reaches into the first kept window hold it from there
        # on: the new windows before it are theirs to read.
        before = (
            select(
                ingestion_coverage.c.course_id,
                ingestion_coverage.c.wiki_id,
                ingestion_coverage.c.user_id,
                course_wiki_timeslices.c.start,
            )
            .join(
                course_wiki_timeslices,
                and_(
                    course_wiki_timeslices.c.course_id == course_id,
                    course_wiki_timeslices.c.wiki_id == wiki_id,
                    course_wiki_timeslices.c.start < first_kept,
                ),
            )
            .where(this_wiki, ingestion_coverage.c.ingested_until > first_kept)
        )
        conn.execute(insert(rereads).from_select(["course_id", "wiki_id", "user_id", "start"], before))
    # The others hold nothing of the new grid's windows: their forward read starts over.
    conn.execute(
        update(ingestion_coverage)
        .where(this_wiki, ingestion_coverage.c.ingested_until <= first_kept)
        .values(ingested_until=grid.period_start)
    )


def reset_coverage(conn: Connection, course_id: int, wiki_id: int, grid: Grid) -> None:
    """Declare nothing ingested: the next ingest refetches the wiki and replaces the rows it holds."""
    conn.execute(delete(rereads).where(rereads.c.course_id == course_id, rereads.c.wiki_id == wiki_id))
    conn.execute(
        update(ingestion_coverage)
        .where(ingestion_coverage.c.course_id == course_id, ingestion_coverage.c.wiki_id == wiki_id)
        .values(ingested_until=grid.period_start)
    )


CHANGED = dict(needs_update=True, finest_changed=True)  # what a change of finest-grain rows marks


def mark(conn: Connection, course_id: int, wiki_id: int, starts: list[datetime]) -> None:
    """Mark the windows with these starts: their finest grain changed."""
    if starts:
        conn.execute(
            update(course_wiki_timeslices)
            .where(
                course_wiki_timeslices.c.course_id == course_id,
                course_wiki_timeslices.c.wiki_id == wiki_id,
                course_wiki_timeslices.c.start.in_(starts),
            )
            .values(**CHANGED)
        )


def clear_from(conn: Connection, course_id: int, wiki_id: int, start: datetime) -> None:
    """Empty the windows from `start` on at every grain, keeping the (zeroed) windows."""
    for table in (course_user_article_timeslices, article_course_timeslices, course_user_wiki_timeslices,
                  wikidata_user_timeslices, rereads):
        conn.execute(
            delete(table).where(table.c.course_id == course_id, table.c.wiki_id == wiki_id, table.c.start >= start)
        )
    conn.execute(
        update(course_wiki_timeslices)
        .where(
            course_wiki_timeslices.c.course_id == course_id,
            course_wiki_timeslices.c.wiki_id == wiki_id,
            course_wiki_timeslices.c.start >= start,
        )
        .values(character_sum=0, references_count=0, revision_count=0, last_mw_rev_datetime=None)
    )
