"""A real PostgreSQL for tests: the throwaway cluster of scripts/postgres/, one fresh database per test.

Nothing here skips: when the server is not running, `postgres_url()` runs
scripts/postgres/up.sh, which installs Debian's postgresql first if needed (as CI does).
"""
from __future__ import annotations

import os
import subprocess
import threading
import uuid
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

UP_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "postgres" / "up.sh"

# Generous: a cold CI machine runs apt-get update and installs postgresql first.
UP_TIMEOUT_SECONDS = 900

_lock = threading.Lock()
_base_url: str | None = None


def _conninfo(url: str, dbname: str | None = None) -> str:
    """The libpq URI psycopg wants for an SQLAlchemy URL (optionally another database on it)."""
    u = make_url(url).set(drivername="postgresql")
    if dbname is not None:
        u = u.set(database=dbname)
    return u.render_as_string(hide_password=False)


def _reachable(url: str) -> bool:
    try:
        with psycopg.connect(_conninfo(url), connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def _default_url() -> str:
    # Must match what up.sh prints for the same environment.
    return f"postgresql+psycopg://wikicourse@127.0.0.1:{os.environ.get('PGPORT', '55432')}/wikicourse"


def postgres_url() -> str:
    """The SQLAlchemy URL of the test server, starting it (once per process) if it is not up.

    `WIKICOURSE_TEST_PG`, when set, names the server to use and is returned as is.
    """
    global _base_url
    explicit = os.environ.get("WIKICOURSE_TEST_PG")
    if explicit:
        return explicit
    with _lock:
        if _base_url is None:
            url = _default_url()
            if not _reachable(url):
                done = subprocess.run(
                    ["bash", str(UP_SCRIPT)],
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    text=True,
                    timeout=UP_TIMEOUT_SECONDS,
                )
                if done.returncode != 0:
                    raise RuntimeError(f"{UP_SCRIPT} failed ({done.returncode}):\n{done.stderr}")
                url = done.stdout.strip().splitlines()[-1]
            _base_url = url
        return _base_url


def fresh_database(base_url: str) -> str:
    """Create an empty database on base_url's server; return its SQLAlchemy URL."""
    # pid + random: unique across parallel test processes and repeated runs.
    name = f"wikicourse_test_{os.getpid()}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_conninfo(base_url), autocommit=True) as conn:
        stmt = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if conn.info.server_version >= 150000:
            # FILE_COPY copies the tiny template's files directly instead of writing every
            # page to WAL (15's default); several times faster per test database.
            stmt = stmt + sql.SQL(" STRATEGY = FILE_COPY")
        conn.execute(stmt)
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Drop the database of url (made by fresh_database), even if connections to it linger."""
    name = make_url(url).database
    # Connect to the maintenance database: one cannot drop the database one is connected to.
    with psycopg.connect(_conninfo(url, dbname="postgres"), autocommit=True) as conn:
        stmt = sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name))
        if conn.info.server_version >= 130000:
            # An engine a test forgot to dispose of must not make teardown fail.
            stmt = stmt + sql.SQL(" WITH (FORCE)")
        conn.execute(stmt)
