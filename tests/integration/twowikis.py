"""Helpers of the end-to-end tests over two real MediaWikis (see conftest.py for the wikis).

`Course` drives a course through wikicourse's Python API and keeps, next to it, what the
test believes the course is, so that the oracle (tests/support/oracle.py) can say what its
statistics must be after any update; `rebuild` builds the same course with `--full` in a
fresh database. `calls` reads back what a FaultProxy forwarded.
"""
from __future__ import annotations

import itertools
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import Engine

from support import oracle, ports
from support.course import comparable, setup_course, stats, update, utc
from support.faults import CountingProxy, FaultProxy
from support.mediawiki import TestWiki
from wikicourse import courses
from wikicourse.db import open_db
from wikicourse.demo.generate import RevisionFact
from wikicourse.update.cycle import UpdateReport

UTC = timezone.utc
DOMAINS = ("one.test", "two.test")
START, END = date(2024, 3, 4), date(2024, 3, 23)  # the generated histories' course period
DAYS = (END - START).days + 1
# Accounts on both wikis (usernames are global). Spaces, non-ASCII first letters, digits:
# what real usernames look like. All of them edit; the generator ranks them heavy to light.
USERS = [
    "Some User", "Ana Ó Briain", "Émile Dubois", "Søren Halvorsen", "Zsófia Szabó", "Grzegorz W.417",
    "TerezaNovák42", "Wanjiru Mensah", "Oğuz Kaya", "Lúcia Ferreira", "Rasmus Virtanen", "Hanna Łukasik",
]
# Accounts that never edit: enough of them make a roster of more than one usercontribs batch.
QUIET = [f"Quiet Reader {n:02d}" for n in range(1, 46)]

Facts = Mapping[str, Sequence[RevisionFact]]
PORTS = (8400, 8499)  # the wikis and the proxies of these tests


def free_port(first: int = PORTS[0], last: int = PORTS[1]) -> int:
    return ports.free_port(first, last)


@contextmanager
def live_wiki_with(root: Path, users: Iterable[str], password: str) -> Iterator[TestWiki]:
    """A fresh wiki, no import, with password accounts for `users` to edit through the API; down at the end."""
    wiki = TestWiki(root, free_port())
    try:
        wiki.up()
        wiki.create_users(list(users), password=password)
        yield wiki
    finally:
        wiki.down()


def at(text: str) -> datetime:
    return utc(text)


def iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def day_start(t: datetime) -> datetime:
    return t.replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass
class Course:
    """A course in `engine` and the roster, dates and wikis the test gave it."""

    engine: Engine
    urls: dict[str, str]  # domain -> API URL this database reaches the wiki at
    slug: str = "course"
    start: date = START
    end: date = END
    wikis: list[str] = field(default_factory=lambda: list(DOMAINS))
    students: set[str] = field(default_factory=set)
    instructors: set[str] = field(default_factory=set)
    timeslice_days: int | dict[str, int] = 1  # one length, or one per wiki

    @classmethod
    def create(cls, engine: Engine, urls: Mapping[str, str], *, students: Iterable[str] = (),
               instructors: Iterable[str] = (), start: date = START, end: date = END,
               wikis: Sequence[str] | None = None, slug: str = "course", timeslice_days: int = 1) -> Course:
        course = cls(engine, dict(urls), slug, start, end, list(wikis or urls), set(students), set(instructors),
                     timeslice_days)
        setup_course(engine, course.urls, slug=slug, start=start.isoformat(), end=end.isoformat(),
                     students=sorted(course.students), instructors=sorted(course.instructors),
                     wikis=course.wikis, timeslice_days=timeslice_days)
        return course

    @property
    def title(self) -> str:
        return f"Course {self.slug}"  # what setup_course names it

    def enroll(self, names: Sequence[str], role: str = "student") -> list[str]:
        canonical = [c.username for c in courses.enroll(self.engine, self.slug, list(names), role)]
        for name in canonical:
            self.students.discard(name)
            self.instructors.discard(name)
            (self.students if role == "student" else self.instructors).add(name)
        return canonical

    def disenroll(self, names: Sequence[str]) -> None:
        for change in courses.disenroll(self.engine, self.slug, list(names)):
            self.students.discard(change.username)
            self.instructors.discard(change.username)

    def edit(self, *, start: date | None = None, end: date | None = None, add: Sequence[str] = (),
             remove: Sequence[str] = ()) -> None:
        courses.edit_course(self.engine, self.slug, start=start, end=end, add_wikis=add, remove_wikis=remove)
        self.start, self.end = start or self.start, end or self.end
        self.wikis = [w for w in self.wikis if w not in remove] + [w for w in add if w not in self.wikis]

    def update(self, as_of: str, **kw) -> UpdateReport:
        return update(self.engine, self.slug, as_of, **kw)

    def stats(self) -> dict:
        return stats(self.engine, self.slug)

    def expected(self, facts: Facts, as_of: str) -> dict:
        """What docs/metrics.md says the statistics are, from the revision facts the wikis hold."""
        return oracle.expected_stats(facts, students=self.students, instructors=self.instructors,
                                     start=self.start, end=self.end, wikis=self.wikis, as_of=as_of,
                                     timeslice_days=self.timeslice_days, slug=self.slug, title=self.title)

    def window_starts(self) -> list[datetime]:
        first = datetime.combine(self.start, datetime.min.time(), UTC)
        assert isinstance(self.timeslice_days, int)
        return [first + timedelta(days=n) for n in range(0, (self.end - self.start).days + 1, self.timeslice_days)]


_rebuilds = itertools.count(1)


def rebuild(course: Course, as_of: str, workdir: Path, urls: Mapping[str, str]) -> dict:
    """The course as it is now, built from nothing with --full in a fresh SQLite database."""
    engine = open_db(f"sqlite:///{workdir / f'full-{next(_rebuilds)}.sqlite'}")
    try:
        fresh = Course.create(engine, {d: urls[d] for d in course.wikis}, students=course.students,
                              instructors=course.instructors, start=course.start, end=course.end,
                              wikis=course.wikis, slug=course.slug, timeslice_days=course.timeslice_days)
        report = fresh.update(as_of, full=True)
        assert report.status == "done", report
        return comparable(fresh.stats())
    finally:
        engine.dispose()


_KEYS = {"users": ("username",), "articles": ("wiki", "title"), "timeslices": ("wiki", "start")}


def differences(got: dict, want: dict, limit: int = 15) -> str:
    """The first differences between two stats documents, one line each, for failure messages."""
    lines: list[str] = []
    for section in sorted(got.keys() | want.keys()):
        g, w = got.get(section), want.get(section)
        if g == w:
            continue
        if isinstance(g, dict) and isinstance(w, dict):
            lines += [f"{section}.{k}: got {g.get(k)!r}, want {w.get(k)!r}"
                      for k in sorted(g.keys() | w.keys()) if g.get(k) != w.get(k)]
        elif isinstance(g, list) and isinstance(w, list) and section in _KEYS:
            def key(row):
                return tuple(str(row.get(f)) for f in _KEYS[section])
            gi, wi = {key(r): r for r in g}, {key(r): r for r in w}
            for k in sorted(gi.keys() | wi.keys()):
                if gi.get(k) != wi.get(k):
                    a, b = gi.get(k), wi.get(k)
                    if a is not None and b is not None:
                        a = {f: v for f, v in a.items() if b.get(f) != v}
                        b = {f: b.get(f) for f in a}
                    lines.append(f"{section} {'/'.join(k)}: got {a}, want {b}")
        else:
            lines.append(f"{section}: got {g!r}, want {w!r}")
    more = f"\n... and {len(lines) - limit} more" if len(lines) > limit else ""
    return "\n".join(lines[:limit]) + more


def problems(course: Course, facts: Facts, as_of: str, workdir: Path, urls: Mapping[str, str]) -> list[str]:
    """Everything wrong with the course's statistics after an update at `as_of`:
    they must equal the oracle's, have no pending window, and equal a --full rebuild's."""
    doc = course.stats()
    out = []
    got, want = oracle.comparable(doc), course.expected(facts, as_of)
    if got != want:
        out.append("differs from the oracle:\n" + differences(got, want))
    pending = [f"{t['wiki']} {t['start']}" for t in doc["timeslices"] if t["needs_update"]]
    if pending:
        out.append(f"windows left needs_update: {pending}")
    full = rebuild(course, as_of, workdir, urls)
    if comparable(doc) != full:
        out.append("differs from a --full rebuild in a fresh database:\n" + differences(comparable(doc), full))
    return out


def assert_up_to_date(course: Course, facts: Facts, as_of: str, workdir: Path, urls: Mapping[str, str]) -> None:
    found = problems(course, facts, as_of, workdir, urls)
    assert not found, "\n".join(found)


# -- what the wikis were asked --------------------------------------------------------


def calls(proxy: FaultProxy) -> list[dict[str, str]]:
    """The parameters of every request the proxy received (GET: the client posts only very long ones)."""
    out = []
    for path in proxy.requests:
        query = {k: v[0] for k, v in parse_qs(urlsplit(path).query, keep_blank_values=True).items()}
        assert "action" in query, f"a request without parameters in its URL (a POST?): {path}"
        out.append(query)
    return out


def usercontribs(proxy: FaultProxy) -> list[dict[str, str]]:
    # The accounts known to exist ride along in the same request: list=usercontribs|users.
    return [c for c in calls(proxy) if "usercontribs" in c.get("list", "").split("|")]


def revision_contents(proxy: FaultProxy) -> list[dict[str, str]]:
    return [c for c in calls(proxy) if c.get("prop") == "revisions"]


def _multi(value: str) -> list[str]:
    """The values of a multi-value parameter ("a|b", or "\x1fa\x1fb" when a value holds "|")."""
    return value[1:].split("\x1f") if value.startswith("\x1f") else value.split("|")


def users_of(call: Mapping[str, str], proxy: FaultProxy | None = None) -> set[str]:
    """The users a usercontribs request asked about, by name; a request by user id
    (ucuserids) needs the `proxy` it went through, whose wiki then names the ids."""
    if "ucuser" in call:
        return set(_multi(call["ucuser"]))
    if proxy is None:
        raise ValueError(f"a request by user id; give users_of the proxy it went through: {call}")
    ids = _multi(call["ucuserids"])
    params = {"action": "query", "list": "users", "ususerids": "|".join(ids), "format": "json", "formatversion": "2"}
    found = httpx.get(f"{proxy.upstream}/api.php", params=params).json()["query"]["users"]
    assert not [u for u in found if u.get("missing")], found
    return {u["name"] for u in found}


def quiet_hour(facts: Facts, after: datetime) -> datetime:
    """The first whole minute from `after` with no revision on any wiki in the hour that follows."""
    times = sorted(f.timestamp for fs in facts.values() for f in fs)
    t = after.replace(second=0, microsecond=0)
    while any(t <= x < t + timedelta(hours=1) for x in times):
        t += timedelta(minutes=1)
    return t


class Proxy(CountingProxy):
    """A CountingProxy that, given `uclimit`, caps usercontribs' page size, as a wiki with a
    small result size limit (or a client without apihighlimits facing a heavy editor) does:
    the update then checkpoints page by page."""

    def __init__(self, upstream: str, port: int, uclimit: int | None = None) -> None:
        self.uclimit = uclimit
        super().__init__(upstream, port)

    def settle(self, timeout: float = 10.0) -> None:
        """Wait for the requests still held (a killed client's, say) to end; start counting afresh."""
        deadline = time.monotonic() + timeout
        while self.in_flight and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not self.in_flight, "requests still held"
        self.max_in_flight = 0

    def _handler(self):
        base = super()._handler()
        proxy = self

        class Handler(base):
            def _serve(self, body):
                if proxy.uclimit is not None:
                    self.path = self.path.replace("uclimit=max", f"uclimit={proxy.uclimit}")
                super()._serve(body)

        return Handler


def move_page(wiki: TestWiki, old: str, new: str) -> None:
    """Move (rename) a page as an admin would, without leaving a redirect."""
    wiki.move_page(old, new)
