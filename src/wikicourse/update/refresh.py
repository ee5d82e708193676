"""Refresh the caches: articles courses, per-enrollment totals, course totals (set-based)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, case, delete, func, insert, select, update

from ..sources.base import NS_MAIN
from ..timeslices.tables import act, articles, articles_courses, courses, cuwt, cwt, enrollments


def _total(table, column, *where):
    return select(func.coalesce(func.sum(column), 0)).select_from(table).where(*where).scalar_subquery()


def refresh_articles_courses(conn: Connection, course_id: int) -> None:
    """Main-namespace articles with at least one in-scope edit by a current student."""
    conn.execute(delete(articles_courses).where(articles_courses.c.course_id == course_id))
    rows = (select(act.c.course_id, act.c.article_id, func.sum(act.c.character_sum),
                   func.sum(act.c.references_count), func.sum(act.c.revision_count),
                   func.max(case((act.c.new_article, 1), else_=0)) > 0)
            .join(articles, articles.c.id == act.c.article_id)
            .where(act.c.course_id == course_id, articles.c.namespace == NS_MAIN)
            .group_by(act.c.course_id, act.c.article_id))
    conn.execute(insert(articles_courses).from_select(
        ["course_id", "article_id", "character_sum", "references_count", "revision_count", "new_article"],
        rows))


def refresh_enrollments(conn: Connection, course_id: int) -> None:
    def total(column):
        return _total(cuwt, column, cuwt.c.course_id == enrollments.c.course_id,
                      cuwt.c.user_id == enrollments.c.user_id)

    conn.execute(update(enrollments).where(enrollments.c.course_id == course_id).values(
        revision_count=total(cuwt.c.revision_count),
        character_sum_ms=total(cuwt.c.character_sum_ms),
        character_sum_us=total(cuwt.c.character_sum_us),
        character_sum_draft=total(cuwt.c.character_sum_draft),
        references_count=total(cuwt.c.references_count)))


def refresh_course(conn: Connection, course_id: int, as_of: datetime | None, now: datetime | None) -> None:
    """Course totals; with as_of, also the time they are current to (the update is complete)."""
    this = courses.c.id

    def windows(column):
        return _total(cwt, column, cwt.c.course_id == this)

    def students(column):
        return _total(cuwt, column, cuwt.c.course_id == this)

    def count(table, *where):
        return select(func.count()).select_from(table).where(*where).scalar_subquery()

    conn.execute(update(courses).where(this == course_id).values(
        student_count=count(enrollments, enrollments.c.course_id == this, enrollments.c.role == "student"),
        revision_count=windows(cwt.c.revision_count),
        character_sum=windows(cwt.c.character_sum),
        references_count=windows(cwt.c.references_count),
        character_sum_user=students(cuwt.c.character_sum_us),
        character_sum_draft=students(cuwt.c.character_sum_draft),
        article_count=count(articles_courses, articles_courses.c.course_id == this),
        new_article_count=count(articles_courses, articles_courses.c.course_id == this, articles_courses.c.new_article),
        **(dict(last_update=as_of, updated_at=now) if as_of else {})))


def refresh(conn: Connection, course_id: int, as_of: datetime | None = None, now: datetime | None = None,
            changed: bool = True) -> None:
    """Every cache, unless no timeslice `changed` (then they hold already: only the time the
    course is current to moves on). Without as_of (mid-update), the course keeps its last_update."""
    if changed:
        refresh_articles_courses(conn, course_id)
        refresh_enrollments(conn, course_id)
        refresh_course(conn, course_id, as_of, now)
    elif as_of:
        conn.execute(update(courses).where(courses.c.id == course_id).values(last_update=as_of, updated_at=now))
