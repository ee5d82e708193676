"""Uploads (docs/uploads.md): the files students upload, their usage, and each course's finest grain of them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime

# The upload figures (docs/metrics.md#uploads), cached per course, enrollment and course wiki timeslice.
UPLOAD_FIGURES = ("upload_count", "uploads_in_use_count", "upload_usages_count")


class Upload(Base):
    """One entry of a wiki's upload log by a user wikicourse tracks: the shared store of uploads,
    fetched once for every course that tracks the user. `action` is the log's: upload (a new
    file), overwrite or revert (a new version of an existing one). The file's page is an
    article in namespace 6, so moves and deletions follow the wiki's log (docs/wiki-past.md)."""

    __tablename__ = "uploads"
    __table_args__ = (Index("ix_uploads_user", "wiki_id", "user_id", "timestamp"),
                      Index("ix_uploads_article", "article_id"))

    wiki_id: Mapped[int] = mapped_column(ForeignKey("wikis.id", ondelete="CASCADE"), primary_key=True,
                                         autoincrement=False)
    log_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(16))


class UploadRead(Base):
    """A span [start, end) of one user's upload log on a wiki that `uploads` holds in full
    (kept disjoint, as contribution_reads are): only the gaps are asked for."""

    __tablename__ = "upload_reads"
    __table_args__ = (Index("ix_upload_reads_user", "wiki_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wiki_id: Mapped[int] = mapped_column(ForeignKey("wikis.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)


class UploadFile(Base):
    """A file's usage as last read from its wiki (prop=fileusage, prop=globalusage), with the
    wiki's thumbnail and file page URLs. `local_usage` counts pages of the file's wiki using it;
    `global_usage` (wiki, page) pairs on other wikis, NULL where the wiki has no GlobalUsage."""

    __tablename__ = "upload_files"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True,
                                            autoincrement=False)
    local_usage: Mapped[int] = mapped_column(Integer, default=0)
    global_usage: Mapped[int | None] = mapped_column(Integer, nullable=True)
    thumb_url: Mapped[str] = mapped_column(Text, default="")
    file_url: Mapped[str] = mapped_column(Text, default="")  # the file's page on its wiki
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class CourseUpload(Base):
    """The finest grain of uploads: one file a current student uploaded new on a course wiki
    within the course period, with its uploader and window. Rebuilt from the store on every
    update (one statement per wiki): every upload figure is an aggregate of these rows."""

    __tablename__ = "course_uploads"
    __table_args__ = (UniqueConstraint("course_id", "article_id"),
                      Index("ix_course_uploads_window", "course_id", "wiki_id", "start"),
                      Index("ix_course_uploads_user", "course_id", "user_id"))  # per student, each update

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    wiki_id: Mapped[int] = mapped_column(ForeignKey("wikis.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    start: Mapped[datetime] = mapped_column(UTCDateTime)  # the window of the upload
    log_id: Mapped[int] = mapped_column(BigInteger)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
