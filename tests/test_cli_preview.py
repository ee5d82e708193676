"""The command line's dis-enrollment preview (`disenroll --dry-run`), per-wiki split
(`stats --per-wiki`) and wiki list: the same functions the API and the pages call."""
from __future__ import annotations

import json

import pytest

from support.exports import write_export
from test_cli import snapshot

AS_OF = "2024-02-01T00:00:00Z"


@pytest.fixture
def course(cli, tmp_path):
    """Ann alone edits Alpha and a draft; Bob alone edits Beta; both edit Shared (Ann created it)."""
    one = write_export(tmp_path / "one.xml", {
        ("Alpha", 0): [("2024-01-02T10:00:00Z", "Ann", "Alpha <ref>a</ref>")],
        ("Shared", 0): [("2024-01-03T10:00:00Z", "Ann", "Shared"),
                        ("2024-01-04T10:00:00Z", "Bob", "Shared, grown by Bob <ref>b</ref>")],
        ("Draft:Gamma", 118): [("2024-01-04T10:00:00Z", "Ann", "Gamma draft")]})
    two = write_export(tmp_path / "two.xml", {("Beta", 0): [("2024-01-05T10:00:00Z", "Bob", "Beta on two")]})
    for domain, path in (("one.wiki", one), ("two.wiki", two)):
        assert cli("wiki", "add", domain, "--api-url", path.resolve().as_uri())[0] == 0
    assert cli("course", "create", "c1", "--title", "Course one", "--start", "2024-01-01", "--end", "2024-01-10",
               "--wiki", "one.wiki", "--wiki", "two.wiki")[0] == 0
    assert cli("enroll", "c1", "Ann", "Bob")[0] == 0
    assert cli("update", "c1", "--as-of", AS_OF)[0] == 0
    return "c1"


def test_disenroll_dry_run_prints_each_figure_changes_nothing_and_the_update_agrees(cli, course, sqlite_url):
    before = snapshot(sqlite_url)
    code, out, err = cli("disenroll", course, "ann", "--dry-run")
    assert code == 0, err
    assert snapshot(sqlite_url) == before  # every row of every table as it was
    lines = out.splitlines()
    assert lines[0].startswith("dry run, nothing changed: removing Ann from c1") and AS_OF in lines[0]
    figures = dict(line.strip().split(": ", 1) for line in lines[1:9])
    # Ann's part: Alpha (18 characters, 1 reference), Shared's creation (6; Bob's 27 stay), the draft (11).
    assert figures == {"student_count": "2 -> 1", "revision_count": "5 -> 2", "character_sum": "62 -> 38",
                       "character_sum_user": "0 -> 0", "character_sum_draft": "11 -> 0",
                       "references_count": "2 -> 1", "article_count": "3 -> 2", "new_article_count": "3 -> 1"}
    assert "  stops counting: Alpha (one.wiki) [new]" in lines
    assert "  1 article(s) they created stay counted, no longer as new" in lines

    cli("disenroll", course, "Ann")
    assert cli("update", course, "--as-of", AS_OF)[0] == 0
    after = json.loads(cli("stats", course, "--json")[1])["course"]
    assert {f: str(after[f]) for f in figures} == {f: v.split(" -> ")[1] for f, v in figures.items()}


def test_disenroll_dry_run_of_several_users_and_refusals(cli, course, sqlite_url):
    before = snapshot(sqlite_url)
    code, out, _ = cli("disenroll", course, "Ann", "Bob", "--dry-run")
    assert code == 0 and "removing Ann, Bob from c1" in out and "  revision_count: 5 -> 0" in out
    for args, message in [(["disenroll", course, "Carol", "--dry-run"], "not enrolled in 'c1': Carol"),
                          (["disenroll", "nope", "Ann", "--dry-run"], "no course 'nope'"),
                          (["disenroll", course, " ", "--dry-run"], "none empty")]:
        code, out, err = cli(*args)
        assert code == 1 and err.splitlines() == [f"error: {err.split('error: ', 1)[1].strip()}"]
        assert message in err and "Traceback" not in err + out
    assert snapshot(sqlite_url) == before


def test_disenroll_dry_run_while_an_update_writes_the_course_is_one_line_soon(cli, course, sqlite_url, monkeypatch):
    """Another process holding the database's write lock: the preview waits the web's few
    seconds ($WIKICOURSE_WEB_LOCK_WAIT), not the command line's 30 s, and says so in one line."""
    import time

    from sqlalchemy import update

    from wikicourse.db import open_db
    from wikicourse.models.tables import enrollments

    monkeypatch.setenv("WIKICOURSE_WEB_LOCK_WAIT", "1")
    holder = open_db(sqlite_url, migrate=False)
    try:
        with holder.begin() as conn:
            conn.execute(update(enrollments).values(revision_count=enrollments.c.revision_count))
            started = time.monotonic()
            code, out, err = cli("disenroll", course, "Ann", "--dry-run")
            assert time.monotonic() - started < 10
            conn.rollback()
    finally:
        holder.dispose()
    assert (code, out, err) == (1, "", "error: course 'c1' is being written by another process (an update): "
                                       "try the preview again shortly\n")
    assert cli("disenroll", course, "Ann", "--dry-run")[0] == 0  # the lock gone


def test_stats_per_wiki_as_a_table_and_as_json_adding_up_to_the_course(cli, course):
    code, out, _ = cli("stats", course, "--per-wiki", "--json")
    assert code == 0
    rows = {w["wiki"]: w for w in json.loads(out)["wikis"]}
    assert set(rows) == {"one.wiki", "two.wiki"}
    assert (rows["two.wiki"]["revision_count"], rows["two.wiki"]["editors"], rows["two.wiki"]["article_count"]) \
        == (1, 1, 1)
    course_doc = json.loads(cli("stats", course, "--json")[1])
    assert set(course_doc) == {"course", "users", "articles", "timeslices"}  # the document is unchanged
    for f in ("revision_count", "character_sum", "references_count", "character_sum_draft", "article_count"):
        assert sum(w[f] for w in rows.values()) == course_doc["course"][f]
    code, out, _ = cli("stats", course, "--per-wiki")
    header, _, one, two = out.splitlines()[:4]
    assert header.split()[:5] == ["wiki", "editors", "articles", "new", "revisions"]
    assert one.split()[:5] == ["one.wiki", "2", "2", "2", str(rows["one.wiki"]["revision_count"])]
    assert two.split()[:5] == ["two.wiki", "1", "1", "1", "1"]
    code, _, err = cli("stats", course, "--per-wiki", "--until", "2024-01-03")
    assert code == 1 and "takes no --until" in err


def test_wiki_list_lists_every_registered_wiki(cli, course):
    code, out, _ = cli("wiki", "list")
    assert code == 0 and [line.split("\t")[0] for line in out.splitlines()] == ["one.wiki", "two.wiki"]
    assert all(line.split("\t")[1].startswith("file:") for line in out.splitlines())


def test_the_command_line_holds_no_sql():
    """Its commands call the package's functions: cli.py imports nothing to build a query with
    (SQLAlchemy's Engine for a type, and its exception classes to report, only) nor any table."""
    import ast
    from pathlib import Path

    import wikicourse.cli

    tree = ast.parse(Path(wikicourse.cli.__file__).read_text(encoding="utf-8"))
    imported = {(node.level * "." + (node.module or ""), alias.name)
                for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names}
    assert {(m, n) for m, n in imported if m.startswith("sqlalchemy")} <= {("sqlalchemy", "Engine"),
                                                                         ("sqlalchemy.exc", "SQLAlchemyError")}
    tables = ("wikis", "courses", "enrollments", "users")  # a name, not a module: a table
    assert not {(m, n) for m, n in imported if "models" in m or (m != "." and n in tables)}
    assert not any(isinstance(node, ast.Import) and any(a.name.startswith("sqlalchemy") for a in node.names)
                   for node in ast.walk(tree))
