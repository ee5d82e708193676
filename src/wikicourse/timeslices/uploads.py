"""Uploads' derivation (docs/uploads.md): the course's finest grain of uploads from the shared
store, and the upload figures of every window, student and the course from it, set-based.

The whole course is derived again on every update: a course's files are few next to its
edits (one row each), and their usage and deletion change without any new upload, so one
statement per wiki and grain costs less than tracking which windows moved, and an
incremental update and a rebuild cannot disagree.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, and_, delete, func, insert, literal, or_, select, update

from ..models.tables import (articles, course_uploads, course_wiki_timeslices, course_wikis, courses, enrollments,
                             students, upload_files, uploads, wikis)
from ..models.uploads import UPLOAD_FIGURES
from .windows import Grid


def in_scope(course_id: int, wiki_id: int, grid: Grid, as_of: datetime, table=uploads):
    """The condition on the store's rows that counts an upload for the course: a new file
    (action upload) by a current student on this wiki, within the period, by the as-of time."""
    return and_(table.c.wiki_id == wiki_id, table.c.action == "upload", table.c.user_id.in_(students(course_id)),
                table.c.timestamp >= grid.period_start, table.c.timestamp < grid.horizon(as_of))


def copy_uploads(conn: Connection, ctx) -> bool:
    """The course's finest grain: each file's first counted upload, in its window (none when the
    course does not count uploads). Returns whether the course had or has any."""
    c = ctx.course_id
    had = conn.execute(delete(course_uploads).where(course_uploads.c.course_id == c)).rowcount > 0
    if not counts_uploads(conn, c):
        return had
    for cw in ctx.wikis:
        w = cw.wiki_id
        earlier = uploads.alias("earlier")
        first = ~select(earlier.c.log_id).where(
            in_scope(c, w, cw.grid, ctx.as_of, earlier),
            earlier.c.article_id == uploads.c.article_id,
            or_(earlier.c.timestamp < uploads.c.timestamp,
                and_(earlier.c.timestamp == uploads.c.timestamp, earlier.c.log_id < uploads.c.log_id)),
        ).exists()
        window = and_(course_wiki_timeslices.c.course_id == c, course_wiki_timeslices.c.wiki_id == w,
                      course_wiki_timeslices.c.start <= uploads.c.timestamp,
                      course_wiki_timeslices.c.end > uploads.c.timestamp)
        rows = (select(literal(c), literal(w), uploads.c.user_id, uploads.c.article_id, course_wiki_timeslices.c.start,
                       uploads.c.log_id, uploads.c.timestamp)
                .join(course_wiki_timeslices, window)
                .where(in_scope(c, w, cw.grid, ctx.as_of), first))
        conn.execute(insert(course_uploads).from_select(
            ["course_id", "wiki_id", "user_id", "article_id", "start", "log_id", "timestamp"], rows))
    return True


def counts_uploads(conn: Connection, course_id: int) -> bool:
    return bool(conn.scalar(select(courses.c.count_uploads).where(courses.c.id == course_id)))


def global_usage_by_wiki(conn: Connection, course_id: int) -> dict[str, bool | None]:
    """Per course wiki (domain), whether its files' use on other wikis counts (GlobalUsage; None:
    not asked yet): the course document and the uploads listing both say it."""
    return dict(conn.execute(
        select(wikis.c.domain, wikis.c.global_usage).join(course_wikis, course_wikis.c.wiki_id == wikis.c.id)
        .where(course_wikis.c.course_id == course_id).order_by(wikis.c.domain)).all())


def usages():
    """A file's (wiki, page) usages at its last refresh: this wiki's pages, plus other wikis'
    where the wiki reports them; 0 before its first refresh."""
    return func.coalesce(upload_files.c.local_usage, 0) + func.coalesce(upload_files.c.global_usage, 0)


def _figures(*where) -> dict:
    """upload_count, uploads_in_use_count, upload_usages_count of the course's uploads matching
    `where`, as correlated subqueries: files whose page is not deleted now."""
    base = (course_uploads.join(articles, articles.c.id == course_uploads.c.article_id)
            .outerjoin(upload_files, upload_files.c.article_id == course_uploads.c.article_id))
    kept = [~articles.c.deleted, *where]
    return {
        "upload_count": select(func.count()).select_from(base).where(*kept).scalar_subquery(),
        "uploads_in_use_count": select(func.count()).select_from(base).where(*kept, usages() > 0).scalar_subquery(),
        "upload_usages_count": select(func.coalesce(func.sum(usages()), 0)).select_from(base)
        .where(*kept).scalar_subquery(),
    }


def derive_uploads(conn: Connection, ctx) -> dict:
    """Copy, then the figures of every window, enrollment and the course; returns the course's."""
    c = ctx.course_id
    figures = select(*[courses.c[f] for f in UPLOAD_FIGURES]).where(courses.c.id == c)
    if not copy_uploads(conn, ctx) and not any(conn.execute(figures).one()):
        # No upload counted before or now: every figure is 0 already (the usual course, not counting them).
        return dict.fromkeys(UPLOAD_FIGURES, 0)
    cwt = course_wiki_timeslices
    conn.execute(update(cwt).where(cwt.c.course_id == c).values(**_figures(
        course_uploads.c.course_id == cwt.c.course_id, course_uploads.c.wiki_id == cwt.c.wiki_id,
        course_uploads.c.start == cwt.c.start)))
    conn.execute(update(enrollments).where(enrollments.c.course_id == c).values(**_figures(
        course_uploads.c.course_id == enrollments.c.course_id, course_uploads.c.user_id == enrollments.c.user_id)))
    conn.execute(update(courses).where(courses.c.id == c).values(**_figures(
        course_uploads.c.course_id == courses.c.id)))
    return conn.execute(figures).one()._asdict()
