"""The course's uploads as every interface lists them (`wikicourse uploads`, the Uploads page,
uploads.csv, /api/courses/{slug}/uploads): the finest grain of uploads with each file's page,
uploader, time and usage at its last refresh (docs/uploads.md)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Engine, func, select, update

from .courses import course_id
from .models.tables import articles, campaign_courses, course_uploads, courses, upload_files, users, wikis
from .models.uploads import UPLOAD_FIGURES
from .stats import iso
from .timeslices.uploads import global_usage_by_wiki, usages

FIELDS = ("wiki", "title", "uploader", "timestamp", "deleted", "in_use", "local_usage", "global_usage",
          "usages", "thumb_url", "file_url", "usage_read_at")


def course_uploads_list(engine: Engine, slug: str) -> dict:
    """{"course": {slug, title, the upload figures, global_usage per wiki}, "uploads": [...]},
    newest upload first. A deleted file is listed (deleted: true) but counts in no figure."""
    with engine.connect() as conn:
        cid = course_id(conn, slug)
        course = conn.execute(select(courses.c.slug, courses.c.title, courses.c.count_uploads,
                                     *[courses.c[f] for f in UPLOAD_FIGURES])
                              .where(courses.c.id == cid)).one()._asdict()
        course["global_usage"] = global_usage_by_wiki(conn, cid)
        rows = conn.execute(
            select(wikis.c.domain, articles.c.title, articles.c.deleted,
                   users.c.username, course_uploads.c.timestamp, upload_files.c.local_usage,
                   upload_files.c.global_usage, upload_files.c.thumb_url, upload_files.c.file_url,
                   upload_files.c.refreshed_at, usages().label("usages"))
            .select_from(course_uploads)
            .join(articles, articles.c.id == course_uploads.c.article_id)
            .join(wikis, wikis.c.id == course_uploads.c.wiki_id)
            .join(users, users.c.id == course_uploads.c.user_id)
            .outerjoin(upload_files, upload_files.c.article_id == course_uploads.c.article_id)
            .where(course_uploads.c.course_id == cid)
            .order_by(course_uploads.c.timestamp.desc(), course_uploads.c.log_id.desc())).all()
    listed = [{
        "wiki": r.domain,
        "title": r.title,
        "uploader": r.username,
        "timestamp": iso(r.timestamp),
        "deleted": bool(r.deleted),
        "in_use": not r.deleted and r.usages > 0,
        "local_usage": r.local_usage,  # null before the file's first usage read
        "global_usage": r.global_usage,  # null where the wiki has no GlobalUsage
        "usages": r.usages,
        "thumb_url": r.thumb_url or None,
        "file_url": r.file_url or None,
        "usage_read_at": iso(r.refreshed_at),
    } for r in rows]
    return {"course": course, "uploads": listed}



def count_uploads(engine: Engine, slug: str, on: bool) -> bool:
    """Make the course count its students' uploads, or stop; returns whether that changed
    anything. The next update reads their upload logs where the store lacks them, or (off)
    takes the upload figures to zero with no request."""
    with engine.begin() as conn:
        cid = course_id(conn, slug)
        return bool(conn.execute(update(courses).where(courses.c.id == cid, courses.c.count_uploads != on)
                                 .values(count_uploads=on)).rowcount)


def _upload_figures(files):
    """count, in use, usages over the (not deleted) files of `files` (a subquery with article_id)."""
    base = (files.join(articles, articles.c.id == files.c.article_id)
            .outerjoin(upload_files, upload_files.c.article_id == files.c.article_id))
    return (select(func.count(), func.count().filter(usages() > 0), func.coalesce(func.sum(usages()), 0))
            .select_from(base).where(~articles.c.deleted))


def _before(before: datetime | None):
    return [] if before is None else [course_uploads.c.timestamp < before]


def campaign_upload_figures(conn: Connection, course_ids, before: datetime | None = None) -> dict:
    """The upload figures of the union of these courses' uploads (docs/campaigns.md): a file two
    courses count is counted once, its usages once; with `before`, uploads before that time."""
    files = (select(course_uploads.c.article_id)
             .where(course_uploads.c.course_id.in_(course_ids), *_before(before)).distinct().subquery())
    return dict(zip(UPLOAD_FIGURES, conn.execute(_upload_figures(files)).one()))


def upload_figures_by_course(conn: Connection, course_ids, before: datetime | None = None) -> dict[int, dict]:
    """Each course's upload figures (uploads before `before`), in one statement: a course counts a
    file once (course_uploads holds it once)."""
    files = (select(course_uploads.c.course_id, course_uploads.c.article_id)
             .where(course_uploads.c.course_id.in_(course_ids), *_before(before)).subquery())
    rows = conn.execute(_upload_figures(files).add_columns(files.c.course_id).group_by(files.c.course_id))
    found = {r[-1]: dict(zip(UPLOAD_FIGURES, r[:-1])) for r in rows}
    return {c: found.get(c, dict.fromkeys(UPLOAD_FIGURES, 0)) for c in course_ids}


def in_campaign(campaign_id: int):
    return select(campaign_courses.c.course_id).where(campaign_courses.c.campaign_id == campaign_id)
