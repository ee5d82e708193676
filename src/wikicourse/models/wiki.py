"""Wikis, their users and their articles: facts about the wikis, shared by every course."""
from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class Wiki(Base):
    __tablename__ = "wikis"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain: Mapped[str] = mapped_column(String(255), unique=True)
    api_url: Mapped[str] = mapped_column(String(1000))


class User(Base):
    """A wiki account, by its canonical username (global across Wikimedia wikis)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(255), unique=True)


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (UniqueConstraint("wiki_id", "page_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wiki_id: Mapped[int] = mapped_column(ForeignKey("wikis.id", ondelete="CASCADE"))
    page_id: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(512))
    namespace: Mapped[int] = mapped_column(Integer)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)


class RevisionRefs(Base):
    """refs(text) of a revision: immutable, so its content is fetched from the wiki once.

    NULL records that the wiki would not give the text (hidden or deleted), so it is not
    asked for again on every update either.
    """

    __tablename__ = "revision_refs"

    wiki_id: Mapped[int] = mapped_column(ForeignKey("wikis.id", ondelete="CASCADE"), primary_key=True)
    rev_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    refs: Mapped[int | None] = mapped_column(Integer, nullable=True)
