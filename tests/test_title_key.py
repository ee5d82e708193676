"""The stored title key the courses list searches and sorts by: how a title folds, and the
courses that existed before the key get theirs when the database is upgraded."""
from __future__ import annotations

from datetime import date

import pytest
from alembic import command
from sqlalchemy import column, create_engine, insert, select, table

from wikicourse.db import alembic_config, upgrade
from wikicourse.listing import list_courses
from wikicourse.collation import search_key
from wikicourse.stats import COURSE_FIELDS


@pytest.mark.parametrize("title,key", [
    ("Ólafur  Jónsson", "olafur jonsson"), ("ÉCRIRE Wikipédia", "ecrire wikipedia"), ("Łódź", "lodz"),
    ("Straße", "strasse"), ("Zoë's\tcourse ", "zoe's course"), ("Ærø", "aero"), ("ﬁne", "fine"),
    ("100% of it_all", "100% of it_all"), ("Ελληνικά", "ελληνικα")])
def test_a_title_folds_case_and_accent_blind(title, key):
    assert search_key(title) == key


def test_upgrading_gives_the_existing_courses_their_key(any_url):
    engine = create_engine(any_url)
    command.upgrade(alembic_config(engine), "0006")
    courses = table("courses", *[column(c) for c in ("id", "slug", "title", "start", "end", "timeslice_days",
                                                       *COURSE_FIELDS)])
    titles = {"a": "Zoë writes", "b": "Ólafur's seminar", "c": "alpha"}
    with engine.begin() as conn:
        conn.execute(insert(courses), [dict(id=i, slug=slug, title=title, start=date(2024, 1, 1),
                                            end=date(2024, 1, 2), timeslice_days=1, **{f: 0 for f in COURSE_FIELDS})
                                       for i, (slug, title) in enumerate(titles.items(), start=1)])
    upgrade(engine)
    keyed = table("courses", column("slug"), column("title_key"))
    with engine.connect() as conn:
        assert dict(conn.execute(select(keyed.c.slug, keyed.c.title_key)).all()) == {
            "a": "zoe writes", "b": "olafur's seminar", "c": "alpha"}
    assert [c["slug"] for c in list_courses(engine, sort="title")["courses"]] == ["c", "b", "a"]
    assert [c["slug"] for c in list_courses(engine, search="ZOE")["courses"]] == ["a"]
    engine.dispose()
