"""The list of courses: searched, filtered, sorted and paged in SQL, one page at a time.

The dashboard's courses page, `GET /api/courses` and `wikicourse course list` all call
`list_courses`, so the three agree on what a search finds and in which order.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import Engine, exists, func, or_, select

from .clock import now_utc
from .errors import InvalidInput
from .models.tables import course_wikis, courses
from .collation import search_key
from .stats import COURSE_FIELDS, iso
from .terminal import renders
from .wikis import wiki_ids, wikis

PER_PAGE = 50  # the dashboard's and the API's page
MAX_LIMIT = 500
MAX_OFFSET = 2**31 - 1  # far past any list; larger numbers overflow the databases' integers
MAX_SEARCH = 200  # characters: a title is at most 500, a search longer than this is a mistake

# Sort name -> the column it orders by; anything else is refused (no column from a URL).
SORTS = {"title": courses.c.title_key, "start": courses.c.start, "end": courses.c.end,
         "students": courses.c.student_count, "edits": courses.c.revision_count,
         "characters": courses.c.character_sum, "articles": courses.c.article_count,
         "last_update": courses.c.last_update}
STATES = ("running", "ended", "upcoming")
DEFAULT_SORT = "start"


def default_descending(sort: str) -> bool:
    """Titles A to Z; dates newest first, figures largest first."""
    return sort != "title"


def state_of(start: date, end: date, today: date) -> str:
    """Where a course stands on `today` (UTC): its end date counts as running, to its last second."""
    return "upcoming" if today < start else "ended" if today > end else "running"


def check_sort(sort: str | None, direction: str | None = None) -> tuple[str, bool]:
    """(sort name, descending) from a sort name and "asc"/"desc", each optional and checked."""
    sort = sort or DEFAULT_SORT
    if sort not in SORTS:
        raise InvalidInput(f"cannot sort courses by {sort!r}: sort by one of {', '.join(SORTS)}")
    if direction not in (None, "", "asc", "desc"):
        raise InvalidInput(f"dir must be asc or desc, not {direction!r}")
    return sort, (direction == "desc") if direction else default_descending(sort)


def list_courses(engine: Engine, *, search: str | None = None, wiki: str | None = None, state: str | None = None,
                 sort: str | None = None, descending: bool | None = None, limit: int | None = PER_PAGE,
                 offset: int = 0, today: date | None = None) -> dict:
    """The courses that match, in order, `limit` of them from `offset` (None: all), and how many match:
    {"total", "limit", "offset", "courses": [...]}, each course as stats.course_list gives it plus its
    "state" on `today` (default: today, UTC).

    `search` finds a text in the title or the slug, case- and accent-blind; `wiki`, the courses
    tracking that wiki; `state`, the running, ended or upcoming ones. Ties in any order are broken
    by title, then slug, so pages never overlap."""
    sort, natural = check_sort(sort)
    descending = natural if descending is None else descending
    if state not in (None, "", *STATES):
        raise InvalidInput(f"unknown state {state!r}: one of {', '.join(STATES)}")
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"the limit is 1 to {MAX_LIMIT}, not {limit}")
    if not 0 <= offset <= MAX_OFFSET:
        raise InvalidInput(f"the offset is 0 to {MAX_OFFSET}, not {offset}")
    if search and len(search) > MAX_SEARCH:
        raise InvalidInput(f"the search is at most {MAX_SEARCH} characters")
    today = today or now_utc().date()
    with engine.connect() as conn:
        where = _conditions(conn, search, wiki, state, today)
        total = conn.scalar(select(func.count()).select_from(courses).where(*where))
        column = SORTS[sort]
        order = [column.desc() if descending else column.asc()]
        if sort == "last_update":  # never updated: last, whichever the direction
            order.insert(0, column.is_(None))
        rows = conn.execute(select(courses).where(*where)
                            .order_by(*order, courses.c.title_key, courses.c.slug)
                            .limit(limit).offset(offset)).all()
        tracked: dict[int, list[str]] = defaultdict(list)
        if rows:
            for cid, domain in conn.execute(
                    select(course_wikis.c.course_id, wikis.c.domain)
                    .join(wikis, wikis.c.id == course_wikis.c.wiki_id)
                    .where(course_wikis.c.course_id.in_([c.id for c in rows]))
                    .order_by(wikis.c.domain)):
                tracked[cid].append(domain)
    return {"total": total, "limit": limit, "offset": offset,
            "courses": [{"slug": c.slug, "title": c.title, "start": c.start.isoformat(), "end": c.end.isoformat(),
                         "state": state_of(c.start, c.end, today), "wikis": tracked[c.id],
                         **{f: getattr(c, f) for f in COURSE_FIELDS},
                         "last_update": iso(c.last_update), "updated_at": iso(c.updated_at)}
                        for c in rows]}


def _conditions(conn, search: str | None, wiki: str | None, state: str | None, today: date) -> list:
    where = []
    key = search_key(search or "")
    if key:
        # Slugs are ASCII (courses.SLUG), so lower() folds them alike on every database.
        where.append(or_(courses.c.title_key.contains(key, autoescape=True),
                         func.lower(courses.c.slug).contains(key, autoescape=True)))
    if wiki and wiki.strip():
        wid = wiki_ids(conn, [wiki])[wiki.strip().lower()]
        where.append(exists().where(course_wikis.c.course_id == courses.c.id, course_wikis.c.wiki_id == wid))
    if state == "running":
        where += [courses.c.start <= today, courses.c.end >= today]
    elif state == "ended":
        where.append(courses.c.end < today)
    elif state == "upcoming":
        where.append(courses.c.start > today)
    return where


def page_offset(page: int, limit: int) -> int:
    """The offset of a 1-based page."""
    if not 1 <= page <= MAX_OFFSET // limit:
        raise InvalidInput(f"the page is 1 to {MAX_OFFSET // limit}, not {page}")
    return (page - 1) * limit


@renders
def render_courses(found: dict) -> str:
    """The readable list of `wikicourse course list`."""
    from .report import table

    total = found["total"]
    if not found["courses"]:
        return "No course matches." if total == 0 else f"{total} courses; none on this page."
    rows = [[c["slug"], c["title"], c["start"], c["end"], c["state"], c["student_count"], c["revision_count"],
             c["character_sum"], c["article_count"], (c["last_update"] or "never").replace("T", " ")]
            for c in found["courses"]]
    return "\n".join([table(["course", "title", "start", "end", "state", "students", "edits", "characters",
                             "articles", "last update"], rows),
                      "", f"{total} course{'s' if total != 1 else ''}"])
