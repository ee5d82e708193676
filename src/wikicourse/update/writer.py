"""Writing fetched contributions into the shared store (docs/shared-ingestion.md), with checkpoints.

usercontribs answers grouped by user, each user's edits oldest first. So once a batch is
in, a user's edits before the last second seen are complete (and every edit of a user
the stream has moved past): those rows replace what the store held for that span, and
the span is recorded as read, in one transaction. An interrupted job resumes from there;
no course counts anything until its copy step (update.copy) takes it from the store.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import Connection, Engine, delete, select

from ..errors import WikiError
from ..refs import references_added
from ..sources.base import Contribution
from ..sql import chunks, load, upsert
from ..models.tables import wiki_accounts, articles, revision_refs, revisions
from .fetch import Contributions
from .plan import FetchJob
from .spans import record_read
from ..wikidata.store import forget_figures, store_figures


class StoreWriter:
    """Writes one job's batches of contributions; `full` (a rebuild) also takes their pages' titles and namespaces
    as the wiki shows them now, which otherwise change only by the wiki's log (docs/wiki-past.md)."""

    def __init__(self, engine: Engine, job: FetchJob, full: bool = False, store=None, wikibase: bool = False):
        self.engine = engine
        self.wikibase = wikibase  # the edits' Wikidata figures are stored too (docs/wikidata.md)
        self.store = store  # what the job was read with (namespaces.store_state): its generation last
        self.job = job
        self.full = full
        self.user_ids = {name: uid for uid, name in job.users}
        self.accounts: dict[int, int] = {}  # the account ids seen (see FetchJob.accounts)
        # Per user: up to when the stream has delivered everything, and up to when that is stored.
        self.complete: dict[int, datetime] = {uid: job.start for uid, _ in job.users}
        self.written: dict[int, datetime] = dict(self.complete)
        self.current: int | None = None  # the user the stream is on
        self.pending: list[tuple[int, Contribution]] = []
        # May the store hold rows of these users from the job's start on? (known at the first
        # write; a first read of them has nothing to replace, and skips the deletes)
        self.replacing: bool | None = None
        self.article_ids: dict[int, int] = {}  # page id -> article id, of the pages written so far
        self.refs: dict[int, int | None] = {}
        self.new_refs: dict[int, int | None] = {}
        self.revisions = 0
        self.batches_since_checkpoint = 0

    def feed(self, batch: Contributions) -> None:
        self.batches_since_checkpoint += 1
        self.refs.update(batch.refs)
        self.new_refs.update(batch.fetched_refs)
        for c in batch.contributions:
            uid = self.user_ids.get(c.user)
            if uid is not None and c.userid:
                self.accounts[uid] = c.userid
            if uid is None or not self.job.start <= c.timestamp < self.job.end:
                continue  # not asked for: never count it
            if c.timestamp < self.complete[uid]:
                raise WikiError(f"the contributions of {c.user} came out of order")
            if uid != self.current:
                if self.current is not None:
                    self.complete[self.current] = self.job.end  # the stream is past that user
                self.current = uid
            self.complete[uid] = c.timestamp  # more edits of this very second may follow
            self.pending.append((uid, c))
            self.revisions += 1

    def finish(self) -> None:
        for uid in self.complete:
            self.complete[uid] = self.job.end
        self.checkpoint()

    def checkpoint(self) -> None:
        """Store every edit complete so far, and record the spans read."""
        self.batches_since_checkpoint = 0
        spans = {uid: (self.written[uid], until) for uid, until in self.complete.items()
                 if until > self.written[uid]}
        if not spans:
            return
        # Only the user the stream is on can have edits not complete yet, at the tail.
        cut = len(self.pending)
        while cut and self.pending[cut - 1][1].timestamp >= self.complete[self.pending[cut - 1][0]]:
            cut -= 1
        ready = self.pending[:cut]
        with self.engine.begin() as conn:
            article_ids = self._replace(conn, spans, ready)
        self.article_ids.update(article_ids)  # once committed: a rolled-back insert has no id
        self.written.update({uid: until for uid, (_, until) in spans.items()})
        self.pending = self.pending[cut:]
        self.new_refs = {}
        # Keep only the refs the edits still waiting need: a huge editor must not fill memory.
        self.refs = {r: self.refs[r] for _, c in self.pending for r in (c.revid, c.parentid) if r in self.refs}

    def _replace(self, conn: Connection, spans: dict[int, tuple[datetime, datetime]],
                 ready: list[tuple[int, Contribution]]) -> dict[int, int]:
        wiki = self.job.wiki_id
        if self.replacing is None:
            self.replacing = conn.scalar(select(revisions.c.rev_id).where(
                revisions.c.wiki_id == wiki, revisions.c.user_id.in_(list(self.complete)),
                revisions.c.timestamp >= self.job.start).limit(1)) is not None
        by_span: dict[tuple[datetime, datetime], list[int]] = defaultdict(list)
        for uid, span in spans.items():
            by_span[span].append(uid)
        for (start, until), uids in by_span.items() if self.replacing else ():
            # What the store held there (read by an earlier update, or before a change of
            # the wiki's past) is replaced by the wiki's answer now.
            if self.wikibase:
                forget_figures(conn, wiki, uids, start, until)
            conn.execute(delete(revisions).where(revisions.c.wiki_id == wiki, revisions.c.user_id.in_(uids),
                                                 revisions.c.timestamp >= start, revisions.c.timestamp < until))
        upsert(conn, wiki_accounts, [dict(wiki_id=wiki, user_id=u, account_id=a) for u, a in self.accounts.items()],
               keys=["wiki_id", "user_id"])
        self.accounts = {}
        new_pages = {c.pageid: c for _, c in ready if c.pageid not in self.article_ids}
        article_ids = _upsert_articles(conn, wiki, new_pages.values(), self.full)
        load(conn, revisions, REVISION_COLUMNS, self._rows(ready, self.article_ids | article_ids))
        if self.wikibase:
            store_figures(conn, wiki, (c for _, c in ready))
        # Beyond `covered` the wiki may still add edits of the running second: not read yet.
        # A span read with fewer namespaces than the store now holds is none (a course widened
        # them meanwhile, and with them the store's generation: namespaces.widen_store).
        record_read(conn, wiki, {u: (s, min(e, self.job.covered)) for u, (s, e) in spans.items()},
                    None if self.store is None else self.store[2])
        # Fetched anew: first seen (another writer may have just cached the same immutable
        # text), or by --full, whose answer replaces what was cached.
        load(conn, revision_refs, ("wiki_id", "rev_id", "refs"), [(wiki, r, n) for r, n in self.new_refs.items()],
             keys=("wiki_id", "rev_id"), update=("refs",) if self.full else ())
        return article_ids

    def _rows(self, ready: list[tuple[int, Contribution]], article_ids: dict[int, int]):
        """One row per edit (REVISION_COLUMNS), with what the metrics sum (docs/metrics.md)."""
        wiki, refs = self.job.wiki_id, self.refs
        for uid, c in ready:
            parent = refs.get(c.parentid) if c.parentid else 0  # a creation's parent is empty
            yield (wiki, c.revid, uid, article_ids[c.pageid], c.timestamp, max(0, c.sizediff),
                   references_added(refs.get(c.revid), parent), c.new)


REVISION_COLUMNS = ("wiki_id", "rev_id", "user_id", "article_id", "timestamp", "characters", "references", "new")


def _upsert_articles(conn: Connection, wiki_id: int, contribs, refresh: bool) -> dict[int, int]:
    """Articles by page id; returns page id -> article id.

    A page already known keeps its title, namespace and deletion state: those change only
    by the wiki's log, in the order it tells them (a fetch may have been answered before a
    move that is already applied). A rebuild (`refresh`) takes the wiki's answer as it is.
    """
    rows = [(wiki_id, c.pageid, c.title, c.namespace, False) for c in contribs]
    ids = {} if refresh else _article_ids(conn, wiki_id, [r[1] for r in rows])
    rows = [r for r in rows if r[1] not in ids]
    if rows:
        load(conn, articles, ("wiki_id", "page_id", "title", "namespace", "deleted"), rows,
             keys=("wiki_id", "page_id"), update=("title", "namespace", "deleted") if refresh else ())
        ids.update(_article_ids(conn, wiki_id, [r[1] for r in rows]))
    return ids


def _article_ids(conn: Connection, wiki_id: int, page_ids: list[int]) -> dict[int, int]:
    ids: dict[int, int] = {}
    for batch in chunks(page_ids):
        ids.update(conn.execute(select(articles.c.page_id, articles.c.id).where(
            articles.c.wiki_id == wiki_id, articles.c.page_id.in_(batch))).all())
    return ids
