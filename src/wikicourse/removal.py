"""The dis-enrollment preview: what a course's figures become if users are removed now.

It is not a second derivation of the figures: it dis-enrolls the users and runs the
update's own local steps (the removal of their rows, the re-derivation of the windows they
edited, the refresh of the caches) in a transaction that is rolled back, reading the
figures before the rollback. Nothing stays changed and no lock outlives the call.
"""

from __future__ import annotations

from datetime import timezone
from typing import Sequence

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import OperationalError

from . import settings
from .clock import now_utc
from .courses import course_id, disenroll_in
from .errors import DatabaseBusy, InvalidInput
from .lock_wait import is_lock_wait, waiting_at_most, waits_for
from .models.course import HEADLINE
from .models.tables import (
    articles,
    articles_courses,
    course_user_article_timeslices,
    courses,
    enrollments,
    users,
    wikis,
)
from .sources.base import normalize_username
from .models.uploads import UPLOAD_FIGURES
from .stats import USER_FIELDS, iso
from .terminal import renders
from .update.context import UpdateContext
from .update.prepare_users import remove_users, removed_users
from .update.refresh import refresh
from .update.reprocess import reprocess
from .timeslices.uploads import counts_uploads, derive_uploads

def removal_preview(engine: Engine, slug: str, usernames: Sequence[str]) -> dict:
    """What dis-enrolling `usernames` would make of the course's figures, from the stored
    data (as of the last update; students enrolled and dates or wikis changed since count
    only once an update has fetched them). Nothing is changed.

    Returns {"slug", "last_update", "users": [their enrollment rows], "counts" (whether any
    is a student), "before", "after", "loses" ({figure: number} each), "articles" (those
    that stop counting, with their wiki and whether they were new), "shared" (articles they
    edited that stay, edited by other students too), "uncreated" (of those, the ones that
    stay counted but no longer as new)}.

    It waits a little for rows another process is writing (an update), not indefinitely: as
    long as `engine` waits (lock_wait.waiting_at_most: the web's), else settings.web_lock_wait,
    then raises DatabaseBusy.
    """
    if not usernames or any(not n.strip() for n in usernames):
        raise InvalidInput("give at least one username, none empty")
    if waits_for(engine) is None:  # the command line's engine: SQLite's 30 s, PostgreSQL's for ever
        engine = waiting_at_most(engine, settings.web_lock_wait())
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            return _preview(conn, slug, usernames)
        except OperationalError as exc:
            if is_lock_wait(exc):
                raise DatabaseBusy(f"course {slug!r} is being written by another process (an update): "
                                   f"try the preview again shortly") from None
            raise
        finally:
            trans.rollback()


def _preview(conn: Connection, slug: str, usernames: Sequence[str]) -> dict:
    cid = course_id(conn, slug)
    last_update = conn.scalar(select(courses.c.last_update).where(courses.c.id == cid))
    as_of = last_update or now_utc()
    ctx = UpdateContext.load(conn, cid, as_of.astimezone(timezone.utc), full=False)
    # Today's roster first: a removal made before, not yet applied by an update, is the
    # baseline, not part of this preview.
    _apply_removals(conn, ctx)
    before, counted = _figures(conn, cid), _counted_articles(conn, cid)
    wanted = sorted({normalize_username(n) for n in usernames})
    leaving = conn.execute(
        select(users.c.id, users.c.username, enrollments.c.role,
               *[enrollments.c[f] for f in USER_FIELDS + UPLOAD_FIGURES])
        .join(enrollments, enrollments.c.user_id == users.c.id)
        .where(enrollments.c.course_id == cid, users.c.username.in_(wanted))
        .order_by(users.c.username)
    ).all()
    theirs = set(
        conn.scalars(
            select(course_user_article_timeslices.c.article_id)
            .where(
                course_user_article_timeslices.c.course_id == cid,
                course_user_article_timeslices.c.user_id.in_([u.id for u in leaving]),
            )
            .distinct()
        )
    )
    disenroll_in(conn, slug, usernames)  # the dis-enrollment itself (refuses users not enrolled)
    _apply_removals(conn, ctx)
    after, still = _figures(conn, cid), _counted_articles(conn, cid)
    gone = sorted(counted.keys() - still.keys())
    return {
        "slug": slug,
        "last_update": iso(last_update),
        "users": [{"username": u.username, "role": u.role, **{f: getattr(u, f) for f in USER_FIELDS + UPLOAD_FIGURES}}
                  for u in leaving],
        "counts": any(u.role == "student" for u in leaving),
        "before": before,
        "after": after,
        "loses": {f: before[f] - after[f] for f in before},
        "articles": _described(conn, gone, counted),
        "shared": len(theirs & still.keys()),
        "uncreated": sum(1 for a in theirs & still.keys() if counted[a] and not still[a]),
    }


def _apply_removals(conn: Connection, ctx: UpdateContext) -> None:
    """The update's pre-update for users no longer students, then its reprocessing and refresh."""
    remove_users(conn, ctx.course_id, removed_users(conn, ctx.course_id))
    reprocess(conn, ctx)
    refresh(conn, ctx.course_id)
    derive_uploads(conn, ctx)  # from the store's upload logs as the last update left them


def _figures(conn: Connection, cid: int) -> dict:
    """The headline figures, and the upload figures of a course that counts them."""
    shown = HEADLINE + (UPLOAD_FIGURES if counts_uploads(conn, cid) else ())
    return conn.execute(select(*[courses.c[f] for f in shown]).where(courses.c.id == cid)).one()._asdict()


def _counted_articles(conn: Connection, cid: int) -> dict[int, bool]:
    """The course's counted articles: {article id: new}."""
    return {
        a: bool(new)
        for a, new in conn.execute(
            select(articles_courses.c.article_id, articles_courses.c.new_article).where(
                articles_courses.c.course_id == cid
            )
        )
    }


def _described(conn: Connection, ids: list[int], new: dict[int, bool]) -> list[dict]:
    if not ids:
        return []
    rows = conn.execute(
        select(articles.c.id, articles.c.title, wikis.c.domain)
        .join(wikis, wikis.c.id == articles.c.wiki_id)
        .where(articles.c.id.in_(ids))
        .order_by(wikis.c.domain, articles.c.title)
    )
    return [{"title": r.title, "wiki": r.domain, "new_article": new[r.id]} for r in rows]


@renders
def render_preview(preview: dict) -> str:
    """The preview for the terminal (`wikicourse disenroll --dry-run`): each figure, now -> then."""
    names = ", ".join(u["username"] for u in preview["users"])
    stored = f"as of {preview['last_update']}" if preview["last_update"] else "no update has run yet"
    lines = [f"dry run, nothing changed: removing {names} from {preview['slug']} makes the next update "
             f"take the figures ({stored}) to:"]
    lines += [f"  {f}: {before} -> {preview['after'][f]}" for f, before in preview["before"].items()]
    if not preview["counts"]:
        lines.append("  (not students: their edits never counted)")
    for a in preview["articles"]:
        lines.append(f"  stops counting: {a['title']} ({a['wiki']}){' [new]' if a['new_article'] else ''}")
    if preview["uncreated"]:
        lines.append(f"  {preview['uncreated']} article(s) they created stay counted, no longer as new")
    return "\n".join(lines)
