"""A course's Wikidata figures per student and window, derived from its finest grain.

The finest grain says which of a student's edits the course counts in a window: those of its
(student, article, window) rows, up to the row's last counted edit, on a page that counts now
(not deleted, in a tracked namespace: timeslices.derive.counted_article). Their figures are the
store's, summed with one INSERT ... SELECT ... GROUP BY for every window whose finest grain
changed, in the derivation of the update cycle and of --full alike; a dis-enrolled student's
rows go at no request (remove_students).
"""
from __future__ import annotations

from sqlalchemy import Connection, and_, delete, func, insert, select

from ..models.tables import (
    articles,
    course_user_article_timeslices as finest,
    course_wiki_timeslices,
    course_wikis,
    revisions,
    wikibase_revisions,
    wikidata_user_timeslices,
    wikis,
)
from ..namespaces import applied
from ..timeslices.derive import counted_article, in_changed_window
from .summary import FIGURES


def derive_wikidata(conn: Connection, course_id: int) -> None:
    """Wikidata user timeslices of the windows whose finest grain changed (before those are unmarked)."""
    conn.execute(delete(wikidata_user_timeslices).where(
        wikidata_user_timeslices.c.course_id == course_id,
        in_changed_window(course_id, wikidata_user_timeslices)))
    if conn.scalar(select(course_wikis.c.id).join(wikis, wikis.c.id == course_wikis.c.wiki_id).where(
            course_wikis.c.course_id == course_id, wikis.c.wikibase.is_(True)).limit(1)) is None:
        return  # no Wikibase wiki: the usual course costs one indexed look-up more
    counted_edit = and_(
        revisions.c.wiki_id == finest.c.wiki_id,
        revisions.c.user_id == finest.c.user_id,
        revisions.c.article_id == finest.c.article_id,
        revisions.c.timestamp >= finest.c.start,
        revisions.c.timestamp <= finest.c.last_rev_at,
    )
    rows = (
        select(finest.c.course_id, finest.c.user_id, finest.c.wiki_id, finest.c.start,
               *(func.coalesce(func.sum(wikibase_revisions.c[name]), 0) for name in FIGURES))
        .join(course_wiki_timeslices, and_(
            course_wiki_timeslices.c.course_id == finest.c.course_id,
            course_wiki_timeslices.c.wiki_id == finest.c.wiki_id,
            course_wiki_timeslices.c.start == finest.c.start))
        .join(wikis, and_(wikis.c.id == finest.c.wiki_id, wikis.c.wikibase.is_(True)))
        .join(articles, counted_article(applied(conn, course_id)))
        .join(revisions, counted_edit)
        .join(wikibase_revisions, and_(wikibase_revisions.c.wiki_id == revisions.c.wiki_id,
                                       wikibase_revisions.c.rev_id == revisions.c.rev_id))
        .where(finest.c.course_id == course_id, course_wiki_timeslices.c.finest_changed)
        .group_by(finest.c.course_id, finest.c.user_id, finest.c.wiki_id, finest.c.start)
    )
    conn.execute(insert(wikidata_user_timeslices).from_select(
        ["course_id", "user_id", "wiki_id", "start", *FIGURES], rows))


def remove_students(conn: Connection, course_id: int, user_ids: list[int]) -> None:
    """Dis-enrolment: the students' Wikidata figures go with their other timeslices."""
    conn.execute(delete(wikidata_user_timeslices).where(
        wikidata_user_timeslices.c.course_id == course_id, wikidata_user_timeslices.c.user_id.in_(user_ids)))
