"""What every step of one update sees: the course, its wikis' grids, the as-of time."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from ..models.tables import course_wikis, courses
from ..timeslices.windows import Grid, through


@dataclass(frozen=True)
class CourseWikiGrid:
    wiki_id: int
    grid: Grid


@dataclass(frozen=True)
class UpdateContext:
    course_id: int
    as_of: datetime
    full: bool
    wikis: tuple[CourseWikiGrid, ...]
    now: datetime  # when the update started (an as-of in its very second is not final yet)

    @classmethod
    def load(cls, conn: Connection, course_id: int, as_of: datetime, full: bool,
             now: datetime | None = None) -> UpdateContext:
        course = conn.execute(select(courses.c.start, courses.c.end).where(courses.c.id == course_id)).one()
        rows = conn.execute(select(course_wikis.c.wiki_id, course_wikis.c.timeslice_days)
                            .where(course_wikis.c.course_id == course_id)
                            .order_by(course_wikis.c.wiki_id)).all()
        wikis = tuple(CourseWikiGrid(w, Grid.of(course.start, course.end, days)) for w, days in rows)
        return cls(course_id, as_of, full, wikis, now or through(as_of))
