"""Which courses need an update, and on which queue.

A course is due while it runs and for a grace period after its end (late edits, deleted
pages, students added after the fact). Its queue comes from the cost of its last finished
update, measured in seconds; a course never updated is judged by its size (students x wikis),
as its first update fetches everything.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Engine, func, select

from ..clock import now_utc
from ..errors import UnknownCourse
from ..models.tables import course_wikis, courses, enrollments, update_runs
from .broker import QUEUES, declare_actor, make_broker, send
from .requests import request_update

SHORT, MEDIUM = 60.0, 900.0  # seconds of the last update: below SHORT is short, below MEDIUM medium
FIRST_SHORT, FIRST_MEDIUM = 100, 1000  # students x wikis of a course never updated


@dataclass(frozen=True)
class Due:
    course_id: int
    slug: str
    queue: str
    last_seconds: float | None  # the last finished update's duration, if any


def queue_for(last_seconds: float | None, size: int) -> str:
    if last_seconds is None:
        return "short" if size <= FIRST_SHORT else "medium" if size <= FIRST_MEDIUM else "long"
    return "short" if last_seconds < SHORT else "medium" if last_seconds < MEDIUM else "long"


def due_courses(engine: Engine, today: date, grace_days: int, slugs: list[str] | None = None) -> list[Due]:
    """The courses to update now (or exactly `slugs`, whatever their dates), cheapest first."""
    last_run = (select(update_runs.c.course_id, func.max(update_runs.c.id).label("run_id"))
                .where(update_runs.c.status.in_(("done", "partial"))).group_by(update_runs.c.course_id)
                .subquery())
    students = (select(enrollments.c.course_id, func.count().label("n")).where(enrollments.c.role == "student")
                .group_by(enrollments.c.course_id).subquery())
    tracked = (select(course_wikis.c.course_id, func.count().label("n")).group_by(course_wikis.c.course_id)
               .subquery())
    query = (select(courses.c.id, courses.c.slug, update_runs.c.started_at, update_runs.c.finished_at,
                    func.coalesce(students.c.n, 0) * func.coalesce(tracked.c.n, 0))
             .outerjoin(last_run, last_run.c.course_id == courses.c.id)
             .outerjoin(update_runs, update_runs.c.id == last_run.c.run_id)
             .outerjoin(students, students.c.course_id == courses.c.id)
             .outerjoin(tracked, tracked.c.course_id == courses.c.id))
    if slugs is None:
        query = query.where(courses.c.start <= today, courses.c.end >= today - timedelta(days=grace_days))
    else:
        query = query.where(courses.c.slug.in_(slugs))
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(courses.c.slug)).all()
    out = []
    for cid, slug, started, finished, size in rows:
        seconds = (finished - started).total_seconds() if started and finished else None
        out.append(Due(cid, slug, queue_for(seconds, size), seconds))
    order = {q: i for i, q in enumerate(QUEUES)}
    return sorted(out, key=lambda d: (order[d.queue], d.last_seconds or 0, d.slug))


def request_updates(engine: Engine, redis_url: str, due: list[Due], *, full: bool = False) -> list[bool]:
    """Request an update of each course on its queue (coalesced; a rebuild is always sent, as
    the incremental update that may wait is not one): for each, whether a message was sent."""
    broker = make_broker(redis_url)
    actor = declare_actor(broker, lambda slug, full=False: None)  # a sender only: workers run the real handler
    try:
        return [request_update(engine, d.course_id, d.queue, force=full,
                               send=lambda d=d: send(broker, actor, d.slug, d.queue, full=full)) for d in due]
    finally:
        broker.close()


def schedule_updates(engine: Engine, redis_url: str, grace_days: int, slugs: list[str] | None = None) -> list[str]:
    """Request an update of each due course (or of `slugs`) on its queue; one line each on what happened."""
    due = due_courses(engine, now_utc().date(), grace_days, slugs)
    if slugs:
        missing = sorted(set(slugs) - {d.slug for d in due})
        if missing:
            raise UnknownCourse(f"no course {missing[0]!r}")
    sent = request_updates(engine, redis_url, due)
    return [f"{d.slug}: {'queued on ' + d.queue if s else 'already queued (coalesced)'}" for d, s in zip(due, sent)]
