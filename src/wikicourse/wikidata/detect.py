"""Whether a wiki is a Wikibase repository, and a course's windows following it (docs/wikidata.md#detection).

A Wikibase repository's `meta=siteinfo` general block carries `wikibase-conceptbaseuri` (its
RepoHooks add it; a client wiki such as Wikipedia has none): asked once per wiki, at the first
update that tracks it, unless the operator said (`wiki add --wikibase / --no-wikibase`).
"""
from __future__ import annotations

from sqlalchemy import Connection, Engine, and_, delete, exists, insert, literal, select, update

from ..errors import WikiError
from ..models.tables import (
    contribution_reads,
    course_user_article_timeslices as finest,
    course_wikis,
    ingestion_coverage,
    rereads,
    students,
    wikibase_revisions,
    wikis,
)
from ..wikis import on_wiki, wiki_domains


def detect_wikibase(engine: Engine, sources: dict) -> list[str]:
    """Ask each wiki not asked yet (one siteinfo request each); returns the errors (the wiki is
    asked again at the next update, and counted as not Wikibase until then)."""
    with engine.connect() as conn:
        unknown = list(conn.scalars(select(wikis.c.id).where(wikis.c.id.in_(list(sources)), wikis.c.wikibase.is_(None))))
        domains = wiki_domains(conn, unknown)
    errors = []
    for wiki_id in unknown:
        try:
            answer = sources[wiki_id].wikibase()
        except WikiError as exc:
            errors.append(on_wiki(domains[wiki_id], f"cannot tell whether it is a Wikibase repository: {exc}"))
            continue
        with engine.begin() as conn:
            set_wikibase(conn, wiki_id, answer)
    return errors


def set_wikibase(conn: Connection, wiki_id: int, value: bool) -> None:
    """Record what the wiki is. Either way a change makes the stored revisions wrong for it:
    becoming Wikibase they lack their summaries, ceasing to be they lack their references (a
    Wikibase wiki's texts are not read). The store forgets its spans (and moves to a new
    generation, as a widening does) and its per-revision Wikidata figures, so the courses on it
    read their students again (apply_wikibase)."""
    before = conn.scalar(select(wikis.c.wikibase).where(wikis.c.id == wiki_id))
    if before is value:
        return
    values: dict = {"wikibase": value}
    if before is not None or value:  # a first answer "no" finds nothing stored amiss
        values["store_generation"] = wikis.c.store_generation + 1
        conn.execute(delete(contribution_reads).where(contribution_reads.c.wiki_id == wiki_id))
        conn.execute(delete(wikibase_revisions).where(wikibase_revisions.c.wiki_id == wiki_id))
    conn.execute(update(wikis).where(wikis.c.id == wiki_id).values(**values))


def is_wikibase(conn: Connection, wiki_id: int) -> bool:
    return bool(conn.scalar(select(wikis.c.wikibase).where(wikis.c.id == wiki_id)))


def apply_wikibase(conn: Connection, ctx) -> None:
    """Pre-update: a course wiki that became Wikibase (or stopped being one) since its windows
    were derived (`wikibase_applied`: what they were derived with) reads again
    its students' windows that hold edits (rereads, as after a change of the wiki's past): the
    store, whose spans set_wikibase forgot, reads them as the wiki now is (summaries, or texts
    for references), and the copy step takes them. Their revision figures may not change, so
    nothing else would take them again."""
    for cw in ctx.wikis:
        applied, wikibase = conn.execute(
            select(course_wikis.c.wikibase_applied, wikis.c.wikibase)
            .join(wikis, wikis.c.id == course_wikis.c.wiki_id)
            .where(course_wikis.c.course_id == ctx.course_id, course_wikis.c.wiki_id == cw.wiki_id)).one()
        if bool(applied) == bool(wikibase):
            continue
        _read_again(conn, ctx.course_id, cw.wiki_id)
        conn.execute(update(course_wikis)
                     .where(course_wikis.c.course_id == ctx.course_id, course_wikis.c.wiki_id == cw.wiki_id)
                     .values(wikibase_applied=bool(wikibase)))


def _read_again(conn: Connection, course_id: int, wiki_id: int) -> None:
    """Rereads of every (student, window) of the course's finest grain on the wiki, ingested already."""
    from ..timeslices.manage import mark

    edited = (select(finest.c.user_id, finest.c.start).distinct()
              .join(ingestion_coverage, and_(ingestion_coverage.c.course_id == finest.c.course_id,
                                             ingestion_coverage.c.wiki_id == finest.c.wiki_id,
                                             ingestion_coverage.c.user_id == finest.c.user_id,
                                             ingestion_coverage.c.ingested_until > finest.c.start))
              .where(finest.c.course_id == course_id, finest.c.wiki_id == wiki_id,
                     finest.c.user_id.in_(students(course_id)),
                     ~exists().where(rereads.c.course_id == course_id, rereads.c.wiki_id == wiki_id,
                                     rereads.c.user_id == finest.c.user_id, rereads.c.start == finest.c.start))
              .subquery())
    conn.execute(insert(rereads).from_select(["course_id", "wiki_id", "user_id", "start"],
                                             select(literal(course_id), literal(wiki_id), edited.c.user_id,
                                                    edited.c.start)))
    mark(conn, course_id, wiki_id, sorted(set(conn.scalars(select(rereads.c.start).where(
        rereads.c.course_id == course_id, rereads.c.wiki_id == wiki_id)))))
