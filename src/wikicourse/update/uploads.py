"""The update cycle's uploads step (docs/uploads.md): the students' upload logs into the shared
store (only what no span holds), then the usage of the course's files least recently read.

Every wiki request goes through the course's sources (the one request path, its retries and
budget). A wiki that fails is reported and left for the next update: what was read before
the failure is kept, spans only say what is held.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Connection, Engine, case, delete, exists, insert, select, update

from .. import settings
from ..clock import now_utc
from ..errors import WikiError
from ..models.tables import articles, revisions, students, upload_files, upload_reads, uploads, users, wikis
from ..sources import RevisionSource
from ..sql import chunks, upsert
from ..timeslices.uploads import counts_uploads, in_scope
from ..wikis import on_wiki, wiki_domains
from .context import UpdateContext
from ..timeslices.windows import Grid
from .spans import Span, cut, gaps, merge

NS_FILE = 6
THUMB_WIDTH = 120  # pixels: the Uploads page's thumbnails, scaled by the wiki
# MediaWiki writes an upload's log entry after answering the upload (a deferred update), and
# replicas lag: the last minutes read are not held as final, the next update reads them again
# (in the request it makes anyway for the time since).
LOG_LAG = timedelta(minutes=10)


@dataclass
class UploadsReport:
    requests: int = 0  # requests spent on uploads (probes, logs, usage, siteinfo), retries included
    probes: int = 0  # list=usercontribs requests for the File namespace (50 students each)
    log_reads: int = 0  # upload logs read: one per student who created a file page in a gap
    uploads: int = 0  # upload log entries stored
    refreshed: int = 0  # files whose usage was read
    usage_changed: int = 0  # of them, files whose usage or existence changed
    errors: list[str] = field(default_factory=list)


def update_uploads(engine: Engine, ctx: UpdateContext, sources: dict[int, RevisionSource],
                   limit: int | None = None) -> UploadsReport:
    """Fetch what the store lacks of the students' upload logs, then read the usage of up to
    `limit` (default settings.usage_refresh()) of the course's files."""
    report = UploadsReport()
    left = settings.usage_refresh() if limit is None else limit
    with engine.connect() as conn:
        if not counts_uploads(conn, ctx.course_id):
            return report
        domains = wiki_domains(conn, [cw.wiki_id for cw in ctx.wikis])
    for cw in ctx.wikis:
        source = sources.get(cw.wiki_id)
        if source is None or not hasattr(source, "upload_log"):  # a bundled export has no upload log
            continue
        before = source.request_count
        try:
            _fetch_logs(engine, ctx, cw.wiki_id, cw.grid, source, report)
            left -= _refresh_usage(engine, ctx, cw, source, left, report)
        except WikiError as exc:
            report.errors.append(on_wiki(domains[cw.wiki_id], f"uploads not read: {exc}"))
        finally:
            report.requests += source.request_count - before
    return report


def _fetch_logs(engine: Engine, ctx: UpdateContext, wiki_id: int, grid: Grid, source, report: UploadsReport) -> None:
    """The students' upload logs over the gaps of the period up to the horizon that the store
    does not hold. The log takes one user per request, so the students' contributions to the
    File namespace are asked first, 50 students a request (list=usercontribs): an upload creates
    its file's page, so only a student who created one in a gap has their log read (one request).

    The spans recorded stop at the settled part and LOG_LAG before now (an entry written late,
    or in the update's running second, is read by the next update)."""
    start, end = grid.period_start, grid.horizon(ctx.as_of)
    settled = max(start, min(grid.settled(ctx.as_of, ctx.now), ctx.now.replace(microsecond=0) - LOG_LAG))
    with engine.connect() as conn:
        names = dict(conn.execute(select(users.c.id, users.c.username)
                                  .where(users.c.id.in_(students(ctx.course_id)))).all())
        held = _spans(conn, wiki_id, list(names))
    groups: dict[Span, list[int]] = defaultdict(list)
    for user_id in sorted(names):
        for gap in gaps(held.get(user_id, []), start, end):
            groups[gap].append(user_id)
    for gap, user_ids in sorted(groups.items()):
        before = source.request_count
        creators = {c.user for batch in source.contributions([names[u] for u in user_ids], *gap,
                                                             namespaces=(NS_FILE,)) for c in batch if c.new}
        report.probes += source.request_count - before
        for user_id in user_ids:
            if names[user_id] not in creators:
                continue
            # Over the whole period (500 entries a request): a log entry and its page's first
            # revision may lie on either side of a span's end, or far apart (a back-dated import).
            events = source.upload_log(names[user_id], start, end)
            report.log_reads += 1
            with engine.begin() as conn:
                # The log as read replaces the user's entries over the period: one gone from it
                # (suppressed) goes from the store too, in the same transaction.
                conn.execute(delete(uploads).where(
                    uploads.c.wiki_id == wiki_id, uploads.c.user_id == user_id, uploads.c.timestamp >= start,
                    uploads.c.timestamp < end, uploads.c.log_id.not_in([e.log_id for e in events])))
                report.uploads += _store(conn, wiki_id, user_id, events)
        if settled > gap[0]:
            with engine.begin() as conn:
                _extend_spans(conn, wiki_id, {u: (gap[0], min(gap[1], settled)) for u in user_ids})


def _store(conn: Connection, wiki_id: int, user_id: int, events) -> int:
    """The entries, their files' pages made articles (a known page keeps its title and state:
    those follow the wiki's log); an entry that names no page is left out."""
    events = [e for e in events if e.page_id]
    if not events:
        return 0
    page_ids = sorted({e.page_id for e in events})
    titles = {e.page_id: e.title for e in events}
    upsert(conn, articles, [dict(wiki_id=wiki_id, page_id=p, title=titles[p], namespace=NS_FILE, deleted=False)
                            for p in page_ids], keys=("wiki_id", "page_id"))
    ids: dict[int, int] = {}
    for batch in chunks(page_ids):
        ids.update(conn.execute(select(articles.c.page_id, articles.c.id)
                                .where(articles.c.wiki_id == wiki_id, articles.c.page_id.in_(batch))).all())
    rows = [dict(wiki_id=wiki_id, log_id=e.log_id, user_id=user_id, article_id=ids[e.page_id],
                 timestamp=e.timestamp, action=e.action) for e in events]
    upsert(conn, uploads, rows, keys=("wiki_id", "log_id"), update=("user_id", "article_id", "timestamp", "action"))
    return len(rows)


def _spans(conn: Connection, wiki_id: int, user_ids: list[int]) -> dict[int, list[Span]]:
    out: dict[int, list[Span]] = defaultdict(list)
    for batch in chunks(user_ids):
        for user_id, start, end in conn.execute(
                select(upload_reads.c.user_id, upload_reads.c.start, upload_reads.c.end)
                .where(upload_reads.c.wiki_id == wiki_id, upload_reads.c.user_id.in_(batch))):
            out[user_id].append((start, end))
    return {u: merge(s) for u, s in out.items()}


def _extend_spans(conn: Connection, wiki_id: int, read: dict[int, Span]) -> None:
    """Add what was read to these users' spans, merged."""
    spans = _spans(conn, wiki_id, list(read))
    _replace_spans(conn, wiki_id, {u: merge(spans.get(u, []) + [span]) for u, span in read.items()})


def _replace_spans(conn: Connection, wiki_id: int, spans: dict[int, list[Span]]) -> None:
    """These users' spans, set-based whatever the roster's size."""
    for batch in chunks(list(spans)):
        conn.execute(delete(upload_reads).where(upload_reads.c.wiki_id == wiki_id, upload_reads.c.user_id.in_(batch)))
    rows = [dict(wiki_id=wiki_id, user_id=u, start=s, end=e) for u, held in spans.items() for s, e in held]
    for batch in chunks(rows):
        conn.execute(insert(upload_reads), batch)


def forget_uploads(conn: Connection, ctx: UpdateContext) -> None:
    """--full: the store forgets what it holds of the students' upload logs over the course
    period (their spans), so the rebuild reads them again from the wiki. The rows stay until a
    log read replaces them (_store): a rebuild the wiki refuses keeps the last good figures."""
    if not counts_uploads(conn, ctx.course_id):
        return
    for cw in ctx.wikis:
        w, first, last = cw.wiki_id, cw.grid.period_start, cw.grid.horizon(ctx.as_of)
        held = _spans(conn, w, list(conn.scalars(students(ctx.course_id))))
        _replace_spans(conn, w, {u: cut(spans, first, last) for u, spans in held.items()})


def _refresh_usage(engine: Engine, ctx: UpdateContext, cw, source, limit: int, report: UploadsReport) -> int:
    """Read the usage of up to `limit` of the course's files on this wiki, never read or read
    longest ago first; returns how many were read."""
    if limit <= 0:
        return 0
    w = cw.wiki_id
    with engine.connect() as conn:
        files = conn.execute(
            select(articles.c.id, articles.c.page_id, articles.c.deleted)
            .where(articles.c.id.in_(select(uploads.c.article_id).where(in_scope(ctx.course_id, w, cw.grid,
                                                                                   ctx.as_of))))
            .outerjoin(upload_files, upload_files.c.article_id == articles.c.id)
            .order_by(case((upload_files.c.refreshed_at.is_(None), 0), else_=1), upload_files.c.refreshed_at,
                      articles.c.id)
            .limit(limit)).all()
        global_usage = conn.scalar(select(wikis.c.global_usage).where(wikis.c.id == w))
        before = {r.article_id: (r.local_usage, r.global_usage) for r in conn.execute(
            select(upload_files).where(upload_files.c.article_id.in_([f.id for f in files])))} if files else {}
    if global_usage is None:  # asked once per wiki, files or not: every course on it says whether it counts
        global_usage = source.has_global_usage()
        with engine.begin() as conn:
            conn.execute(update(wikis).where(wikis.c.id == w).values(global_usage=global_usage))
    if not files:
        return 0
    found = source.file_usage([f.page_id for f in files], global_usage=global_usage, thumb_width=THUMB_WIDTH)
    now = now_utc()
    rows, gone, present = [], [], []
    for f in files:
        usage = found.get(f.page_id)
        missing = usage is None or usage.missing
        (gone if missing else present).append(f.id)
        local = 0 if missing else usage.local_usage
        glob = (0 if missing else usage.global_usage) if global_usage else None
        if before.get(f.id) != (local, glob) or missing != f.deleted:
            report.usage_changed += 1
        rows.append(dict(article_id=f.id, local_usage=local, global_usage=glob, refreshed_at=now,
                         thumb_url="" if missing else usage.thumb_url, file_url="" if missing else usage.file_url))
    with engine.begin() as conn:
        upsert(conn, upload_files, rows, keys=("article_id",),
               update=("local_usage", "global_usage", "thumb_url", "file_url", "refreshed_at"))
        _follow_existence(conn, gone, True)
        _follow_existence(conn, present, False)
    report.refreshed += len(files)
    return len(files)


def _follow_existence(conn: Connection, article_ids: list[int], deleted: bool) -> None:
    """A file page found missing (deleted) or there (restored) by its page id: its article
    follows, unless stored edits are on it (those follow the wiki's log alone, docs/wiki-past.md)."""
    edited = exists().where(revisions.c.article_id == articles.c.id)
    for batch in chunks(article_ids):
        conn.execute(update(articles).where(articles.c.id.in_(batch), articles.c.namespace == NS_FILE,
                                            articles.c.deleted != deleted, ~edited).values(deleted=deleted))
