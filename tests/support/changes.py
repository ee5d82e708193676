"""Update runs with their moved figures and reasons, inserted as the update cycle leaves them."""
from __future__ import annotations

import json

from sqlalchemy import insert

from support.course import utc
from wikicourse.courses import course_id
from wikicourse.models import UpdateReason, UpdateRun


def add_run(engine, slug: str, as_of: str, status: str = "done", *, figures: dict | None = None,
            reasons=(), full: bool = False, finished: str | None = None) -> int:
    """A run of `slug` with its moved figures ({figure: [before, after]}) and reasons
    (dicts with "kind" and optionally "subject", "detail", "count"); returns its id."""
    with engine.begin() as conn:
        run = conn.execute(insert(UpdateRun.__table__).values(
            course_id=course_id(conn, slug), full=full, as_of=utc(as_of), started_at=utc(as_of),
            finished_at=None if status == "running" else utc(finished or as_of), status=status,
            holder="elsewhere:1", heartbeat_at=utc(as_of),
            figures=json.dumps(figures) if figures is not None else None)).inserted_primary_key[0]
        for r in reasons:
            conn.execute(insert(UpdateReason.__table__).values(run_id=run, **{"subject": "", "detail": "",
                                                                             "count": 0, **r}))
    return run
