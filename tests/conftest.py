"""Shared fixtures: databases (SQLite, and a real PostgreSQL the tests start themselves)."""
from __future__ import annotations

import logging
import os
import sys

import pytest

from wikicourse.cli import main
from wikicourse.db import open_db


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'wikicourse.sqlite'}"


@pytest.fixture
def engine(sqlite_url):
    eng = open_db(sqlite_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def pg_base_url():
    from support.postgres import postgres_url

    return os.environ.get("WIKICOURSE_TEST_PG") or postgres_url()


@pytest.fixture
def pg_url(pg_base_url):
    from support.postgres import drop_database, fresh_database

    url = fresh_database(pg_base_url)
    yield url
    drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_url(request, sqlite_url):
    """Each test using it runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return sqlite_url
    return request.getfixturevalue("pg_url")


@pytest.fixture(scope="session")
def redis_base_url():
    """A real Redis: $WIKICOURSE_TEST_REDIS (make test starts one), else started here."""
    import subprocess
    from pathlib import Path

    if url := os.environ.get("WIKICOURSE_TEST_REDIS"):
        return url
    up = Path(__file__).resolve().parents[1] / "scripts" / "redis" / "up.sh"
    return subprocess.run(["bash", str(up)], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def redis_url(redis_base_url):
    """The Redis, emptied for this test (queues, gates)."""
    import redis

    client = redis.Redis.from_url(redis_base_url)
    client.flushdb()
    client.close()
    return redis_base_url


@pytest.fixture(autouse=True)
def root_logger_kept():
    """Commands run in-process that set the logs up (serve, worker, schedule) bind a handler to
    that test's captured stderr: the root logger is put back, or later tests log into a closed stream."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def cli(sqlite_url, capsys, monkeypatch):
    """cli(*args) runs the command line in-process on the test's SQLite database: (exit code, stdout, stderr)."""
    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["wikicourse", "--db", sqlite_url, *args])
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code or 0
        out = capsys.readouterr()
        return code, out.out, out.err
    return run
