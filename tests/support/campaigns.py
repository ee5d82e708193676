"""A small hand-made world of two courses and their revisions, written straight into the tables
the campaign figures read (revisions, ingestion coverage, first windows, enrollments), with
the figures worked out by hand below. It checks the campaign query rule by rule, whatever
fills `revisions`; the update cycle's own tests are in tests/test_campaign_figures.py.

c1 tracks one.wiki, 2024-01-01..10, updated as of 2024-01-07 23:59:59 (coverage to the 8th);
c2 tracks one.wiki and two.wiki, 2024-01-05..20, ended (coverage to the 21st).
Ann: student of both. Bob: student of c1. Cy: instructor of c1, student of c2. Dee: student
of c2 who never edits.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import insert, select, update

from wikicourse.courses import create_course
from wikicourse.models import Revision
from wikicourse.models.tables import (
    articles,
    courses,
    ingestion_coverage,
    course_wiki_timeslices,
    enrollments,
    users,
    wikis,
)
from wikicourse.wikis import add_wiki

ONE, TWO = "one.wiki", "two.wiki"


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


# (wiki, title, namespace, deleted)
ARTICLES = {
    "A1": (ONE, "Alpha", 0, False),
    "A2": (ONE, "Gone", 0, True),
    "U": (ONE, "User:Ann/sandbox", 2, False),
    "D": (ONE, "Draft:Delta", 118, False),
    "T": (ONE, "Talk:Alpha", 1, False),
    "B1": (TWO, "Beta", 0, False),
}
# (wiki, rev_id, user, article, timestamp, characters, references, new): why each counts or not.
REVISIONS = [
    (ONE, 1, "Ann", "A1", "2024-01-02 10:00", 100, 2, True),  # c1 only (before c2's start): new article
    (ONE, 2, "Ann", "A1", "2024-01-06 10:00", 50, 1, False),  # c1 and c2: counted once
    (ONE, 3, "Ann", "U", "2024-01-06 11:00", 30, 0, False),  # both, user space
    (ONE, 4, "Ann", "D", "2024-01-09 10:00", 40, 0, False),  # past c1's coverage: c2 only, a draft
    (ONE, 5, "Bob", "A1", "2024-01-03 10:00", 70, 0, False),  # c1
    (ONE, 6, "Bob", "A2", "2024-01-04 10:00", 500, 4, True),  # a deleted page: never
    (ONE, 7, "Bob", "A1", "2024-01-09 10:00", 20, 0, False),  # past c1's coverage, Bob not in c2: never
    (ONE, 8, "Cy", "A1", "2024-01-03 10:00", 60, 0, False),  # instructor of c1, before c2's start: never
    (ONE, 9, "Cy", "A1", "2024-01-12 10:00", 10, 3, False),  # c2
    (ONE, 10, "Ann", "T", "2024-01-06 12:00", 99, 0, False),  # a talk page: never
    (ONE, 11, "Ann", "A1", "2023-12-31 23:59:59", 500, 0, False),  # before both courses: never
    (TWO, 1, "Ann", "B1", "2024-01-02 10:00", 80, 0, True),  # before c2's start, c1 does not track two.wiki
    (TWO, 2, "Ann", "B1", "2024-01-07 10:00", 25, 0, False),  # c2 (same rev_id as one.wiki's 2: another revision)
    (TWO, 3, "Cy", "B1", "2024-01-21 00:00", 5, 0, False),  # at c2's coverage end, excluded: never
]

FIGURES = (
    "student_count",
    "revision_count",
    "character_sum",
    "character_sum_user",
    "character_sum_draft",
    "references_count",
    "article_count",
    "new_article_count",
)


def _f(*values: int) -> dict:
    return dict(zip(FIGURES, values))


# The figures by hand: one.wiki 1, 2, 3, 4, 5, 9 and two.wiki 2 count for the union.
UNION = _f(4, 7, 100 + 50 + 70 + 10 + 25, 30, 40, 2 + 1 + 3, 2, 1)
C1 = _f(2, 4, 100 + 50 + 70, 30, 0, 3, 1, 1)  # one.wiki 1, 2, 3, 5
C2 = _f(3, 5, 50 + 10 + 25, 30, 40, 4, 2, 0)  # one.wiki 2, 3, 4, 9; two.wiki 2
UNTIL_6TH = _f(4, 4, 220, 30, 0, 3, 1, 1)  # one.wiki 1, 2, 3, 5
C1_UNTIL_6TH = C1  # one.wiki 1, 2, 3, 5: all of c1's
C2_UNTIL_6TH = _f(3, 2, 50, 30, 0, 1, 1, 0)  # one.wiki 2, 3 (two.wiki 2 is of the 7th)
PER_WIKI = {
    ONE: dict(editors=3, **{k: v for k, v in _f(0, 6, 230, 30, 40, 6, 1, 1).items() if k != "student_count"}),
    TWO: dict(editors=1, **{k: v for k, v in _f(0, 1, 25, 0, 0, 0, 1, 0).items() if k != "student_count"}),
}
ACTIVITY = [
    ("2024-01-02", ONE, 1, 100),
    ("2024-01-03", ONE, 1, 70),
    ("2024-01-06", ONE, 2, 50),
    ("2024-01-07", TWO, 1, 25),
    ("2024-01-09", ONE, 1, 0),
    ("2024-01-12", ONE, 1, 10),
]


def build_world(engine) -> None:
    """The two courses, their people, windows, coverage and revisions; each course's cached
    figures set to what its update would have cached (C1, C2)."""
    add_wiki(engine, ONE, "file:/nowhere/one.xml")
    add_wiki(engine, TWO, "file:/nowhere/two.xml")
    create_course(engine, "c1", title="Course one", start=date(2024, 1, 1), end=date(2024, 1, 10), wikis=[ONE])
    create_course(engine, "c2", title="Course two", start=date(2024, 1, 5), end=date(2024, 1, 20), wikis=[ONE, TWO])
    with engine.begin() as conn:
        conn.execute(insert(users), [dict(username=n) for n in ("Ann", "Bob", "Cy", "Dee")])
        uid = dict(conn.execute(select(users.c.username, users.c.id)).all())
        wid = dict(conn.execute(select(wikis.c.domain, wikis.c.id)).all())
        cid = dict(conn.execute(select(courses.c.slug, courses.c.id)).all())
        conn.execute(
            insert(enrollments),
            [
                dict(course_id=cid["c1"], user_id=uid["Ann"], role="student"),
                dict(course_id=cid["c1"], user_id=uid["Bob"], role="student"),
                dict(course_id=cid["c1"], user_id=uid["Cy"], role="instructor"),
                dict(course_id=cid["c2"], user_id=uid["Ann"], role="student"),
                dict(course_id=cid["c2"], user_id=uid["Cy"], role="student"),
                dict(course_id=cid["c2"], user_id=uid["Dee"], role="student"),
            ],
        )
        # The first windows; a later one shows the bound is the first's start.
        conn.execute(
            insert(course_wiki_timeslices),
            [
                dict(course_id=cid["c1"], wiki_id=wid[ONE], start=t("2024-01-01"), end=t("2024-01-02")),
                dict(course_id=cid["c1"], wiki_id=wid[ONE], start=t("2024-01-02"), end=t("2024-01-03")),
                dict(course_id=cid["c2"], wiki_id=wid[ONE], start=t("2024-01-05"), end=t("2024-01-06")),
                dict(course_id=cid["c2"], wiki_id=wid[TWO], start=t("2024-01-05"), end=t("2024-01-06")),
            ],
        )
        conn.execute(
            insert(ingestion_coverage),
            [
                dict(course_id=cid["c1"], user_id=uid[u], wiki_id=wid[ONE], ingested_until=t("2024-01-08"))
                for u in ("Ann", "Bob", "Cy")
            ]
            + [
                dict(course_id=cid["c2"], user_id=uid[u], wiki_id=wid[w], ingested_until=t("2024-01-21"))
                for u in ("Ann", "Cy", "Dee")
                for w in (ONE, TWO)
            ],
        )
        aid = {}
        for key, (wiki, title, ns, deleted) in ARTICLES.items():
            aid[key] = conn.execute(
                insert(articles).values(
                    wiki_id=wid[wiki], page_id=len(aid) + 1, title=title, namespace=ns, deleted=deleted
                )
            ).inserted_primary_key[0]
        conn.execute(
            insert(Revision.__table__),
            [
                dict(
                    wiki_id=wid[w],
                    rev_id=r,
                    user_id=uid[u],
                    article_id=aid[a],
                    timestamp=t(ts),
                    characters=ch,
                    references=refs,
                    new=new,
                )
                for w, r, u, a, ts, ch, refs, new in REVISIONS
            ],
        )
        for slug, figures, as_of in (("c1", C1, "2024-01-07 23:59:59"), ("c2", C2, "2024-02-01")):
            conn.execute(update(courses).where(courses.c.id == cid[slug]).values(**figures, last_update=t(as_of)))
