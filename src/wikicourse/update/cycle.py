"""The update cycle (docs/update-cycle.md): pre-update, reprocess, ingest (into the shared store), copy, refresh."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import Engine, func, select, update

from .. import settings
from ..clock import now_utc
from ..courses import course_id as find_course
from ..errors import InvalidInput, WikicourseError
from ..models.course import HEADLINE
from ..models.uploads import UPLOAD_FIGURES
from ..sources import RevisionSource
from ..wikis import open_source
from ..sql import analyze
from ..timeslices.manage import clear_from, mark, reset_coverage
from ..models.tables import (
    article_course_timeslices,
    articles,
    courses,
    ingestion_coverage,
    course_user_wiki_timeslices,
    course_wiki_timeslices,
    course_user_article_timeslices,
    contribution_reads,
    revisions,
    students,
    update_runs,
    users,
    wikis,
)
from ..timeslices.uploads import derive_uploads
from ..timeslices.windows import through
from ..wikis import wiki_urls
from .context import UpdateContext
from .copy import copy_in
from .ingest import ingest
from .plan import plan_jobs
from .prepare_dates import prepare_dates
from ..namespaces import apply_namespaces
from .prepare_past import prepare_past, skip_changes
from .prepare_users import prepare_users
from .prepare_wikis import prepare_wikis
from .refresh import changed_scope, refresh, renewed_scope
from .reprocess import reprocess
from .rounds import round_as_of
from .runs import Progress, begin_run, end_run, forget_run
from .spans import forget_read
from .uploads import UploadsReport, forget_uploads, update_uploads
from .why import record_figures, record_many
from .wiki_logs import read_logs
from ..wikidata.detect import apply_wikibase, detect_wikibase

log = logging.getLogger(__name__)
SourceFactory = Callable[[str], RevisionSource]  # API URL -> source
BULK = 20_000  # revisions in one update past which the planner's statistics are refreshed


@dataclass
class UpdateReport:
    slug: str
    as_of: datetime
    full: bool
    run_id: int = 0
    status: str = "done"  # done, or partial when a fetch failed (its windows stay marked)
    removed_users: int = 0
    added_users: int = 0
    removed_wikis: int = 0
    added_wikis: int = 0
    revisions: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    figures: dict = field(default_factory=dict)  # {figure: [before, after]} of those that moved
    reasons: list[dict] = field(default_factory=list)  # why they moved (update.why), as recorded
    followed: bool = True  # were the wikis' logs followed (False past the grace period)
    uploads: UploadsReport = field(default_factory=UploadsReport)  # what the uploads step read and cost


def headline(conn, course_id: int) -> dict:
    """The course's headline figures (docs/metrics.md), uploads' too, as the caches hold them."""
    row = conn.execute(select(*[courses.c[f] for f in HEADLINE + UPLOAD_FIGURES])
                       .where(courses.c.id == course_id)).one()
    return row._asdict()


def within_grace(conn, course_id: int, as_of: datetime, grace_days: int | None) -> bool:
    """Is the course still followed for changes of the wikis' past (its end + the grace period)?"""
    end = conn.scalar(select(courses.c.end).where(courses.c.id == course_id))
    days = settings.grace_days() if grace_days is None else grace_days
    return as_of.date() <= end + timedelta(days=days)


def _named(kind: str, conn, table, ids, column) -> list[dict]:
    if not ids:
        return []
    names = conn.scalars(select(column).where(table.c.id.in_(list(ids))).order_by(column))
    return [dict(kind=kind, subject=name) for name in names]


def _pending_windows(conn, ctx: UpdateContext) -> list[dict]:
    """Windows left needs_update by an earlier run (a fetch that failed): redone now."""
    pending = conn.scalar(
        select(func.count())
        .select_from(course_wiki_timeslices)
        .where(course_wiki_timeslices.c.course_id == ctx.course_id, course_wiki_timeslices.c.needs_update)
    )
    return [dict(kind="redone", count=pending)] if pending else []


def update_course(
    engine: Engine,
    slug: str,
    *,
    full: bool = False,
    as_of: datetime | None = None,
    source_factory: SourceFactory = open_source,
    on_begin: Callable[[int], None] | None = None,
    lock_engine: Engine | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    grace_days: int | None = None,
    log_max_age: float = 0.0,
    round_age: float = 0.0,
) -> UpdateReport:
    """Run the cycle; `on_begin` hears the run's id once the course's lock is held, and
    `on_progress` each time its progress is recorded. The lock is taken through `lock_engine`
    when given: the web's, which waits only briefly for a database another process holds.

    The wikis' logs are followed (docs/wiki-past.md) until `grace_days` after the course's end
    (default: settings.grace_days()); a log read by another update less than `log_max_age`
    seconds ago is not read again (workers share one read among the courses of a wiki).
    With `round_age` (workers; never with an explicit as-of or --full), the course counts as
    of its wikis' latest update round, read now if none is fresher (update.rounds).
    """
    started = now_utc()
    shared = round_age > 0 and not full and as_of is None
    if as_of is not None and as_of.tzinfo is None:
        raise InvalidInput("--as-of needs a time zone (UTC)")
    # Nothing after now exists yet: a later as-of would claim edits not yet made as fetched.
    as_of = min(as_of or started, started)
    settings.wiki_limits()  # a bad setting is refused before the course is locked
    with engine.connect() as conn:
        course_id = find_course(conn, slug)
    run_id = begin_run(lock_engine or engine, course_id, slug=slug, full=full, as_of=as_of, started=started)
    try:
        if not full:  # checked under the lock: no other run can move the data meanwhile
            with engine.connect() as conn:
                _refuse_going_back(conn, course_id, as_of)
    except BaseException:
        forget_run(engine, run_id)  # refused: nothing changed, nothing to record
        raise
    report = UpdateReport(slug, as_of, full, run_id=run_id)
    sources: dict[int, RevisionSource] = {}
    progress: Progress | None = None
    try:
        progress = Progress(engine, run_id, on_progress)
        if on_begin:
            on_begin(run_id)
        with engine.connect() as conn:
            before = headline(conn, course_id)
            ctx = UpdateContext.load(conn, course_id, as_of, full, started)
            urls = wiki_urls(conn, [cw.wiki_id for cw in ctx.wikis])
            follow = report.followed = within_grace(conn, course_id, as_of, grace_days)
        sources = {cw.wiki_id: source_factory(urls[cw.wiki_id]) for cw in ctx.wikis}
        report.errors += detect_wikibase(engine, sources)  # once per wiki: is it Wikibase? (docs/wikidata.md)
        # 0. The wikis' past: read their logs (shared by every course on the wiki).
        if follow and not full:
            progress.start_step("reading logs")
            report.errors += read_logs(engine, sources, log_max_age)
        if shared:
            progress.start_step("reading the round")
            ctx, report.revisions = _count_as_of_round(
                engine, ctx, run_id, sources, round_age, settings.grace_days() if grace_days is None else grace_days
            )
            report.as_of = as_of = ctx.as_of
        # 1-2. Pre-update and reprocessing: local only, one transaction.
        progress.start_step("preparing")
        with engine.begin() as conn:
            reasons = _pending_windows(conn, ctx)
            first = (
                conn.scalar(
                    select(course_wiki_timeslices.c.id).where(course_wiki_timeslices.c.course_id == course_id).limit(1)
                )
                is None
            )
            removed_wikis, added_wikis = prepare_wikis(conn, ctx)
            reasons += _named("wikis_removed", conn, wikis, removed_wikis, wikis.c.domain)
            if not first:  # a course's first windows are no change of its wikis
                reasons += _named("wikis_added", conn, wikis, added_wikis, wikis.c.domain)
            removed_users, added_users = prepare_users(conn, ctx)
            report.added_users = len(added_users)
            reasons += _named("students_removed", conn, users, removed_users, users.c.username)
            reasons += _named("students_added", conn, users, added_users, users.c.username)
            reasons += prepare_dates(conn, ctx)
            reasons += apply_namespaces(conn, ctx)
            apply_wikibase(conn, ctx)  # a wiki found to be Wikibase: its windows taken again
            for wiki_id in added_wikis:
                skip_changes(conn, course_id, wiki_id)  # its data is all fetched now
            derived = False
            if full:
                _start_over(conn, ctx)  # everything is derived once, after ingesting
                forget_uploads(conn, ctx)
                reasons.append(dict(kind="rebuilt"))
            else:
                if follow:
                    reasons += prepare_past(conn, ctx)
                derived = reprocess(conn, ctx)
                derive_uploads(conn, ctx)  # a student removed leaves the upload figures now
            # Should ingestion die, the caches match the timeslices. A change of roster, dates,
            # wikis or the wiki's past gives a reason (every cache is refreshed); a change of
            # the finest grain marks windows; a student enrolled back keeps their rows.
            if reasons or derived:
                refresh(conn, course_id)
            elif (renewed := renewed_scope(conn, course_id)) is not None:
                refresh(conn, course_id, scope=renewed)
            jobs = plan_jobs(conn, ctx)
            record_many(conn, run_id, reasons)
            report.reasons = reasons
        report.removed_users, report.removed_wikis = len(removed_users), len(removed_wikis)
        report.added_wikis = len(added_wikis)
        # 3. Ingest new data into the shared store, checkpointed per page of the answers.
        progress.start_step("fetching", total=sum(len(j.users) for js in jobs.values() for j in js))
        result = ingest(
            engine,
            {w: js for w, js in jobs.items() if js},
            {w: sources[w] for w, js in jobs.items() if js},
            full=full,
            progress=progress,
        )
        report.revisions += result.revisions
        report.errors += result.errors
        # 3b. Uploads (docs/uploads.md): the students' upload logs, the usage of the course's files.
        progress.start_step("uploads")
        report.uploads = update_uploads(engine, ctx, sources)
        report.errors += report.uploads.errors
        report.status = "partial" if report.errors else "done"
        # 4. Copy from the store, reprocess what that marked, refresh the caches: one transaction.
        progress.start_step("deriving")
        with engine.begin() as conn:
            if result.revisions >= BULK:  # plans made for nearly empty tables would be poor
                analyze(conn, [revisions, contribution_reads, ingestion_coverage])
            counted = copy_in(conn, ctx)
            if counted >= BULK:
                analyze(conn, [course_user_article_timeslices, articles])
            scope = None if full else changed_scope(conn, course_id)  # before deriving: who had rows there
            derived = reprocess(conn, ctx)
            if counted >= BULK:  # the caches are refreshed from these, and every later update derives them
                analyze(conn, [article_course_timeslices, course_user_wiki_timeslices])
            refresh(conn, course_id, as_of, now_utc(), changed=derived, scope=scope)
            counted_uploads = derive_uploads(conn, ctx)
            report.figures = record_figures(conn, run_id, before, headline(conn, course_id))
            found = [dict(kind="renamed", subject=new, detail=f"formerly {old}") for old, new in result.renamed.items()]
            # The new edits counted explain figures that moved; an hourly update that found
            # nothing new has nothing to explain.
            if counted and report.figures:
                found.append(dict(kind="edits", count=counted))
            if counted_uploads != {f: before[f] for f in UPLOAD_FIGURES}:
                found.append(dict(kind="uploads", count=report.uploads.uploads,
                                  detail=f"usage of {report.uploads.refreshed} files read, "
                                         f"{report.uploads.usage_changed} changed"))
            record_many(conn, run_id, found)
            report.reasons += found
    except BaseException as exc:
        report.status = "failed"
        # The run's record is public (dashboard, API): a message meant for users, else only the kind.
        public = str(exc) if isinstance(exc, WikicourseError) else f"internal error ({type(exc).__name__})"
        report.errors.append(public)
        raise
    finally:
        if progress is not None:
            progress.close()
        report.requests = sum(s.request_count for s in sources.values())
        for s in sources.values():
            s.close()
        end_run(
            engine,
            run_id,
            status=report.status,
            requests=report.requests,
            revisions=report.revisions,
            errors="\n".join(report.errors) or None,
        )
    return report


def _count_as_of_round(
    engine: Engine,
    ctx: UpdateContext,
    run_id: int,
    sources: dict[int, RevisionSource],
    round_age: float,
    grace_days: int,
) -> tuple[UpdateContext, int]:
    """The context counting as of the wikis' round, unless there is none or it lies before
    what the course already counts (a command-line update since, say); and the revisions
    this update read for the round, if it read one."""
    found = round_as_of(engine, run_id, sources, round_age, grace_days)
    for error in found.errors:
        log.warning("update round not read: %s", error)
    if found.as_of is None:
        return ctx, found.revisions
    with engine.begin() as conn:
        reached = _reached(conn, ctx.course_id)
        if reached is not None and through(found.as_of) < reached:
            return ctx, found.revisions
        conn.execute(update(update_runs).where(update_runs.c.id == run_id).values(as_of=found.as_of))
    return replace(ctx, as_of=found.as_of), found.revisions


def _reached(conn, course_id: int) -> datetime | None:
    """How far the course's stored data reaches (exclusive): its last update's, or a killed
    one's. Coverage reaching no further than its wiki's first window (the period's start
    when it was written) holds nothing."""
    first_window = (
        select(func.min(course_wiki_timeslices.c.start))
        .where(
            course_wiki_timeslices.c.course_id == course_id,
            course_wiki_timeslices.c.wiki_id == ingestion_coverage.c.wiki_id,
        )
        .scalar_subquery()
    )
    ingested = conn.scalar(
        select(func.max(ingestion_coverage.c.ingested_until)).where(
            ingestion_coverage.c.course_id == course_id, ingestion_coverage.c.ingested_until > first_window
        )
    )
    last_update = conn.scalar(select(courses.c.last_update).where(courses.c.id == course_id))
    return max(filter(None, [last_update and through(last_update), ingested]), default=None)


def _refuse_going_back(conn, course_id: int, as_of: datetime) -> None:
    """Stored data may reach past `as_of`: only a rebuild can forget it."""
    reached = _reached(conn, course_id)
    if reached is not None and through(as_of) < reached:
        reached -= timedelta(seconds=1)  # the last second counted
        raise InvalidInput(
            f"--as-of {as_of:%Y-%m-%dT%H:%M:%SZ} is before data already ingested "
            f"({reached:%Y-%m-%dT%H:%M:%SZ}); use --full to rebuild as of then"
        )


def _start_over(conn, ctx: UpdateContext) -> None:
    """--full: nothing counts as ingested and every window up to the as-of time is re-derived;
    the store forgets what it holds of the students over the period, so the wiki is read
    again (a rebuild that fails midway copies nothing it did not read).

    The rows already there stay until their replacements are written, so a rebuild that
    fails midway leaves the last good figures, marked, rather than holes. Windows after
    the as-of time are emptied (never marked): nothing there may count.
    """
    for cw in ctx.wikis:
        horizon = cw.grid.horizon(ctx.as_of)
        skip_changes(conn, ctx.course_id, cw.wiki_id)
        forget_read(
            conn, cw.wiki_id, [(u, cw.grid.period_start, horizon) for u in conn.scalars(students(ctx.course_id))]
        )
        reset_coverage(conn, ctx.course_id, cw.wiki_id, cw.grid)
        clear_from(conn, ctx.course_id, cw.wiki_id, horizon)
        mark(conn, ctx.course_id, cw.wiki_id, [s for s in cw.grid.starts() if s < horizon])
