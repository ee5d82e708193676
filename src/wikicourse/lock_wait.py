"""Waiting for a lock another connection holds: telling that wait's end from other database
errors, and an engine whose transactions give up sooner than the command line's.

SQLite waits out its busy timeout (db.py: 30 s) and PostgreSQL waits for ever; a web request
that waits that long looks like a dead server, so the web's engine waits a few seconds and
answers "busy, try again" instead.
"""
from __future__ import annotations

from sqlalchemy import Connection, Engine, event, func, select
from sqlalchemy.exc import DBAPIError, OperationalError

OPTION = "wikicourse_lock_wait"  # execution option: seconds a transaction waits for a lock


def is_lock_wait(exc: OperationalError) -> bool:
    """Did the statement give up waiting for a lock another transaction holds?"""
    code = getattr(exc.orig, "sqlstate", None)
    return code == "55P03" or "database is locked" in str(exc.orig)  # PostgreSQL's lock_not_available


def is_read_only(exc: DBAPIError) -> bool:
    """Did the database refuse a write because it is read-only (a replica, a read-only file)?"""
    code = getattr(exc.orig, "sqlstate", None)
    return code == "25006" or "readonly database" in str(exc.orig)  # PostgreSQL's read_only_sql_transaction


def waiting_at_most(engine: Engine, seconds: float) -> Engine:
    """`engine` (the same pool) with each transaction waiting at most `seconds` for a lock:
    SQLite's busy timeout, PostgreSQL's lock_timeout. `engine`'s own transactions keep theirs."""
    if not event.contains(engine, "begin", _set_wait):
        event.listen(engine, "begin", _set_wait)
    return engine.execution_options(**{OPTION: seconds})


def waits_for(engine: Engine) -> float | None:
    """The seconds waiting_at_most gave `engine` (None: the connection's own wait)."""
    return engine.get_execution_options().get(OPTION)


def _set_wait(conn: Connection) -> None:
    seconds = conn.get_execution_options().get(OPTION)
    ms = None if seconds is None else max(1, int(seconds * 1000))  # (PostgreSQL's 0 is no limit at all)
    if conn.dialect.name == "postgresql":
        if ms is not None:  # for this transaction only: the pooled connection keeps its default
            conn.execute(select(func.set_config("lock_timeout", f"{ms}ms", True)))
    elif conn.dialect.name == "sqlite":
        # A connection setting, not a transaction's: set it whenever the wanted wait changes,
        # back to the connection's own for the transactions of `engine` itself.
        info = conn.connection.info
        if "own busy timeout" not in info:
            info["own busy timeout"] = info["busy timeout"] = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
        wanted = info["own busy timeout"] if ms is None else ms
        if wanted != info["busy timeout"]:
            conn.exec_driver_sql(f"PRAGMA busy_timeout={int(wanted)}")  # (no construct for PRAGMA; an int)
            info["busy timeout"] = wanted
