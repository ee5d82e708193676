"""Helpers of the workers' tests: courses on small exports, a real Dramatiq sender, run rows."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert, select

from support.course import setup_course
from support.exports import write_export
from wikicourse.clock import now_utc
from wikicourse.models.tables import courses, update_runs
from wikicourse.workers.broker import declare_actor, make_broker, queue_lengths, send


def one_page_export(path, user: str = "Ann"):
    return write_export(path, {("Page", 0): [("2024-01-02T10:00:00Z", user, "Some <ref>a</ref> text")]})


def course_on(engine, tmp_path, slug: str = "course", *, start="2024-01-01", end="2024-01-10",
              students=("Ann",)) -> str:
    export = one_page_export(tmp_path / f"{slug}.xml")
    return setup_course(engine, {"test.wiki": export}, slug=slug, start=start, end=end, students=students)


def cid(engine, slug: str) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(courses.c.id).where(courses.c.slug == slug))


def insert_run(engine, course_id: int, *, status: str, started_at: datetime | None = None,
               seconds: float | None = 10, holder: str = "other-machine:1", heartbeat_age=timedelta(0),
               **values) -> int:
    """An update_runs row with chosen times; finished `seconds` after it started (none if running)."""
    started_at = started_at or now_utc() - timedelta(hours=1)
    finished = None if status == "running" or seconds is None else started_at + timedelta(seconds=seconds)
    with engine.begin() as conn:
        return conn.execute(insert(update_runs).values(
            course_id=course_id, full=False, as_of=started_at, started_at=started_at, finished_at=finished,
            status=status, holder=holder, heartbeat_at=now_utc() - heartbeat_age, **values)).inserted_primary_key[0]


class Sender:
    """What a scheduler holds: a broker on the real Redis and the update actor, sending for real."""

    def __init__(self, redis_url: str):
        self.broker = make_broker(redis_url)
        self.actor = declare_actor(self.broker, lambda slug, full=False: None)
        self.sent: list[tuple[str, str]] = []

    def send(self, slug: str, queue: str = "short"):
        def do_send():
            send(self.broker, self.actor, slug, queue)
            self.sent.append((slug, queue))
        return do_send

    def waiting(self) -> dict[str, int]:
        return {q: n["waiting"] for q, n in queue_lengths(self.broker).items()}
