"""Opening the database: the URL, SQLite's settings, and schema migrations on first use."""
from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from .errors import WikicourseError

MIGRATIONS = Path(__file__).parent / "migrations"


def default_url() -> str:
    """$WIKICOURSE_DB, else an SQLite file in the user's data folder."""
    if url := os.environ.get("WIKICOURSE_DB"):
        return url
    data = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite:///{data / 'wikicourse' / 'wikicourse.sqlite'}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    # WAL lets the fetch threads read the refs cache while the writer commits.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def alembic_config(engine: Engine | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def open_db(url: str | None = None, *, migrate: bool = True, connections: int | None = None) -> Engine:
    """An engine on `url` (default: default_url()), with the schema brought up to date;
    `connections` sizes the pool for that many used at once (SQLAlchemy's default: 15)."""
    url = url or default_url()
    try:
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        sizing = {"pool_size": connections, "max_overflow": 5} if connections else {}
        engine = create_engine(url, **sizing)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        if migrate:
            upgrade(engine)
    except (ArgumentError, NoSuchModuleError, OperationalError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise WikicourseError(f"cannot open database {_safe(url)}: {reason}") from None
    return engine


def upgrade(engine: Engine) -> None:
    """Apply the Alembic migrations the database lacks (all of them on first use)."""
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def _safe(url: str) -> str:
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return repr(url)

