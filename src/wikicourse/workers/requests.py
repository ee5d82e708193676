"""Update requests, coalesced: at most one message per course waits in the queues.

A request sends a message only if none is waiting (queued_at unset), claimed in a
compare-and-set so that two schedulers send one. The worker that takes the message unsets
queued_at before it updates, so a request made during that update sends a new message and
its changes are not lost. A message lost (a broker restarted empty, a message dropped after
its retries) is assumed after QUEUED_EXPIRES, and sent again: a duplicate costs little, as
the course's lock runs one update at a time and the second finds nothing new.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Callable

from sqlalchemy import Engine, or_, update

from ..clock import now_utc
from ..models import UpdateRequest
from ..sql import upsert

update_requests = UpdateRequest.__table__
QUEUED_EXPIRES = timedelta(minutes=30)


def request_update(engine: Engine, course_id: int, queue: str, send: Callable[[], None], *,
                   force: bool = False) -> bool:
    """Ask for an update of the course; True if a message was sent, False if one already waits.
    `force` sends one whatever waits (a rebuild is not the incremental update that waits)."""
    now = now_utc()
    with engine.begin() as conn:
        upsert(conn, update_requests, [dict(course_id=course_id)], keys=["course_id"])
        waiting = or_(update_requests.c.queued_at.is_(None), update_requests.c.queued_at < now - QUEUED_EXPIRES)
        claimed = conn.execute(update(update_requests).where(
            update_requests.c.course_id == course_id, *([] if force else [waiting]))
            .values(queued_at=now, queue=queue)).rowcount
        if claimed:
            send()  # inside the transaction: if the broker refuses, the claim is rolled back
    return bool(claimed)


def taken(engine: Engine, course_id: int) -> None:
    """A worker took the course's message: the next request sends a new one."""
    with engine.begin() as conn:
        conn.execute(update(update_requests).where(update_requests.c.course_id == course_id)
                     .values(queued_at=None))
