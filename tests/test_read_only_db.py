"""A read-only SQLite file (a replica, a backup) is read by `stats` and `serve` without write
access to it or its folder, where WAL would want its -wal and -shm files; a write is one line.

Root writes whatever the permissions say: as root, the commands run without the capabilities
that let it (setpriv), so the files are as read-only to them as to anyone else."""
from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from support import cli
from support.course import setup_course, update
from support.serving import serving
from wikicourse.db import open_db
from wikicourse.tokens import create_token
from wikicourse.demo import DEMO_END, DEMO_START, DEMO_WIKI, DEMO_XML

SLUG = "demo-2024"
STUDENTS = ["Amara Okafor", "Lena Fischer", "Priya Raman"]
# Root without CAP_DAC_OVERRIDE (and its read twin) is held to the files' permissions.
UNPRIVILEGED = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"] if os.geteuid() == 0 else []


def wikicourse_cli(url: str, *args: str) -> subprocess.CompletedProcess:
    return cli.wikicourse_cli(url, *args, prefix=UNPRIVILEGED)


def snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def writable(folder: Path) -> bool:
    return bool(folder.stat().st_mode & stat.S_IWUSR)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, str, str]:
    """A database with a course updated once, and its `stats --json` while writable, an admin token."""
    path = tmp_path_factory.mktemp("replica") / "copy" / "wikicourse.sqlite"
    path.parent.mkdir()
    engine = open_db(f"sqlite:///{path}")
    setup_course(engine, {DEMO_WIKI: DEMO_XML}, slug=SLUG, start=str(DEMO_START), end=str(DEMO_END),
                 students=STUDENTS)
    update(engine, SLUG, "2024-02-01T00:00:00Z")
    token = create_token(engine, "ops", role="admin")
    engine.dispose()  # the last connection checkpoints the WAL and removes -wal and -shm
    before = wikicourse_cli(f"sqlite:///{path}", "stats", SLUG, "--json")
    assert before.returncode == 0, before.stderr
    return path, before.stdout, token


@pytest.fixture(params=["read-only folder", "read-only file"])
def replica(request, built, tmp_path) -> Path:
    """The database, read-only: the file, and (first case) its folder, so no -wal or -shm can be made."""
    source = built[0]
    folder = tmp_path / "replica"
    folder.mkdir()
    path = folder / "wiki%course.sqlite"  # a "%" too: the URI that opens it read-only must escape it
    path.write_bytes(source.read_bytes())
    path.chmod(0o444)
    if request.param == "read-only folder":
        folder.chmod(0o555)
    yield path
    folder.chmod(0o755)
    path.chmod(0o644)


def test_the_files_are_read_only_to_the_commands(replica):
    """What makes the other tests mean something, for root as for anyone."""
    tries = [f"open({str(replica)!r}, 'r+b')"]
    if not writable(replica.parent):
        tries.append(f"open({str(replica.parent / 'new')!r}, 'x')")
    for attempt in tries:
        done = subprocess.run([*UNPRIVILEGED, sys.executable, "-c", attempt], capture_output=True, text=True)
        assert done.returncode == 1 and "PermissionError" in done.stderr, (attempt, done.stderr)


def test_stats_reads_a_read_only_database_and_a_write_is_one_line(built, replica):
    url = f"sqlite:///{str(replica).replace('%', '%25')}"  # SQLAlchemy decodes %XX in the path
    folder = snapshot(replica.parent)
    done = wikicourse_cli(url, "stats", SLUG, "--json")
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    assert done.stdout == built[1]
    done = wikicourse_cli(url, "stats", SLUG)
    assert done.returncode == 0 and SLUG in done.stdout, done.stderr
    done = wikicourse_cli(url, "wiki", "add", "other.example.org")
    assert (done.returncode, done.stdout, done.stderr) == (1, "", "error: database: attempt to write a readonly "
                                                                  "database\n")
    after = snapshot(replica.parent)
    if writable(replica.parent):  # where it can, SQLite adds a -wal and a -shm file to read through
        assert after[replica.name] == folder[replica.name]
    else:
        assert after == folder  # not a byte changed, no file added


def test_serve_shows_a_read_only_database_and_refuses_a_write_in_one_line(built, replica):
    url = f"sqlite:///{str(replica).replace('%', '%25')}"
    with serving(url, prefix=UNPRIVILEGED) as server, \
            httpx.Client(base_url=server.url, timeout=30) as web:
        for path in ("/", f"/courses/{SLUG}", f"/courses/{SLUG}/students", f"/courses/{SLUG}/articles",
                     f"/api/courses/{SLUG}", f"/api/courses/{SLUG}/updates"):
            answer = web.get(path)
            assert answer.status_code == 200, (path, answer.text)
        assert "Amara Okafor" in web.get(f"/courses/{SLUG}/students").text
        # Signing in opens a session: a write, refused as such (not a 500, not "try again")
        answer = web.post("/login", data={"token": built[2]}, headers={"Origin": server.url})
        assert (answer.status_code, answer.json()) == (503, {"error": "this server's database is read-only: "
                                                                      "nothing can be changed here"})


def test_a_read_only_database_behind_the_schema_says_so_in_one_line(tmp_path):
    from alembic import command
    from sqlalchemy import create_engine

    from wikicourse.db import alembic_config

    path = tmp_path / "old" / "wikicourse.sqlite"
    path.parent.mkdir()
    engine = create_engine(f"sqlite:///{path}")
    command.upgrade(alembic_config(engine), "0006")  # an older wikicourse's schema
    engine.dispose()
    path.chmod(0o444)
    path.parent.chmod(0o555)
    try:
        done = wikicourse_cli(f"sqlite:///{path}", "stats", SLUG)
        assert (done.returncode, done.stdout) == (1, "")
        assert done.stderr == (f"error: cannot open database {path}: it is read-only, and its schema is older than "
                               "this wikicourse's (open it once with write access to upgrade it)\n")
        assert sorted(p.name for p in path.parent.iterdir()) == ["wikicourse.sqlite"]
    finally:
        path.parent.chmod(0o755)
