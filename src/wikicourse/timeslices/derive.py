"""The one derivation: finest grain -> every timeslice table, for the windows that are marked.

The incremental update and the full rebuild both call it; only the set of marked windows
differs. Each table is rebuilt for those windows with one set-based statement: user and
article timeslices where the finest grain changed (finest_changed), then the window
totals of every window marked needs_update, from the user timeslices.
"""

from __future__ import annotations

from sqlalchemy import Connection, String, and_, case, cast, delete, func, insert, select, tuple_, update

from ..namespaces import applied, in_article_space, in_tracked_space
from ..sources.base import NS_DRAFT, NS_USER
from ..models.tables import (
    article_course_timeslices,
    articles,
    course_user_wiki_timeslices,
    course_wiki_timeslices,
    course_user_article_timeslices,
)


def counted_article(by_wiki):
    """The finest-grain rows that count now: on a page the wiki still shows, in a tracked
    namespace of its wiki (`by_wiki`: wiki id -> the course's article namespaces there).
    Pages move and get deleted (docs/wiki-past.md): their rows are kept, so a move back or a
    restore needs no refetch, but only the page's current state decides. The finest grain
    holds every namespace the store fetched, so a course counting fewer needs no refetch either."""
    return and_(
        articles.c.id == course_user_article_timeslices.c.article_id,
        ~articles.c.deleted,
        in_tracked_space(by_wiki, articles.c.wiki_id, articles.c.namespace),
    )


def _article_sum(by_wiki, column):
    """The sum of `column` over rows in the article namespaces (main space by default)."""
    return _sum(case((in_article_space(by_wiki, articles.c.wiki_id, articles.c.namespace), column), else_=0))


def in_changed_window(course_id: int, table):
    """Rows of `table` in a window of the course whose finest grain changed (a few windows:
    the database looks them up by its (course, wiki, start) index, not row by row)."""
    return tuple_(table.c.wiki_id, table.c.start).in_(
        select(course_wiki_timeslices.c.wiki_id, course_wiki_timeslices.c.start).where(
            course_wiki_timeslices.c.course_id == course_id, course_wiki_timeslices.c.finest_changed
        )
    )


def _sum(expr):
    return func.coalesce(func.sum(expr), 0)


def _ns_sum(ns: int, column):
    return _sum(case((articles.c.namespace == ns, column), else_=0))


def _window_of_finest():
    return and_(
        course_wiki_timeslices.c.course_id == course_user_article_timeslices.c.course_id,
        course_wiki_timeslices.c.wiki_id == course_user_article_timeslices.c.wiki_id,
        course_wiki_timeslices.c.start == course_user_article_timeslices.c.start,
    )


def derive_article_timeslices(conn: Connection, course_id: int, article_rows=None, finest_rows=None) -> None:
    """Article course timeslices (all tracked namespaces): delete `article_rows`, re-aggregate `finest_rows`.

    By default both are the rows of the windows whose finest grain changed.
    """
    by_wiki = applied(conn, course_id)
    article_rows = in_changed_window(course_id, article_course_timeslices) if article_rows is None else article_rows
    finest_rows = (
        course_wiki_timeslices.c.finest_changed if finest_rows is None else finest_rows
    )  # of the joined window
    conn.execute(
        delete(article_course_timeslices).where(article_course_timeslices.c.course_id == course_id, article_rows)
    )
    rows = (
        select(
            course_user_article_timeslices.c.course_id,
            course_user_article_timeslices.c.article_id,
            course_user_article_timeslices.c.wiki_id,
            course_user_article_timeslices.c.start,
            course_wiki_timeslices.c.end,
            _sum(course_user_article_timeslices.c.character_sum),
            _article_sum(by_wiki, course_user_article_timeslices.c.references_count),
            _sum(course_user_article_timeslices.c.revision_count),
            func.max(case((course_user_article_timeslices.c.new_article, 1), else_=0)) > 0,
            func.aggregate_strings(cast(course_user_article_timeslices.c.user_id, String), ","),
        )
        .join(course_wiki_timeslices, _window_of_finest())
        .join(articles, counted_article(by_wiki))
        .where(course_user_article_timeslices.c.course_id == course_id, finest_rows)
        .group_by(
            course_user_article_timeslices.c.course_id,
            course_user_article_timeslices.c.article_id,
            course_user_article_timeslices.c.wiki_id,
            course_user_article_timeslices.c.start,
            course_wiki_timeslices.c.end,
        )
    )
    conn.execute(
        insert(article_course_timeslices).from_select(
            [
                "course_id",
                "article_id",
                "wiki_id",
                "start",
                "end",
                "character_sum",
                "references_count",
                "revision_count",
                "new_article",
                "user_ids",
            ],
            rows,
        )
    )


def derive_user_timeslices(conn: Connection, course_id: int) -> None:
    """Course user wiki timeslices of the windows whose finest grain changed."""
    by_wiki = applied(conn, course_id)
    conn.execute(
        delete(course_user_wiki_timeslices).where(
            course_user_wiki_timeslices.c.course_id == course_id,
            in_changed_window(course_id, course_user_wiki_timeslices),
        )
    )
    rows = (
        select(
            course_user_article_timeslices.c.course_id,
            course_user_article_timeslices.c.user_id,
            course_user_article_timeslices.c.wiki_id,
            course_user_article_timeslices.c.start,
            course_wiki_timeslices.c.end,
            _sum(course_user_article_timeslices.c.revision_count),
            _article_sum(by_wiki, course_user_article_timeslices.c.character_sum),
            _ns_sum(NS_USER, course_user_article_timeslices.c.character_sum),
            _ns_sum(NS_DRAFT, course_user_article_timeslices.c.character_sum),
            _article_sum(by_wiki, course_user_article_timeslices.c.references_count),
        )
        .join(course_wiki_timeslices, _window_of_finest())
        .join(articles, counted_article(by_wiki))
        .where(course_user_article_timeslices.c.course_id == course_id, course_wiki_timeslices.c.finest_changed)
        .group_by(
            course_user_article_timeslices.c.course_id,
            course_user_article_timeslices.c.user_id,
            course_user_article_timeslices.c.wiki_id,
            course_user_article_timeslices.c.start,
            course_wiki_timeslices.c.end,
        )
    )
    conn.execute(
        insert(course_user_wiki_timeslices).from_select(
            [
                "course_id",
                "user_id",
                "wiki_id",
                "start",
                "end",
                "revision_count",
                "character_sum_ms",
                "character_sum_us",
                "character_sum_draft",
                "references_count",
            ],
            rows,
        )
    )


def derive_wiki_timeslices(conn: Connection, course_id: int) -> None:
    """Course wiki timeslices of the windows marked needs_update, from their user timeslices."""
    by_wiki = applied(conn, course_id)

    def total(column):
        return (
            select(_sum(column))
            .where(
                course_user_wiki_timeslices.c.course_id == course_wiki_timeslices.c.course_id,
                course_user_wiki_timeslices.c.wiki_id == course_wiki_timeslices.c.wiki_id,
                course_user_wiki_timeslices.c.start == course_wiki_timeslices.c.start,
            )
            .scalar_subquery()
        )

    last_edit = (
        select(func.max(course_user_article_timeslices.c.last_rev_at))
        .join(articles, counted_article(by_wiki))
        .where(
            course_user_article_timeslices.c.course_id == course_wiki_timeslices.c.course_id,
            course_user_article_timeslices.c.wiki_id == course_wiki_timeslices.c.wiki_id,
            course_user_article_timeslices.c.start == course_wiki_timeslices.c.start,
        )
        .scalar_subquery()
    )
    conn.execute(
        update(course_wiki_timeslices)
        .where(course_wiki_timeslices.c.course_id == course_id, course_wiki_timeslices.c.needs_update)
        .values(
            character_sum=total(course_user_wiki_timeslices.c.character_sum_ms),
            references_count=total(course_user_wiki_timeslices.c.references_count),
            revision_count=total(course_user_wiki_timeslices.c.revision_count),
            last_mw_rev_datetime=last_edit,
            finest_changed=False,
        )
    )


def derive_marked(conn: Connection, course_id: int) -> bool:
    """Every timeslice table, for every marked window of the course (user before wiki: it reads
    them); returns whether any window was marked."""
    if (
        conn.scalar(
            select(course_wiki_timeslices.c.id)
            .where(course_wiki_timeslices.c.course_id == course_id, course_wiki_timeslices.c.needs_update)
            .limit(1)
        )
        is None
    ):
        return False
    changed = conn.scalar(
        select(course_wiki_timeslices.c.id)
        .where(course_wiki_timeslices.c.course_id == course_id, course_wiki_timeslices.c.finest_changed)
        .limit(1)
    )
    if changed is not None:
        derive_article_timeslices(conn, course_id)
        derive_user_timeslices(conn, course_id)
        from ..wikidata.derive import derive_wikidata  # (it reads counted_article from here)

        derive_wikidata(conn, course_id)
    derive_wiki_timeslices(conn, course_id)
    return True
