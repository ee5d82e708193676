"""Fetching, on one thread per wiki: contributions wide, then refs of the revisions not yet known.

Requests to a wiki stay serial (one thread per wiki); fetching overlaps with the writer,
which consumes the batches from a bounded queue.
"""
from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from typing import Callable, Iterable

from ..errors import WikiError
from ..sources.base import NS_MAIN, STORE_NAMESPACES, Contribution, RevisionSource
from .plan import FetchJob


@dataclass
class Contributions:
    job: FetchJob
    contributions: list[Contribution]
    refs: dict[int, int | None]  # refs(text) of the batch's revisions and parents; None: unknown
    fetched_refs: dict[int, int | None] = field(default_factory=dict)  # the part new to the refs cache


@dataclass
class JobDone:
    job: FetchJob


@dataclass
class JobFailed:
    job: FetchJob
    error: Exception


@dataclass
class WikiDone:
    wiki_id: int


CONTENT_BATCH = 50  # prop=revisions takes up to 50 revision ids with content
RefsLookup = Callable[[int, Iterable[int]], dict[int, int | None]]


class _Contents:
    """The refs(text) of one wiki's revisions, asked for in full batches of 50.

    A batch of contributions is held (at most one content batch's worth) until the refs of its
    revisions and their parents are known, then handed on.
    """

    def __init__(self, source: RevisionSource, lookup: RefsLookup | None, ref_namespaces=(NS_MAIN,)):
        self.source, self.lookup = source, lookup
        self.ref_namespaces = frozenset(ref_namespaces)
        self.known: dict[int, int | None] = {}  # None: the wiki withholds the text
        self.fresh: set[int] = set()  # fetched from the wiki by this run, not from the cache
        self.wanted: set[int] = set()
        self.held: list[tuple[list[Contribution], set[int]]] = []

    def add(self, wiki_id: int, contribs: list[Contribution]) -> None:
        # Only references in article namespaces count (docs/metrics.md): other revisions' texts
        # are not asked for (the store asks in every article namespace of any course on the
        # wiki); a page moved into one later has its contributions read again then.
        counted = [c for c in contribs if c.namespace in self.ref_namespaces]
        needed = {c.revid for c in counted} | {c.parentid for c in counted if c.parentid}
        missing = needed - self.known.keys() - self.wanted
        if missing and self.lookup is not None:
            self.known.update(self.lookup(wiki_id, missing))
            missing -= self.known.keys()
        self.wanted |= missing
        self.held.append((contribs, needed))
        while len(self.wanted) >= CONTENT_BATCH:
            self._fetch(sorted(self.wanted)[:CONTENT_BATCH])

    def finish(self) -> None:
        if self.wanted:
            self._fetch(sorted(self.wanted))

    def ready(self, job: FetchJob):
        """The held batches whose refs are all known, in order."""
        while self.held and self.held[0][1] <= self.known.keys():
            contribs, needed = self.held.pop(0)
            yield Contributions(job, contribs, {r: self.known[r] for r in needed},
                       {r: self.known[r] for r in needed & self.fresh})

    def _fetch(self, batch: list[int]) -> None:
        answered = self.source.reference_counts(batch)
        self.known.update((r, answered.get(r)) for r in batch)
        self.fresh.update(batch)
        self.wanted.difference_update(batch)


def fetch_wiki(source: RevisionSource, jobs: list[FetchJob], lookup: RefsLookup | None,
               out: queue.Queue, stop: threading.Event,
               store: tuple[tuple[int, ...], tuple[int, ...]] = (STORE_NAMESPACES, (NS_MAIN,)),
               comments: bool = False) -> None:
    """Run the jobs of one wiki in order, putting Contributions/JobDone/JobFailed events on `out`.

    `store`: the namespaces the store holds of the wiki, and those whose references it holds
    (wikicourse.namespaces.store_namespaces); `comments`: each edit's summary too (a Wikibase wiki)."""
    contents = _Contents(source, lookup, store[1])
    try:
        for job in jobs:
            if stop.is_set():
                break
            contents.held.clear()
            contents.wanted.clear()
            try:
                for contribs in source.contributions([name for _, name in job.users], job.start, job.end,
                                                     store[0], must_exist=dict(job.accounts),
                                                     comments=comments):
                    if stop.is_set():
                        return
                    contents.add(job.wiki_id, contribs)
                    for batch in contents.ready(job):
                        _put(out, stop, batch)
                contents.finish()
                for batch in contents.ready(job):
                    _put(out, stop, batch)
                _put(out, stop, JobDone(job))
            except WikiError as exc:
                _put(out, stop, JobFailed(job, exc))
            except Exception as exc:  # not the wiki's fault: the update must fail, not look done
                _put(out, stop, JobFailed(job, exc))
                return
    finally:
        _put(out, stop, WikiDone(jobs[0].wiki_id if jobs else -1))


def _put(out: queue.Queue, stop: threading.Event, item) -> None:
    """Put on the bounded queue (it keeps memory flat); give up once the writer has stopped."""
    while not stop.is_set():
        try:
            out.put(item, timeout=0.2)
            return
        except queue.Full:
            continue
