"""`wikicourse uploads` and the courses' switch for uploads on the command line: bad input refused in
one line, switching said and idempotent, a wiki read from an export (no upload log) counting none.
The figures on real wikis: tests/integration/test_uploads_live.py."""
from __future__ import annotations

import json

import pytest

from support.exports import write_export

PAGES = {("Alpha", 0): [("2024-01-02T10:00:00Z", "Ann", "Alpha [[File:Alpha.png]]")]}


@pytest.fixture
def course(cli, tmp_path):
    export = write_export(tmp_path / "wiki.xml", PAGES).resolve().as_uri()
    assert cli("wiki", "add", "test.wiki", "--api-url", export)[0] == 0
    assert cli("course", "create", "c1", "--title", "Course one", "--start", "2024-01-01",
               "--end", "2024-01-10", "--wiki", "test.wiki", "--uploads")[0] == 0
    assert cli("enroll", "c1", "Ann")[0] == 0
    return "c1"


def test_a_course_counting_uploads_on_an_export_counts_none_and_says_so(cli, course):
    code, out, err = cli("update", course, "--as-of", "2024-02-01T00:00:00Z")
    assert code == 0, err
    assert "uploads:" not in out  # an export has no upload log: nothing asked, nothing said
    code, out, _ = cli("uploads", course, "--json")
    doc = json.loads(out)
    assert code == 0 and doc["uploads"] == [] and doc["course"]["count_uploads"] is True
    assert [doc["course"][f] for f in ("upload_count", "uploads_in_use_count", "upload_usages_count")] == [0, 0, 0]
    code, out, _ = cli("uploads", course)
    assert code == 0 and out.splitlines()[0] == "Course one (c1): 0 new files, 0 in use, 0 usages"
    assert "No upload counted yet." in out
    code, out, _ = cli("stats", course)
    assert "uploads: 0 new files, 0 in use, 0 usages" in out


def test_switching_uploads_is_said_once(cli, course):
    assert cli("course", "edit", course, "--no-uploads")[1].startswith(
        "course c1 changed: uploads no longer counted;")
    assert cli("course", "edit", course, "--no-uploads")[1].startswith("course c1: nothing to change")
    assert "uploads counted;" in cli("course", "edit", course, "--uploads")[1]
    assert json.loads(cli("stats", course, "--json")[1])["course"]["count_uploads"] is True


@pytest.mark.parametrize("args,message", [
    (("uploads", "nope"), "error: no course 'nope'"),
    (("course", "edit", "nope", "--uploads"), "error: no course 'nope'"),
])
def test_bad_input_is_one_line(cli, course, args, message):
    code, out, err = cli(*args)
    assert code == 1 and out == "" and err.strip().startswith(message) and len(err.strip().splitlines()) == 1
