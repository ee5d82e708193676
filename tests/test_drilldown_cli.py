"""`wikicourse student`, `article` and `recent`: the drill-downs on the command line, as JSON
and as tables, and bad input refused in one line. A hand-made export whose figures are known."""
from __future__ import annotations

import json

import pytest

from support.exports import write_export

# Ann creates Alpha (2 references) and edits a draft; Bob Two grows Alpha (1 reference more) and
# edits Gamma after the course's end, which does not count; their instructor's edit never counts.
PAGES = {("Alpha", 0): [("2024-01-02T10:00:00Z", "Ann", "Alpha <ref>a</ref> <ref>b</ref>"),
                        ("2024-01-03T10:00:00Z", "Bob_Two", "Alpha <ref>a</ref> <ref>b</ref> <ref>c</ref> more")],
         ("Draft:Beta", 118): [("2024-01-04T10:00:00Z", "Ann", "Beta draft")],
         ("Gamma", 0): [("2024-01-12T10:00:00Z", "Bob_Two", "Gamma")],
         ("Delta", 0): [("2024-01-05T10:00:00Z", "Teacher", "Delta, by the instructor: never counted")]}


@pytest.fixture
def course(cli, tmp_path):
    export = write_export(tmp_path / "wiki.xml", PAGES).resolve().as_uri()
    assert cli("wiki", "add", "test.wiki", "--api-url", export)[0] == 0
    assert cli("course", "create", "c1", "--title", "Course one", "--start", "2024-01-01",
               "--end", "2024-01-10", "--wiki", "test.wiki")[0] == 0
    assert cli("enroll", "c1", "Ann", "bob_Two")[0] == 0
    assert cli("enroll", "c1", "Teacher", "--role", "instructor")[0] == 0
    assert cli("update", "c1", "--as-of", "2024-02-01T00:00:00Z")[0] == 0
    return "c1"


def test_a_students_revisions_pages_and_figures(cli, course):
    code, out, err = cli("student", course, "ann", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["student"] == {"username": "Ann", "role": "student", "revision_count": 2,
                                   "character_sum_ms": len("Alpha <ref>a</ref> <ref>b</ref>"),
                                   "character_sum_us": 0, "character_sum_draft": len("Beta draft"),
                                   "references_count": 2, "article_count": 1, "new_article_count": 1}
    assert [(r["title"], r["namespace"], r["references"], r["new"], r["diff_url"]) for r in doc["revisions"]] == \
        [("Draft:Beta", 118, 0, True, None), ("Alpha", 0, 2, True, None)]  # newest first; a file wiki: no diff
    assert [(a["title"], a["new_article"]) for a in doc["articles"]] == [("Alpha", True), ("Draft:Beta", False)]
    code, out, _ = cli("student", course, "Ann", "--sort", "references", "--per-page", "1", "--page", "2")
    assert code == 0 and "Draft:Beta" in out and "revisions 2-2 of 2, by references desc (page 2 of 2)" in out
    code, out, _ = cli("student", course, "Bob Two")
    assert code == 0 and "Alpha" in out and "Gamma" not in out  # after the end: not counted
    teacher = json.loads(cli("student", course, "Teacher", "--json")[1])
    assert teacher["student"]["role"] == "instructor" and teacher["revisions"] == teacher["articles"] == []
    assert "(instructor: edits never count)" in cli("student", course, "Teacher")[1]


def test_an_article_and_the_latest_edits(cli, course):
    alpha = next(a["id"] for a in json.loads(cli("student", course, "Ann", "--json")[1])["articles"]
                 if a["title"] == "Alpha")
    code, out, err = cli("article", course, str(alpha), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert (doc["article"]["title"], doc["article"]["revision_count"], doc["article"]["references_count"],
            doc["article"]["new_article"]) == ("Alpha", 2, 3, True)
    assert [(e["username"], e["created"]) for e in doc["editors"]] == [("Ann", True), ("Bob Two", False)]
    assert [(w["start"], w["revision_count"]) for w in doc["windows"]] == \
        [("2024-01-02T00:00:00Z", 1), ("2024-01-03T00:00:00Z", 1)]
    code, out, _ = cli("article", course, str(alpha))
    assert code == 0 and "Alpha on test.wiki" in out and "created in the course" in out and "Bob Two" in out
    code, out, _ = cli("recent", course, "--limit", "2", "--json")
    assert [(r["username"], r["title"]) for r in json.loads(out)["revisions"]] == \
        [("Ann", "Draft:Beta"), ("Bob Two", "Alpha")]
    code, out, _ = cli("recent", course)
    assert code == 0 and out.splitlines()[0].startswith("The latest 3 counted revisions of Course one")


@pytest.mark.parametrize("args,message", [
    (("student", "c1", "Nobody"), "error: 'Nobody' is not enrolled in 'c1'"),
    (("student", "nope", "Ann"), "error: no course 'nope'"),
    (("student", "c1", "Ann", "--sort", "user_id"), "error: cannot sort by 'user_id'"),
    (("student", "c1", "Ann", "--page", "3"), "error: page 3 is past the last page (1)"),
    (("article", "c1", "424242"), "error: no article 424242 in 'c1'"),
    (("recent", "c1", "--limit", "0"), "error: limit must be 1 to 500, not 0"),
])
def test_bad_input_is_one_line(cli, course, args, message):
    code, out, err = cli(*args)
    assert code == 1 and out == "" and err.strip().startswith(message) and len(err.strip().splitlines()) == 1
