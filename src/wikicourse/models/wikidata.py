"""Wikidata figures (docs/wikidata.md): per stored revision (the store), per student and window (a course)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..wikidata.summary import FIGURES
from .base import Base, UTCDateTime


class WikibaseRevision(Base):
    """A stored revision's figures on a Wikibase wiki, read off its summary: written with the
    revision (update.writer), in the same transaction, and replaced with it."""

    __tablename__ = "wikibase_revisions"

    wiki_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # unchecked, as revisions
    rev_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    locals().update({name: mapped_column(Integer, default=0, server_default="0") for name in FIGURES})
    __annotations__.update({name: Mapped[int] for name in FIGURES})


class WikidataUserTimeslice(Base):
    """One student's Wikidata figures for one window of one wiki: derived, like the course user
    wiki timeslices, from the finest grain of the windows whose finest grain changed."""

    __tablename__ = "wikidata_user_timeslices"
    __table_args__ = (UniqueConstraint("course_id", "user_id", "wiki_id", "start"),
                      Index("ix_wdut_window", "course_id", "wiki_id", "start"))  # derivation, by window

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[int]  # unchecked, as the finest grain
    wiki_id: Mapped[int]
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    locals().update({name: mapped_column(Integer, default=0, server_default="0") for name in FIGURES})
    __annotations__.update({name: Mapped[int] for name in FIGURES})
