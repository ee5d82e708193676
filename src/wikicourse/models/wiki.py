"""Wikis, their users and their articles: facts about the wikis, shared by every course."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime


class Wiki(Base):
    __tablename__ = "wikis"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain: Mapped[str] = mapped_column(String(255), unique=True)
    api_url: Mapped[str] = mapped_column(String(1000))
    # Following the wiki's past (docs/wiki-past.md): its log is read from `log_from` (a time on the
    # wiki, inclusive); `log_read_at` is when it was last read, so updates of several
    # courses can share one read.
    log_from: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    log_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The ids of the entries from `log_from` on already read (reads overlap): comma-separated.
    log_seen: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Update rounds (docs/shared-ingestion.md): `round_at` is the time to which the last round read the
    # contributions of every user a followed course tracks here; an update within the
    # workers' round age counts as of it instead of asking the wiki again. While an update
    # reads a round, its run's id is in `round_run`: others wait while that run is alive.
    round_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    round_run: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # What the shared store holds of this wiki (docs/shared-ingestion.md): the namespaces whose
    # contributions are fetched, and those whose revisions' references are asked for, the union
    # over every course that ever counted here (comma-separated). They only grow; when they do,
    # `store_generation` grows too, and only the spans of `contribution_reads` of the current
    # generation hold anything: those read before, with less, are forgotten.
    namespaces: Mapped[str] = mapped_column(String(255), default="0,2,118", server_default="0,2,118")
    ref_namespaces: Mapped[str] = mapped_column(String(255), default="0", server_default="0")
    store_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The wiki's namespace names (JSON, number -> local name) as last read (meta=siteinfo), to show them.
    namespace_names: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Does the wiki offer prop=globalusage (meta=siteinfo)? NULL until asked (docs/uploads.md).
    global_usage: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # A Wikibase repository (Wikidata), whose edits get Wikidata figures (docs/wikidata.md): as its
    # siteinfo told at its first update, or as the operator said (`wiki add --wikibase`); NULL: not asked yet.
    wikibase: Mapped[bool | None] = mapped_column(Boolean, nullable=True)


class User(Base):
    """A wiki account, by its canonical username (global across Wikimedia wikis)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(255), unique=True)


class WikiAccount(Base):
    """A user's account id on one wiki, learnt from their contributions: contributions are then
    asked for by id, so a renamed student keeps being followed (docs/wiki-past.md)."""

    __tablename__ = "wiki_accounts"
    __table_args__ = (UniqueConstraint("wiki_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wiki_id: Mapped[int] = mapped_column(ForeignKey("wikis.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(BigInteger)


class Article(Base):
    """A page as the wiki shows it now: its title and namespace follow moves, `deleted` deletions."""

    __tablename__ = "articles"
    __table_args__ = (UniqueConstraint("wiki_id", "page_id"),
                      Index("ix_articles_title", "wiki_id", "namespace", "title"))

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

    wiki_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # unchecked: migration 0006
    rev_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    refs: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Revision(Base):
    """One edit of a user wikicourse tracks, as list=usercontribs reported it: the shared
    ingestion store (docs/shared-ingestion.md). Fetched once for every course that tracks the user; each
    course derives its finest grain from these rows, and campaigns count them once.

    `characters` is max(0, sizediff); `references` the references the edit added (counted
    for main-space edits only, docs/metrics.md); the page's current namespace and deletion state
    are its article's.
    """

    __tablename__ = "revisions"
    __table_args__ = (Index("ix_revisions_user", "wiki_id", "user_id", "timestamp"),
                      Index("ix_revisions_article", "article_id"))

    wiki_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # unchecked: migration 0006
    rev_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int]  # users and articles unchecked too: the writer resolved them
    article_id: Mapped[int]
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    characters: Mapped[int] = mapped_column(Integer, default=0)
    references: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[bool] = mapped_column(Boolean, default=False)


class ContributionRead(Base):
    """A span [start, end) of one user's contributions on a wiki that `revisions` holds in
    full. Spans of a user are kept disjoint (merged as they grow), so a course needing the
    user over its period asks the wiki only for what no span holds."""

    __tablename__ = "contribution_reads"
    __table_args__ = (Index("ix_contribution_reads_user", "wiki_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wiki_id: Mapped[int] = mapped_column(ForeignKey("wikis.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    # The wiki's store_generation when read: a span of an older one holds nothing.
    generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class WikiChange(Base):
    """A change of a wiki's past read off its log (docs/wiki-past.md), kept for every course on the wiki.

    kind: moved (old_title/old_namespace -> title/namespace), deleted, restored, revisions
    (revision deletion on the page), renamed (a user: old_title -> title). Each course
    applies the changes after its own cursor (course_wikis.changes_applied).
    """

    __tablename__ = "wiki_changes"
    __table_args__ = (UniqueConstraint("wiki_id", "log_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wiki_id: Mapped[int] = mapped_column(ForeignKey("wikis.id", ondelete="CASCADE"))
    log_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(16))
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), nullable=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=True)
    title: Mapped[str] = mapped_column(String(512), default="")
    namespace: Mapped[int | None] = mapped_column(Integer, nullable=True)
    old_title: Mapped[str] = mapped_column(String(512), default="")
    old_namespace: Mapped[int | None] = mapped_column(Integer, nullable=True)


class WikiChangeEdit(Base):
    """An edit on a changed page, by a user wikicourse tracks, as the page's history shows it
    after the change: where courses must read that user's contributions again."""

    __tablename__ = "wiki_change_edits"

    id: Mapped[int] = mapped_column(primary_key=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("wiki_changes.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
