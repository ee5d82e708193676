"""Pre-update, users: the seed's dis-enrollment steps, and the bookkeeping of new students.

A user is *removed* when they have ingested data in the course but are no longer enrolled
as a student; *added* when they are a student with nothing ingested yet. Both are read off
the tables, not off timestamps, so an update that died midway changes neither.
"""

from __future__ import annotations

from sqlalchemy import Connection, and_, delete, exists, insert, literal, select, tuple_, update

from ..timeslices.derive import derive_article_timeslices
from ..models.tables import (
    article_course_timeslices,
    articles_courses,
    ingestion_coverage,
    course_user_wiki_timeslices,
    course_wiki_timeslices,
    course_user_article_timeslices,
    rereads,
    students,
)
from ..wikidata.derive import remove_students
from .context import UpdateContext


def removed_users(conn: Connection, course_id: int) -> list[int]:
    return list(
        conn.scalars(
            select(ingestion_coverage.c.user_id)
            .where(
                ingestion_coverage.c.course_id == course_id, ingestion_coverage.c.user_id.not_in(students(course_id))
            )
            .distinct()
        )
    )


def remove_users(conn: Connection, course_id: int, removed: list[int]) -> None:
    """The seed, step by step. No request to any wiki: what remains is re-derived locally."""
    if not removed:
        return
    c = course_id
    # 1. Their course user wiki timeslices go.
    conn.execute(
        delete(course_user_wiki_timeslices).where(
            course_user_wiki_timeslices.c.course_id == c, course_user_wiki_timeslices.c.user_id.in_(removed)
        )
    )
    remove_students(conn, c, removed)  # and their Wikidata figures (docs/wikidata.md)
    # 2. The (wiki, window) pairs where they edited are marked needs_update. The seed reads
    #    them off article course timeslices' user ids; the finest grain holds the same pairs
    #    as indexed rows, and also covers edits in User and Draft space.
    edited_there = exists().where(
        course_user_article_timeslices.c.course_id == c,
        course_user_article_timeslices.c.user_id.in_(removed),
        course_user_article_timeslices.c.wiki_id == course_wiki_timeslices.c.wiki_id,
        course_user_article_timeslices.c.start == course_wiki_timeslices.c.start,
    )
    conn.execute(
        update(course_wiki_timeslices)
        .where(course_wiki_timeslices.c.course_id == c, edited_there)
        .values(needs_update=True)
    )
    # 3. Those article course timeslices are cleaned: each (article, window) they edited is
    #    re-aggregated from the other students' rows; then their finest-grain rows go.
    touched = select(course_user_article_timeslices.c.article_id, course_user_article_timeslices.c.start).where(
        course_user_article_timeslices.c.course_id == c, course_user_article_timeslices.c.user_id.in_(removed)
    )
    derive_article_timeslices(
        conn,
        c,
        article_rows=tuple_(article_course_timeslices.c.article_id, article_course_timeslices.c.start).in_(touched),
        finest_rows=and_(
            tuple_(course_user_article_timeslices.c.article_id, course_user_article_timeslices.c.start).in_(touched),
            course_user_article_timeslices.c.user_id.not_in(removed),
        ),
    )
    conn.execute(
        delete(course_user_article_timeslices).where(
            course_user_article_timeslices.c.course_id == c, course_user_article_timeslices.c.user_id.in_(removed)
        )
    )
    # 4. Articles courses only they edited go (their article timeslices went in step 3).
    # (A set difference, computed once: NOT IN over the finest grain turns quadratic on
    # PostgreSQL once it outgrows work_mem, a correlated NOT EXISTS on SQLite, whose index
    # on the finest grain does not lead with the article.)
    gone = (
        select(articles_courses.c.article_id)
        .where(articles_courses.c.course_id == c)
        .except_(
            select(course_user_article_timeslices.c.article_id).where(course_user_article_timeslices.c.course_id == c)
        )
    )
    conn.execute(
        delete(articles_courses).where(articles_courses.c.course_id == c, articles_courses.c.article_id.in_(gone))
    )
    # 5. Nothing of theirs is ingested any more: enrolled again, they are new again.
    conn.execute(
        delete(ingestion_coverage).where(ingestion_coverage.c.course_id == c, ingestion_coverage.c.user_id.in_(removed))
    )
    conn.execute(delete(rereads).where(rereads.c.course_id == c, rereads.c.user_id.in_(removed)))


def add_users(conn: Connection, ctx: UpdateContext) -> list[int]:
    """Give every student without coverage on a tracked wiki an empty one (nothing ingested).

    Returns the students new to the course (no coverage on any wiki before).
    """

    def uncovered(*where):  # students with no coverage row matching `where`
        # A set difference, not a correlated NOT EXISTS: the planner cannot turn it into a
        # nested loop over every student pair (a new course's tables have no statistics yet).
        covered = select(ingestion_coverage.c.user_id).where(ingestion_coverage.c.course_id == ctx.course_id, *where)
        return students(ctx.course_id).except_(covered).subquery()

    added = list(conn.scalars(select(uncovered().c.user_id)))
    for cw in ctx.wikis:
        new = uncovered(ingestion_coverage.c.wiki_id == cw.wiki_id)
        conn.execute(
            insert(ingestion_coverage).from_select(
                ["course_id", "user_id", "wiki_id", "ingested_until"],
                select(
                    literal(ctx.course_id),
                    new.c.user_id,
                    literal(cw.wiki_id),
                    literal(cw.grid.period_start, ingestion_coverage.c.ingested_until.type),
                ),
            )
        )
    return added


def prepare_users(conn: Connection, ctx: UpdateContext) -> tuple[list[int], list[int]]:
    """Returns the ids of the users removed and of the students added."""
    removed = removed_users(conn, ctx.course_id)
    remove_users(conn, ctx.course_id, removed)
    return removed, add_users(conn, ctx)
