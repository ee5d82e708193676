"""Access tokens: only their hash is stored, and a token acts only where its holder may."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from support.course import setup_course
from support.exports import write_export
from wikicourse import courses
from wikicourse.courses import course_id
from wikicourse.errors import InvalidInput
from wikicourse.tokens import (access_tokens, authenticate, create_token, digest, issue_token, list_tokens, may_manage,
                               revoke_token)


@pytest.fixture
def course(engine, tmp_path):
    export = write_export(tmp_path / "wiki.xml", {("Page", 0): [("2024-01-02T10:00:00Z", "Ann", "Text"),
                                                               ("2024-01-03T10:00:00Z", "Tess", "More")]})
    setup_course(engine, {"test.wiki": export}, slug="taught", start="2024-01-01", end="2024-01-10",
                 students=["Ann"], instructors=["Tess"])
    setup_course(engine, {"test.wiki": export}, slug="elsewhere", start="2024-01-01", end="2024-01-10",
                 students=["Tess"])
    return "taught"


def manages(engine, actor, slug) -> bool:
    with engine.connect() as conn:
        return may_manage(conn, actor, course_id(conn, slug))


def test_a_token_authenticates_until_revoked(engine):
    secret = create_token(engine, "ops", role="admin")
    actor = authenticate(engine, secret)
    assert (actor.role, actor.name, actor.username) == ("admin", "ops", None)
    assert authenticate(engine, secret + "x") is None and authenticate(engine, None) is None
    assert authenticate(engine, "no-prefix") is None
    (listed,) = list_tokens(engine)
    assert listed["last_used_at"] is not None
    revoke_token(engine, listed["id"])
    assert authenticate(engine, secret) is None
    with pytest.raises(InvalidInput, match="no active token"):
        revoke_token(engine, listed["id"])


def test_only_the_hash_is_stored(engine):
    secret = create_token(engine, "ops", role="admin")
    with engine.connect() as conn:
        stored = [tuple(r) for r in conn.execute(select(access_tokens))]
    assert secret not in repr(stored) and digest(secret) in repr(stored)


def test_an_instructor_token_acts_on_the_courses_its_user_teaches_now(engine, course):
    instructor = authenticate(engine, create_token(engine, "tess", role="instructor", username="tess"))
    admin = authenticate(engine, create_token(engine, "ops", role="admin"))
    assert manages(engine, instructor, "taught") and manages(engine, admin, "taught")
    assert not manages(engine, instructor, "elsewhere")  # a student there
    assert manages(engine, admin, "elsewhere") and not manages(engine, None, "taught")
    courses.disenroll(engine, "taught", ["Tess"])
    assert not manages(engine, instructor, "taught")


@pytest.mark.parametrize("kwargs,message", [
    (dict(role="dean"), "unknown token role"),
    (dict(role="instructor"), "names the instructor"),
    (dict(role="admin", username="Ann"), "give no --user"),
])
def test_bad_token_requests_are_refused(engine, kwargs, message):
    with pytest.raises(InvalidInput, match=message):
        create_token(engine, "label", **kwargs)
    assert list_tokens(engine) == []


def test_an_instructor_token_needs_a_user_who_teaches_a_course(engine, course):
    for name in ("Nobody", "ann"):  # unknown; a student only
        with pytest.raises(InvalidInput, match="is not instructor or staff in any course"):
            create_token(engine, "label", role="instructor", username=name)
    assert list_tokens(engine) == []
    made = issue_token(engine, " Tess's laptop ", role="instructor", username="tess")
    assert (made.label, made.role, made.username) == ("Tess's laptop", "instructor", "Tess")
    assert [t["id"] for t in list_tokens(engine)] == [made.id] and authenticate(engine, made.secret).token_id == made.id
