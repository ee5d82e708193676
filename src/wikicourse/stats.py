"""Reading statistics out: the document `wikicourse stats --json` prints (docs/json.md)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Engine, case, func, select

from .collation import name_key
from .courses import course_id
from .models.course import HEADLINE
from .models.uploads import UPLOAD_FIGURES
from .namespaces import applied, in_article_space, named
from .models.tables import (
    article_course_timeslices,
    articles,
    articles_courses,
    course_wikis,
    courses,
    course_user_wiki_timeslices,
    course_wiki_timeslices,
    enrollments,
    users,
)
from .timeslices.uploads import global_usage_by_wiki
from .timeslices.windows import Grid, day_start
from .wikis import wikis
from .wikidata.figures import wikidata_part

COURSE_FIELDS = HEADLINE
USER_FIELDS = ("revision_count", "character_sum_ms", "character_sum_us", "character_sum_draft", "references_count")
ARTICLE_FIELDS = ("character_sum", "references_count", "revision_count")
WINDOW_FIELDS = ("character_sum", "references_count", "revision_count")


def iso(t: datetime | None) -> str | None:
    return None if t is None else t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


PARTS = ("course", "users", "articles", "timeslices", "wikidata")  # wikidata: only a Wikibase wiki's course


@dataclass(frozen=True)
class Until:
    """Figures as of the end of `day` (23:59:59 UTC): the stored windows [start, end) that
    end by the next day's 00:00 UTC count, whole; a window reaching past it does not."""

    day: date

    @property
    def limit(self) -> datetime:
        """The exclusive end of what may count: the next day's 00:00 UTC."""
        if self.day == date.max:  # no next day: the last second of the calendar stands in
            return day_start(self.day) + timedelta(days=1, seconds=-1)
        return day_start(self.day) + timedelta(days=1)

    def counts(self, table):
        return table.c.end <= self.limit


def _within(table, until: Until | None) -> list:
    """The condition that keeps a timeslice table's counted windows (none without `until`)."""
    return [] if until is None else [until.counts(table)]


def course_stats(engine: Engine, slug: str, parts: tuple[str, ...] = PARTS, until: date | None = None) -> dict:
    """The course document (docs/json.md), or only the `parts` of it a caller shows (each is its own query).

    With `until`, the figures as of the end of that day, from the stored timeslices: only the
    windows ending by then count (exact with daily windows; see `Until`), and the course part
    says what was counted (`until`, `counted_through`, `exact`). Nothing is asked of any wiki."""
    if isinstance(until, datetime):
        raise TypeError("until is a date: figures are counted to the end of a day")
    cut = None if until is None else Until(until)
    with engine.connect() as conn:
        cid = course_id(conn, slug)
        doc = {part: _PARTS[part](conn, cid, cut) for part in parts}
    if doc.get("wikidata", True) is None:  # the course tracks no Wikibase wiki (docs/wikidata.md)
        del doc["wikidata"]
    return doc


def _course(conn, cid: int, until: Until | None = None) -> dict:
    c = conn.execute(select(courses).where(courses.c.id == cid)).one()._mapping
    period = Grid.of(c["start"], c["end"], c["timeslice_days"])
    domains = list(
        conn.scalars(
            select(wikis.c.domain)
            .join(course_wikis, course_wikis.c.wiki_id == wikis.c.id)
            .where(course_wikis.c.course_id == cid)
            .order_by(wikis.c.domain)
        )
    )
    spaces = named(conn, cid)
    pending = conn.scalar(
        select(func.count())
        .select_from(course_wiki_timeslices)
        .where(course_wiki_timeslices.c.course_id == cid, course_wiki_timeslices.c.needs_update)
    )
    return {
        "slug": c["slug"],
        "title": c["title"],
        "start": iso(period.period_start),
        "end": iso(period.period_end - timedelta(seconds=1)),  # the end date's 23:59:59
        "wikis": domains,
        # Per wiki, the namespaces counted as articles (docs/metrics.md#namespaces).
        "article_namespaces": {n["wiki"]: n["article_namespaces"] for n in spaces},
        "article_namespace_names": {n["wiki"]: n["names"] for n in spaces},
        **{f: c[f] for f in COURSE_FIELDS},
        "count_uploads": c["count_uploads"],  # does the course count uploads (docs/uploads.md)
        **{f: c[f] for f in UPLOAD_FIGURES},
        # Per wiki, whether its files' use on other wikis counts (GlobalUsage; null: not asked yet).
        "global_usage": global_usage_by_wiki(conn, cid),
        "last_update": iso(c["last_update"]),
        "updated_at": iso(c["updated_at"]),
        "timeslice_days": c["timeslice_days"],
        "pending_timeslices": pending,
    } | ({} if until is None else _as_of(conn, cid, period, until))


def _total(table, column, cid: int, until: Until):
    return (
        select(func.coalesce(func.sum(column), 0))
        .select_from(table)
        .where(table.c.course_id == cid, until.counts(table))
        .scalar_subquery()
    )


def _as_of(conn, cid: int, period: Grid, until: Until) -> dict:
    """The headline figures of the windows counted `until` (the student count is today's), and
    what was counted, as refresh.py computes the cached ones from all the windows."""
    pages = _course_articles(conn, cid, until)
    figures = (
        conn.execute(
            select(
                *[
                    _total(course_wiki_timeslices, course_wiki_timeslices.c[f], cid, until).label(f)
                    for f in ("revision_count", "character_sum", "references_count", *UPLOAD_FIGURES)
                ],
                _total(course_user_wiki_timeslices, course_user_wiki_timeslices.c.character_sum_us, cid, until).label(
                    "character_sum_user"
                ),
                _total(
                    course_user_wiki_timeslices, course_user_wiki_timeslices.c.character_sum_draft, cid, until
                ).label("character_sum_draft"),
                select(func.count()).select_from(pages).scalar_subquery().label("article_count"),
                select(func.count())
                .select_from(pages)
                .where(pages.c.new_article)
                .scalar_subquery()
                .label("new_article_count"),
            )
        )
        .one()
        ._asdict()
    )
    return figures | _counted(conn, cid, period, until)


def _counted(conn, cid: int, period: Grid, until: Until) -> dict:
    """`counted_through`: the last second of the last window counted on every wiki (the period's
    start if none); `exact`: the figures are those of every edit to the end of the day."""
    last = (
        conn.execute(
            select(func.max(case((until.counts(course_wiki_timeslices), course_wiki_timeslices.c.end))))
            .where(course_wiki_timeslices.c.course_id == cid)
            .group_by(course_wiki_timeslices.c.wiki_id)
        )
        .scalars()
        .all()
    )
    reached = min((end or period.period_start for end in last), default=period.period_start)
    through = reached - timedelta(seconds=1) if reached > period.period_start else reached
    exact = reached == until.limit or until.limit >= period.period_end or until.limit <= period.period_start
    return {"until": f"{until.day.isoformat()}T23:59:59Z", "counted_through": iso(through), "exact": exact}


def _users(conn, cid: int, until: Until | None = None) -> list[dict]:
    roster = (
        select(users.c.username, enrollments.c.role)
        .join(users, users.c.id == enrollments.c.user_id)
        .where(enrollments.c.course_id == cid)
        .add_columns(*[enrollments.c[f] for f in UPLOAD_FIGURES])  # (today's, also with `until`)
    )
    if until is None:
        roster = roster.add_columns(*[enrollments.c[f] for f in USER_FIELDS])
    else:  # every enrolled user still listed, with zeros where no counted window holds their edits
        mine = (
            select(
                course_user_wiki_timeslices.c.user_id,
                *[func.sum(course_user_wiki_timeslices.c[f]).label(f) for f in USER_FIELDS],
            )
            .where(course_user_wiki_timeslices.c.course_id == cid, until.counts(course_user_wiki_timeslices))
            .group_by(course_user_wiki_timeslices.c.user_id)
            .subquery()
        )
        roster = roster.outerjoin(mine, mine.c.user_id == enrollments.c.user_id).add_columns(
            *[func.coalesce(mine.c[f], 0).label(f) for f in USER_FIELDS]
        )
    listed = [
        {"username": r.username, "role": r.role, **{f: getattr(r, f) for f in USER_FIELDS + UPLOAD_FIGURES}}
        for r in conn.execute(roster)
    ]
    return sorted(listed, key=lambda u: name_key(u["username"]))


def _course_articles(conn, cid: int, until: Until | None):
    """The course's articles with their figures: articles_courses, or, `until` a day, its
    counterpart over the counted windows (the article namespaces, as refresh.py derives it
    from them all)."""
    if until is None:
        return (
            select(
                articles_courses.c.article_id,
                *[articles_courses.c[f] for f in ARTICLE_FIELDS],
                articles_courses.c.new_article,
            )
            .where(articles_courses.c.course_id == cid)
            .subquery()
        )
    return (
        select(
            article_course_timeslices.c.article_id,
            *[func.sum(article_course_timeslices.c[f]).label(f) for f in ARTICLE_FIELDS],
            (func.max(case((article_course_timeslices.c.new_article, 1), else_=0)) > 0).label("new_article"),
        )
        .join(articles, articles.c.id == article_course_timeslices.c.article_id)
        .where(
            article_course_timeslices.c.course_id == cid,
            in_article_space(applied(conn, cid), articles.c.wiki_id, articles.c.namespace),
            until.counts(article_course_timeslices),
        )
        .group_by(article_course_timeslices.c.article_id)
        .subquery()
    )


def _articles(conn, cid: int, until: Until | None = None, *, with_ids: bool = False, new: bool | None = None,
              wiki: str | None = None) -> list[dict]:
    """The course's articles; with `with_ids` their article ids too, only the `new` (or not new) ones,
    only those on `wiki` (drilldowns.course_articles filters the lists this way)."""
    # Editors: the student ids each article course timeslice holds, across its (counted) windows.
    editor_ids: dict[int, set[int]] = defaultdict(set)
    for article_id, ids in conn.execute(
        select(article_course_timeslices.c.article_id, article_course_timeslices.c.user_ids).where(
            article_course_timeslices.c.course_id == cid, *_within(article_course_timeslices, until)
        )
    ):
        editor_ids[article_id].update(int(i) for i in ids.split(",") if i)
    names = dict(
        conn.execute(
            select(users.c.id, users.c.username)
            .join(enrollments, enrollments.c.user_id == users.c.id)
            .where(enrollments.c.course_id == cid)
        ).all()
    )
    counted = _course_articles(conn, cid, until)
    rows = conn.execute(
        select(
            counted.c.article_id,
            wikis.c.domain,
            articles.c.title,
            articles.c.namespace,
            *[counted.c[f] for f in ARTICLE_FIELDS],
            counted.c.new_article,
        )
        .join(articles, articles.c.id == counted.c.article_id)
        .join(wikis, wikis.c.id == articles.c.wiki_id)
        .where(*([] if new is None else [counted.c.new_article if new else ~counted.c.new_article]),
               *([] if wiki is None else [wikis.c.domain == wiki]))
    )
    listed = [
        {
            **({"id": r.article_id} if with_ids else {}),
            "wiki": r.domain,
            "title": r.title,
            "namespace": r.namespace,
            **{f: getattr(r, f) for f in ARTICLE_FIELDS},
            "new_article": bool(r.new_article),
            "editors": sorted((names.get(i, f"user #{i}") for i in editor_ids.get(r.article_id, ())), key=name_key),
        }
        for r in rows
    ]
    return sorted(listed, key=lambda a: (a["wiki"], name_key(a["title"])))


def _timeslices(conn, cid: int, until: Until | None = None) -> list[dict]:
    windows = conn.execute(
        select(
            wikis.c.domain,
            course_wiki_timeslices.c.start,
            course_wiki_timeslices.c.end,
            *[course_wiki_timeslices.c[f] for f in WINDOW_FIELDS + UPLOAD_FIGURES],
            course_wiki_timeslices.c.needs_update,
            course_wiki_timeslices.c.last_mw_rev_datetime,
        )
        .join(wikis, wikis.c.id == course_wiki_timeslices.c.wiki_id)
        .where(course_wiki_timeslices.c.course_id == cid, *_within(course_wiki_timeslices, until))
        .order_by(wikis.c.domain, course_wiki_timeslices.c.start)
    )
    return [
        {
            "wiki": w.domain,
            "start": iso(w.start),
            "end": iso(w.end),
            **{f: getattr(w, f) for f in WINDOW_FIELDS + UPLOAD_FIGURES},
            "needs_update": bool(w.needs_update),
            "last_mw_rev_datetime": iso(w.last_mw_rev_datetime),
        }
        for w in windows
    ]


_PARTS = {"course": _course, "users": _users, "articles": _articles, "timeslices": _timeslices,
          "wikidata": wikidata_part}


def course_list(engine: Engine) -> list[dict]:
    """Every course with its dates, wikis and headline figures, newest start first
    (listing.list_courses searches, filters and pages them)."""
    from .listing import list_courses

    return list_courses(engine, limit=None)["courses"]


def per_wiki(engine: Engine, slug: str) -> list[dict]:
    """The course figures split by wiki, from the same tables as the course totals
    (so the wikis add up to the totals); `editors` counts students with in-scope edits there.
    A wiki no longer tracked is listed (tracked: False) while its figures still count, until
    the next update takes them out."""
    with engine.connect() as conn:
        cid = course_id(conn, slug)
        windows = dict(
            (r.wiki_id, r)
            for r in conn.execute(
                select(
                    course_wiki_timeslices.c.wiki_id,
                    *[func.coalesce(func.sum(course_wiki_timeslices.c[f]), 0).label(f)
                      for f in WINDOW_FIELDS + UPLOAD_FIGURES],
                )
                .where(course_wiki_timeslices.c.course_id == cid)
                .group_by(course_wiki_timeslices.c.wiki_id)
            )
        )
        people = dict(
            (r.wiki_id, r)
            for r in conn.execute(
                select(
                    course_user_wiki_timeslices.c.wiki_id,
                    func.count(func.distinct(course_user_wiki_timeslices.c.user_id)).label("editors"),
                    func.coalesce(func.sum(course_user_wiki_timeslices.c.character_sum_us), 0).label(
                        "character_sum_user"
                    ),
                    func.coalesce(func.sum(course_user_wiki_timeslices.c.character_sum_draft), 0).label(
                        "character_sum_draft"
                    ),
                )
                .where(course_user_wiki_timeslices.c.course_id == cid, course_user_wiki_timeslices.c.revision_count > 0)
                .group_by(course_user_wiki_timeslices.c.wiki_id)
            )
        )
        pages = dict(
            (r.wiki_id, r)
            for r in conn.execute(
                select(
                    articles.c.wiki_id,
                    func.count().label("article_count"),
                    func.coalesce(func.sum(case((articles_courses.c.new_article, 1), else_=0)), 0).label(
                        "new_article_count"
                    ),
                )
                .join(articles, articles.c.id == articles_courses.c.article_id)
                .where(articles_courses.c.course_id == cid)
                .group_by(articles.c.wiki_id)
            )
        )
        tracked = set(conn.scalars(select(course_wikis.c.wiki_id).where(course_wikis.c.course_id == cid)))
        shown = conn.execute(
            select(wikis.c.id, wikis.c.domain)
            .where(wikis.c.id.in_(tracked | windows.keys() | people.keys() | pages.keys()))
            .order_by(wikis.c.domain)
        ).all()
    out = []
    for wid, domain in shown:
        w, p, a = windows.get(wid), people.get(wid), pages.get(wid)
        out.append(
            {
                "wiki": domain,
                "tracked": wid in tracked,
                "editors": p.editors if p else 0,
                **{f: getattr(w, f) if w else 0 for f in WINDOW_FIELDS},
                "character_sum_user": p.character_sum_user if p else 0,
                "character_sum_draft": p.character_sum_draft if p else 0,
                "article_count": a.article_count if a else 0,
                "new_article_count": a.new_article_count if a else 0,
                **{f: getattr(w, f) if w else 0 for f in UPLOAD_FIGURES},  # the uploads of its windows
            }
        )
    return out
