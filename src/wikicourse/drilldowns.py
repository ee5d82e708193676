"""Drill-downs: a student's and an article's counted revisions, one by one, and the course's latest.

Every list and figure here is an aggregate of one selectable, `counted_revisions`: the rows
of the shared store (`revisions`) that the course counts, on the same conditions as its copy
step (update/copy.py: the user is enrolled as a student, the wiki is a course wiki, the edit
lies in one of the course's windows on that wiki and before that student's
`ingestion_coverage.ingested_until`) and its derivation (timeslices/derive.py: the page is
not deleted and is in a tracked namespace; references count in main space only; a main-space
article is new when one of its counted revisions created it). No wiki is asked anything.

When things change: the roster and the course's wikis are read as they are now, so a
dis-enrolled student's revisions leave every drill-down at once, as they leave the students
list (which reads the enrollments). The course's cached totals (the overview, the articles
list, the activity chart) keep them until the next update. A drill-down's own figures (a
student's per wiki, an article's per window and per editor) are sums of its own list, never
the caches, so a list and the figures beside it always agree; after an update they are the
course's figures exactly (tests/test_drilldowns.py checks, student by student).
"""
from __future__ import annotations

from dataclasses import dataclass
from sqlalchemy import Connection, Engine, and_, case, distinct, exists, func, literal, or_, select

from .collation import name_key
from .courses import course_id
from .errors import InvalidInput, UnknownArticle, UnknownStudent
from .models.tables import (
    articles,
    course_user_article_timeslices,
    course_wiki_timeslices,
    course_wikis,
    courses,
    enrollments,
    ingestion_coverage,
    revisions,
    users,
    wiki_changes,
    wikis,
)
from .redact import without_credentials
from .namespaces import BESIDES, DEFAULT, applied, listed_in, tracked
from .sources.base import NS_DRAFT, NS_USER, normalize_username
from .stats import iso

PER_PAGE = 50
MAX_PER_PAGE = 500
MAX_PAGE = (2**31 - 1) // MAX_PER_PAGE  # any further offset would overflow the databases' integers
MAX_ID = 2**31 - 1  # the largest article id a database holds (PostgreSQL's integer)
RECENT = 20
MAX_RECENT = 500
# The columns a revision list may be sorted by (whitelisted: a sort is never free SQL), and the
# direction a first click gives: figures largest first, text A to Z, times newest first.
REVISION_SORTS = {"timestamp": "desc", "wiki": "asc", "title": "asc", "namespace": "asc", "characters": "desc",
                  "references": "desc", "new": "desc", "rev_id": "desc", "username": "asc"}


def counted_revisions(course_id: int, *, counted_pages: bool = True):
    """SELECT of the revisions the course counts, with the columns a drill-down shows.

    `references` is the revision's count where it counts (main space), 0 elsewhere, so sums
    of it are the course's. Without `counted_pages`, the revisions on deleted pages or pages
    moved out of the tracked namespaces are included too (to tell an article of the course
    whose edits stopped counting from one it never had)."""
    c = course_id
    enrolled = and_(enrollments.c.course_id == c, enrollments.c.user_id == revisions.c.user_id,
                    enrollments.c.role == "student")
    tracked_wiki = and_(course_wikis.c.course_id == c, course_wikis.c.wiki_id == revisions.c.wiki_id)
    window = and_(
        course_wiki_timeslices.c.course_id == c,
        course_wiki_timeslices.c.wiki_id == revisions.c.wiki_id,
        course_wiki_timeslices.c.start <= revisions.c.timestamp,
        course_wiki_timeslices.c.end > revisions.c.timestamp,
    )
    ingested = and_(
        ingestion_coverage.c.course_id == c,
        ingestion_coverage.c.wiki_id == revisions.c.wiki_id,
        ingestion_coverage.c.user_id == revisions.c.user_id,
        revisions.c.timestamp < ingestion_coverage.c.ingested_until,
    )
    page = articles.c.id == revisions.c.article_id
    article = listed_in(course_wikis.c.namespaces_applied, articles.c.namespace)  # an article namespace there
    if counted_pages:
        page = and_(page, ~articles.c.deleted, or_(articles.c.namespace.in_(BESIDES), article))
    return (
        select(
            revisions.c.wiki_id,
            revisions.c.rev_id,
            revisions.c.user_id,
            revisions.c.article_id,
            revisions.c.timestamp,
            revisions.c.characters,
            case((article, revisions.c.references), else_=0).label("references"),
            revisions.c.new,
            articles.c.namespace,
            case((article, 1), else_=0).label("article"),
            articles.c.title,
            course_wiki_timeslices.c.start.label("window_start"),
            course_wiki_timeslices.c.end.label("window_end"),
        )
        .join(enrollments, enrolled)
        .join(course_wikis, tracked_wiki)
        .join(course_wiki_timeslices, window)
        .join(ingestion_coverage, ingested)
        .join(articles, page)
    )


# ---- figures: sums over counted revisions -------------------------------------------------------

def _sum(expr):
    return func.coalesce(func.sum(expr), 0)


def _figures(rows) -> list:
    """The figures of a set of counted revisions, named as the stats document names a
    student's, plus the articles and new articles (in the article namespaces) among them."""
    main = rows.c.article == 1
    return [
        func.count().label("revision_count"),
        _sum(case((main, rows.c.characters), else_=0)).label("character_sum_ms"),
        _sum(case((rows.c.namespace == NS_USER, rows.c.characters), else_=0)).label("character_sum_us"),
        _sum(case((rows.c.namespace == NS_DRAFT, rows.c.characters), else_=0)).label("character_sum_draft"),
        _sum(rows.c.references).label("references_count"),
        func.count(distinct(case((main, rows.c.article_id)))).label("article_count"),
        func.count(distinct(case((and_(main, rows.c.new), rows.c.article_id)))).label("new_article_count"),
    ]


FIGURES = ("revision_count", "character_sum_ms", "character_sum_us", "character_sum_draft", "references_count",
           "article_count", "new_article_count")


# ---- listing revisions --------------------------------------------------------------------------

@dataclass(frozen=True)
class Paging:
    """Which part of a long list: `page` (from 1) of `per_page`, in the order of `sort`."""

    sort: str = "timestamp"
    direction: str | None = None
    page: int = 1
    per_page: int = PER_PAGE

    def checked(self, allowed: dict[str, str]) -> Paging:
        if self.sort not in allowed:
            raise InvalidInput(f"cannot sort by {self.sort!r}: sort by one of {', '.join(allowed)}")
        if self.direction not in (None, "asc", "desc"):
            raise InvalidInput(f"dir must be asc or desc, not {self.direction!r}")
        if not 1 <= self.page <= MAX_PAGE:
            raise InvalidInput(f"page must be 1 to {MAX_PAGE}, not {self.page}")
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            raise InvalidInput(f"per_page must be 1 to {MAX_PER_PAGE}, not {self.per_page}")
        return Paging(self.sort, self.direction or allowed[self.sort], self.page, self.per_page)


def diff_base(api_url: str) -> str | None:
    """The wiki's index.php beside its api.php, where diffs are shown; None for an export."""
    if not api_url.startswith(("http://", "https://")) or not api_url.endswith("api.php"):
        return None
    return without_credentials(api_url)[: -len("api.php")] + "index.php"  # a link: never the API's credentials


def _revision_list(conn: Connection, rows, paging: Paging | None, limit: int | None = None) -> tuple[list[dict], int]:
    """The revisions of the counted subquery `rows` in the paging's order (or newest first,
    `limit` of them), with their wiki, editor and diff link; and how many there are in all."""
    listed = (
        select(rows, wikis.c.domain, wikis.c.api_url, users.c.username)
        .join(wikis, wikis.c.id == rows.c.wiki_id)
        .join(users, users.c.id == rows.c.user_id)
    )
    # Ties by time, then (wiki, revision): a total order, so pages neither skip nor repeat.
    ties = (rows.c.timestamp.desc(), rows.c.wiki_id, rows.c.rev_id.desc())
    if paging is None:
        listed = listed.order_by(*ties).limit(limit)
        total = None
    else:
        column = {"wiki": wikis.c.domain, "username": users.c.username}.get(paging.sort, None)
        column = rows.c[paging.sort] if column is None else column
        first = column.desc() if paging.direction == "desc" else column.asc()
        listed = (listed.order_by(first, *ties)
                  .limit(paging.per_page).offset((paging.page - 1) * paging.per_page))
        total = conn.scalar(select(func.count()).select_from(rows))
    found = [
        {
            "rev_id": r.rev_id,
            "timestamp": iso(r.timestamp),
            "wiki": r.domain,
            "article_id": r.article_id,
            "title": r.title,
            "namespace": r.namespace,
            "username": r.username,
            "characters": r.characters,
            "references": r.references,
            "new": bool(r.new),
            "diff_url": (f"{base}?diff={r.rev_id}" if (base := diff_base(r.api_url)) else None),
        }
        for r in conn.execute(listed)
    ]
    if total is None:
        total = len(found)
    return found, total


def _pages(paging: Paging, total: int) -> dict:
    pages = max(1, -(-total // paging.per_page))
    if paging.page > pages:
        raise InvalidInput(f"page {paging.page} is past the last page ({pages})")
    return {"sort": paging.sort, "dir": paging.direction, "page": paging.page, "pages": pages,
            "per_page": paging.per_page, "total": total}


def _course(conn: Connection, cid: int) -> dict:
    c = conn.execute(select(courses.c.slug, courses.c.title, courses.c.last_update).where(courses.c.id == cid)).one()
    domains = list(conn.scalars(select(wikis.c.domain).join(course_wikis, course_wikis.c.wiki_id == wikis.c.id)
                                .where(course_wikis.c.course_id == cid).order_by(wikis.c.domain)))
    return {"slug": c.slug, "title": c.title, "wikis": domains, "last_update": iso(c.last_update)}


# ---- a student ----------------------------------------------------------------------------------

def student_drilldown(engine: Engine, slug: str, username: str, paging: Paging = Paging()) -> dict:
    """A student's counted revisions (a page of them, sorted), their pages, and their figures
    per wiki and in all. Anyone enrolled has one (an instructor's lists are empty: their
    edits never count); someone not enrolled is an UnknownStudent."""
    paging = paging.checked({k: v for k, v in REVISION_SORTS.items() if k != "username"})
    wanted = normalize_username(username)
    with engine.connect() as conn:
        cid = course_id(conn, slug)
        who = conn.execute(
            select(users.c.id, users.c.username, enrollments.c.role)
            .join(enrollments, enrollments.c.user_id == users.c.id)
            .where(enrollments.c.course_id == cid, users.c.username == wanted)
        ).first()
        if who is None:
            raise UnknownStudent(f"{wanted!r} is not enrolled in {slug!r}")
        mine = counted_revisions(cid).where(revisions.c.user_id == who.id).subquery()
        listed, total = _revision_list(conn, mine, paging)
        by_wiki = {
            r.domain: r._asdict()
            for r in conn.execute(
                select(wikis.c.domain, *_figures(mine)).join(wikis, wikis.c.id == mine.c.wiki_id)
                .group_by(wikis.c.domain)
            )
        }
        course = _course(conn, cid)
        pages = conn.execute(
            select(
                mine.c.article_id, wikis.c.domain, mine.c.title, mine.c.namespace,
                func.max(mine.c.article).label("article"), func.count().label("revision_count"), _sum(mine.c.characters).label("character_sum"),
                _sum(mine.c.references).label("references_count"),
                (func.max(case((mine.c.new, 1), else_=0)) > 0).label("new_article"),
                func.max(mine.c.timestamp).label("last_edit"),
            )
            .join(wikis, wikis.c.id == mine.c.wiki_id)
            .group_by(mine.c.article_id, wikis.c.domain, mine.c.title, mine.c.namespace)
        ).all()
    # In the one name order (databases collate titles differently).
    pages.sort(key=lambda p: (p.domain, p.namespace, name_key(p.title)))
    shown = sorted(set(course["wikis"]) | set(by_wiki))
    per_wiki = [{"wiki": w, **{f: by_wiki.get(w, {}).get(f, 0) for f in FIGURES}} for w in shown]
    return {
        "course": course,
        "student": {"username": who.username, "role": who.role,
                    **{f: sum(w[f] for w in per_wiki) for f in FIGURES}},
        "wikis": per_wiki,
        "articles": [
            {"id": p.article_id, "wiki": p.domain, "title": p.title, "namespace": p.namespace,
             "revision_count": p.revision_count, "character_sum": p.character_sum,
             "references_count": p.references_count, "new_article": bool(p.new_article) and p.article == 1,
             "last_edit": iso(p.last_edit)}
            for p in pages
        ],
        "revisions": listed,
        "paging": _pages(paging, total),
    }


# ---- an article ---------------------------------------------------------------------------------

def article_drilldown(engine: Engine, slug: str, article_id: int, paging: Paging = Paging()) -> dict:
    """An article's counted revisions in the course (a page of them), its editors and its
    figures per window, with its current title and state. An article none of the course's
    students edited in its windows is an UnknownArticle; one whose edits stopped counting
    (deleted, or moved out of the tracked namespaces) is shown, with empty lists."""
    paging = paging.checked(REVISION_SORTS)
    with engine.connect() as conn:
        cid = course_id(conn, slug)
        if not 1 <= article_id <= MAX_ID:
            raise UnknownArticle(f"no article {article_id} in {slug!r}")
        page = conn.execute(
            select(articles, wikis.c.domain).join(wikis, wikis.c.id == articles.c.wiki_id)
            .where(articles.c.id == article_id)
        ).first()
        ever = counted_revisions(cid, counted_pages=False).where(revisions.c.article_id == article_id)
        kept = select(course_user_article_timeslices.c.id).where(
            course_user_article_timeslices.c.course_id == cid, course_user_article_timeslices.c.article_id == article_id)
        if page is None or not conn.scalar(select(or_(exists(ever), exists(kept)))):
            raise UnknownArticle(f"no article {article_id} in {slug!r}")
        rows = counted_revisions(cid).where(revisions.c.article_id == article_id).subquery()
        listed, total = _revision_list(conn, rows, paging)
        totals = conn.execute(select(*_figures(rows))).one()._asdict()
        editors = conn.execute(
            select(users.c.username, func.count().label("revision_count"),
                   _sum(rows.c.characters).label("character_sum"), _sum(rows.c.references).label("references_count"),
                   (func.max(case((rows.c.new, 1), else_=0)) > 0).label("created"))
            .join(users, users.c.id == rows.c.user_id)
            .group_by(users.c.username)
        ).all()
        editors.sort(key=lambda e: name_key(e.username))
        windows = conn.execute(
            select(rows.c.window_start, rows.c.window_end, func.count().label("revision_count"),
                   _sum(rows.c.characters).label("character_sum"), _sum(rows.c.references).label("references_count"))
            .group_by(rows.c.window_start, rows.c.window_end).order_by(rows.c.window_start)
        ).all()
        moves = conn.execute(
            select(wiki_changes.c.at, wiki_changes.c.old_title, wiki_changes.c.old_namespace, wiki_changes.c.title,
                   wiki_changes.c.namespace)
            .where(wiki_changes.c.article_id == article_id, wiki_changes.c.kind == "moved")
            .order_by(wiki_changes.c.at, wiki_changes.c.id)
        ).all()
        course = _course(conn, cid)
        spaces = applied(conn, cid).get(page.wiki_id, DEFAULT)
    counted = not page.deleted and page.namespace in tracked(spaces)
    return {
        "course": course,
        "article": {
            "id": page.id, "wiki": page.domain, "page_id": page.page_id, "title": page.title,
            "namespace": page.namespace, "deleted": bool(page.deleted), "moved": bool(moves), "counted": counted,
            "moves": [{"at": iso(m.at), "from": m.old_title, "from_namespace": m.old_namespace, "to": m.title,
                       "to_namespace": m.namespace} for m in moves],
            "revision_count": totals["revision_count"],
            "character_sum": totals["character_sum_ms"] + totals["character_sum_us"] + totals["character_sum_draft"],
            "references_count": totals["references_count"],
            "new_article": bool(totals["new_article_count"]),
        },
        "editors": [{"username": e.username, "revision_count": e.revision_count, "character_sum": e.character_sum,
                     "references_count": e.references_count, "created": bool(e.created)} for e in editors],
        "windows": [{"wiki": page.domain, "start": iso(w.window_start), "end": iso(w.window_end),
                     "revision_count": w.revision_count, "character_sum": w.character_sum,
                     "references_count": w.references_count} for w in windows],
        "revisions": listed,
        "paging": _pages(paging, total),
    }


# ---- the course's latest edits ------------------------------------------------------------------

def recent_activity(engine: Engine, slug: str, limit: int = RECENT) -> dict:
    """The course's latest counted revisions, newest first."""
    if not 1 <= limit <= MAX_RECENT:
        raise InvalidInput(f"limit must be 1 to {MAX_RECENT}, not {limit}")
    with engine.connect() as conn:
        cid = course_id(conn, slug)
        listed, _ = _revision_list(conn, counted_revisions(cid).subquery(), None, limit)
        course = _course(conn, cid)
    return {"course": course, "revisions": listed}


# ---- the articles list, filtered ----------------------------------------------------------------

ARTICLE_KINDS = ("new", "edited")


def course_articles(engine: Engine, slug: str, *, kind: str | None = None, wiki: str | None = None,
                    editor: str | None = None, until=None) -> list[dict]:
    """The course's articles (the stats document's, with their ids), only the `kind` ("new":
    created during the course, "edited": not created), on `wiki`, edited by `editor`."""
    from .stats import Until, _articles

    if kind not in (None, *ARTICLE_KINDS):
        raise InvalidInput(f"kind must be new or edited, not {kind!r}")
    with engine.connect() as conn:
        cid = course_id(conn, slug)
        if wiki is not None:
            wiki = wiki.strip().lower()
            tracked = set(conn.scalars(select(wikis.c.domain).join(course_wikis, course_wikis.c.wiki_id == wikis.c.id)
                                       .where(course_wikis.c.course_id == cid)))
            if wiki not in tracked:
                raise InvalidInput(f"{slug!r} does not track {wiki!r}")
        name = None
        if editor is not None:
            name = normalize_username(editor)
            if conn.scalar(select(literal(1)).select_from(enrollments).join(users, users.c.id == enrollments.c.user_id)
                           .where(enrollments.c.course_id == cid, users.c.username == name)) is None:
                raise InvalidInput(f"{name!r} is not enrolled in {slug!r}")
        rows = _articles(conn, cid, None if until is None else Until(until), with_ids=True,
                         new=None if kind is None else kind == "new", wiki=wiki)
    # The editors are those the list shows, so the filter and the column agree.
    return rows if name is None else [a for a in rows if name in a["editors"]]

