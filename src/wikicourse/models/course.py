"""Courses, their tracked wikis, enrollments and update runs, with the cached totals."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import false as sa_false
from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from ..collation import search_key
from .base import Base, UTCDateTime

# A course's headline figures (docs/metrics.md), cached on its row.
HEADLINE = ("student_count", "revision_count", "character_sum", "character_sum_user", "character_sum_draft",
            "references_count", "article_count", "new_article_count")



def _title_key(context) -> str:
    """Every insert that gives a title gets its key, whoever inserts the course."""
    return search_key(context.get_current_parameters()["title"])

class Course(Base):
    __tablename__ = "courses"
    __table_args__ = (CheckConstraint('"end" >= start', name="end_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(255), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    # The title folded case- and accent-blind (collation.search_key): searched and sorted in SQL.
    title_key: Mapped[str] = mapped_column(String(500), default=_title_key, server_default="", index=True)
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    timeslice_days: Mapped[int] = mapped_column(Integer, default=1)
    # Cached totals (docs/metrics.md), refreshed by the last step of the update cycle.
    student_count: Mapped[int] = mapped_column(Integer, default=0)
    revision_count: Mapped[int] = mapped_column(Integer, default=0)
    character_sum: Mapped[int] = mapped_column(Integer, default=0)
    character_sum_user: Mapped[int] = mapped_column(Integer, default=0)
    character_sum_draft: Mapped[int] = mapped_column(Integer, default=0)
    references_count: Mapped[int] = mapped_column(Integer, default=0)
    article_count: Mapped[int] = mapped_column(Integer, default=0)
    new_article_count: Mapped[int] = mapped_column(Integer, default=0)
    # Does the course count its students' uploads (docs/uploads.md)? That costs every update more
    # requests per wiki: a course asks for them only when it counts them.
    count_uploads: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    # Upload figures (docs/uploads.md), refreshed with the others.
    upload_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    uploads_in_use_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    upload_usages_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The as-of time the statistics are current to, and when that update finished.
    last_update: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class CourseWiki(Base):
    """A wiki a course tracks, with its timeslice length (may differ per wiki)."""

    __tablename__ = "course_wikis"
    __table_args__ = (UniqueConstraint("course_id", "wiki_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    wiki_id: Mapped[int] = mapped_column(ForeignKey("wikis.id", ondelete="CASCADE"))
    timeslice_days: Mapped[int] = mapped_column(Integer, default=1)
    # The last wiki_changes.id of this wiki applied to the course (docs/wiki-past.md).
    changes_applied: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The article namespaces counted on this wiki (docs/metrics.md), comma-separated numbers in
    # order; User (2) and Draft (118) are tracked besides. `article_namespaces` is what the
    # course says; `namespaces_applied` what its windows were derived with: the next update
    # applies the difference (wikicourse.namespaces), as it applies a date change.
    article_namespaces: Mapped[str] = mapped_column(String(255), default="0", server_default="0")
    namespaces_applied: Mapped[str] = mapped_column(String(255), default="0", server_default="0")
    # Its windows hold Wikidata figures: derived since the wiki is known to be a Wikibase repository
    # (wikicourse.wikidata.detect applies the difference, as a change of namespaces).
    wikibase_applied: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())


class Enrollment(Base):
    """A user in a course with a role; only students' edits count. Holds per-enrollment totals."""

    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("course_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(32), default="student")
    revision_count: Mapped[int] = mapped_column(Integer, default=0)
    character_sum_ms: Mapped[int] = mapped_column(Integer, default=0)
    character_sum_us: Mapped[int] = mapped_column(Integer, default=0)
    character_sum_draft: Mapped[int] = mapped_column(Integer, default=0)
    references_count: Mapped[int] = mapped_column(Integer, default=0)
    upload_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # docs/uploads.md
    uploads_in_use_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    upload_usages_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class IngestionCoverage(Base):
    """What of a student's revisions on a wiki is in the finest grain: [period start, ingested_until).

    Written in the same transaction as the data it describes, so an interrupted update
    resumes where it stopped and a user counts as "new" exactly until their data is in.
    """

    __tablename__ = "ingestion_coverage"
    __table_args__ = (UniqueConstraint("course_id", "user_id", "wiki_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    wiki_id: Mapped[int] = mapped_column(ForeignKey("wikis.id", ondelete="CASCADE"))
    ingested_until: Mapped[datetime] = mapped_column(UTCDateTime)


class Reread(Base):
    """A window whose data for one student must be taken (again) from the shared store, read
    first where the store lacks it: the wiki's past changed there (a page restored or moved
    into main space, a revision hidden or shown), or the window is new before those the
    course kept (a start moved earlier). The window stays needs_update until it is taken."""

    __tablename__ = "rereads"
    __table_args__ = (UniqueConstraint("course_id", "wiki_id", "user_id", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    wiki_id: Mapped[int] = mapped_column(ForeignKey("wikis.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    start: Mapped[datetime] = mapped_column(UTCDateTime)


class UpdateRun(Base):
    """One run of the update cycle: what it did, what it cost the wikis, and how far it is.

    A course has at most one run "running" (a partial unique index): that row is the
    course's update lock, on SQLite and PostgreSQL alike, and its heartbeat tells a live
    holder from a killed one.
    """

    __tablename__ = "update_runs"
    __table_args__ = (Index("uq_update_runs_running", "course_id", unique=True,
                            sqlite_where=text("status = 'running'"),
                            postgresql_where=text("status = 'running'")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    full: Mapped[bool] = mapped_column(Boolean, default=False)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running, done, partial, failed, interrupted
    requests: Mapped[int] = mapped_column(Integer, default=0)
    revisions: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[str | None] = mapped_column(Text, nullable=True)
    holder: Mapped[str | None] = mapped_column(String(255), nullable=True)  # host:pid of the process
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    step: Mapped[str | None] = mapped_column(String(32), nullable=True)  # the cycle's step now running
    done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # students-on-wikis fetched ...
    total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # ... of those planned
    figures: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON: {figure: [before, after]} that moved


class UpdateReason(Base):
    """Why a run moved the course's figures: one line each (the edits read, students added or
    removed, a page moved, deleted or restored, dates or wikis changed, windows redone)."""

    __tablename__ = "update_reasons"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("update_runs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(512), default="")  # a page, a user, a wiki
    detail: Mapped[str] = mapped_column(Text, default="")
    count: Mapped[int] = mapped_column(Integer, default=0)


class UpdateRequest(Base):
    """A course's standing request for an update, so that requests coalesce: while a message
    for the course waits in a queue (queued_at set), another request sends none."""

    __tablename__ = "update_requests"

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    queue: Mapped[str | None] = mapped_column(String(16), nullable=True)
