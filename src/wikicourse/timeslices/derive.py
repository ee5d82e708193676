"""The one derivation: finest grain -> every timeslice table, for the windows that are marked.

The incremental update and the full rebuild both call it; only the set of marked windows
differs. Each table is rebuilt for those windows with one set-based statement: user and
article timeslices where the finest grain changed (finest_changed), then the window
totals of every window marked needs_update, from the user timeslices.
"""
from __future__ import annotations

from sqlalchemy import Connection, String, and_, case, cast, delete, func, insert, select, tuple_, update

from ..sources.base import NS_DRAFT, NS_MAIN, NS_USER, TRACKED_NAMESPACES
from .tables import act, articles, cuwt, cwt, fine


def counted_article():
    """The finest-grain rows that count now: on a page the wiki still shows, in a tracked
    namespace. Pages move and get deleted (SPEC §4a): their rows are kept, so a move back or
    a restore needs no refetch, but only the page's current state decides."""
    return and_(articles.c.id == fine.c.article_id, ~articles.c.deleted,
                articles.c.namespace.in_(TRACKED_NAMESPACES))


def in_changed_window(course_id: int, table):
    """Rows of `table` in a window of the course whose finest grain changed (a few windows:
    the database looks them up by its (course, wiki, start) index, not row by row)."""
    return tuple_(table.c.wiki_id, table.c.start).in_(
        select(cwt.c.wiki_id, cwt.c.start).where(cwt.c.course_id == course_id, cwt.c.finest_changed))


def _sum(expr):
    return func.coalesce(func.sum(expr), 0)


def _ns_sum(ns: int, column):
    return _sum(case((articles.c.namespace == ns, column), else_=0))


def _window_of_fine():
    return and_(cwt.c.course_id == fine.c.course_id, cwt.c.wiki_id == fine.c.wiki_id, cwt.c.start == fine.c.start)


def derive_article_timeslices(conn: Connection, course_id: int, act_rows=None, fine_rows=None) -> None:
    """Article course timeslices (all tracked namespaces): delete `act_rows`, re-aggregate `fine_rows`.

    By default both are the rows of the windows whose finest grain changed.
    """
    act_rows = in_changed_window(course_id, act) if act_rows is None else act_rows
    fine_rows = cwt.c.finest_changed if fine_rows is None else fine_rows  # cwt: the joined window
    conn.execute(delete(act).where(act.c.course_id == course_id, act_rows))
    rows = (
        select(fine.c.course_id, fine.c.article_id, fine.c.wiki_id, fine.c.start, cwt.c.end,
               _sum(fine.c.character_sum), _ns_sum(NS_MAIN, fine.c.references_count), _sum(fine.c.revision_count),
               func.max(case((fine.c.new_article, 1), else_=0)) > 0,
               func.aggregate_strings(cast(fine.c.user_id, String), ","))
        .join(cwt, _window_of_fine())
        .join(articles, counted_article())
        .where(fine.c.course_id == course_id, fine_rows)
        .group_by(fine.c.course_id, fine.c.article_id, fine.c.wiki_id, fine.c.start, cwt.c.end)
    )
    conn.execute(insert(act).from_select(
        ["course_id", "article_id", "wiki_id", "start", "end", "character_sum", "references_count",
         "revision_count", "new_article", "user_ids"], rows))


def derive_user_timeslices(conn: Connection, course_id: int) -> None:
    """Course user wiki timeslices of the windows whose finest grain changed."""
    conn.execute(delete(cuwt).where(cuwt.c.course_id == course_id, in_changed_window(course_id, cuwt)))
    rows = (
        select(fine.c.course_id, fine.c.user_id, fine.c.wiki_id, fine.c.start, cwt.c.end,
               _sum(fine.c.revision_count),
               _ns_sum(NS_MAIN, fine.c.character_sum), _ns_sum(NS_USER, fine.c.character_sum),
               _ns_sum(NS_DRAFT, fine.c.character_sum), _ns_sum(NS_MAIN, fine.c.references_count))
        .join(cwt, _window_of_fine())
        .join(articles, counted_article())
        .where(fine.c.course_id == course_id, cwt.c.finest_changed)
        .group_by(fine.c.course_id, fine.c.user_id, fine.c.wiki_id, fine.c.start, cwt.c.end)
    )
    conn.execute(insert(cuwt).from_select(
        ["course_id", "user_id", "wiki_id", "start", "end", "revision_count", "character_sum_ms",
         "character_sum_us", "character_sum_draft", "references_count"], rows))


def derive_wiki_timeslices(conn: Connection, course_id: int) -> None:
    """Course wiki timeslices of the windows marked needs_update, from their user timeslices."""

    def total(column):
        return (select(_sum(column))
                .where(cuwt.c.course_id == cwt.c.course_id, cuwt.c.wiki_id == cwt.c.wiki_id,
                       cuwt.c.start == cwt.c.start)
                .scalar_subquery())

    last_edit = (select(func.max(fine.c.last_rev_at)).join(articles, counted_article())
                 .where(fine.c.course_id == cwt.c.course_id, fine.c.wiki_id == cwt.c.wiki_id,
                        fine.c.start == cwt.c.start)
                 .scalar_subquery())
    conn.execute(
        update(cwt).where(cwt.c.course_id == course_id, cwt.c.needs_update).values(
            character_sum=total(cuwt.c.character_sum_ms),
            references_count=total(cuwt.c.references_count),
            revision_count=total(cuwt.c.revision_count),
            last_mw_rev_datetime=last_edit,
            finest_changed=False,
        ))


def derive_marked(conn: Connection, course_id: int) -> bool:
    """Every timeslice table, for every marked window of the course (user before wiki: it reads
    them); returns whether any window was marked."""
    if conn.scalar(select(cwt.c.id).where(cwt.c.course_id == course_id, cwt.c.needs_update).limit(1)) is None:
        return False
    changed = conn.scalar(select(cwt.c.id).where(cwt.c.course_id == course_id, cwt.c.finest_changed).limit(1))
    if changed is not None:
        derive_article_timeslices(conn, course_id)
        derive_user_timeslices(conn, course_id)
    derive_wiki_timeslices(conn, course_id)
    return True
