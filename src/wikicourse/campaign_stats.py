"""Campaign figures (docs/campaigns.md): those of the UNION of its courses' in-scope revisions, each
counted once however many of its courses count it, read from the shared `revisions` store.

Summing the courses' figures would count twice a revision two courses share (a student in
both, on a wiki both track, in both periods) and a student enrolled in both. Every figure here
comes from one set of distinct (campaign, wiki, revision) rows, `scope`, so the list of
campaigns, a campaign's totals, its wikis and its days all agree.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, Date, Engine, and_, case, func, or_, select

from .campaigns import campaign_id
from .models.course import HEADLINE
from .models.uploads import UPLOAD_FIGURES
from .namespaces import BESIDES, listed_in
from .sources.base import NS_DRAFT, NS_USER
from .stats import iso
from .models.tables import (
    articles,
    campaign_courses,
    campaigns,
    course_wikis,
    courses,
    ingestion_coverage,
    course_wiki_timeslices,
    enrollments,
    revisions,
    wikis,
)
from .timeslices.windows import day_start
from .uploads import campaign_upload_figures, in_campaign, upload_figures_by_course

ZERO = dict.fromkeys(HEADLINE, 0)


def _until_end(until: date) -> datetime:
    """`until` is a day, included whole: revisions before the next day's 00:00 UTC."""
    return day_start(until + timedelta(days=1))


def scope(campaign_ids: list[int] | None, until: date | None = None, per_course: bool = False):
    """Distinct (owner, wiki_id, rev_id) of the revisions some course of the campaign counts:
    the owner is the campaign, or with `per_course` each course (its own figures, from the
    same rows).

    A course counts a revision of a student (enrolled as such now) on a wiki it tracks, from the
    start of its first window there up to what it has ingested for that student
    (ingestion_coverage: never past its period's end nor its last update), on a page the wiki
    still shows in a tracked namespace of the course there (`article`: in one of its article
    namespaces): what its own figures count after its next update.
    `campaign_ids` None: every campaign.
    """
    chosen = [campaign_courses.c.campaign_id.in_(campaign_ids)] if campaign_ids is not None else []
    member_courses = select(campaign_courses.c.course_id).where(*chosen)
    first = (
        select(
            course_wiki_timeslices.c.course_id,
            course_wiki_timeslices.c.wiki_id,
            func.min(course_wiki_timeslices.c.start).label("start"),
        )
        .where(course_wiki_timeslices.c.course_id.in_(member_courses))
        .group_by(course_wiki_timeslices.c.course_id, course_wiki_timeslices.c.wiki_id)
        .subquery("first_window")
    )
    owner = campaign_courses.c.course_id if per_course else campaign_courses.c.campaign_id
    # In an article namespace of the course on that wiki.
    article = listed_in(course_wikis.c.namespaces_applied, articles.c.namespace)
    q = (
        select(owner.label("owner"), revisions.c.wiki_id, revisions.c.rev_id,
               func.max(case((article, 1), else_=0)).label("article"))
        .join(
            enrollments, and_(enrollments.c.course_id == campaign_courses.c.course_id, enrollments.c.role == "student")
        )
        .join(
            ingestion_coverage,
            and_(
                ingestion_coverage.c.course_id == enrollments.c.course_id,
                ingestion_coverage.c.user_id == enrollments.c.user_id,
            ),
        )
        .join(
            course_wikis,
            and_(
                course_wikis.c.course_id == ingestion_coverage.c.course_id,
                course_wikis.c.wiki_id == ingestion_coverage.c.wiki_id,
            ),
        )
        .join(
            first,
            and_(first.c.course_id == ingestion_coverage.c.course_id, first.c.wiki_id == ingestion_coverage.c.wiki_id),
        )
        .join(
            revisions,
            and_(
                revisions.c.wiki_id == ingestion_coverage.c.wiki_id,
                revisions.c.user_id == ingestion_coverage.c.user_id,
                revisions.c.timestamp >= first.c.start,
                revisions.c.timestamp < ingestion_coverage.c.ingested_until,
            ),
        )
        .join(
            articles,
            and_(
                articles.c.id == revisions.c.article_id,
                ~articles.c.deleted,
                or_(articles.c.namespace.in_(BESIDES), article),
            ),
        )
        .where(*chosen)
        .group_by(owner, revisions.c.wiki_id, revisions.c.rev_id)
    )
    if until is not None:
        q = q.where(revisions.c.timestamp < _until_end(until))
    return q.subquery("scope")


def _sum(expr):
    return func.coalesce(func.sum(expr), 0)


def _figures(s) -> list:
    """The headline figures but student_count, over scope rows joined to their revision and
    article; a revision is an article's when some course counts it in an article namespace."""
    main = s.c.article == 1

    def characters(ns: int):
        return _sum(case((articles.c.namespace == ns, revisions.c.characters), else_=0))

    return [
        func.count().label("revision_count"),
        _sum(case((main, revisions.c.characters), else_=0)).label("character_sum"),
        characters(NS_USER).label("character_sum_user"),
        characters(NS_DRAFT).label("character_sum_draft"),
        _sum(case((main, revisions.c["references"]), else_=0)).label("references_count"),
        func.count(func.distinct(case((main, revisions.c.article_id)))).label("article_count"),
        func.count(func.distinct(case((and_(main, revisions.c.new), revisions.c.article_id)))).label(
            "new_article_count"
        ),
    ]


def _over(s, *columns):
    return (
        select(*columns)
        .select_from(s)
        .join(revisions, and_(revisions.c.wiki_id == s.c.wiki_id, revisions.c.rev_id == s.c.rev_id))
        .join(articles, articles.c.id == revisions.c.article_id)
    )


def headline(conn: Connection, campaign_ids: list[int] | None, until: date | None = None) -> dict[int, dict]:
    """Each campaign's headline figures: {campaign_id: {figure: value}} (campaigns with none left out)."""
    s = scope(campaign_ids, until)
    out: dict[int, dict] = defaultdict(lambda: dict(ZERO))
    for r in conn.execute(_over(s, s.c.owner, *_figures(s)).group_by(s.c.owner)):
        out[r.owner].update({k: v for k, v in r._mapping.items() if k != "owner"})
    chosen = [campaign_courses.c.campaign_id.in_(campaign_ids)] if campaign_ids is not None else []
    # Every student counts, edited or not, once however many of the campaign's courses enroll them.
    for cid, n in conn.execute(
        select(campaign_courses.c.campaign_id, func.count(func.distinct(enrollments.c.user_id)))
        .join(
            enrollments, and_(enrollments.c.course_id == campaign_courses.c.course_id, enrollments.c.role == "student")
        )
        .where(*chosen)
        .group_by(campaign_courses.c.campaign_id)
    ):
        out[cid]["student_count"] = n
    return dict(out)


def _freshness(conn: Connection, campaign_ids: list[int] | None) -> dict[int, dict]:
    """Per campaign: its number of courses and the oldest last update among them (None while
    one has never been updated: its students' edits are not in yet)."""
    chosen = [campaign_courses.c.campaign_id.in_(campaign_ids)] if campaign_ids is not None else []
    rows = conn.execute(
        select(
            campaign_courses.c.campaign_id,
            func.count().label("n"),
            func.count(courses.c.last_update).label("updated"),
            func.min(courses.c.last_update).label("oldest"),
        )
        .join(courses, courses.c.id == campaign_courses.c.course_id)
        .where(*chosen)
        .group_by(campaign_courses.c.campaign_id)
    )
    return {
        r.campaign_id: {"course_count": r.n, "last_update": iso(r.oldest) if r.updated == r.n else None} for r in rows
    }


def _wiki_domains(conn: Connection, campaign_ids: list[int] | None) -> dict[int, list[str]]:
    chosen = [campaign_courses.c.campaign_id.in_(campaign_ids)] if campaign_ids is not None else []
    out: dict[int, list[str]] = defaultdict(list)
    for cid, domain in conn.execute(
        select(campaign_courses.c.campaign_id, wikis.c.domain)
        .join(course_wikis, course_wikis.c.course_id == campaign_courses.c.course_id)
        .join(wikis, wikis.c.id == course_wikis.c.wiki_id)
        .where(*chosen)
        .distinct()
        .order_by(campaign_courses.c.campaign_id, wikis.c.domain)
    ):
        out[cid].append(domain)
    return out


def campaign_list(engine: Engine) -> list[dict]:
    """Every campaign with its number of courses, wikis and headline figures, by slug."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(campaigns.c.id, campaigns.c.slug, campaigns.c.title).order_by(campaigns.c.slug)
        ).all()
        figures = headline(conn, None)
        fresh = _freshness(conn, None)
        domains = _wiki_domains(conn, None)
    return [
        {
            "slug": c.slug,
            "title": c.title,
            "course_count": fresh.get(c.id, {}).get("course_count", 0),
            "wikis": domains.get(c.id, []),
            **figures.get(c.id, ZERO),
            "last_update": fresh.get(c.id, {}).get("last_update"),
        }
        for c in rows
    ]


def _member_courses(conn: Connection, cid: int, until: date | None) -> list[dict]:
    """The campaign's courses with their own figures, as their last update cached them or,
    `until` a day, counted from the same rows as the campaign's up to that day."""
    rows = conn.execute(
        select(courses)
        .join(campaign_courses, campaign_courses.c.course_id == courses.c.id)
        .where(campaign_courses.c.campaign_id == cid)
        .order_by(courses.c.slug)
    ).all()
    dated, dated_uploads = {}, {}
    if until is not None:
        dated_uploads = upload_figures_by_course(conn, [c.id for c in rows], _until_end(until))
        s = scope([cid], until, per_course=True)
        dated = {r.owner: r._mapping for r in conn.execute(_over(s, s.c.owner, *_figures(s)).group_by(s.c.owner))}

    def figures(c) -> dict:
        if until is None:
            return {f: getattr(c, f) for f in HEADLINE}
        found = dated.get(c.id, ZERO)
        return {f: c.student_count if f == "student_count" else found[f] for f in HEADLINE}

    return [
        {
            "slug": c.slug,
            "title": c.title,
            "start": c.start.isoformat(),
            "end": c.end.isoformat(),
            **figures(c),
            **({f: getattr(c, f) for f in UPLOAD_FIGURES} if until is None else dated_uploads[c.id]),
            "last_update": iso(c.last_update),
        }
        for c in rows
    ]


def _per_wiki(conn: Connection, cid: int, until: date | None) -> list[dict]:
    """The union figures split by wiki (they add up to the campaign's, but student_count, which
    is not per wiki); `editors` counts the students with a counted revision there. Every wiki a
    course of the campaign tracks is listed."""
    s = scope([cid], until)
    found = {
        r.wiki_id: r
        for r in conn.execute(
            _over(
                s, revisions.c.wiki_id, func.count(func.distinct(revisions.c.user_id)).label("editors"), *_figures(s)
            ).group_by(revisions.c.wiki_id)
        )
    }
    tracked = (
        select(course_wikis.c.wiki_id)
        .join(campaign_courses, campaign_courses.c.course_id == course_wikis.c.course_id)
        .where(campaign_courses.c.campaign_id == cid)
    )
    shown = conn.execute(
        select(wikis.c.id, wikis.c.domain)
        .where(wikis.c.id.in_(tracked) | wikis.c.id.in_(list(found)))
        .order_by(wikis.c.domain)
    ).all()
    fields = [f for f in HEADLINE if f != "student_count"]
    return [
        {
            "wiki": domain,
            "editors": found[wid].editors if wid in found else 0,
            **{f: getattr(found[wid], f) if wid in found else 0 for f in fields},
        }
        for wid, domain in shown
    ]


def _activity(conn: Connection, cid: int, until: date | None) -> list[dict]:
    """Revisions and characters added to articles per day (UTC) and wiki, days with none left out."""
    s = scope([cid], until)
    day = func.date(revisions.c.timestamp, type_=Date).label("day")
    main = case((s.c.article == 1, revisions.c.characters), else_=0)
    rows = conn.execute(
        _over(s, day, wikis.c.domain, func.count().label("revision_count"), _sum(main).label("character_sum"))
        .join(wikis, wikis.c.id == revisions.c.wiki_id)
        .group_by(day, wikis.c.domain)
        .order_by(day, wikis.c.domain)
    )
    return [
        {"date": _day(r.day), "wiki": r.domain, "revision_count": r.revision_count, "character_sum": r.character_sum}
        for r in rows
    ]


def _day(value) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


def campaign_stats(engine: Engine, slug: str, until: date | None = None) -> dict:
    """The campaign's document: its union figures, its courses with their own, per wiki, per day.
    With `until`, the figures, the campaign's and its courses', count only revisions of that
    day or earlier (UTC)."""
    with engine.connect() as conn:
        cid = campaign_id(conn, slug)
        row = conn.execute(select(campaigns).where(campaigns.c.id == cid)).one()
        fresh = _freshness(conn, [cid]).get(cid, {"course_count": 0, "last_update": None})
        campaign = {
            "slug": row.slug,
            "title": row.title,
            "course_count": fresh["course_count"],
            "wikis": _wiki_domains(conn, [cid]).get(cid, []),
            **headline(conn, [cid], until).get(cid, ZERO),
            **campaign_upload_figures(conn, in_campaign(cid), _until_end(until) if until else None),
            "last_update": fresh["last_update"],
            "until": until.isoformat() if until else None,
            "created_at": iso(row.created_at),
        }
        doc = {
            "campaign": campaign,
            "courses": _member_courses(conn, cid, until),
            "wikis": _per_wiki(conn, cid, until),
            "activity": _activity(conn, cid, until),
        }
        from .wikidata.figures import campaign_wikidata  # (it reads scope() from here)

        wikidata = campaign_wikidata(conn, cid, until)
        if wikidata is not None:  # a campaign with a course on a Wikibase wiki (docs/wikidata.md)
            doc["wikidata"] = wikidata
        return doc
