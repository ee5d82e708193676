"""A course's update history: its latest runs, each with when it ran, how long it took, and
what it changed and why, for the overview page and `GET /api/courses/{slug}/updates`."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select

from .changes import FINISHED, duration, figures_of, reasons_of, update_runs
from .stats import iso
from .update.runs import recent_runs


def update_history(engine: Engine, slug: str, limit: int = 10) -> list[dict]:
    """The latest runs, newest first, as update.runs.recent_runs gives them (times in ISO), plus
    "duration_seconds" (None while running), "figures" ({figure: {"before", "after"}} that moved)
    and "reasons" (as changes.course_changes gives them). Three queries whatever the limit."""
    runs = recent_runs(engine, slug, limit)
    ids = [r["id"] for r in runs]
    moved: dict[int, str | None] = {}
    reasons: dict[int, list[dict]] = {}
    if ids:
        with engine.connect() as conn:
            moved = dict(conn.execute(select(update_runs.c.id, update_runs.c.figures)
                                      .where(update_runs.c.id.in_(ids))).all())
            reasons = reasons_of(conn, ids)
    return [{**{k: iso(v) if isinstance(v, datetime) else v for k, v in run.items()},
             "duration_seconds": duration(run["started_at"], run["finished_at"]),
             "figures": figures_of(moved.get(run["id"])), "reasons": reasons[run["id"]]}
            for run in runs]


def last_moves(history: list[dict]) -> dict[str, dict]:
    """The figures the latest finished run moved ({} if it moved none): what the overview marks.
    A run still going has not moved them yet."""
    finished = next((r for r in history if r["status"] in FINISHED), None)
    return finished["figures"] if finished else {}
