"""Opening the database: the URL, SQLite's settings, and schema migrations on first use."""
from __future__ import annotations

import ast
import os
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from sqlalchemy import Column, Connection, Engine, MetaData, String, Table, create_engine, event, func, inspect, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, ProgrammingError

from .errors import NoDatabase, WikicourseError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# Alembic's own table: the revision the schema is at.
alembic_version = Table("alembic_version", MetaData(), Column("version_num", String(32), primary_key=True))
# pg_advisory_xact_lock's key for migrating: any number no other lock on the database uses.
MIGRATIONS_LOCK = 0x77696B69  # "wiki" in ASCII
# A migration script's `revision = '0005'` and `down_revision = '0004'` lines (annotated or not).
_REVISION_LINE = re.compile(r"^(revision|down_revision)\b[^=\n]*=(.+)$", re.MULTILINE)


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


def _read_only_pragmas(dbapi_connection, _record) -> None:
    """A read-only file's: no journal mode to set (setting one is a write)."""
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def read_only_options(path: Path) -> dict[str, str]:
    """SQLite's URI options for a file this process may not write (a replica, a backup), else
    {}: mode=ro; and immutable=1 when there is no -shm file and none can be made beside it,
    since SQLite reads a WAL database through one (immutable: nothing writes the file, so
    neither the -shm nor locks are needed, and a -wal file is not read)."""
    folder = os.access(path.parent, os.W_OK | os.X_OK)
    wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
    if os.access(path, os.W_OK) and (folder or (os.access(wal, os.W_OK) and os.access(shm, os.W_OK))):
        return {}
    return {"mode": "ro"} if folder or shm.exists() else {"mode": "ro", "immutable": "1"}


def alembic_config(engine: Engine | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    # Alembic's options go through configparser, which reads "%" as interpolation: a path or
    # a percent-encoded password with "%" would fail (and print the URL) unless doubled.
    cfg.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


def open_db(url: str | None = None, *, migrate: bool = True, connections: int | None = None,
            create: bool = True) -> Engine:
    """An engine on `url` (default: default_url()), with the schema brought up to date;
    `connections` sizes the pool for that many used at once (SQLAlchemy's default: 15).
    With create=False a missing database, or one without wikicourse's tables, is NoDatabase
    and nothing is created: no folder, no file, no tables."""
    url = url or default_url()
    try:
        path = sqlite_file(url)
        if path is not None and create:
            path.parent.mkdir(parents=True, exist_ok=True)
        elif path is not None and not path.exists():  # connecting would create the file
            raise NoDatabase(_no_database(str(path)))
        read_only = read_only_options(path) if path is not None and path.exists() else {}
        target: str | URL = url
        if read_only:
            parsed = make_url(url)  # the same file as an SQLite URI, which alone takes those options
            target = parsed.set(database=f"file:{quote(str(path))}", query={**parsed.query, **read_only, "uri": "true"})
        sizing = {"pool_size": connections, "max_overflow": 5} if connections else {}
        try:
            engine = create_engine(target, **sizing)
        except ImportError as exc:  # the dialect is known, its driver not installed (mysql:// without MySQLdb)
            raise WikicourseError(f"cannot open database {_safe(url)}: its driver is not installed ({exc})") from None
        # Checked before the pragmas are set: WAL mode would change a stray SQLite file.
        if not create and not has_schema(engine):
            engine.dispose()
            raise NoDatabase(_no_database(str(path) if path else _safe(url), "it has no wikicourse tables"))
        engine.dispose()  # any connection the check made had no pragmas
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _read_only_pragmas if read_only else _sqlite_pragmas)
        if migrate and not at_head(engine):
            if read_only:
                raise WikicourseError(f"cannot open database {path}: it is read-only, and its schema is older than "
                                      "this wikicourse's (open it once with write access to upgrade it)")
            upgrade(engine)
    except (ArgumentError, NoSuchModuleError, OperationalError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise WikicourseError(f"cannot open database {_safe(url)}: {reason}") from None
    return engine


def sqlite_file(url: str) -> Path | None:
    """The file an SQLite URL names; None for another database or an in-memory one."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:") \
            or parsed.query.get("uri") == "true":
        return None
    return Path(parsed.database)


def has_schema(engine: Engine) -> bool:
    """Whether the database holds wikicourse's tables (Alembic's record of them)."""
    return inspect(engine).has_table(alembic_version.name)


def _no_database(where: str, why: str = "") -> str:
    because = f" ({why})" if why else ""
    return f"no wikicourse database at {where}{because}: `wikicourse wiki add` creates one"


@cache
def head_revision() -> str | None:
    """The newest migration's revision, read from the scripts' revision lines: importing Alembic
    and loading every script to ask it takes longer than most commands take to run. None when
    the scripts do not name exactly one head (then open_db leaves it to Alembic)."""
    revisions, parents = set(), set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        lines = dict(_REVISION_LINE.findall(script.read_text(encoding="utf-8")))
        try:
            revisions.add(ast.literal_eval(lines["revision"].strip()))
            down = ast.literal_eval(lines.get("down_revision", "None").strip())
        except (KeyError, ValueError, SyntaxError):  # not a literal: only Alembic can tell
            return None
        parents.update(down if isinstance(down, tuple) else (down,))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def at_head(engine: Engine) -> bool:
    """Whether the schema is already the newest migration's, the case of every open but the
    first after an upgrade: then no Alembic is needed."""
    if (head := head_revision()) is None:
        return False
    with engine.connect() as conn:  # failing to connect at all is open_db's to report
        try:
            versions = conn.scalars(select(alembic_version.c.version_num)).all()
        except (OperationalError, ProgrammingError):  # no alembic_version table: a new database
            return False
    return versions == [head]


def upgrade(engine: Engine) -> None:
    """Apply the Alembic migrations the database lacks (all of them on first use)."""
    from alembic import command

    cfg = alembic_config(engine)
    with engine.begin() as conn:
        _lock_for_migrations(conn)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def _lock_for_migrations(conn: Connection) -> None:
    """Make two processes opening a new database at once take turns: else both see no schema
    and both create it, and the second fails. The second waits here (SQLite: up to the
    busy_timeout) until the first commits, then Alembic finds the schema at head."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(MIGRATIONS_LOCK)))  # released at commit
    elif conn.dialect.name == "sqlite":
        # The database's write lock now, not at the first write; Core has no construct for it,
        # and pysqlite keeps the migrations' DDL in the transaction it begins.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _safe(url: str) -> str:
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return repr(url)

