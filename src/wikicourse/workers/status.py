"""What an operator checks: the queues, the updates running and failing, and each course's
last update (how long it took, what it cost the wikis, what went wrong)."""
from __future__ import annotations

from redis.exceptions import RedisError
from sqlalchemy import Engine, func, select

from ..clock import now_utc
from ..report import table
from ..models.tables import courses, update_runs
from ..redact import without_credentials
from ..terminal import renders
from ..update.runs import abandoned
from .broker import make_broker, queue_lengths
from .requests import update_requests

TROUBLE = ("failed", "partial", "interrupted")


def status(engine: Engine, problems: int = 10) -> dict:
    now = now_utc()
    run = update_runs.c
    with engine.connect() as conn:
        running = conn.execute(
            select(courses.c.slug, run.id, run.holder, run.step, run.done, run.total, run.revisions,
                   run.started_at, run.heartbeat_at)
            .select_from(update_runs).join(courses, courses.c.id == run.course_id).where(run.status == "running").order_by(run.id)).all()
        trouble = conn.execute(
            select(courses.c.slug, run.id, run.status, run.finished_at, run.errors)
            .select_from(update_runs).join(courses, courses.c.id == run.course_id).where(run.status.in_(TROUBLE))
            .order_by(run.id.desc()).limit(problems)).all()
        last = select(run.course_id, func.max(run.id).label("id")).where(run.status != "running") \
            .group_by(run.course_id).subquery()
        per_course = conn.execute(
            select(courses.c.slug, run.status, run.started_at, run.finished_at, run.requests, run.revisions,
                   run.errors, update_requests.c.queued_at, update_requests.c.queue)
            .outerjoin(last, last.c.course_id == courses.c.id).outerjoin(update_runs, run.id == last.c.id)
            .outerjoin(update_requests, update_requests.c.course_id == courses.c.id)
            .order_by(courses.c.slug)).all()
    return {
        "running": [{**r._asdict(), "alive": not abandoned(r.holder, r.heartbeat_at, now),
                     "seconds": (now - r.started_at).total_seconds()} for r in running],
        "trouble": [{**r._asdict(), "errors": without_credentials(r.errors or "")} for r in trouble],
        "courses": [{"slug": r.slug, "status": r.status, "finished_at": r.finished_at,
                     "seconds": (r.finished_at - r.started_at).total_seconds() if r.finished_at else None,
                     "requests": r.requests, "revisions": r.revisions,
                     "errors": len(r.errors.splitlines()) if r.errors else 0, "queued": r.queue if r.queued_at else None}
                    for r in per_course],
    }


@renders
def render_status(engine: Engine, redis_url: str | None) -> str:
    doc = status(engine)
    out = []
    if redis_url:
        try:
            broker = make_broker(redis_url)
            try:
                lengths = queue_lengths(broker)
            finally:
                broker.close()
            out += ["queues", table(["queue", "waiting", "delayed"],
                                    [[q, n["waiting"], n["delayed"]] for q, n in lengths.items()]), ""]
        except RedisError as exc:  # the database's half is still worth showing
            out += [without_credentials(f"queues: the broker at {redis_url} cannot be reached ({exc})"), ""]
    out += ["running updates", table(
        ["course", "run", "step", "done", "revisions", "running for", "holder"],
        [[r["slug"], r["id"], r["step"], f"{r['done']}/{r['total']}", r["revisions"], f"{r['seconds']:.0f} s",
          r["holder"] + ("" if r["alive"] else " (dead: the next update takes over)")] for r in doc["running"]])
        if doc["running"] else "  none", ""]
    out += ["recent trouble", table(
        ["course", "run", "status", "finished", "first error"],
        [[t["slug"], t["id"], t["status"], f"{t['finished_at']:%Y-%m-%d %H:%M}Z" if t["finished_at"] else "",
          (t["errors"] or "").splitlines()[0][:80] if t["errors"] else ""] for t in doc["trouble"]])
        if doc["trouble"] else "  none", ""]
    out += ["courses (last update)", table(
        ["course", "status", "finished", "took", "requests", "revisions", "errors", "queued"],
        [[c["slug"], c["status"] or "never", f"{c['finished_at']:%Y-%m-%d %H:%M}Z" if c["finished_at"] else "",
          f"{c['seconds']:.1f} s" if c["seconds"] is not None else "", c["requests"] or 0, c["revisions"] or 0,
          c["errors"], c["queued"] or ""] for c in doc["courses"]])]
    return "\n".join(out)
