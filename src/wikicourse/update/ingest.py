"""Ingest new data: fetch every planned job (one thread per wiki) into the shared store as it arrives."""
from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from typing import Iterable

from sqlalchemy import Engine, select

from ..errors import AccountRenamed, WikiError
from ..sources.base import RevisionSource
from ..sql import chunks
from ..models.tables import revision_refs
from ..wikis import on_wiki, wiki_domains
from .fetch import JobFailed, Contributions, WikiDone, fetch_wiki
from .plan import FetchJob
from ..namespaces import store_state
from .runs import Progress
from .wiki_logs import rename_account
from .writer import StoreWriter
from ..wikidata.detect import is_wikibase

BATCHES_PER_CHECKPOINT = 10


@dataclass
class IngestResult:
    revisions: int = 0
    errors: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)  # accounts found renamed: old name -> new


def ingest(engine: Engine, jobs: dict[int, list[FetchJob]],
           sources: dict[int, RevisionSource], full: bool = False,
           progress: Progress | None = None) -> IngestResult:
    """Fetch the jobs into the shared store; `full` (a rebuild) asks the wiki for every content again
    rather than the refs cache, and takes its pages' titles as they are now."""
    result = IngestResult()
    work = {wiki_id: js for wiki_id, js in jobs.items() if js}
    if not work:
        return result
    with engine.connect() as conn:
        domains = wiki_domains(conn, list(work))
        # What the store holds of each wiki: fetched so, and recorded only while still so.
        store = {w: store_state(conn, w) for w in work}
        # A Wikibase wiki (docs/wikidata.md): its summaries are asked for; its texts are entity
        # JSON, whose wikitext references are none, so they are never fetched.
        wikibase = {w: is_wikibase(conn, w) for w in work}
    out: queue.Queue = queue.Queue(maxsize=16)
    stop = threading.Event()
    threads = [threading.Thread(target=fetch_wiki, args=(sources[w], js, _refs_lookup(engine, w, not full),
                                                         out, stop, (store[w][0], () if wikibase[w] else store[w][1]),
                                                         wikibase[w]),
                                name=f"fetch-wiki-{w}", daemon=True) for w, js in work.items()]
    for t in threads:
        t.start()
    writers: dict[int, StoreWriter] = {}
    failed: set[int] = set()  # jobs given up on: their later events are dropped
    finished = 0  # revisions written by the jobs done
    running = len(threads)
    try:
        while running:
            event = out.get()
            if isinstance(event, WikiDone):
                running -= 1
                continue
            key = id(event.job)
            if key in failed:
                continue
            writer = writers.get(key)
            if writer is None:
                writer = writers[key] = StoreWriter(engine, event.job, full, store[event.job.wiki_id],
                                                     wikibase[event.job.wiki_id])
            try:
                if isinstance(event, Contributions):
                    before = writer.revisions
                    writer.feed(event)
                    if progress:
                        progress.advance(revisions=writer.revisions - before)
                    # Checkpoint after every batch while fetching is the slower side (what an
                    # interruption would cost), every few batches when they queue up.
                    if out.empty() or writer.batches_since_checkpoint >= BATCHES_PER_CHECKPOINT:
                        writer.checkpoint()
                    continue
                if isinstance(event, JobFailed):
                    writer.checkpoint()  # keep the windows that did complete
                    raise event.error  # a WikiError is this job's; anything else ends the update
                writer.finish()
                finished += writers.pop(key).revisions  # a done job's writer holds nothing more
                if progress:
                    progress.advance(done=len(event.job.users))
            except AccountRenamed as exc:  # the log has not told yet: take the new names now
                failed.add(key)
                result.errors.append(on_wiki(domains[event.job.wiki_id], str(exc)))
                with engine.begin() as conn:
                    for old, new in exc.renamed.items():
                        if new and rename_account(conn, old, new) is not None:
                            result.renamed[old] = new
            except WikiError as exc:  # what was checkpointed stands; the rest stays marked
                failed.add(key)
                # Not logged here: the caller reports result.errors (the update's report and run
                # record, which the command line, the dashboard and the workers' log show).
                result.errors.append(on_wiki(domains[event.job.wiki_id], str(exc)))
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=5)
    result.revisions = finished + sum(w.revisions for w in writers.values())
    return result


def _refs_lookup(engine: Engine, wiki_id: int, use_cache: bool):
    """refs(text) already known for these revisions: their content is never fetched twice."""
    with engine.connect() as conn:
        if not use_cache or conn.scalar(select(revision_refs.c.rev_id).where(
                revision_refs.c.wiki_id == wiki_id).limit(1)) is None:
            return None  # nothing known yet for this wiki: asking would only cost time

    def lookup(wiki_id: int, revids: Iterable[int]) -> dict[int, int | None]:
        found: dict[int, int | None] = {}
        with engine.connect() as conn:
            for batch in chunks(sorted(revids)):
                found.update(conn.execute(select(revision_refs.c.rev_id, revision_refs.c.refs).where(
                    revision_refs.c.wiki_id == wiki_id, revision_refs.c.rev_id.in_(batch))).all())
        return found

    return lookup
