"""The timeslice tables: statistics per window at several grains, all derived from the finest."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime


def _course():
    return mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))


def _wiki():
    return mapped_column(ForeignKey("wikis.id", ondelete="CASCADE"))


class CourseWikiTimeslice(Base):
    """Course totals for one window of one wiki; every window of the course period exists."""

    __tablename__ = "course_wiki_timeslices"
    __table_args__ = (UniqueConstraint("course_id", "wiki_id", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = _course()
    wiki_id: Mapped[int] = _wiki()
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    character_sum: Mapped[int] = mapped_column(Integer, default=0)
    references_count: Mapped[int] = mapped_column(Integer, default=0)
    revision_count: Mapped[int] = mapped_column(Integer, default=0)
    last_mw_rev_datetime: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    upload_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # docs/uploads.md
    uploads_in_use_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    upload_usages_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Statistics of this window are not final: derivation or data is pending.
    needs_update: Mapped[bool] = mapped_column(Boolean, default=False)
    # Its finest-grain rows changed, so its user and article timeslices are re-derived too
    # (a removed student's rows are cleaned precisely instead: only the totals are redone).
    finest_changed: Mapped[bool] = mapped_column(Boolean, default=False)


class CourseUserWikiTimeslice(Base):
    """One student's totals for one window of one wiki (only where they edited)."""

    __tablename__ = "course_user_wiki_timeslices"
    __table_args__ = (UniqueConstraint("course_id", "user_id", "wiki_id", "start"),
                      Index("ix_cuwt_window", "course_id", "wiki_id", "start"))

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = _course()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    wiki_id: Mapped[int] = _wiki()
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    revision_count: Mapped[int] = mapped_column(Integer, default=0)
    character_sum_ms: Mapped[int] = mapped_column(Integer, default=0)
    character_sum_us: Mapped[int] = mapped_column(Integer, default=0)
    character_sum_draft: Mapped[int] = mapped_column(Integer, default=0)
    references_count: Mapped[int] = mapped_column(Integer, default=0)


class ArticleCourseTimeslice(Base):
    """One article's totals for one window, with the ids of the students who edited it."""

    __tablename__ = "article_course_timeslices"
    __table_args__ = (UniqueConstraint("course_id", "article_id", "start"),
                      Index("ix_act_window", "course_id", "wiki_id", "start"))  # derivation, by window

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = _course()
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    wiki_id: Mapped[int] = _wiki()
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    character_sum: Mapped[int] = mapped_column(Integer, default=0)
    references_count: Mapped[int] = mapped_column(Integer, default=0)
    revision_count: Mapped[int] = mapped_column(Integer, default=0)
    new_article: Mapped[bool] = mapped_column(Boolean, default=False)
    user_ids: Mapped[str] = mapped_column(Text, default="")  # comma-separated, for reading only


class CourseUserArticleTimeslice(Base):
    """The finest grain: one student's in-scope edits of one article in one window.

    Every other statistic is an aggregate of these rows; removing a student deletes
    theirs, and the aggregates are re-derived locally, with no request to any wiki.
    """

    __tablename__ = "course_user_article_timeslices"
    __table_args__ = (
        UniqueConstraint("course_id", "user_id", "article_id", "start"),
        Index("ix_cuat_window", "course_id", "wiki_id", "start"),  # derivation, by window
        Index("ix_cuat_user", "course_id", "wiki_id", "user_id", "start"),  # ingestion, by student
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = _course()
    # Users, articles and wikis unchecked (migration 0006): millions of rows, never orphaned.
    user_id: Mapped[int]
    article_id: Mapped[int]
    wiki_id: Mapped[int]
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    character_sum: Mapped[int] = mapped_column(Integer, default=0)  # sum of max(0, sizediff)
    references_count: Mapped[int] = mapped_column(Integer, default=0)
    revision_count: Mapped[int] = mapped_column(Integer, default=0)
    new_article: Mapped[bool] = mapped_column(Boolean, default=False)
    last_rev_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ArticlesCourses(Base):
    """An article in the course: exists while a current student has an in-scope edit on it."""

    __tablename__ = "articles_courses"
    __table_args__ = (UniqueConstraint("course_id", "article_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = _course()
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    character_sum: Mapped[int] = mapped_column(Integer, default=0)
    references_count: Mapped[int] = mapped_column(Integer, default=0)
    revision_count: Mapped[int] = mapped_column(Integer, default=0)
    new_article: Mapped[bool] = mapped_column(Boolean, default=False)
