"""`wikicourse campaign`: create, add, remove, list, stats; bad input refused in one line, changing nothing."""
from __future__ import annotations

import json

import pytest

from support import campaigns as world
from test_cli import snapshot
from wikicourse.db import open_db


@pytest.fixture
def built(cli, sqlite_url):
    engine = open_db(sqlite_url)
    world.build_world(engine)
    engine.dispose()
    assert cli("campaign", "create", "spring", "--title", "Spring 2024")[0] == 0
    return cli


def test_create_add_list_stats_and_remove(built):
    cli = built
    assert cli("campaign", "add", "spring", "c1", "c2") == (0, "added to spring: c1, c2\n", "")
    assert cli("campaign", "add", "spring", "c1") == (0, "already in spring: nothing to add\n", "")
    code, out, _ = cli("campaign", "list", "--json")
    listed = json.loads(out)
    assert code == 0 and [(c["slug"], c["course_count"], c["revision_count"]) for c in listed] == [
        ("spring", 2, world.UNION["revision_count"])]
    code, out, _ = cli("campaign", "list")
    assert code == 0 and "Spring 2024" in out and out.splitlines()[2].split()[-8:] == [
        str(world.UNION[f]) for f in ("student_count", "article_count", "new_article_count", "revision_count",
                                      "character_sum", "character_sum_user", "character_sum_draft",
                                      "references_count")]
    code, out, _ = cli("campaign", "stats", "spring", "--json")
    doc = json.loads(out)
    assert code == 0 and set(doc) == {"campaign", "courses", "wikis", "activity"}
    assert {f: doc["campaign"][f] for f in world.FIGURES} == world.UNION
    code, out, _ = cli("campaign", "stats", "spring", "--json", "--until", "2024-01-06")
    assert {f: json.loads(out)["campaign"][f] for f in world.FIGURES} == world.UNTIL_6TH
    code, out, _ = cli("campaign", "stats", "spring")
    assert code == 0 and "Spring 2024 (spring)" in out and "Course one" not in out  # slugs, not titles
    lines = out.splitlines()
    assert lines[5].split() == [str(world.UNION[f]) for f in ("student_count", "article_count", "new_article_count",
                                                              "revision_count", "character_sum", "character_sum_user",
                                                              "character_sum_draft", "references_count")]
    assert any(line.startswith("c1 ") for line in lines) and any(line.startswith("c2 ") for line in lines)
    assert "counted so far" in lines[1] and "once" in out
    assert "revisions through 2024-01-06" in cli("campaign", "stats", "spring", "--until", "2024-01-06")[1]
    assert cli("campaign", "remove", "spring", "c1") == (0, "removed from spring: c1\n", "")
    assert [c["slug"] for c in json.loads(cli("campaign", "stats", "spring", "--json")[1])["courses"]] == ["c2"]


def test_an_empty_list_says_how_to_start(cli, engine):  # engine: the database exists, empty
    assert "wikicourse campaign create" in cli("campaign", "list")[1]


BAD = [
    (["campaign", "create", "spring", "--title", "Again"], "already exists"),
    (["campaign", "create", "uni/courses", "--title", "T"], "may not hold /courses"),
    (["campaign", "create", "x/../spring", "--title", "T"], "not a campaign slug: 'x/../spring' (no part between"),
    (["campaign", "create", "a/./b", "--title", "T"], "not a campaign slug"),
    (["campaign", "create", "a/", "--title", "T"], "not a campaign slug"),
    (["campaign", "create", "x"], "Missing option"),
    (["campaign", "add", "nope", "c1"], "no campaign 'nope'"),
    (["campaign", "add", "spring", "c1", "nope"], "no course 'nope'"),
    (["campaign", "add", "spring"], "Missing argument"),
    (["campaign", "remove", "spring", "c2"], "not in campaign 'spring': c2"),
    (["campaign", "remove", "spring", "c1", "nope"], "no course 'nope'"),
    (["campaign", "stats", "nope"], "no campaign 'nope'"),
    (["campaign", "stats", "spring", "--until", "2024-02-30"], "malformed --until date"),
]


@pytest.mark.parametrize("args,message", BAD, ids=[f"{a[1]}-{i}" for i, (a, _) in enumerate(BAD)])
def test_bad_input_is_one_line_nonzero_and_changes_nothing(built, sqlite_url, args, message):
    cli = built
    assert cli("campaign", "add", "spring", "c1")[0] == 0
    before = snapshot(sqlite_url)
    code, out, err = cli(*args)
    assert code != 0
    lines = err.splitlines()
    assert len(lines) == 1 and message in lines[0], err
    assert "Traceback" not in err + out
    assert snapshot(sqlite_url) == before
