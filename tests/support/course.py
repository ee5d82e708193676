"""Driving a course through wikicourse's Python API, as the command line does."""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

from wikicourse import courses
from wikicourse.stats import course_stats
from wikicourse.update.cycle import update_course
from wikicourse.wikis import add_wiki


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def setup_course(engine, exports: dict[str, Path | str], *, slug: str = "course", start: str, end: str,
                 students=(), instructors=(), timeslice_days: int = 1, wikis=None) -> str:
    """Register the wikis (file: exports or API URLs), create the course, enroll its people."""
    for domain, where in exports.items():
        url = where if isinstance(where, str) else Path(where).resolve().as_uri()
        add_wiki(engine, domain, url)
    courses.create_course(engine, slug, title=f"Course {slug}", start=date.fromisoformat(start),
                          end=date.fromisoformat(end), wikis=list(wikis or exports),
                          timeslice_days=timeslice_days)
    if students:
        courses.enroll(engine, slug, list(students))
    if instructors:
        courses.enroll(engine, slug, list(instructors), role="instructor")
    return slug


def update(engine, slug: str, as_of: str, **kw):
    return update_course(engine, slug, as_of=utc(as_of), **kw)


def stats(engine, slug: str) -> dict:
    return course_stats(engine, slug)


def comparable(doc: dict) -> dict:
    """A stats document without the wall-clock field that differs between two runs."""
    doc = {k: v for k, v in doc.items()}
    doc["course"] = {k: v for k, v in doc["course"].items() if k != "updated_at"}
    return doc
