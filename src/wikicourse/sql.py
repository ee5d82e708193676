"""The few statements whose spelling differs between SQLite and PostgreSQL, in one place."""
from __future__ import annotations

from functools import lru_cache
from typing import Iterable, Sequence

from sqlalchemy import Column, Connection, MetaData, Table, insert, select, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, IntegrityError
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


def load(conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[tuple],
         keys: Sequence[str] = (), update: Sequence[str] = ()) -> None:
    """Write many rows (tuples in `columns`' order) in bulk; with `keys`, as upsert() does
    (rows whose keys exist take the `update` columns, or are skipped).

    This is the path of the store's and the refs cache's tens of thousands of rows: the
    values are bound as the columns' types bind them, but without SQLAlchemy's per-row
    parameter processing. PostgreSQL (through psycopg 3) takes them by COPY, into a
    temporary table first when they may conflict; SQLite runs one statement, compiled
    once, for every row."""
    rows = list(rows)
    if not rows:
        return
    if conn.dialect.name == "postgresql" and conn.dialect.driver != "psycopg":  # no COPY: the plain way
        dicts = [dict(zip(columns, row)) for row in rows]
        if keys:
            upsert(conn, table, dicts, keys, update)
        else:
            conn.execute(insert(table), dicts)
        return
    rows = _bound(conn, table, columns, rows)
    if conn.dialect.name != "postgresql":
        statement, order = _compiled(conn.dialect, table, tuple(columns), tuple(keys), tuple(update))
        if order != tuple(range(len(columns))):
            rows = (tuple(row[i] for i in order) for row in rows)
        conn.exec_driver_sql(statement, list(rows))
        return
    if not keys:
        _copy(conn, table, columns, rows)
        return
    if not update:
        # Rows new to the table are the rule (the refs of revisions just fetched): COPY them
        # straight in; only if another writer got there first, take the slower upsert.
        try:
            with conn.begin_nested():
                _copy(conn, table, columns, rows)
            return
        except IntegrityError:
            pass
    staging = Table(f"staging_{table.name}", MetaData(), *(Column(c, table.c[c].type) for c in columns),
                    prefixes=["TEMPORARY"])
    staging.create(conn)
    _copy(conn, staging, columns, rows)
    stmt = postgresql.insert(table).from_select(list(columns), select(staging))
    stmt = (stmt.on_conflict_do_update(index_elements=list(keys), set_={c: stmt.excluded[c] for c in update})
            if update else stmt.on_conflict_do_nothing(index_elements=list(keys)))
    conn.execute(stmt)
    staging.drop(conn)  # (on an error the transaction's rollback drops it)


def _bound(conn: Connection, table: Table, columns: Sequence[str], rows: list[tuple]) -> list[tuple]:
    """The rows with each value as its column's type binds it (only the columns whose type converts)."""
    dialect = conn.dialect
    # dialect_impl: the type as this dialect stores it (SQLite's datetimes are strings of one format).
    convert = [(i, p) for i, p in enumerate(table.c[c].type.dialect_impl(dialect).bind_processor(dialect)
                                           for c in columns) if p is not None]
    if not convert:
        return rows

    def bound(row: tuple) -> tuple:
        row = list(row)
        for i, p in convert:
            if row[i] is not None:
                row[i] = p(row[i])
        return tuple(row)

    return [bound(row) for row in rows]


def _copy(conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    quote = conn.dialect.identifier_preparer
    # COPY has no SQLAlchemy construct; the names come from the table's metadata.
    names = ", ".join(quote.quote(c) for c in columns)
    statement = f"COPY {quote.format_table(table)} ({names}) FROM STDIN"
    dbapi = conn.dialect.dbapi
    try:
        with conn.connection.driver_connection.cursor() as cur, cur.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except dbapi.Error as exc:  # as SQLAlchemy raises the driver's errors everywhere else
        raise DBAPIError.instance(statement, None, exc, dbapi.Error) from exc


@lru_cache(maxsize=64)
def _compiled(dialect: Dialect, table: Table, columns: tuple[str, ...], keys: tuple[str, ...],
              update: tuple[str, ...]) -> tuple[str, tuple[int, ...]]:
    """The INSERT (or upsert) as the dialect spells it, and the order its positional
    parameters take `columns` in."""
    stmt = sqlite.insert(table)
    if keys:
        stmt = (stmt.on_conflict_do_update(index_elements=list(keys), set_={c: stmt.excluded[c] for c in update})
                if update else stmt.on_conflict_do_nothing(index_elements=list(keys)))
    compiled = stmt.compile(dialect=dialect, column_keys=list(columns))
    return str(compiled), tuple(columns.index(name) for name in compiled.positiontup)


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
