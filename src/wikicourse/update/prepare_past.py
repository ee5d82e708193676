"""Pre-update, the wiki's past (docs/wiki-past.md): apply to the course the wiki changes read since
its last update, locally.

A page moved, deleted or restored changes how its rows count: the windows holding the
course's rows on it are re-derived from the finest grain (a deleted page's rows stay,
ignored, so a restore costs nothing to derive). Where the wiki shows something the
course never fetched, the student's window is read again (a reread): a page moved into
main space (its references were not asked for outside it), a page restored or moved in
from an untracked namespace, revisions hidden or shown.
"""

from __future__ import annotations

from sqlalchemy import Connection, and_, exists, func, insert, literal, or_, select, update

from ..namespaces import DEFAULT, applied, tracked
from ..timeslices.manage import CHANGED
from ..models.tables import (
    wiki_change_edits,
    course_wikis,
    ingestion_coverage,
    course_wiki_timeslices,
    course_user_article_timeslices,
    rereads,
    students,
    wiki_changes,
)
from .context import UpdateContext

NEEDS_REREAD = ("restored", "revisions")


def latest_change(conn: Connection, wiki_id: int) -> int:
    return conn.scalar(select(func.coalesce(func.max(wiki_changes.c.id), 0)).where(wiki_changes.c.wiki_id == wiki_id))


def skip_changes(conn: Connection, course_id: int, wiki_id: int) -> None:
    """The course's data on the wiki is (about to be) fetched anew: no change before now concerns it."""
    conn.execute(
        update(course_wikis)
        .where(course_wikis.c.course_id == course_id, course_wikis.c.wiki_id == wiki_id)
        .values(changes_applied=latest_change(conn, wiki_id))
    )


def prepare_past(conn: Connection, ctx: UpdateContext) -> list[dict]:
    """Apply the wiki changes after the course's cursor; returns the reasons (see update.why)."""
    reasons: list[dict] = []
    for cw in ctx.wikis:
        applied = conn.scalar(
            select(course_wikis.c.changes_applied).where(
                course_wikis.c.course_id == ctx.course_id, course_wikis.c.wiki_id == cw.wiki_id
            )
        )
        changes = conn.execute(
            select(wiki_changes)
            .where(wiki_changes.c.wiki_id == cw.wiki_id, wiki_changes.c.id > applied)
            .order_by(wiki_changes.c.id)
        ).all()
        if not changes:
            continue
        ids = [c.id for c in changes]
        reasons += _reasons(conn, ctx.course_id, changes)
        _mark_windows(conn, ctx.course_id, cw.wiki_id, ids)
        _add_rereads(conn, ctx.course_id, cw.wiki_id, ids)
        conn.execute(
            update(course_wikis)
            .where(course_wikis.c.course_id == ctx.course_id, course_wikis.c.wiki_id == cw.wiki_id)
            .values(changes_applied=ids[-1])
        )
    return reasons


def _these(change_ids: list[int]):
    return wiki_changes.c.id.in_(change_ids)


def _mark_windows(conn: Connection, course_id: int, wiki_id: int, change_ids: list[int]) -> None:
    """Windows holding the course's rows on a changed page: re-derived (the page counts differently now)."""
    changed = select(wiki_changes.c.article_id).where(_these(change_ids), wiki_changes.c.article_id.is_not(None))
    conn.execute(
        update(course_wiki_timeslices)
        .where(
            course_wiki_timeslices.c.course_id == course_id,
            course_wiki_timeslices.c.wiki_id == wiki_id,
            exists().where(
                course_user_article_timeslices.c.course_id == course_id,
                course_user_article_timeslices.c.wiki_id == wiki_id,
                course_user_article_timeslices.c.start == course_wiki_timeslices.c.start,
                course_user_article_timeslices.c.article_id.in_(changed),
            ),
        )
        .values(**CHANGED)
    )


def _add_rereads(conn: Connection, course_id: int, wiki_id: int, change_ids: list[int]) -> None:
    """Students' windows to read again: theirs on a page whose history changed or that moved
    into an article namespace of the course, and those where the page's history now shows their edits. Only windows
    already ingested: later ones are read anyway."""
    article = applied(conn, course_id).get(wiki_id, DEFAULT)
    into_main = and_(  # into an article namespace, from outside them: references never asked for
        wiki_changes.c.kind == "moved",
        wiki_changes.c.namespace.in_(article),
        func.coalesce(wiki_changes.c.old_namespace, -1).not_in(article),
    )
    again = or_(wiki_changes.c.kind.in_(NEEDS_REREAD), into_main)
    from_rows = select(course_user_article_timeslices.c.user_id, course_user_article_timeslices.c.start).where(
        course_user_article_timeslices.c.course_id == course_id,
        course_user_article_timeslices.c.wiki_id == wiki_id,
        course_user_article_timeslices.c.article_id.in_(
            select(wiki_changes.c.article_id).where(_these(change_ids), again)
        ),
    )
    from_history = (
        select(wiki_change_edits.c.user_id, course_wiki_timeslices.c.start)
        .join(wiki_changes, wiki_changes.c.id == wiki_change_edits.c.change_id)
        .join(
            course_wiki_timeslices,
            and_(
                course_wiki_timeslices.c.course_id == course_id,
                course_wiki_timeslices.c.wiki_id == wiki_id,
                course_wiki_timeslices.c.start <= wiki_change_edits.c.timestamp,
                course_wiki_timeslices.c.end > wiki_change_edits.c.timestamp,
            ),
        )
        .where(_these(change_ids), wiki_changes.c.namespace.in_(tracked(article)))
    )
    pairs = from_rows.union(from_history).subquery()
    wanted = (
        select(literal(course_id), literal(wiki_id), pairs.c.user_id, pairs.c.start)
        .join(
            ingestion_coverage,
            and_(
                ingestion_coverage.c.course_id == course_id,
                ingestion_coverage.c.wiki_id == wiki_id,
                ingestion_coverage.c.user_id == pairs.c.user_id,
                ingestion_coverage.c.ingested_until > pairs.c.start,
            ),
        )
        .where(
            pairs.c.user_id.in_(students(course_id)),
            ~exists().where(
                rereads.c.course_id == course_id,
                rereads.c.wiki_id == wiki_id,
                rereads.c.user_id == pairs.c.user_id,
                rereads.c.start == pairs.c.start,
            ),
        )
    )
    conn.execute(insert(rereads).from_select(["course_id", "wiki_id", "user_id", "start"], wanted))


def _reasons(conn: Connection, course_id: int, changes) -> list[dict]:
    """The changes that concern the course: on a page it has rows on, with edits by its
    students, or renaming one of them."""
    article_ids = [c.article_id for c in changes if c.article_id is not None]
    with_rows = (
        set(
            conn.scalars(
                select(course_user_article_timeslices.c.article_id)
                .distinct()
                .where(
                    course_user_article_timeslices.c.course_id == course_id,
                    course_user_article_timeslices.c.article_id.in_(article_ids),
                )
            )
        )
        if article_ids
        else set()
    )
    mine = set(conn.scalars(students(course_id)))
    edited = {
        cid
        for cid, uid in conn.execute(
            select(wiki_change_edits.c.change_id, wiki_change_edits.c.user_id).where(
                wiki_change_edits.c.change_id.in_([c.id for c in changes])
            )
        )
        if uid in mine
    }
    out = []
    for c in changes:
        if c.kind == "renamed":
            if c.user_id in mine:
                out.append(dict(kind="renamed", subject=c.title, detail=f"formerly {c.old_title}"))
        elif c.article_id in with_rows or c.id in edited:
            detail = f"from {c.old_title}" if c.kind == "moved" else ""
            out.append(dict(kind=c.kind, subject=c.title, detail=detail))
    return out
