"""A deliberately simple reference implementation of docs/metrics.md: the `stats --json` a course should show."""
from __future__ import annotations

import unicodedata
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterable, Mapping, Sequence

# Namespaces whose edits count: main, User, Draft. Written out again here on purpose:
# the oracle must not share code with the implementation it checks.
MAIN, USER, DRAFT = 0, 2, 118
TRACKED = (MAIN, USER, DRAFT)
UTC = timezone.utc


def iso(t: datetime) -> str:
    """2024-01-01T00:00:00Z, the way the stats document writes times."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def canonical(name: str) -> str:
    name = name.replace("_", " ").strip()
    return name[:1].upper() + name[1:]


def reading_key(name: str) -> tuple[str, str]:
    """How a reader alphabetises names and titles: case and accents set aside ("Émile" by
    "Emile", before "Fatima"), the name itself breaking ties."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", name.casefold()) if unicodedata.category(c) != "Mn")
    return bare, name


def _date(d: date | str) -> date:
    if isinstance(d, datetime):
        return d.date()
    return d if isinstance(d, date) else date.fromisoformat(d)


def _utc(t: datetime | str) -> datetime:
    if isinstance(t, str):
        t = datetime.fromisoformat(t.replace("Z", "+00:00"))
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _count_refs(text: str) -> int:
    """refs(text) of docs/metrics.md, counted by hand rather than with a regular expression, so that a
    mistake in wikicourse.refs cannot hide in both: an opening `<ref` (any case) followed by
    `>`, by `/>`, or by whitespace and anything up to the next `>`."""
    count, i = 0, 0
    while True:
        i = text.find("<", i)
        if i < 0:
            return count
        j = i + 4
        if text[i + 1:j].lower() != "ref":
            i += 1
        elif text[j:j + 1] == ">":
            count, i = count + 1, j + 1
        elif text[j:j + 2] == "/>":
            count, i = count + 1, j + 2
        elif text[j:j + 1].isspace() and text.find(">", j) >= 0:
            count, i = count + 1, text.find(">", j) + 1
        else:
            i += 1


def _refs_of(f: Any) -> tuple[int, int]:
    """(refs(text), refs(parent text)) of a fact: counted here from its texts when it carries
    them (generated facts), else the numbers a hand-made fact states."""
    if getattr(f, "text", None) is not None:
        return _count_refs(f.text), _count_refs(f.parent_text or "")
    return f.refs, f.parent_refs


def _pairs(facts: Mapping[str, Iterable[Any]] | Iterable[Any]) -> list[tuple[str, Any]]:
    """(wiki, fact) pairs of {wiki: facts} or of facts that carry a `wiki` attribute."""
    if isinstance(facts, Mapping):
        return [(wiki, f) for wiki, fs in facts.items() for f in fs]
    return [(f.wiki, f) for f in facts]


def _in_scope(pairs, students: set[str], period_start: datetime, period_end: datetime, wikis: Sequence[str],
              as_of: datetime, article: Mapping[str, Sequence[int]] | None = None) -> list[tuple[str, Any]]:
    """The in-scope revisions of docs/metrics.md, one test per condition. `article`: each wiki's
    article namespaces, (MAIN,) where not given; User and Draft are tracked besides."""
    in_scope = []
    for wiki, f in pairs:
        t = _utc(f.timestamp)
        if wiki not in wikis:
            continue
        if canonical(f.user) not in students:
            continue
        if not (period_start <= t <= period_end):
            continue
        if t > as_of:
            continue
        if f.namespace not in (USER, DRAFT) and f.namespace not in (article or {}).get(wiki, (MAIN,)):
            continue
        if f.deleted:
            continue
        in_scope.append((wiki, f))
    return in_scope


def expected_stats(
    facts: Mapping[str, Iterable[Any]] | Iterable[Any],
    *,
    students: Iterable[str],
    instructors: Iterable[str] = (),
    start: date | str,
    end: date | str,
    wikis: Sequence[str],
    timeslice_days: int | Mapping[str, int] = 1,
    as_of: datetime | str,
    slug: str = "course",
    title: str = "Course",
    article_namespaces: Mapping[str, Sequence[int]] | None = None,
) -> dict:
    """The course document of docs/json.md, less `last_update` and `needs_update`.

    `facts` are revision facts (user, title, namespace, timestamp, sizediff, new, refs,
    parent_refs, deleted), either as {wiki: facts} or as one iterable of facts that carry
    a `wiki` attribute. `start` and `end` are the course's dates, both inclusive.
    `timeslice_days` is one length for every wiki or a length per wiki.
    Only revisions at `as_of` or before count (to the second). `article_namespaces`: per
    wiki, the namespaces counted as articles (main space where not given).
    """
    def in_articles(wiki: str, f: Any) -> bool:
        return f.namespace in (article_namespaces or {}).get(wiki, (MAIN,))

    students = {canonical(s) for s in students}
    instructors = {canonical(s) for s in instructors}
    if students & instructors:
        raise ValueError(f"both student and instructor: {sorted(students & instructors)}")
    start_date, end_date = _date(start), _date(end)
    period_start = datetime.combine(start_date, time(0, 0, 0), UTC)
    period_end = datetime.combine(end_date, time(23, 59, 59), UTC)  # inclusive (docs/concepts.md)
    period_stop = datetime.combine(end_date + timedelta(days=1), time(0, 0, 0), UTC)  # exclusive
    as_of = _utc(as_of)

    pairs = _pairs(facts)

    # Step 1: keep the in-scope revisions, one test per condition of docs/metrics.md.
    in_scope = _in_scope(pairs, students, period_start, period_end, wikis, as_of, article_namespaces)

    def characters(f: Any) -> int:
        return max(0, f.sizediff)

    def references_added(f: Any) -> int:
        refs, parent_refs = _refs_of(f)
        return max(0, refs - parent_refs)

    # Step 2: course totals.
    course = {
        "slug": slug,
        "title": title,
        "start": iso(period_start),
        "end": iso(period_end),
        "wikis": sorted(wikis),
        "article_namespaces": {w: sorted((article_namespaces or {}).get(w, (MAIN,))) for w in sorted(wikis)},
        "student_count": len(students),
        "revision_count": len(in_scope),
        "character_sum": sum(characters(f) for w, f in in_scope if in_articles(w, f)),
        "character_sum_user": sum(characters(f) for _, f in in_scope if f.namespace == USER),
        "character_sum_draft": sum(characters(f) for _, f in in_scope if f.namespace == DRAFT),
        "references_count": sum(references_added(f) for w, f in in_scope if in_articles(w, f)),
        "article_count": len({(w, f.title) for w, f in in_scope if in_articles(w, f)}),
        "new_article_count": len({(w, f.title) for w, f in in_scope if in_articles(w, f) and f.new}),
    }

    # Step 3: one row per enrolled user; instructors' edits never count, so theirs are zeros.
    users = []
    for name in sorted(students | instructors, key=reading_key):
        mine = [(w, f) for w, f in in_scope if canonical(f.user) == name]
        users.append(
            {
                "username": name,
                "role": "student" if name in students else "instructor",
                "revision_count": len(mine),
                "character_sum_ms": sum(characters(f) for w, f in mine if in_articles(w, f)),
                "character_sum_us": sum(characters(f) for _, f in mine if f.namespace == USER),
                "character_sum_draft": sum(characters(f) for _, f in mine if f.namespace == DRAFT),
                "references_count": sum(references_added(f) for w, f in mine if in_articles(w, f)),
            }
        )

    # Step 4: one row per page in an article namespace with an in-scope revision.
    by_article: dict[tuple[str, str], list[Any]] = {}
    for wiki, f in in_scope:
        if in_articles(wiki, f):
            by_article.setdefault((wiki, f.title), []).append(f)
    articles = []
    for (wiki, page_title), revs in sorted(by_article.items(), key=lambda kv: (kv[0][0], reading_key(kv[0][1]))):
        articles.append(
            {
                "wiki": wiki,
                "title": page_title,
                "namespace": revs[0].namespace,
                "character_sum": sum(characters(f) for f in revs),
                "references_count": sum(references_added(f) for f in revs),
                "revision_count": len(revs),
                "new_article": any(f.new for f in revs),
                "editors": sorted({canonical(f.user) for f in revs}, key=reading_key),
            }
        )

    # Step 5: every window of the period on every wiki, whatever the as-of time.
    timeslices = []
    for wiki in sorted(wikis):
        length = timeslice_days[wiki] if isinstance(timeslice_days, Mapping) else timeslice_days
        window_start = period_start
        while window_start < period_stop:
            window_end = min(window_start + timedelta(days=length), period_stop)
            inside = [f for w, f in in_scope if w == wiki and window_start <= _utc(f.timestamp) < window_end]
            main = [f for f in inside if in_articles(wiki, f)]
            timeslices.append(
                {
                    "wiki": wiki,
                    "start": iso(window_start),
                    "end": iso(window_end),
                    "character_sum": sum(characters(f) for f in main),
                    "references_count": sum(references_added(f) for f in main),
                    "revision_count": len(inside),
                }
            )
            window_start = window_end

    return {"course": course, "users": users, "articles": articles, "timeslices": timeslices}


# The fields docs/json.md lists; a document may carry more.
COURSE_FIELDS = (
    "slug", "title", "start", "end", "wikis", "article_namespaces", "student_count", "revision_count", "character_sum",
    "character_sum_user", "character_sum_draft", "references_count", "article_count", "new_article_count",
)
USER_FIELDS = (
    "username", "role", "revision_count", "character_sum_ms", "character_sum_us", "character_sum_draft",
    "references_count",
)
ARTICLE_FIELDS = (
    "wiki", "title", "namespace", "character_sum", "references_count", "revision_count", "new_article", "editors",
)
TIMESLICE_FIELDS = ("wiki", "start", "end", "character_sum", "references_count", "revision_count")


def comparable(document: dict) -> dict:
    """A stats document cut down to what the oracle computes (no last_update, needs_update, extras)."""

    def pick(row: dict, fields: Sequence[str]) -> dict:
        return {k: row[k] for k in fields if k in row}

    return {
        "course": pick(document["course"], COURSE_FIELDS),
        "users": [pick(u, USER_FIELDS) for u in document["users"]],
        "articles": [pick(a, ARTICLE_FIELDS) for a in document["articles"]],
        "timeslices": [pick(t, TIMESLICE_FIELDS) for t in document["timeslices"]],
    }


def expected_campaign(facts: Mapping[str, Iterable[Any]] | Iterable[Any], courses: Iterable[Mapping[str, Any]],
                      until: date | str | None = None) -> dict:
    """What a campaign of `courses` must show (docs/campaigns.md): the figures of the UNION of the
    courses' in-scope revision sets, each revision once, and every student once.

    Each course is a mapping of `students`, `start`, `end` (dates, inclusive), `wikis` and
    `as_of` (its last update), and maybe `article_namespaces`, as expected_stats takes them; a
    revision is an article's when a course counting it counts it in an article namespace. With `until` (a date), only
    revisions before the next day's 00:00 UTC count. Returns {"campaign": headline figures,
    "wikis": {wiki: figures and editors}, "activity": {(day, wiki): (revisions, characters)}}.
    """
    pairs = _pairs(facts)
    union: dict[tuple[str, Any], Any] = {}  # (wiki, fact) -> fact: a revision counted by two courses is one
    articled: set[tuple[str, Any]] = set()
    students: set[str] = set()
    for c in courses:
        mine = {canonical(s) for s in c["students"]}
        students |= mine
        first = datetime.combine(_date(c["start"]), time(0, 0, 0), UTC)
        last = datetime.combine(_date(c["end"]), time(23, 59, 59), UTC)
        article = c.get("article_namespaces") or {}
        for wiki, f in _in_scope(pairs, mine, first, last, c["wikis"], _utc(c["as_of"]), article):
            union[(wiki, f)] = f
            if f.namespace in article.get(wiki, (MAIN,)):
                articled.add((wiki, f))
    if until is not None:
        stop = datetime.combine(_date(until) + timedelta(days=1), time(0, 0, 0), UTC)
        union = {k: f for k, f in union.items() if _utc(f.timestamp) < stop}

    def figures(revs: list[tuple[str, Any]]) -> dict:
        main = [(w, f) for w, f in revs if (w, f) in articled]
        return {
            "revision_count": len(revs),
            "character_sum": sum(max(0, f.sizediff) for _, f in main),
            "character_sum_user": sum(max(0, f.sizediff) for _, f in revs if f.namespace == USER),
            "character_sum_draft": sum(max(0, f.sizediff) for _, f in revs if f.namespace == DRAFT),
            "references_count": sum(max(0, _refs_of(f)[0] - _refs_of(f)[1]) for _, f in main),
            "article_count": len({(w, f.title) for w, f in main}),
            "new_article_count": len({(w, f.title) for w, f in main if f.new}),
        }

    revs = sorted(union, key=lambda k: (k[0], _utc(k[1].timestamp)))
    wikis = {}
    for wiki in sorted({w for w, _ in revs}):
        mine = [(w, f) for w, f in revs if w == wiki]
        wikis[wiki] = {**figures(mine), "editors": len({canonical(f.user) for _, f in mine})}
    activity: dict[tuple[str, str], tuple[int, int]] = {}
    for w, f in revs:
        key = (_utc(f.timestamp).date().isoformat(), w)
        n, chars = activity.get(key, (0, 0))
        activity[key] = (n + 1, chars + (max(0, f.sizediff) if (w, f) in articled else 0))
    return {"campaign": {"student_count": len(students), **figures(revs)}, "wikis": wikis, "activity": activity}
