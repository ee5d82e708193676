"""The database: migrations build exactly the models' schema, on SQLite and PostgreSQL."""
from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import column, create_engine, insert, inspect, select, table

from support.cli import environment
from wikicourse.db import alembic_config, alembic_version, at_head, head_revision, open_db, upgrade
from wikicourse.stats import COURSE_FIELDS
from wikicourse.models import Base


def test_migrations_create_the_schema_the_models_describe(any_url):
    engine = open_db(any_url)
    try:
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        assert inspect(engine).has_table("alembic_version")
    finally:
        engine.dispose()


def test_opening_twice_is_harmless(sqlite_url):
    open_db(sqlite_url).dispose()
    engine = open_db(sqlite_url)
    assert set(inspect(engine).get_table_names()) >= {"courses", "course_wiki_timeslices",
                                                        "course_user_article_timeslices"}
    engine.dispose()


def test_upgrading_a_0001_database_settles_runs_left_running(sqlite_url):
    """0002's lock allows one running run per course: older killed runs become 'interrupted'."""
    engine = create_engine(sqlite_url)
    command.upgrade(alembic_config(engine), "0001")
    # The tables as 0001 made them (the models have moved on).
    course = table("courses", *[column(c) for c in ("id", "slug", "title", "start", "end", "timeslice_days",
                                                      *COURSE_FIELDS)])
    runs = table("update_runs", *[column(c) for c in ("course_id", "full", "as_of", "started_at", "status",
                                                        "requests", "revisions")])
    when = datetime(2024, 1, 1)
    with engine.begin() as conn:
        conn.execute(insert(course).values(id=1, slug="c", title="C", start=date(2024, 1, 1), end=date(2024, 1, 2),
                                           timeslice_days=1, **{f: 0 for f in COURSE_FIELDS}))
        conn.execute(insert(runs), [dict(course_id=1, full=False, as_of=when, started_at=when, status=s, requests=0,
                                         revisions=0) for s in ("running", "running", "done")])
    upgrade(engine)
    with engine.connect() as conn:
        assert sorted(conn.scalars(select(runs.c.status))) == ["done", "interrupted", "interrupted"]
    engine.dispose()


def test_the_head_read_from_the_scripts_is_alembics():
    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_opening_a_database_behind_the_scripts_upgrades_it(sqlite_url):
    engine = create_engine(sqlite_url)
    command.upgrade(alembic_config(engine), "0003")
    assert not at_head(engine)
    engine.dispose()
    engine = open_db(sqlite_url)
    assert at_head(engine)
    with engine.connect() as conn:
        assert conn.scalars(select(alembic_version.c.version_num)).all() == [head_revision()]
    engine.dispose()


# Opens the database given, once every process is started (a line on stdin says so).
OPEN = """
import sys
from wikicourse.db import open_db
print("ready", flush=True)
sys.stdin.readline()
open_db(sys.argv[1]).dispose()
"""


def test_processes_opening_a_new_database_at_once_take_turns_to_create_it(any_url):
    env = environment()
    procs = [subprocess.Popen([sys.executable, "-c", OPEN, any_url], env=env, text=True, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
    for p in procs:
        assert p.stdout.readline() == "ready\n"
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    assert [(p.wait(timeout=120), p.stderr.read()) for p in procs] == [(0, "")] * len(procs)
    engine = create_engine(any_url)
    assert at_head(engine)
    engine.dispose()
