"""The `wikicourse` command end to end on the real wikis, with real usernames: spaces,
underscores, non-ASCII letters, a lower-case first letter; and a name no wiki knows."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from support import oracle
from twowikis import DOMAINS, END, START, USERS, Course
from wikicourse.db import open_db
from wikicourse.models.tables import enrollments, users

SLUG, TITLE = "cli-course", "CLI course"
AS_OF = "2024-03-20T06:00:00Z"


def wikicourse(db: str, *args: str) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("wikicourse")  # .venv/bin/wikicourse
    assert script.exists(), f"{script} is missing: `make install` puts it there"
    return subprocess.run([str(script), "--db", db, *args], capture_output=True, text=True, timeout=120)


def test_usernames_with_spaces_and_underscores_and_the_cli_end_to_end(facts, wiki_urls, tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.sqlite'}"

    def ok(*args: str) -> str:
        done = wikicourse(db, *args)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done.stdout

    for domain, url in wiki_urls.items():
        ok("wiki", "add", domain, "--api-url", url)
    ok("course", "create", SLUG, "--title", TITLE, "--start", START.isoformat(), "--end", END.isoformat(),
       "--wiki", DOMAINS[0], "--wiki", DOMAINS[1])
    assert ok("enroll", SLUG, "Some_User").strip() == f"enrolled in {SLUG} as student: Some User"
    assert ok("enroll", SLUG, "émile_Dubois", "Ana_Ó__Briain_", "Søren Halvorsen").strip() == (
        f"enrolled in {SLUG} as student: Ana Ó Briain, Søren Halvorsen, Émile Dubois")
    ok("enroll", SLUG, "--role", "instructor", "Hanna_Łukasik")
    students = {"Some User", "Ana Ó Briain", "Søren Halvorsen", "Émile Dubois"}
    instructors = {"Hanna Łukasik"}

    engine = open_db(db)
    try:
        def roster():
            with engine.connect() as conn:
                return (sorted(conn.execute(select(users.c.id, users.c.username)).all()),
                        sorted(conn.execute(select(enrollments.c.user_id, enrollments.c.role)).all()))

        before = roster()
        for names in (["NoSuchUser"], ["Zsófia_Szabó", "NoSuchUser"]):
            refused = wikicourse(db, "enroll", SLUG, *names)
            assert refused.returncode != 0, refused.stdout
            lines = refused.stderr.strip().splitlines()
            assert len(lines) == 1 and "NoSuchUser" in lines[0], refused.stderr
            assert refused.stdout == ""
            assert roster() == before, f"`enroll {' '.join(names)}` changed the roster"
    finally:
        engine.dispose()

    def expected() -> dict:
        return oracle.expected_stats(facts, students=students, instructors=instructors, start=START, end=END,
                                     wikis=list(DOMAINS), as_of=AS_OF, slug=SLUG, title=TITLE)

    out = ok("update", SLUG, "--as-of", AS_OF)
    assert out.startswith(f"{SLUG}: done, as of 2024-03-20 06:00:00Z"), out
    doc = json.loads(ok("stats", SLUG, "--json"))
    assert oracle.comparable(doc) == expected()
    assert not any(t["needs_update"] for t in doc["timeslices"])
    assert doc["course"]["last_update"] == AS_OF

    assert ok("disenroll", SLUG, "some_User").strip().startswith(f"removed from {SLUG}: Some User")
    students.discard("Some User")
    assert "why: student removed: Some User" in ok("update", SLUG, "--as-of", AS_OF)
    assert oracle.comparable(json.loads(ok("stats", SLUG, "--json"))) == expected()
    assert f"{TITLE} ({SLUG})" in ok("stats", SLUG)


def test_the_update_report_counts_new_students_not_student_wiki_pairs(new_db, wiki_urls):
    """`wikicourse update` prints "students: N new" from UpdateReport.added_users."""
    course = Course.create(new_db(), wiki_urls, students=USERS[:3], wikis=[DOMAINS[0]])
    report = course.update("2024-03-10T00:00:00Z")
    assert report.added_users == 3
    course.edit(add=[DOMAINS[1]])  # a wiki added: nobody is a new student
    report = course.update("2024-03-10T00:00:00Z")
    assert (report.added_wikis, report.added_users) == (1, 0)
    course.enroll([USERS[3]])  # one new student on a course of two wikis
    report = course.update("2024-03-10T00:00:00Z")
    assert report.added_users == 1
