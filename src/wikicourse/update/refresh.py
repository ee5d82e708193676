"""Refresh the caches: articles courses, per-enrollment totals, course totals (set-based).

After a roster, date or wiki change every cache is rebuilt. After new edits only the
students and articles with rows in the windows whose finest grain changed are (`Scope`,
read before those windows are derived again): the cost of an hourly update follows what
it found, not the length of the course.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, case, delete, func, insert, select, true, union, update

from ..namespaces import applied, in_article_space
from ..sql import chunks
from ..timeslices.derive import in_changed_window
from ..models.tables import (
    article_course_timeslices,
    articles,
    articles_courses,
    courses,
    course_user_wiki_timeslices,
    course_wiki_timeslices,
    enrollments,
    course_user_article_timeslices,
)


@dataclass
class Scope:
    """The students and articles whose totals may change."""

    users: list[int]
    articles: list[int]


def changed_scope(conn: Connection, course_id: int) -> Scope:
    """Whoever has rows, before or after deriving, in a window whose finest grain changed."""

    def ids(*grains):
        parts = [
            select(column).where(t.c.course_id == course_id, in_changed_window(course_id, t)) for t, column in grains
        ]
        return sorted(conn.scalars(union(*parts)))

    return Scope(
        users=ids(
            (course_user_article_timeslices, course_user_article_timeslices.c.user_id),
            (course_user_wiki_timeslices, course_user_wiki_timeslices.c.user_id),
        ),
        articles=ids(
            (course_user_article_timeslices, course_user_article_timeslices.c.article_id),
            (article_course_timeslices, article_course_timeslices.c.article_id),
        ),
    )


def _total(table, column, *where):
    return select(func.coalesce(func.sum(column), 0)).select_from(table).where(*where).scalar_subquery()


def renewed_scope(conn: Connection, course_id: int) -> Scope | None:
    """Students dis-enrolled and enrolled again before any update: their timeslices were kept
    (nothing was removed), but their new enrollment rows hold no totals yet."""
    has_rows = select(course_user_wiki_timeslices.c.id).where(
        course_user_wiki_timeslices.c.course_id == course_id,
        course_user_wiki_timeslices.c.user_id == enrollments.c.user_id,
    )
    users = list(
        conn.scalars(
            select(enrollments.c.user_id).where(
                enrollments.c.course_id == course_id, enrollments.c.revision_count == 0, has_rows.exists()
            )
        )
    )
    return Scope(users=users, articles=[]) if users else None


def _batches(ids: list[int] | None):
    """The id batches to refresh: every row at once when `ids` is None."""
    return [None] if ids is None else chunks(ids)


def refresh_articles_courses(conn: Connection, course_id: int, article_ids: list[int] | None = None) -> None:
    """Pages in an article namespace with at least one in-scope edit by a current student."""
    by_wiki = applied(conn, course_id)
    for batch in _batches(article_ids):
        these = true() if batch is None else articles_courses.c.article_id.in_(batch)
        conn.execute(delete(articles_courses).where(articles_courses.c.course_id == course_id, these))
        rows = (
            select(
                article_course_timeslices.c.course_id,
                article_course_timeslices.c.article_id,
                func.sum(article_course_timeslices.c.character_sum),
                func.sum(article_course_timeslices.c.references_count),
                func.sum(article_course_timeslices.c.revision_count),
                func.max(case((article_course_timeslices.c.new_article, 1), else_=0)) > 0,
            )
            .join(articles, articles.c.id == article_course_timeslices.c.article_id)
            .where(
                article_course_timeslices.c.course_id == course_id,
                in_article_space(by_wiki, articles.c.wiki_id, articles.c.namespace),
                true() if batch is None else article_course_timeslices.c.article_id.in_(batch),
            )
            .group_by(article_course_timeslices.c.course_id, article_course_timeslices.c.article_id)
        )
        conn.execute(
            insert(articles_courses).from_select(
                ["course_id", "article_id", "character_sum", "references_count", "revision_count", "new_article"], rows
            )
        )


def refresh_enrollments(conn: Connection, course_id: int, user_ids: list[int] | None = None) -> None:
    def total(column):
        return _total(
            course_user_wiki_timeslices,
            column,
            course_user_wiki_timeslices.c.course_id == enrollments.c.course_id,
            course_user_wiki_timeslices.c.user_id == enrollments.c.user_id,
        )

    for batch in _batches(user_ids):
        _refresh_enrollments(conn, course_id, total, true() if batch is None else enrollments.c.user_id.in_(batch))


def _refresh_enrollments(conn: Connection, course_id: int, total, these) -> None:
    conn.execute(
        update(enrollments)
        .where(enrollments.c.course_id == course_id, these)
        .values(
            revision_count=total(course_user_wiki_timeslices.c.revision_count),
            character_sum_ms=total(course_user_wiki_timeslices.c.character_sum_ms),
            character_sum_us=total(course_user_wiki_timeslices.c.character_sum_us),
            character_sum_draft=total(course_user_wiki_timeslices.c.character_sum_draft),
            references_count=total(course_user_wiki_timeslices.c.references_count),
        )
    )


def refresh_course(conn: Connection, course_id: int, as_of: datetime | None, now: datetime | None) -> None:
    """Course totals; with as_of, also the time they are current to (the update is complete)."""
    this = courses.c.id

    def windows(column):
        return _total(course_wiki_timeslices, column, course_wiki_timeslices.c.course_id == this)

    def students(column):  # the enrollments' totals: one row per student, whatever the course's length
        return _total(enrollments, column, enrollments.c.course_id == this)

    def count(table, *where):
        return select(func.count()).select_from(table).where(*where).scalar_subquery()

    conn.execute(
        update(courses)
        .where(this == course_id)
        .values(
            student_count=count(enrollments, enrollments.c.course_id == this, enrollments.c.role == "student"),
            revision_count=windows(course_wiki_timeslices.c.revision_count),
            character_sum=windows(course_wiki_timeslices.c.character_sum),
            references_count=windows(course_wiki_timeslices.c.references_count),
            character_sum_user=students(enrollments.c.character_sum_us),
            character_sum_draft=students(enrollments.c.character_sum_draft),
            article_count=count(articles_courses, articles_courses.c.course_id == this),
            new_article_count=count(
                articles_courses, articles_courses.c.course_id == this, articles_courses.c.new_article
            ),
            **(dict(last_update=as_of, updated_at=now) if as_of else {}),
        )
    )


def refresh(
    conn: Connection,
    course_id: int,
    as_of: datetime | None = None,
    now: datetime | None = None,
    changed: bool = True,
    scope: Scope | None = None,
) -> None:
    """The caches: every row, or only `scope`'s; none unless a timeslice `changed` (then they
    hold already: only the time the course is current to moves on). Without as_of
    (mid-update), the course keeps its last_update."""
    if changed:
        refresh_articles_courses(conn, course_id, scope.articles if scope else None)
        refresh_enrollments(conn, course_id, scope.users if scope else None)
        refresh_course(conn, course_id, as_of, now)
    elif as_of:
        conn.execute(update(courses).where(courses.c.id == course_id).values(last_update=as_of, updated_at=now))
