"""The few statements whose spelling differs between SQLite and PostgreSQL, in one place."""
from __future__ import annotations

from typing import Iterable, Sequence

from sqlalchemy import Connection, Table, text
from sqlalchemy.dialects import postgresql, sqlite

# Both dialects bind one parameter per value; stay well under SQLite's limit.
CHUNK = 500


def _insert(conn: Connection, table: Table):
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def upsert(conn: Connection, table: Table, rows: Sequence[dict], keys: Sequence[str],
           update: Sequence[str] = ()) -> None:
    """Bulk INSERT ... ON CONFLICT (keys) DO UPDATE SET update (or DO NOTHING)."""
    if not rows:
        return
    stmt = _insert(conn, table)
    if update:
        stmt = stmt.on_conflict_do_update(index_elements=list(keys),
                                          set_={c: stmt.excluded[c] for c in update})
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    conn.execute(stmt, list(rows))


def chunks(items: Iterable, size: int = CHUNK):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def analyze(conn: Connection, tables: Sequence[Table]) -> None:
    """Refresh the planner's statistics after a bulk load (SQLAlchemy has no construct for it)."""
    for table in tables:
        conn.execute(text(f"ANALYZE {conn.dialect.identifier_preparer.format_table(table)}"))
