"""Courses and their rosters: create, edit, enroll, dis-enroll. Changes take effect at the next update."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable, Iterable, Mapping, Sequence

from sqlalchemy import Connection, Engine, delete, insert, select, update

from .errors import InvalidInput, UnknownCourse, WikiError
from .namespaces import check, render
from .models import ROLES
from .sources import RevisionSource
from .wikis import open_source
from .sources.base import normalize_username
from .sql import upsert
from .models.tables import course_wikis, courses, enrollments, users
from .wikis import wiki_ids, wiki_urls

# Characters no MediaWiki title, and so no username, can hold; and C1 controls (U+0080-U+009F),
# which MediaWiki lets through but would drive the terminal of whoever lists the course.
_NOT_IN_USERNAMES = re.compile(r"[#<>\[\]|{}\x00-\x1f\x7f-\x9f]")
SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._()/-]{0,254}$")
# A slug's last part may not be the name of a course's own page or resource on the web
# (slugs hold "/"): /courses/x/students must be x's students, not course "x/students".
RESERVED_ENDINGS = ("activity", "students", "articles", "manage", "enroll", "disenroll", "edit", "update",
                    "users", "timeslices", "updates", "changes", "wikis", "removal", "recent", "uploads")
# Nor may a later part be a page holding a course's drill-downs: /courses/x/students/Ann is
# x's student Ann, so no course may be "x/students/Ann".
DRILLDOWN_PARTS = ("students", "articles")


def parse_date(value: str, what: str = "date") -> date:
    try:
        return date.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        raise InvalidInput(f"malformed {what} {value!r}: use YYYY-MM-DD") from None


def parse_days(value: str) -> int:
    """A timeslice length typed in a form: a whole number of days (checked by edit_course)."""
    try:
        return int(value.strip())
    except ValueError:
        raise InvalidInput(f"malformed timeslice length {value!r}: a whole number of days") from None


EARLIEST = date(2001, 1, 1)  # no wiki has an edit before Wikipedia's first year
LONGEST = timedelta(days=3660)  # ten years: a window table for longer is surely a typo


def _check_period(start: date, end: date) -> None:
    if end < start:
        raise InvalidInput(f"the end {end} is before the start {start}")
    if start < EARLIEST:
        raise InvalidInput(f"the start {start} is before {EARLIEST}, when no wiki had edits")
    if end - start > LONGEST:
        raise InvalidInput(f"{start} to {end} is longer than a course can run (ten years)")


def _check_days(days: int) -> None:
    if days < 1:
        raise InvalidInput("--timeslice-days must be at least 1")
    if days > LONGEST.days:  # longer than any course: surely a typo (and past what dates can add)
        raise InvalidInput(f"--timeslice-days must be at most {LONGEST.days}")


def course_id(conn: Connection, slug: str) -> int:
    cid = conn.scalar(select(courses.c.id).where(courses.c.slug == slug))
    if cid is None:
        raise UnknownCourse(f"no course {slug!r}")
    return cid


def check_slug(slug: str, kind: str) -> None:
    """Refuse a `kind` ("course", "campaign") slug that is malformed, or that a link cannot carry
    as it is: a browser resolves "." and ".." parts (a form of "x/../demo" posts to "demo"),
    and an empty part ("x//y", "x/") names no page of its own."""
    if not SLUG.match(slug):
        raise InvalidInput(f"not a {kind} slug: {slug!r} (letters, digits, . _ - / ( ))")
    if any(part in ("", ".", "..") for part in slug.split("/")):
        raise InvalidInput(f"not a {kind} slug: {slug!r} (no part between slashes may be empty, . or ..)")


def create_course(engine: Engine, slug: str, *, title: str, start: date, end: date,
                  wikis: Sequence[str], timeslice_days: int = 1,
                  namespaces: Mapping[str, Sequence[int]] | None = None) -> int:
    """`namespaces`: domain -> its article namespaces (main space for a wiki not named;
    wikicourse.namespaces.resolve_option reads them from `--namespaces`)."""
    check_slug(slug, "course")
    last = slug.rsplit("/", 1)[-1]
    if "/" in slug and (last in RESERVED_ENDINGS or last.endswith(".csv")):
        raise InvalidInput(f"a course slug may not end in /{last}: the dashboard's pages use that name")
    inner = next((p for p in slug.split("/")[1:-1] if p in DRILLDOWN_PARTS), None)
    if inner:
        raise InvalidInput(f"a course slug may not hold /{inner}/: the dashboard's pages use that name")
    if not title.strip():
        raise InvalidInput("the title is empty")
    _check_period(start, end)
    if not wikis:
        raise InvalidInput("a course tracks at least one wiki (--wiki DOMAIN)")
    _check_days(timeslice_days)
    article = _article_namespaces(namespaces, wikis)
    with engine.begin() as conn:
        ids = wiki_ids(conn, list(wikis))
        if conn.scalar(select(courses.c.id).where(courses.c.slug == slug)) is not None:
            raise InvalidInput(f"course {slug!r} already exists")
        cid = conn.execute(insert(courses).values(slug=slug, title=title.strip(),
                                                  start=start, end=end, timeslice_days=timeslice_days)
                           ).inserted_primary_key[0]
        by_id = {ids[d]: ns for d, ns in article.items()}
        conn.execute(insert(course_wikis), [dict(course_id=cid, wiki_id=w, timeslice_days=timeslice_days,
                                                 article_namespaces=by_id.get(w, "0"),
                                                 namespaces_applied=by_id.get(w, "0"))
                                            for w in dict.fromkeys(ids.values())])
    return cid


def _article_namespaces(namespaces: Mapping[str, Sequence[int]] | None, wikis: Iterable[str]) -> dict[str, str]:
    """domain -> the stored form of its article namespaces, checked; every domain a wiki of `wikis`."""
    out = {}
    for domain, numbers in (namespaces or {}).items():
        if domain not in wikis:
            raise InvalidInput(f"--namespaces {domain}: the course does not track {domain}")
        out[domain] = render(check(numbers))
    return out


@dataclass(frozen=True)
class CourseChanges:
    """What an edit changed: (before, after) of the dates and timeslice length that moved, the wikis added and removed."""

    start: tuple[date, date] | None = None
    end: tuple[date, date] | None = None
    timeslice_days: tuple[int, int] | None = None
    added_wikis: list[str] = field(default_factory=list)
    removed_wikis: list[str] = field(default_factory=list)
    # (domain, article namespaces before, after) of each tracked wiki whose namespaces changed
    namespaces: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def nothing(self) -> bool:
        return not (self.start or self.end or self.timeslice_days or self.added_wikis or self.removed_wikis
                    or self.namespaces)

    def describe(self) -> list[str]:
        """One phrase per change, e.g. "end 2024-01-10 -> 2024-01-20", "wiki added: fr.wikipedia.org"."""
        pairs = (("start", self.start), ("end", self.end), ("timeslice length (days)", self.timeslice_days))
        moved = [f"{name} {pair[0]} -> {pair[1]}" for name, pair in pairs if pair]
        return moved + [f"wiki added: {d}" for d in self.added_wikis] + \
            [f"wiki removed: {d}" for d in self.removed_wikis] + \
            [f"namespaces on {d} {old} -> {new}" for d, old, new in self.namespaces]


def edit_course(engine: Engine, slug: str, *, start: date | None = None, end: date | None = None,
                add_wikis: Sequence[str] = (), remove_wikis: Sequence[str] = (),
                timeslice_days: int | None = None,
                namespaces: Mapping[str, Sequence[int]] | None = None) -> CourseChanges:
    """Change dates, wikis, the timeslice length (of every tracked wiki) or the article namespaces
    of some wikis (`namespaces`: domain -> numbers, as create_course); returns what changed
    (nothing, when every value given is already the course's: then nothing is written)."""
    if timeslice_days is not None:
        _check_days(timeslice_days)
    with engine.begin() as conn:
        cid = course_id(conn, slug)
        row = conn.execute(select(courses.c.start, courses.c.end, courses.c.timeslice_days)
                           .where(courses.c.id == cid)).one()
        _check_period(start or row.start, end or row.end)
        tracked = set(conn.scalars(select(course_wikis.c.wiki_id).where(course_wikis.c.course_id == cid)))
        add = wiki_ids(conn, list(add_wikis))
        remove = wiki_ids(conn, list(remove_wikis))
        for domain, wid in remove.items():
            if wid not in tracked:
                raise InvalidInput(f"course {slug!r} does not track {domain}")
        if not (tracked | set(add.values())) - set(remove.values()):
            raise InvalidInput("a course tracks at least one wiki")
        days = timeslice_days or row.timeslice_days
        new = {d: w for d, w in add.items() if w not in tracked}
        kept = [d for d, w in wiki_ids(conn, list(namespaces or {})).items()
                if w in tracked and w not in remove.values()] + list(new)
        article = _article_namespaces(namespaces, kept)
        ids = wiki_ids(conn, list(article))
        before = dict(conn.execute(select(course_wikis.c.wiki_id, course_wikis.c.article_namespaces)
                                   .where(course_wikis.c.course_id == cid)).all())
        changes = CourseChanges(
            start=(row.start, start) if start and start != row.start else None,
            end=(row.end, end) if end and end != row.end else None,
            timeslice_days=(row.timeslice_days, days) if days != row.timeslice_days else None,
            added_wikis=sorted(new), removed_wikis=sorted(remove),
            namespaces=sorted((d, before[ids[d]], ns) for d, ns in article.items()
                              if ids[d] in before and before[ids[d]] != ns))
        if changes.nothing:
            return changes
        conn.execute(update(courses).where(courses.c.id == cid).values(
            start=start or row.start, end=end or row.end, timeslice_days=days))
        if changes.timeslice_days:  # only a new length re-grids every wiki (their lengths may differ)
            conn.execute(update(course_wikis).where(course_wikis.c.course_id == cid).values(timeslice_days=days))
        if remove:
            conn.execute(delete(course_wikis).where(course_wikis.c.course_id == cid,
                                                    course_wikis.c.wiki_id.in_(remove.values())))
        if new:
            by_id = {ids[d]: ns for d, ns in article.items()}
            conn.execute(insert(course_wikis), [dict(course_id=cid, wiki_id=w, timeslice_days=days,
                                                     article_namespaces=by_id.get(w, "0"),
                                                     namespaces_applied=by_id.get(w, "0"))
                                                for w in sorted(set(new.values()))])
        for domain, _, ns in changes.namespaces:  # applied by the next update (namespaces.apply_namespaces)
            conn.execute(update(course_wikis).where(course_wikis.c.course_id == cid,
                                                    course_wikis.c.wiki_id == ids[domain])
                         .values(article_namespaces=ns))
    return changes


def canonical_usernames(names: Sequence[str], sources: Sequence[RevisionSource]) -> dict[str, str]:
    """Each name's canonical spelling on the first wiki that has the account."""
    pending = {n: normalize_username(n) for n in names}
    found: dict[str, str] = {}
    for source in sources:
        if not pending:
            break
        answer = source.canonical_usernames(sorted(set(pending.values())))
        for raw, norm in list(pending.items()):
            if answer.get(norm):
                found[raw] = answer[norm]
                del pending[raw]
    if pending:
        missing = ", ".join(sorted(pending))
        raise InvalidInput(f"no such user on the course's wikis: {missing}")
    return found


COUNTED_ROLE = "student"  # only students' edits count; instructors and staff are listed


@dataclass(frozen=True)
class RosterChange:
    """One user's role in a course before and after an enroll or a dis-enroll (None: not enrolled)."""

    username: str
    before: str | None
    after: str | None

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def describe(self) -> str:
        """One line fit for a person, e.g. "Alice: student -> instructor; their edits stop counting
        at the next update"."""
        if not self.changed:
            return f"{self.username}: already enrolled as {self.after}"
        if self.after is None:
            what = f"removed (was {self.before})"
        elif self.before is None:
            what = f"enrolled as {self.after}"
        else:
            what = f"{self.before} -> {self.after}"
        counted = (self.before == COUNTED_ROLE, self.after == COUNTED_ROLE)
        effect = {(False, True): "their edits count from the next update",
                  (True, False): "their edits stop counting at the next update"}.get(counted)
        if effect is None and self.after not in (None, COUNTED_ROLE):
            effect = "listed only: their edits do not count"
        return f"{self.username}: {what}; {effect}" if effect else f"{self.username}: {what}"


def enroll(engine: Engine, slug: str, usernames: Sequence[str], role: str = "student",
           source_factory: Callable[[str], RevisionSource] = open_source) -> list[RosterChange]:
    """Enroll users, or give enrolled ones `role`; returns each user's change, by canonical name
    (unchanged for those already enrolled as `role`)."""
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    if not usernames or any(not n.strip() for n in usernames):
        raise InvalidInput("give at least one username, none empty")
    for name in usernames:
        if _NOT_IN_USERNAMES.search(name):
            raise InvalidInput(f"not a username: {name!r} (MediaWiki names hold no # < > [ ] | {{ }} "
                               "nor control characters)")
    with engine.connect() as conn:
        cid = course_id(conn, slug)
        ids = list(conn.scalars(select(course_wikis.c.wiki_id).where(course_wikis.c.course_id == cid)
                                .order_by(course_wikis.c.wiki_id)))
        urls = wiki_urls(conn, ids)
    sources = [source_factory(urls[w]) for w in ids]
    try:
        names = canonical_usernames(usernames, sources)
    except WikiError as exc:
        raise InvalidInput(f"cannot check the usernames: {exc}") from None
    finally:
        for s in sources:
            s.close()
    canonical = sorted(set(names.values()))
    with engine.begin() as conn:
        before = _roles(conn, cid, canonical)
        changes = [RosterChange(n, before.get(n), role) for n in canonical]
        moved = [c.username for c in changes if c.changed]
        if moved:
            upsert(conn, users, [dict(username=n) for n in moved], keys=["username"])
            uids = dict(conn.execute(select(users.c.username, users.c.id).where(users.c.username.in_(moved))).all())
            upsert(conn, enrollments, [dict(course_id=cid, user_id=uids[n], role=role) for n in moved],
                   keys=["course_id", "user_id"], update=["role"])
    return changes


def _roles(conn: Connection, cid: int, usernames: Sequence[str]) -> dict[str, str]:
    """The enrolled among `usernames`, with their role in the course."""
    return dict(conn.execute(
        select(users.c.username, enrollments.c.role).join(enrollments, enrollments.c.user_id == users.c.id)
        .where(enrollments.c.course_id == cid, users.c.username.in_(list(usernames)))).all())


def disenroll(engine: Engine, slug: str, usernames: Sequence[str]) -> list[RosterChange]:
    """Remove users from the course; a student's figures go at the next update, with no wiki
    request. Returns each user's change (the role they had), by canonical name."""
    with engine.begin() as conn:
        return disenroll_in(conn, slug, usernames)


def disenroll_in(conn: Connection, slug: str, usernames: Sequence[str]) -> list[RosterChange]:
    """disenroll() within the caller's transaction (the dis-enrollment preview rolls it back)."""
    wanted = {normalize_username(n) for n in usernames}
    cid = course_id(conn, slug)
    enrolled = {r.username: r for r in conn.execute(
        select(users.c.username, enrollments.c.id, enrollments.c.role)
        .join(enrollments, enrollments.c.user_id == users.c.id)
        .where(enrollments.c.course_id == cid, users.c.username.in_(wanted)))}
    missing = sorted(wanted - enrolled.keys())
    if missing:
        raise InvalidInput(f"not enrolled in {slug!r}: {', '.join(missing)}")
    conn.execute(delete(enrollments).where(enrollments.c.id.in_([r.id for r in enrolled.values()])))
    return [RosterChange(n, enrolled[n].role, None) for n in sorted(enrolled)]
