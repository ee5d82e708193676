"""Which commands create the database: those that write; those that only read, or change what
must exist already, say there is none, in one line, and create nothing."""
from __future__ import annotations

import sys

import pytest
from sqlalchemy import create_engine, inspect

from wikicourse.cli import main
from wikicourse.db import open_db
from wikicourse.errors import NoDatabase

# Commands with nothing to do on a new database, with the arguments they need.
NEEDING_ONE = [
    ["stats", "c1"], ["stats", "c1", "--json"], ["changes", "c1"], ["wiki", "list"], ["campaign", "list"],
    ["campaign", "stats", "spring"], ["status"], ["serve", "--port", "0"], ["update", "c1"],
    ["disenroll", "c1", "Ann"], ["course", "edit", "c1", "--end", "2024-02-01"],
    ["campaign", "add", "spring", "c1"], ["campaign", "remove", "spring", "c1"], ["token", "list"],
    ["token", "revoke", "1"], ["unlock", "c1"],
]


@pytest.fixture
def run(capsys, monkeypatch):
    def run(url: str, *args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["wikicourse", "--db", url, *args])
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code or 0
        out = capsys.readouterr()
        return code, out.out, out.err
    return run


def files_under(folder) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize("args", NEEDING_ONE, ids=" ".join)
def test_a_missing_database_is_named_and_not_created(run, tmp_path, args):
    path = tmp_path / "missing" / "w.sqlite"
    code, out, err = run(f"sqlite:///{path}", *args)
    assert (code, out, err) == (1, "", f"error: no wikicourse database at {path}: `wikicourse wiki add` "
                                       "creates one\n")
    assert files_under(tmp_path) == []


@pytest.mark.parametrize("args", [["stats", "c1"], ["wiki", "list"], ["serve", "--port", "0"]], ids=" ".join)
def test_a_database_without_wikicourse_tables_is_refused_and_left_alone(run, tmp_path, args):
    path = tmp_path / "other.sqlite"
    path.write_bytes(b"")  # an empty file is an empty SQLite database
    code, out, err = run(f"sqlite:///{path}", *args)
    assert (code, out) == (1, "")
    assert err == (f"error: no wikicourse database at {path} (it has no wikicourse tables): "
                   "`wikicourse wiki add` creates one\n")
    assert files_under(tmp_path) == ["other.sqlite"] and path.read_bytes() == b""


def test_an_empty_postgresql_database_gets_no_tables(pg_url):
    with pytest.raises(NoDatabase, match="it has no wikicourse tables"):
        open_db(pg_url, create=False)
    engine = create_engine(pg_url)
    assert inspect(engine).get_table_names() == []
    engine.dispose()


def test_commands_that_write_create_it_and_then_the_others_find_it(run, tmp_path):
    path = tmp_path / "new" / "folder" / "w.sqlite"
    url = f"sqlite:///{path}"
    assert run(url, "wiki", "add", "test.wiki", "--api-url", "https://test.wiki/w/api.php")[0] == 0
    assert path.exists()
    assert run(url, "wiki", "list") == (0, "test.wiki\thttps://test.wiki/w/api.php\n", "")
    assert run(url, "stats", "nope") == (1, "", "error: no course 'nope'\n")


def test_a_percent_in_an_sqlite_path_is_no_trouble(run, tmp_path):
    """Alembic's config parser reads "%" as interpolation: unescaped, it crashed every command."""
    path = tmp_path / "100%" / "w.sqlite"  # "%41" would be SQLAlchemy's escape of "A"
    url = f"sqlite:///{path}"
    assert run(url, "wiki", "add", "test.wiki") == (0, "wiki test.wiki: https://test.wiki/w/api.php\n", "")
    assert run(url, "wiki", "list") == (0, "test.wiki\thttps://test.wiki/w/api.php\n", "")
    assert path.stat().st_size > 0


def test_a_percent_encoded_postgresql_password_is_no_trouble_and_not_shown(run, pg_url):
    from sqlalchemy.engine import make_url

    # The test cluster trusts loopback: the password is sent, and its encoding must survive.
    url = make_url(pg_url).set(password="p@ss%w:rd/").render_as_string(hide_password=False)
    assert "p%40ss%25w%3Ard%2F@" in url
    assert run(url, "wiki", "add", "test.wiki") == (0, "wiki test.wiki: https://test.wiki/w/api.php\n", "")
    assert run(url, "wiki", "list") == (0, "test.wiki\thttps://test.wiki/w/api.php\n", "")
    engine = create_engine(pg_url)
    assert "wikis" in inspect(engine).get_table_names()
    engine.dispose()


@pytest.mark.parametrize("args", [["wiki", "add", "test.wiki"], ["wiki", "list"], ["stats", "c1"]], ids=" ".join)
def test_a_database_whose_driver_is_not_installed_is_one_line(run, args):
    code, out, err = run("mysql://ann:s3cret@db.example/wiki", *args)
    assert (code, out) == (1, "")
    assert err == ("error: cannot open database mysql://db.example/wiki: its driver is not installed "
                   "(No module named 'MySQLdb')\n")
