"""Writing fetched revisions into the finest grain, window by window, with checkpoints.

usercontribs answers grouped by user, each user's edits oldest first. So once a page is
in, every window before the current user's open window is complete: those rows are
written, and the users' ingested_until advanced, in one transaction. An interrupted job
resumes from there; a half-fetched window is never written.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import Connection, Engine, delete, insert, select, update

from ..errors import WikiError
from ..refs import references_added
from ..sources.base import Contribution
from ..sql import chunks, upsert
from ..timeslices.manage import mark
from ..timeslices.tables import accounts, articles, coverage, fine, rereads, revision_refs
from .fetch import Page
from .plan import FetchJob

Group = tuple[int, datetime, list[Contribution]]  # one user's edits in one window


class JobWriter:
    """Writes one job's pages; `full` (a rebuild) also takes the pages' titles and namespaces
    as the wiki shows them now, which otherwise change only by the wiki's log (SPEC §4a)."""

    def __init__(self, engine: Engine, course_id: int, job: FetchJob, full: bool = False):
        self.engine = engine
        self.course_id = course_id
        self.job = job
        self.full = full
        self.user_ids = {name: uid for uid, name in job.users}
        self.accounts: dict[int, int] = {}  # the account ids seen (see FetchJob.accounts)
        # Per user: what the stream has completely delivered, and what is in the database.
        self.complete: dict[int, datetime] = {uid: job.start for uid, _ in job.users}
        self.written: dict[int, datetime] = dict(self.complete)
        self.open_key: tuple[int, datetime] | None = None
        self.open: list[Contribution] = []
        self.closed: list[Group] = []
        # May rows of these users lie ahead? (known at first write; a reread replaces by definition)
        self.replacing: bool | None = True if job.reread else None
        self.refs: dict[int, int | None] = {}
        self.new_refs: dict[int, int | None] = {}
        self.revisions = 0
        self.pages_since_checkpoint = 0

    def feed(self, page: Page) -> None:
        self.pages_since_checkpoint += 1
        self.refs.update(page.refs)
        self.new_refs.update(page.fetched_refs)
        for c in page.contributions:
            uid = self.user_ids.get(c.user)
            if uid is not None and c.userid:
                self.accounts[uid] = c.userid
            if uid is None or not self.job.start <= c.timestamp < self.job.end:
                continue  # not asked for: never count it
            key = (uid, self.job.grid.floor(c.timestamp))
            if key != self.open_key:
                self._close()
                if key[1] < self.complete[uid]:
                    raise WikiError(f"the contributions of {c.user} came out of order")
                if self.open_key is not None and self.open_key[0] != uid:
                    self.complete[self.open_key[0]] = self.job.end  # that user is done
                self.open_key = key
            self.open.append(c)
            self.revisions += 1
        if self.open_key is not None:
            self.complete[self.open_key[0]] = self.open_key[1]

    def finish(self) -> None:
        self._close()
        for uid in self.complete:
            self.complete[uid] = self.job.end
        self.checkpoint()

    def _close(self) -> None:
        if self.open:
            self.closed.append((*self.open_key, self.open))
            self.open = []

    def checkpoint(self) -> None:
        """Write every window completed so far, and advance the students' ingested_until."""
        self.pages_since_checkpoint = 0
        ranges: dict[tuple[datetime, datetime], list[int]] = defaultdict(list)
        for uid, until in self.complete.items():
            if until > self.written[uid]:
                ranges[(self.written[uid], until)].append(uid)
        if not ranges:
            return
        ready = [g for g in self.closed if g[1] < self.complete[g[0]]]
        with self.engine.begin() as conn:
            self._replace(conn, ranges, ready)
        for (_, until), uids in ranges.items():
            for uid in uids:
                self.written[uid] = until
        self.closed = [g for g in self.closed if g[1] >= self.complete[g[0]]]
        self.new_refs = {}
        # Keep only the refs the edits still waiting need: a huge editor must not fill memory.
        waiting = [c for _, _, cs in self.closed for c in cs] + self.open
        self.refs = {r: self.refs[r] for c in waiting for r in (c.revid, c.parentid) if r in self.refs}

    def _replace(self, conn: Connection, ranges: dict, ready: list[Group]) -> None:
        c, wiki = self.course_id, self.job.wiki_id
        if self.replacing is None:  # a first ingest has nothing to replace: skip the deletes
            self.replacing = conn.scalar(select(fine.c.id).where(
                fine.c.course_id == c, fine.c.wiki_id == wiki, fine.c.start >= self.job.start,
                fine.c.user_id.in_(list(self.complete))).limit(1)) is not None
        for (start, until), uids in ranges.items():
            if self.replacing:
                # Old rows in the re-fetched range (a partial window, a reread, a whole
                # rebuild) go, and their windows are marked for re-derivation.
                in_range = (fine.c.course_id == c, fine.c.wiki_id == wiki, fine.c.user_id.in_(uids),
                            fine.c.start >= start, fine.c.start < until)
                # Starts as a list: a subquery here is planned badly while the table grows.
                mark(conn, c, wiki, list(conn.scalars(select(fine.c.start).where(*in_range).distinct())))
                conn.execute(delete(fine).where(*in_range))
            # The windows read again for a change of the wiki's past are done.
            conn.execute(delete(rereads).where(rereads.c.course_id == c, rereads.c.wiki_id == wiki,
                                               rereads.c.user_id.in_(uids), rereads.c.start >= start,
                                               rereads.c.start < until))
            if not self.job.reread:  # a reread lies within what is ingested already
                conn.execute(update(coverage).where(coverage.c.course_id == c, coverage.c.wiki_id == wiki,
                                                    coverage.c.user_id.in_(uids))
                             .values(ingested_until=min(until, self.job.covered)))
        upsert(conn, accounts, [dict(wiki_id=wiki, user_id=u, account_id=a) for u, a in self.accounts.items()],
               keys=["wiki_id", "user_id"])
        self.accounts = {}
        rows = self._rows(conn, ready)
        for batch in chunks(rows):
            conn.execute(insert(fine), batch)
        mark(conn, c, wiki, sorted({r["start"] for r in rows}))
        # Fetched anew (--full, or first seen): the wiki's answer replaces what was cached.
        upsert(conn, revision_refs, [dict(wiki_id=wiki, rev_id=r, refs=n) for r, n in self.new_refs.items()],
               keys=["wiki_id", "rev_id"], update=["refs"])

    def _rows(self, conn: Connection, groups: list[Group]) -> list[dict]:
        """Finest-grain rows: per user, article and window, the sums SPEC §3 needs."""
        if not groups:
            return []
        pages = {c.pageid: c for _, _, cs in groups for c in cs}
        article_ids = _upsert_articles(conn, self.job.wiki_id, pages.values(), self.full)
        acc: dict[tuple[int, int, datetime], dict] = {}
        for uid, start, contribs in groups:
            for c in contribs:
                key = (uid, article_ids[c.pageid], start)
                row = acc.get(key)
                if row is None:
                    row = acc[key] = dict(course_id=self.course_id, user_id=uid, article_id=key[1],
                                          wiki_id=self.job.wiki_id, start=start, character_sum=0,
                                          references_count=0, revision_count=0, new_article=False,
                                          last_rev_at=c.timestamp)
                row["character_sum"] += max(0, c.sizediff)
                parent = self.refs.get(c.parentid) if c.parentid else 0  # a creation's parent is empty
                row["references_count"] += references_added(self.refs.get(c.revid), parent)
                row["revision_count"] += 1
                row["new_article"] = row["new_article"] or c.new
                row["last_rev_at"] = max(row["last_rev_at"], c.timestamp)
        return list(acc.values())


def _upsert_articles(conn: Connection, wiki_id: int, contribs, refresh: bool) -> dict[int, int]:
    """Articles by page id; returns page id -> article id.

    A page already known keeps its title, namespace and deletion state: those change only
    by the wiki's log, in the order it tells them (a fetch may have been answered before a
    move that is already applied). A rebuild (`refresh`) takes the wiki's answer as it is.
    """
    rows = [dict(wiki_id=wiki_id, page_id=c.pageid, title=c.title, namespace=c.namespace, deleted=False)
            for c in contribs]
    upsert(conn, articles, rows, keys=["wiki_id", "page_id"],
           update=["title", "namespace", "deleted"] if refresh else ())
    ids: dict[int, int] = {}
    for batch in chunks([r["page_id"] for r in rows]):
        ids.update(conn.execute(select(articles.c.page_id, articles.c.id).where(
            articles.c.wiki_id == wiki_id, articles.c.page_id.in_(batch))).all())
    return ids
