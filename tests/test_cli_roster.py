"""What enroll, dis-enroll and course edit say: each role change and its effect on the figures,
"already enrolled" and "nothing to change" when nothing changes (and then nothing is written)."""
from __future__ import annotations

import json

import pytest

from support.exports import write_export
from test_cli import snapshot


@pytest.fixture
def course(cli, tmp_path):
    pages = {("Alpha", 0): [("2024-01-02T10:00:00Z", "Ann", "Alpha text"),
                            ("2024-01-03T10:00:00Z", "Tess", "Alpha text, longer")]}
    export = write_export(tmp_path / "wiki.xml", pages).resolve().as_uri()
    assert cli("wiki", "add", "test.wiki", "--api-url", export)[0] == 0
    assert cli("wiki", "add", "other.wiki", "--api-url", export)[0] == 0
    assert cli("course", "create", "c1", "--title", "C", "--start", "2024-01-01", "--end", "2024-01-10",
               "--wiki", "test.wiki")[0] == 0
    return "c1"


def students(cli, slug) -> int:
    assert cli("update", slug, "--as-of", "2024-02-01T00:00:00Z")[0] == 0
    return json.loads(cli("stats", slug, "--json")[1])["course"]["student_count"]


def test_enroll_says_each_change_of_role_and_what_it_does_to_the_figures(cli, course, sqlite_url):
    assert cli("enroll", course, "ann", "Tess") == (0, "enrolled in c1 as student: Ann, Tess\n", "")
    assert students(cli, course) == 2
    before = snapshot(sqlite_url)
    assert cli("enroll", course, "Ann") == (0, "Ann: already enrolled as student\n", "")
    assert snapshot(sqlite_url) == before
    code, out, err = cli("enroll", course, "Ann", "Tess", "--role", "instructor")
    assert (code, err) == (0, "")
    assert out == ("Ann: student -> instructor; their edits stop counting at the next update\n"
                   "Tess: student -> instructor; their edits stop counting at the next update\n")
    assert students(cli, course) == 0
    code, out, _ = cli("enroll", course, "Ann", "Tess", "--role", "staff")
    assert out == "Ann: instructor -> staff; listed only: their edits do not count\n" \
                  "Tess: instructor -> staff; listed only: their edits do not count\n"
    code, out, _ = cli("enroll", course, "Tess", "--role", "student")
    assert out == "Tess: staff -> student; their edits count from the next update\n"
    assert students(cli, course) == 1


def test_dis_enrolling_an_instructor_does_not_claim_their_edits_stop_counting(cli, course):
    cli("enroll", course, "Ann")
    cli("enroll", course, "Tess", "--role", "instructor")
    code, out, err = cli("disenroll", course, "Ann", "tess")
    assert (code, err) == (0, "")
    assert out == ("removed from c1: Ann (their edits stop counting at the next update)\n"
                   "removed from c1: Tess (instructor) (listed only: their edits never counted)\n")


def test_course_edit_says_what_changed_and_when_nothing_does(cli, course, sqlite_url):
    before = snapshot(sqlite_url)
    assert cli("course", "edit", course) == (
        1, "", "error: nothing to change: give --start, --end, --add-wiki, --remove-wiki, --timeslice-days, "
        "--namespaces or --uploads\n")
    for args in (["--end", "2024-01-10"], ["--start", "2024-01-01", "--add-wiki", "test.wiki"],
                 ["--timeslice-days", "1"]):
        assert cli("course", "edit", course, *args) == (0, "course c1: nothing to change (it already has those "
                                                           "values)\n", "")
    assert snapshot(sqlite_url) == before
    code, out, _ = cli("course", "edit", course, "--end", "2024-01-20", "--add-wiki", "other.wiki",
                       "--timeslice-days", "2")
    assert out == ("course c1 changed: end 2024-01-10 -> 2024-01-20; timeslice length (days) 1 -> 2; "
                   "wiki added: other.wiki; the next update adjusts its statistics\n")
    code, out, _ = cli("course", "edit", course, "--remove-wiki", "other.wiki", "--start", "2024-01-02")
    assert out == ("course c1 changed: start 2024-01-01 -> 2024-01-02; wiki removed: other.wiki; "
                   "the next update adjusts its statistics\n")


def test_course_edit_namespaces_by_name_or_number_and_refuses_bad_ones(cli, tmp_path, sqlite_url):
    pages = {("Alpha", 0): [("2024-01-02T10:00:00Z", "Ann", "Alpha text")],
             ("Talk:Alpha", 1): [("2024-01-03T10:00:00Z", "Ann", "A question about Alpha")]}
    export = write_export(tmp_path / "wiki.xml", pages).resolve().as_uri()
    assert cli("wiki", "add", "test.wiki", "--api-url", export)[0] == 0
    assert cli("course", "create", "c1", "--title", "C", "--start", "2024-01-01", "--end", "2024-01-10",
               "--wiki", "test.wiki", "--namespaces", "test.wiki:Main")[0] == 0
    assert cli("enroll", "c1", "Ann")[0] == 0
    assert cli("update", "c1", "--as-of", "2024-02-01T00:00:00Z")[0] == 0
    doc = json.loads(cli("stats", "c1", "--json")[1])["course"]
    assert (doc["article_namespaces"], doc["article_count"], doc["revision_count"]) == ({"test.wiki": [0]}, 1, 1)
    before = snapshot(sqlite_url)
    for value, error in (("test.wiki:Nowhere", "test.wiki: the wiki has no namespace named 'Nowhere'"),
                         ("test.wiki:2", "test.wiki: namespace 2: User and Draft are tracked besides the "
                                         "article namespaces"),
                         ("test.wiki", "--namespaces 'test.wiki': expected DOMAIN:NS[,NS...]"),
                         ("other.wiki:0", "unknown wiki 'other.wiki'")):
        code, out, err = cli("course", "edit", "c1", "--namespaces", value)
        assert (code, out) == (1, "") and err.startswith(f"error: {error}"), err
    assert snapshot(sqlite_url) == before
    assert cli("course", "edit", "c1", "--namespaces", "test.wiki:0,talk") == (
        0, "course c1 changed: namespaces on test.wiki 0 -> 0,1; the next update adjusts its statistics\n", "")
    assert cli("update", "c1", "--as-of", "2024-02-01T00:00:00Z")[0] == 0
    doc = json.loads(cli("stats", "c1", "--json")[1])["course"]
    assert (doc["article_namespaces"], doc["article_count"], doc["revision_count"]) == ({"test.wiki": [0, 1]}, 2, 2)
    # (An export without <siteinfo> names its namespaces as MediaWiki's defaults, lower case.)
    assert "on test.wiki (articles: (main), talk);" in cli("stats", "c1")[1]
    assert "namespaces changed" in cli("changes", "c1")[1]
