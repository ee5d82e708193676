"""Fetching, on one thread per wiki: contributions wide, then refs of the revisions not yet known.

Requests to a wiki stay serial (one thread per wiki); fetching overlaps with the writer,
which consumes the pages from a bounded queue.
"""
from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from typing import Callable, Iterable

from ..errors import WikiError
from ..sources.base import Contribution, RevisionSource
from .plan import FetchJob


@dataclass
class Page:
    job: FetchJob
    contributions: list[Contribution]
    refs: dict[int, int | None]  # refs(text) of the page's revisions and parents; None: unknown
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


RefsLookup = Callable[[int, Iterable[int]], dict[int, int | None]]


def fetch_wiki(source: RevisionSource, jobs: list[FetchJob], lookup: RefsLookup | None,
               out: queue.Queue, stop: threading.Event) -> None:
    """Run the jobs of one wiki in order, putting Page/JobDone/JobFailed events on `out`."""
    known: dict[int, int | None] = {}
    try:
        for job in jobs:
            if stop.is_set():
                break
            try:
                names = [name for _, name in job.users]
                for contribs in source.contributions(names, job.start, job.end):
                    if stop.is_set():
                        return
                    needed = {c.revid for c in contribs} | {c.parentid for c in contribs if c.parentid}
                    missing = needed - known.keys()
                    if missing and lookup is not None:
                        known.update(lookup(job.wiki_id, missing))
                        missing = needed - known.keys()
                    fetched: dict[int, int | None] = {}
                    if missing:
                        answered = source.reference_counts(sorted(missing))
                        fetched = {r: answered.get(r) for r in missing}  # None: the text is withheld
                    known.update(fetched)
                    _put(out, stop, Page(job, contribs, {r: known[r] for r in needed}, fetched))
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
