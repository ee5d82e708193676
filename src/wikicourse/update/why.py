"""Why a run moved a course's figures: the reasons each step records, and the figures' moves.

Organizers ask exactly this when a figure drops (docs/update-cycle.md). Each step of the cycle
records what it changed as one line; the run keeps the headline figures that moved.
"""
from __future__ import annotations

import json
from typing import Iterable

from sqlalchemy import Connection, insert, update

from ..models.tables import update_reasons
from ..models.tables import update_runs

# kind -> how the dashboard, the API and `wikicourse changes` name it.
KINDS = {
    "edits": "new edits counted",
    "students_added": "student added",
    "students_removed": "student removed",
    "moved": "page moved",
    "deleted": "page deleted",
    "restored": "page restored",
    "revisions": "revisions hidden or shown",
    "renamed": "student renamed",
    "dates": "dates changed",
    "namespaces": "namespaces changed",
    "wikis_added": "wiki added",
    "wikis_removed": "wiki removed",
    "redone": "windows redone after a failed fetch",
    "rebuilt": "rebuilt from scratch",
    "uploads": "uploads or their usage changed",
}


def record_many(conn: Connection, run_id: int, reasons: Iterable[dict]) -> None:
    """Record reasons, each a dict with a `kind` of KINDS and optionally subject, detail, count."""
    rows = [{"run_id": run_id, "subject": "", "detail": "", "count": 0, **r} for r in reasons]
    for r in rows:
        if r["kind"] not in KINDS:
            raise ValueError(f"unknown reason kind {r['kind']!r}")
        r["subject"] = r["subject"][:512]
    if rows:
        conn.execute(insert(update_reasons), rows)


def record_figures(conn: Connection, run_id: int, before: dict, after: dict) -> dict:
    """Keep the figures that moved, {figure: [before, after]}; returns them."""
    moved = {k: [before[k], after[k]] for k in after if before.get(k) != after[k]}
    conn.execute(update(update_runs).where(update_runs.c.id == run_id).values(figures=json.dumps(moved) if moved
                                                                               else None))
    return moved
