"""Following the wiki's past (docs/wiki-past.md), the part every course on a wiki shares: read the
wiki's log since the last read and turn its entries into wiki changes.

The log says what happened (a page moved, deleted or restored, revisions hidden or shown,
a user renamed); the tables of facts that every course shares follow at once (a page's
title, namespace and deletion, refs(text) withheld, a username), and a `wiki_changes`
row tells each course, at its next update, which of its windows to re-derive or read
again. A restored page, a page whose revisions were hidden or shown, and a page moved
in from a namespace no course tracks need one more request: who edited it, and when.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..clock import now_utc
from ..errors import WikiError
from ..namespaces import store_namespaces
from ..sources.base import LogEvent, PageEdit, RevisionSource
from ..sql import chunks
from ..models.tables import (articles, wiki_change_edits, course_wikis, courses, revision_refs, revisions,
                                 update_runs, users, wiki_changes, wikis)
from ..timeslices.windows import day_start
from ..wikis import on_wiki, wiki_domains
from .spans import forget_seconds

# A log entry can show in the API a little after its timestamp (replication): each read
# starts this much before the last one ended, and entries already read are skipped.
OVERLAP = timedelta(minutes=10)
# A wiki whose log was never read: how far back the first read looks for changes to data
# that may already be ingested (a database from before wikicourse followed logs).
FIRST_LOOK_BACK = timedelta(days=30)


def read_logs(engine: Engine, sources: dict[int, RevisionSource], max_age: float) -> list[str]:
    """Read each wiki's log (unless fresh); a wiki that fails is reported, not fatal: its
    changes are read next time, from where this read would have started."""
    errors = []
    for wiki_id, source in sources.items():
        try:
            read_wiki_log(engine, wiki_id, source, max_age=max_age)
        except WikiError as exc:
            with engine.connect() as conn:
                domain = wiki_domains(conn, [wiki_id])[wiki_id]
            errors.append(on_wiki(domain, f"log not read: {exc}"))
    return errors


def read_wiki_log(engine: Engine, wiki_id: int, source: RevisionSource, *, max_age: float = 0.0,
                  now: datetime | None = None) -> int | None:
    """Read the wiki's log unless another update did less than `max_age` seconds ago (or is
    reading it now). Returns how many wiki changes it recorded, or None if it did not read."""
    now = now or now_utc()
    with engine.begin() as conn:
        log_from, read_at, seen = conn.execute(select(wikis.c.log_from, wikis.c.log_read_at, wikis.c.log_seen)
                                               .where(wikis.c.id == wiki_id)).one()
        if read_at is not None and (now - read_at).total_seconds() < max_age:
            return None
        # Compare and set: of two updates that found the log stale, one reads it.
        claimed = conn.execute(update(wikis).where(
            wikis.c.id == wiki_id, wikis.c.log_read_at.is_(None) if read_at is None else wikis.c.log_read_at == read_at)
            .values(log_read_at=now)).rowcount
        if not claimed:
            return None
        since = log_from or _first_read(conn, wiki_id, now)
        earliest = conn.scalar(select(func.min(courses.c.start)).join(
            course_wikis, course_wikis.c.course_id == courses.c.id).where(course_wikis.c.wiki_id == wiki_id))
    try:
        read = source.log_events(since)
        done = {int(i) for i in seen.split(",") if i}
        events = [e for e in read if e.log_id not in done]
        with engine.connect() as conn:
            histories = _histories(conn, wiki_id, events, source, day_start(earliest) if earliest else None)
        next_from = max(since, now - OVERLAP)
        try:
            with engine.begin() as conn:
                recorded = sum(_apply(conn, wiki_id, e, histories.get(e.log_id)) for e in events)
                conn.execute(update(wikis).where(wikis.c.id == wiki_id).values(
                    log_from=next_from, log_seen=",".join(str(e.log_id) for e in read if e.timestamp >= next_from)))
        except IntegrityError:  # an update reading at the same moment recorded these entries first
            return None
        return recorded
    except BaseException:
        with engine.begin() as conn:  # not read after all: the next update must not take it as fresh
            conn.execute(update(wikis).where(wikis.c.id == wiki_id, wikis.c.log_read_at == now)
                         .values(log_read_at=read_at))
        raise


def _first_read(conn: Connection, wiki_id: int, now: datetime) -> datetime:
    """Where a wiki's first read starts: the first update run of a course on it (its data may
    predate the read), at most FIRST_LOOK_BACK ago; now for a wiki no course updated yet."""
    first_run = conn.scalar(select(func.min(update_runs.c.started_at)).join(
        course_wikis, course_wikis.c.course_id == update_runs.c.course_id)
        .where(course_wikis.c.wiki_id == wiki_id))
    if first_run is None:
        return now - OVERLAP
    return max(first_run - OVERLAP, now - FIRST_LOOK_BACK)


def _article(conn: Connection, wiki_id: int, event: LogEvent, deleted: bool | None = None):
    """The article an entry is about: by the page id the log gives, else by its title."""
    where = [articles.c.wiki_id == wiki_id]
    if deleted is not None:
        where.append(articles.c.deleted == deleted)
    row = None
    if event.page_id:
        row = conn.execute(select(articles).where(*where, articles.c.page_id == event.page_id)).first()
    if row is None:
        row = conn.execute(select(articles).where(*where, articles.c.namespace == event.namespace,
                                                  articles.c.title == event.title)
                           .order_by(articles.c.id.desc())).first()
    return row


def _needs_history(conn: Connection, wiki_id: int, event: LogEvent) -> str | None:
    """The title whose history this entry needs asked for, if any (see the module's doc)."""
    held = store_namespaces(conn, wiki_id)[0]  # what the store fetches of the wiki
    if event.kind == "move":
        if (event.namespace not in held and event.new_namespace in held
                and _article(conn, wiki_id, event) is None):
            return event.new_title
    elif event.kind == "restore" and event.namespace in held:
        # Even a page no course ever saw: it may have been deleted before their first update.
        return event.title
    elif event.kind == "revision" and _article(conn, wiki_id, event, deleted=False) is not None:
        return event.title
    return None


def _histories(conn: Connection, wiki_id: int, events: list[LogEvent], source: RevisionSource,
               since: datetime | None) -> dict[int, tuple[int, list[PageEdit]]]:
    if since is None:  # no course tracks the wiki: nobody's data to correct
        return {}
    wanted = {e.log_id: title for e in events if (title := _needs_history(conn, wiki_id, e))}
    return {log_id: source.page_edits(title, since) for log_id, title in wanted.items()}


def _apply(conn: Connection, wiki_id: int, event: LogEvent, history: tuple[int, list[PageEdit]] | None) -> int:
    """Apply one entry to the shared facts and record it as a wiki change; returns 1 if recorded."""
    change = dict(wiki_id=wiki_id, log_id=event.log_id, at=event.timestamp, kind=event.kind, title=event.title,
                  namespace=event.namespace, old_title="", old_namespace=None, article_id=None, user_id=None)
    if event.kind == "rename":
        return _rename(conn, change, event)
    if event.kind == "move":
        article = _article(conn, wiki_id, event)
        change.update(kind="moved", title=event.new_title, namespace=event.new_namespace,
                      old_title=event.title, old_namespace=event.namespace)
        if article is not None:
            change.update(old_title=article.title, old_namespace=article.namespace)
            conn.execute(update(articles).where(articles.c.id == article.id)
                         .values(title=event.new_title, namespace=event.new_namespace))
        elif history and history[0] and _known_users(conn, history[1]):  # moved in from an untracked namespace
            article = _new_article(conn, wiki_id, history[0], event.new_title, event.new_namespace)
        else:
            return 0
    elif event.kind == "delete":
        article = _article(conn, wiki_id, event, deleted=False)
        if article is None:
            return 0
        change["kind"] = "deleted"
        conn.execute(update(articles).where(articles.c.id == article.id).values(deleted=True))
    elif event.kind == "restore":
        if not history or not history[0]:  # deleted again since
            return 0
        article = _article(conn, wiki_id, event)
        if article is None:
            if not _known_users(conn, history[1]):
                return 0
            article = _new_article(conn, wiki_id, history[0], event.title, event.namespace)
        change["kind"] = "restored"
        if history[0] == article.page_id:
            conn.execute(update(articles).where(articles.c.id == article.id)
                         .values(deleted=False, title=event.title, namespace=event.namespace))
        # Else the revisions went into a page made at the title meanwhile: the old article stays
        # deleted, and reading the contributions again brings them under the new page.
    else:  # revision deletion: what refs(text) the wiki gives may have changed
        article = _article(conn, wiki_id, event, deleted=False)
        if article is None:
            return 0
        change["kind"] = "revisions"
        for batch in chunks(list(event.rev_ids)):
            conn.execute(delete(revision_refs).where(revision_refs.c.wiki_id == wiki_id,
                                                     revision_refs.c.rev_id.in_(batch)))
    change["article_id"] = article.id
    change_id = conn.execute(insert(wiki_changes).values(change)).inserted_primary_key[0]
    edits = _record_edits(conn, change_id, history[1] if history else [])
    _forget_stale(conn, wiki_id, change, edits)
    return 1


def _forget_stale(conn: Connection, wiki_id: int, change: dict, edits: list[dict]) -> None:
    """What the shared store holds that this change made stale is read again by the next
    course that needs it: the edits the page's history now shows, and every stored edit on
    a page restored, with revisions hidden or shown, or moved into an article namespace of
    some course on the wiki (its references were not asked for outside them)."""
    with_refs = store_namespaces(conn, wiki_id)[1]
    into_main = (change["kind"] == "moved" and change["namespace"] in with_refs
                 and change["old_namespace"] not in with_refs)
    stale = [(e["user_id"], e["timestamp"]) for e in edits]
    if change["kind"] in ("restored", "revisions") or into_main:
        stale += conn.execute(select(revisions.c.user_id, revisions.c.timestamp).where(
            revisions.c.article_id == change["article_id"])).all()
    forget_seconds(conn, wiki_id, stale)


def _rename(conn: Connection, change: dict, event: LogEvent) -> int:
    user_id = rename_account(conn, event.title, event.new_title)
    if user_id is None:
        return 0
    change.update(kind="renamed", user_id=user_id, title=event.new_title, old_title=event.title, namespace=None)
    conn.execute(insert(wiki_changes).values(change))
    return 1


def rename_account(conn: Connection, old: str, new: str) -> int | None:
    """The user `old` is now `new`: returns their id, None if wikicourse does not know them.

    Usernames are global: the account is the same under its new name on every wiki. A row
    already holding the new name (enrolled after the rename) keeps it; the old row is then
    left as it is, named as before.
    """
    user_id = conn.scalar(select(users.c.id).where(users.c.username == old))
    if user_id is not None and conn.scalar(select(users.c.id).where(users.c.username == new)) is None:
        conn.execute(update(users).where(users.c.id == user_id).values(username=new))
    return user_id


def _new_article(conn: Connection, wiki_id: int, page_id: int, title: str, namespace: int):
    existing = conn.execute(select(articles).where(articles.c.wiki_id == wiki_id,
                                                   articles.c.page_id == page_id)).first()
    if existing is not None:
        return existing
    conn.execute(insert(articles).values(wiki_id=wiki_id, page_id=page_id, title=title, namespace=namespace,
                                         deleted=False))
    return conn.execute(select(articles).where(articles.c.wiki_id == wiki_id, articles.c.page_id == page_id)).one()


def _known_users(conn: Connection, edits: list[PageEdit]) -> dict[str, int]:
    """The editors wikicourse knows (the only ones a course may count): name -> user id."""
    ids: dict[str, int] = {}
    for batch in chunks(sorted({e.user for e in edits})):
        ids.update(conn.execute(select(users.c.username, users.c.id).where(users.c.username.in_(batch))).all())
    return ids


def _record_edits(conn: Connection, change_id: int, edits: list[PageEdit]) -> list[dict]:
    ids = _known_users(conn, edits)
    rows = [dict(change_id=change_id, user_id=ids[e.user], timestamp=e.timestamp) for e in edits if e.user in ids]
    for batch in chunks(rows):
        conn.execute(insert(wiki_change_edits), batch)
    return rows
