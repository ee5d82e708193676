"""The store's Wikidata figures: one row per stored revision of a Wikibase wiki, written and
replaced with the revision by the writer (update.writer), in its transaction."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, select

from ..models.tables import revisions, wikibase_revisions
from ..sql import load
from .summary import FIGURES, row_of

COLUMNS = ("wiki_id", "rev_id", *FIGURES)


def forget_figures(conn: Connection, wiki_id: int, user_ids: list[int], start: datetime, until: datetime) -> None:
    """Before the writer replaces these users' revisions in [start, until): their figures go with them."""
    conn.execute(delete(wikibase_revisions).where(
        wikibase_revisions.c.wiki_id == wiki_id,
        wikibase_revisions.c.rev_id.in_(select(revisions.c.rev_id).where(
            revisions.c.wiki_id == wiki_id, revisions.c.user_id.in_(user_ids),
            revisions.c.timestamp >= start, revisions.c.timestamp < until))))


def store_figures(conn: Connection, wiki_id: int, contributions) -> None:
    """The figures of these contributions (their summaries read, docs/wikidata.md#figures)."""
    load(conn, wikibase_revisions, COLUMNS, ((wiki_id, c.revid, *row_of(c.comment)) for c in contributions),
         keys=("wiki_id", "rev_id"), update=FIGURES)
