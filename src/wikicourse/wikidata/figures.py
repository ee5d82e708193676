"""Reading a course's Wikidata figures out (docs/wikidata.md): the `wikidata` part of the course
document, for `stats`, the API, the CSV and the overview page. Sums of the course's Wikidata user
timeslices: nothing is asked of any wiki."""
from __future__ import annotations

from sqlalchemy import Connection, and_, func, select

from ..models.tables import course_wiki_timeslices, course_wikis, enrollments, users, wikidata_user_timeslices, wikis
from .summary import FIGURES


def wikibase_domains(conn: Connection, course_id: int) -> list[str]:
    """The course's wikis known to be Wikibase repositories whose windows hold the figures."""
    return list(conn.scalars(
        select(wikis.c.domain).join(course_wikis, course_wikis.c.wiki_id == wikis.c.id)
        .where(course_wikis.c.course_id == course_id, wikis.c.wikibase.is_(True), course_wikis.c.wikibase_applied)
        .order_by(wikis.c.domain)))


def wikidata_part(conn: Connection, course_id: int, until=None) -> dict | None:
    """{"wikis", "totals", "users", "timeslices"}, or None when the course tracks no Wikibase wiki.
    With `until` (stats.Until), only the windows counted by then."""
    domains = wikibase_domains(conn, course_id)
    if not domains:
        return None
    w = wikidata_user_timeslices
    window = and_(course_wiki_timeslices.c.course_id == w.c.course_id,
                  course_wiki_timeslices.c.wiki_id == w.c.wiki_id, course_wiki_timeslices.c.start == w.c.start)
    kept = [w.c.course_id == course_id] + ([] if until is None else [until.counts(course_wiki_timeslices)])
    sums = [func.coalesce(func.sum(w.c[f]), 0).label(f) for f in FIGURES]
    totals = conn.execute(select(*sums).select_from(w).join(course_wiki_timeslices, window).where(*kept)).one()
    mine = (select(w.c.user_id, *sums).select_from(w).join(course_wiki_timeslices, window).where(*kept)
            .group_by(w.c.user_id).subquery())
    students = conn.execute(
        select(users.c.username, *(func.coalesce(mine.c[f], 0).label(f) for f in FIGURES))
        .join(enrollments, enrollments.c.user_id == users.c.id)
        .outerjoin(mine, mine.c.user_id == users.c.id)
        .where(enrollments.c.course_id == course_id, enrollments.c.role == "student")
        .order_by(users.c.username)).all()
    windows = conn.execute(
        select(wikis.c.domain, course_wiki_timeslices.c.start, course_wiki_timeslices.c.end, *sums)
        .select_from(w).join(course_wiki_timeslices, window).join(wikis, wikis.c.id == w.c.wiki_id).where(*kept)
        .group_by(wikis.c.domain, course_wiki_timeslices.c.start, course_wiki_timeslices.c.end)
        .order_by(wikis.c.domain, course_wiki_timeslices.c.start)).all()
    from ..stats import iso

    return {
        "wikis": domains,
        "totals": {f: int(getattr(totals, f)) for f in FIGURES},
        "users": [{"username": r.username, **{f: int(getattr(r, f)) for f in FIGURES}} for r in students],
        "timeslices": [{"wiki": r.domain, "start": iso(r.start), "end": iso(r.end),
                        **{f: int(getattr(r, f)) for f in FIGURES}} for r in windows],
    }


LABELS = {f: f.replace("_", " ").capitalize() for f in FIGURES}
LABELS["other_edits"] = "Other entity edits"


def csv_rows(part: dict) -> tuple[list[str], list[list]]:
    """wikidata.csv: a row per student, then the course's totals (`scope` says which)."""
    header = ["scope", "username", *FIGURES]
    rows = [["student", u["username"], *(u[f] for f in FIGURES)] for u in part["users"]]
    rows.append(["total", "", *(part["totals"][f] for f in FIGURES)])
    return header, rows


def render_text(part: dict) -> str:
    """The figures for `wikicourse stats`: the totals, then each student's non-zero ones."""
    lines = [f"Wikidata ({', '.join(part['wikis'])}):"]
    lines += [f"  {LABELS[f]}: {part['totals'][f]}" for f in FIGURES]
    for u in part["users"]:
        mine = [f"{u[f]} {LABELS[f].lower()}" for f in FIGURES if u[f]]
        lines.append(f"  {u['username']}: {', '.join(mine) if mine else 'none'}")
    return "\n".join(lines)


def campaign_wikidata(conn: Connection, campaign_id: int, until=None) -> dict | None:
    """A campaign's Wikidata figures: over the union of its courses' in-scope revisions (each counted
    once, campaign_stats.scope), or None when none of its courses tracks a Wikibase wiki."""
    from ..campaign_stats import scope
    from ..models.tables import campaign_courses, wikibase_revisions

    domains = list(conn.scalars(
        select(wikis.c.domain).distinct()
        .join(course_wikis, course_wikis.c.wiki_id == wikis.c.id)
        .join(campaign_courses, campaign_courses.c.course_id == course_wikis.c.course_id)
        .where(campaign_courses.c.campaign_id == campaign_id, wikis.c.wikibase.is_(True)).order_by(wikis.c.domain)))
    if not domains:
        return None
    s = scope([campaign_id], until)
    row = conn.execute(
        select(*(func.coalesce(func.sum(wikibase_revisions.c[f]), 0).label(f) for f in FIGURES)).select_from(s)
        .join(wikibase_revisions, and_(wikibase_revisions.c.wiki_id == s.c.wiki_id,
                                       wikibase_revisions.c.rev_id == s.c.rev_id))).one()
    return {"wikis": domains, "totals": {f: int(getattr(row, f)) for f in FIGURES}}
