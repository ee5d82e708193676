"""`wikicourse course list`: search, filters and order on the command line, and bad choices
refused in one line, changing nothing."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from support.exports import write_export
from test_cli import snapshot
from wikicourse.clock import now_utc

TODAY = now_utc().date()
# slug -> (title, start, end): one ended (and updated), one running, one to come.
COURSES = {"c1": ("Ólafur's seminar", "2024-01-01", "2024-01-10"),
           "c2": ("Zoë writes", str(TODAY - timedelta(days=3)), str(TODAY + timedelta(days=3))),
           "c3": ("alpha course", str(TODAY + timedelta(days=30)), str(TODAY + timedelta(days=40)))}


@pytest.fixture
def listed(cli, tmp_path):
    pages = {("Alpha", 0): [("2024-01-02T10:00:00Z", "Ann", "Alpha <ref>a</ref>"),
                            ("2024-01-03T10:00:00Z", "Bob", "Alpha <ref>a</ref> grows")]}
    export = write_export(tmp_path / "wiki.xml", pages).resolve().as_uri()
    assert cli("wiki", "add", "test.wiki", "--api-url", export)[0] == 0
    assert cli("wiki", "add", "other.wiki", "--api-url", export)[0] == 0
    for slug, (title, start, end) in COURSES.items():
        wikis = ["--wiki", "test.wiki"] + (["--wiki", "other.wiki"] if slug == "c2" else [])
        code, _, err = cli("course", "create", slug, "--title", title, "--start", start, "--end", end, *wikis)
        assert code == 0, err
    assert cli("enroll", "c1", "Ann", "Bob")[0] == 0
    assert cli("update", "c1", "--as-of", "2024-02-01T00:00:00Z")[0] == 0


def listing(cli, *args) -> dict:
    code, out, err = cli("course", "list", "--json", *args)
    assert code == 0, err
    return json.loads(out)


def test_course_list_searches_filters_and_sorts(cli, listed):
    code, out, _ = cli("course", "list")
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:4] == ["course", "title", "start", "end"]
    assert [line.split()[0] for line in lines[2:5]] == ["c3", "c2", "c1"]  # newest start first
    assert lines[-1] == "3 courses"
    c1 = next(line for line in lines if line.startswith("c1"))
    assert c1.split()[-7:] == ["ended", "2", "2", str(len("Alpha <ref>a</ref> grows")), "1", "2024-02-01", "00:00:00Z"]

    every = listing(cli)
    assert every["total"] == 3 and [c["slug"] for c in every["courses"]] == ["c3", "c2", "c1"]
    assert {c["slug"]: c["state"] for c in every["courses"]} == {"c1": "ended", "c2": "running", "c3": "upcoming"}
    assert [c["slug"] for c in listing(cli, "--search", "OLAFUR")["courses"]] == ["c1"]
    assert [c["slug"] for c in listing(cli, "--search", "zoe")["courses"]] == ["c2"]
    assert [c["slug"] for c in listing(cli, "--search", "C")["courses"]] == ["c3", "c2", "c1"]  # slugs too
    assert [c["slug"] for c in listing(cli, "--wiki", "OTHER.wiki")["courses"]] == ["c2"]
    for state, slug in (("running", "c2"), ("ended", "c1"), ("upcoming", "c3")):
        assert [c["slug"] for c in listing(cli, "--state", state)["courses"]] == [slug]
    assert [c["slug"] for c in listing(cli, "--sort", "title")["courses"]] == ["c3", "c1", "c2"]  # a, o, z
    assert [c["slug"] for c in listing(cli, "--sort", "title", "--desc")["courses"]] == ["c2", "c1", "c3"]
    assert [c["slug"] for c in listing(cli, "--sort", "edits")["courses"]][0] == "c1"  # 2 edits, the others 0
    assert [c["slug"] for c in listing(cli, "--sort", "start", "--asc")["courses"]] == ["c1", "c2", "c3"]
    found = listing(cli, "--search", "nothing like it")
    assert found["total"] == 0 and found["courses"] == []
    code, out, _ = cli("course", "list", "--search", "nothing like it")
    assert code == 0 and out.strip() == "No course matches."


@pytest.mark.parametrize("args,message", [
    (["--state", "finished"], "unknown state 'finished': one of running, ended, upcoming"),
    (["--sort", "slug"], "cannot sort courses by 'slug'"),
    (["--sort", "students;drop table courses"], "cannot sort courses by"),
    (["--wiki", "nowhere.wiki"], "unknown wiki 'nowhere.wiki'"),
    (["--search", "x" * 201], "at most 200 characters")])
def test_bad_choices_are_one_line_nonzero_and_change_nothing(cli, listed, sqlite_url, args, message):
    before = snapshot(sqlite_url)
    code, out, err = cli("course", "list", *args)
    assert code == 1 and out == ""
    assert err.splitlines() == [f"error: {err.splitlines()[0].removeprefix('error: ')}"] and message in err
    assert snapshot(sqlite_url) == before
