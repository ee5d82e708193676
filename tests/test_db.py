"""The database: migrations build exactly the models' schema, on SQLite and PostgreSQL."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from wikicourse.db import open_db
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
