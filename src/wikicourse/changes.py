"""Why a course's figures moved: each finished update run's moved figures and recorded reasons.

The reading side of update/why.py, for `wikicourse changes`, the API's /changes and the
dashboard's overview: an organizer sees "characters 12,400 -> 11,900" next to
"page deleted: X; student removed: Y".
"""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Connection, Engine, and_, exists, or_, select

from .courses import course_id
from .errors import InvalidInput
from .models import UpdateReason, UpdateRun
from .stats import COURSE_FIELDS, iso
from .terminal import renders
from .update.why import KINDS

update_runs = UpdateRun.__table__
update_reasons = UpdateReason.__table__
FINISHED = ("done", "partial", "failed", "interrupted")
NAMES_SHOWN = 5  # a page's reason line names this many subjects of one kind


def course_changes(engine: Engine, slug: str, limit: int = 20) -> list[dict]:
    """The course's latest finished runs (done, partial, failed or interrupted), newest first:
    {"run", "as_of", "started_at", "finished_at", "duration_seconds", "status", "full",
    "figures": {figure: {"before", "after"}},
    "reasons": [{"kind", "label", "subject", "detail", "count"}]}.

    A run that completed ("done") with neither a moved figure nor a reason is left out (an
    update that found nothing new says nothing); a run that did not complete (partial, failed,
    interrupted) is always listed, since the figures may move when a later run completes its
    work. `limit` counts the runs listed. Two queries: the runs, then all their reasons.
    Figures come in stats.COURSE_FIELDS order; reasons in the order they were recorded."""
    if limit < 1:
        raise InvalidInput(f"the limit is at least 1, not {limit}")
    r = update_runs.c
    with engine.connect() as conn:
        cid = course_id(conn, slug)
        has_reasons = exists(select(update_reasons.c.id).where(update_reasons.c.run_id == r.id))
        runs = conn.execute(
            select(r.id, r.as_of, r.started_at, r.finished_at, r.status, r.full, r.figures)
            .where(r.course_id == cid, r.status.in_(FINISHED),
                   or_(r.status != "done", and_(r.figures.is_not(None), r.figures != "{}"), has_reasons))
            .order_by(r.id.desc()).limit(limit)).all()
        reasons = reasons_of(conn, [run.id for run in runs])
    return [{"run": run.id, "as_of": iso(run.as_of), "started_at": iso(run.started_at),
             "finished_at": iso(run.finished_at), "duration_seconds": duration(run.started_at, run.finished_at),
             "status": run.status, "full": bool(run.full), "figures": figures_of(run.figures),
             "reasons": reasons[run.id]}
            for run in runs]


def reasons_of(conn: Connection, run_ids: list[int]) -> dict[int, list[dict]]:
    """Each run's reasons, {"kind", "label", "subject", "detail", "count"}, in recorded order:
    one query for all the runs."""
    reasons: dict[int, list[dict]] = {i: [] for i in run_ids}
    if run_ids:
        for row in conn.execute(
                select(update_reasons.c.run_id, update_reasons.c.kind, update_reasons.c.subject,
                       update_reasons.c.detail, update_reasons.c.count)
                .where(update_reasons.c.run_id.in_(run_ids))
                .order_by(update_reasons.c.run_id, update_reasons.c.id)):
            reasons[row.run_id].append({"kind": row.kind, "label": label(row.kind), "subject": row.subject or "",
                                        "detail": row.detail or "", "count": row.count or 0})
    return reasons


def duration(started: datetime | None, finished: datetime | None) -> int | None:
    """Whole seconds from a run's start to its finish; None for a run not finished."""
    return None if started is None or finished is None else max(0, round((finished - started).total_seconds()))


def label(kind: str) -> str:
    """How a reason's kind is named; a kind this version does not know, by its own name."""
    return KINDS.get(kind) or kind.replace("_", " ")


def figures_of(stored: str | None) -> dict[str, dict[str, int]]:
    """The run's {figure: [before, after]} as {figure: {"before", "after"}}, in COURSE_FIELDS order."""
    moved = json.loads(stored) if stored else {}
    order = {f: i for i, f in enumerate(COURSE_FIELDS)}
    return {f: {"before": pair[0], "after": pair[1]}
            for f, pair in sorted(moved.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))}


def reason_line(reason: dict) -> str:
    """One reason as a line: "page deleted: Siege of Kaunas", "new edits counted: 42",
    "page moved: Sandbox (to Main page, 3)" (subject, then detail and count)."""
    text = reason["label"]
    count = f"{reason['count']:,}" if reason.get("count") else ""
    if reason.get("subject"):
        text += f": {reason['subject']}"
        extra = ", ".join(x for x in (reason.get("detail"), count) if x)
        return f"{text} ({extra})" if extra else text
    if reason.get("detail"):
        text += f": {reason['detail']}"
        return f"{text} ({count})" if count else text
    return f"{text}: {count}" if count else text


def summarize(reasons: list[dict], names: int = NAMES_SHOWN) -> list[dict]:
    """Reasons for a page, {"kind", "text"} each: those of a kind that only name their subject
    merged into one line, at most `names` names ("student added: Ana, Bob and 498 more", so that
    a first update of 500 students stays one line); the others a line each, in recorded order."""
    out: list[dict] = []
    named: dict[str, dict] = {}
    for r in reasons:
        if r["subject"] and not r["detail"] and not r["count"]:
            if r["kind"] not in named:
                named[r["kind"]] = {"kind": r["kind"], "label": r["label"], "subjects": []}
                out.append(named[r["kind"]])
            named[r["kind"]]["subjects"].append(r["subject"])
        else:
            out.append({"kind": r["kind"], "text": reason_line(r)})
    for line in out:
        if "subjects" in line:
            subjects = line.pop("subjects")
            more = len(subjects) - names
            shown = ", ".join(subjects[:names]) + (f" and {more:,} more" if more > 0 else "")
            line["text"] = f"{line.pop('label')}: {shown}"
    return out


def figure_line(name: str, figure: dict, arrow: str = "->") -> str:
    """A moved figure as "revision_count 120 -> 98"."""
    return f"{name} {figure['before']} {arrow} {figure['after']}"


@renders
def render(slug: str, changes: list[dict]) -> str:
    """The readable list of `wikicourse changes`: per run, its as-of time and status, then each
    moved figure and each reason on a line of its own."""
    if not changes:
        return f"{slug}: no changes recorded yet"
    lines = []
    for c in changes:
        as_of = c["as_of"].replace("T", " ") if c["as_of"] else "?"
        kind = "rebuild" if c["full"] else "update"
        lines.append(f"run {c['run']}, {kind} as of {as_of}: {c['status']}")
        lines += [f"  {figure_line(name, f)}" for name, f in c["figures"].items()]
        lines += [f"  {reason_line(r)}" for r in c["reasons"]]
        if not c["figures"] and not c["reasons"]:
            lines.append("  no figure moved")
    return "\n".join(lines)
