"""Why a course's figures moved, read back: changes.course_changes and `wikicourse changes`.

The recording side (update/why.py) is written by the update cycle; here runs and their reasons
are inserted directly, so that the read model is checked on exactly known rows."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import event

from support.changes import add_run
from support.course import setup_course, utc
from support.exports import write_export
from wikicourse.changes import course_changes, reason_line, summarize
from wikicourse.courses import create_course
from wikicourse.db import open_db
from wikicourse.errors import InvalidInput, UnknownCourse
from wikicourse.update.why import KINDS

SLUG = "Uni/Writing_(2024)"
WIKI = "test.wiki"


@pytest.fixture
def course(engine, tmp_path):
    return _course(engine, tmp_path)


def _course(engine, tmp_path) -> str:
    export = write_export(tmp_path / "wiki.xml", {("Alpha", 0): [("2024-01-02T10:00:00Z", "Ana", "Alpha"),
                                                                 ("2024-01-03T10:00:00Z", "Bob", "Alpha grows")]})
    return setup_course(engine, {WIKI: export}, slug=SLUG, start="2024-01-01", end="2024-01-31",
                        students=["Ana", "Bob"])


def history(engine, slug: str = SLUG) -> dict[str, int]:
    """A course's typical history: a first update, a quiet one, a drop with its reasons, a failure,
    and one running now."""
    first = add_run(engine, slug, "2024-01-10T00:00:00Z", finished="2024-01-10T00:01:30Z",
                    figures={"revision_count": [0, 120], "student_count": [0, 2]},
                    reasons=[{"kind": "students_added", "subject": "Ana"}, {"kind": "students_added", "subject": "Bob"},
                             {"kind": "edits", "count": 120}])
    quiet = add_run(engine, slug, "2024-01-11T00:00:00Z")
    # Stored in another order than COURSE_FIELDS': read back in COURSE_FIELDS' order.
    drop = add_run(engine, slug, "2024-01-12T00:00:00Z", "partial", finished="2024-01-12T00:00:42Z",
                   figures={"character_sum": [12400, 11900], "revision_count": [120, 98]},
                   reasons=[{"kind": "deleted", "subject": "Siege of Kaunas", "detail": WIKI, "count": 3},
                            {"kind": "students_removed", "subject": "Ana"}])
    failed = add_run(engine, slug, "2024-01-13T00:00:00Z", "failed", full=True)
    running = add_run(engine, slug, "2024-01-14T00:00:00Z", "running",
                      reasons=[{"kind": "edits", "count": 5}])
    return {"first": first, "quiet": quiet, "drop": drop, "failed": failed, "running": running}


def test_finished_runs_newest_first_with_their_moved_figures_and_reasons(engine, course):
    runs = history(engine)
    assert course_changes(engine, SLUG) == [
        {"run": runs["failed"], "as_of": "2024-01-13T00:00:00Z", "started_at": "2024-01-13T00:00:00Z",
         "finished_at": "2024-01-13T00:00:00Z", "duration_seconds": 0, "status": "failed", "full": True, "figures": {}, "reasons": []},
        {"run": runs["drop"], "as_of": "2024-01-12T00:00:00Z", "started_at": "2024-01-12T00:00:00Z",
         "finished_at": "2024-01-12T00:00:42Z", "duration_seconds": 42, "status": "partial", "full": False,
         "figures": {"revision_count": {"before": 120, "after": 98},
                     "character_sum": {"before": 12400, "after": 11900}},
         "reasons": [{"kind": "deleted", "label": "page deleted", "subject": "Siege of Kaunas", "detail": WIKI,
                      "count": 3},
                     {"kind": "students_removed", "label": "student removed", "subject": "Ana", "detail": "",
                      "count": 0}]},
        {"run": runs["first"], "as_of": "2024-01-10T00:00:00Z", "started_at": "2024-01-10T00:00:00Z",
         "finished_at": "2024-01-10T00:01:30Z", "duration_seconds": 90, "status": "done", "full": False,
         "figures": {"student_count": {"before": 0, "after": 2}, "revision_count": {"before": 0, "after": 120}},
         "reasons": [{"kind": "students_added", "label": "student added", "subject": "Ana", "detail": "", "count": 0},
                     {"kind": "students_added", "label": "student added", "subject": "Bob", "detail": "", "count": 0},
                     {"kind": "edits", "label": "new edits counted", "subject": "", "detail": "", "count": 120}]},
    ]  # the quiet done run and the running one are not listed


def test_the_same_on_postgresql(pg_url, tmp_path):
    engine = open_db(pg_url)
    try:
        _course(engine, tmp_path)
        runs = history(engine)
        assert [(c["run"], c["status"], list(c["figures"]), len(c["reasons"])) for c in course_changes(engine, SLUG)] \
            == [(runs["failed"], "failed", [], 0), (runs["drop"], "partial", ["revision_count", "character_sum"], 2),
                (runs["first"], "done", ["student_count", "revision_count"], 3)]
    finally:
        engine.dispose()


def test_a_done_run_with_only_reasons_or_only_figures_is_listed(engine, course):
    reasons_only = add_run(engine, SLUG, "2024-01-10T00:00:00Z", reasons=[{"kind": "dates", "detail": "end moved"}])
    figures_only = add_run(engine, SLUG, "2024-01-11T00:00:00Z", figures={"article_count": [4, 3]})
    add_run(engine, SLUG, "2024-01-12T00:00:00Z", figures={})  # nothing moved, written as {}
    interrupted = add_run(engine, SLUG, "2024-01-13T00:00:00Z", "interrupted")
    assert [c["run"] for c in course_changes(engine, SLUG)] == [interrupted, figures_only, reasons_only]


def test_the_limit_counts_the_runs_listed_not_the_quiet_ones(engine, course):
    runs = history(engine)
    for _ in range(3):  # hourly updates that found nothing
        add_run(engine, SLUG, "2024-01-15T00:00:00Z")
    assert [c["run"] for c in course_changes(engine, SLUG, limit=1)] == [runs["failed"]]
    assert [c["run"] for c in course_changes(engine, SLUG, limit=2)] == [runs["failed"], runs["drop"]]


def test_two_queries_for_any_number_of_runs(engine, course):
    history(engine)
    statements = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert len(course_changes(engine, SLUG)) == 3
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 3  # the course's id, its runs, all their reasons
    assert "update_reasons" in statements[2] and " IN " in statements[2]


def test_no_history_and_bad_input(engine, course):
    assert course_changes(engine, SLUG) == []
    with pytest.raises(UnknownCourse, match="no course 'nope'"):
        course_changes(engine, "nope")
    with pytest.raises(InvalidInput, match="at least 1"):
        course_changes(engine, SLUG, limit=0)


def test_another_course_s_runs_are_not_listed(engine, course):
    create_course(engine, "other", title="Other", start=utc("2024-01-01T00:00:00Z").date(),
                  end=utc("2024-01-31T00:00:00Z").date(), wikis=[WIKI])
    history(engine, "other")
    assert course_changes(engine, SLUG) == []
    assert len(course_changes(engine, "other")) == 3


def test_each_kind_has_its_label_and_an_unknown_kind_reads_as_its_name(engine, course):
    add_run(engine, SLUG, "2024-01-10T00:00:00Z",
            reasons=[{"kind": k} for k in KINDS] + [{"kind": "future_kind"}])
    [change] = course_changes(engine, SLUG)
    assert [r["label"] for r in change["reasons"]] == [*KINDS.values(), "future kind"]


@pytest.mark.parametrize("reason,line", [
    ({"label": "page deleted", "subject": "Siege of Kaunas", "detail": "", "count": 0},
     "page deleted: Siege of Kaunas"),
    ({"label": "student removed", "subject": "Ana", "detail": "", "count": 0}, "student removed: Ana"),
    ({"label": "new edits counted", "subject": "", "detail": "", "count": 1234}, "new edits counted: 1,234"),
    ({"label": "page moved", "subject": "User:Ana/Sandbox", "detail": "to Alpha", "count": 3},
     "page moved: User:Ana/Sandbox (to Alpha, 3)"),
    ({"label": "dates changed", "subject": "", "detail": "end 2024-01-31 -> 2024-02-15", "count": 0},
     "dates changed: end 2024-01-31 -> 2024-02-15"),
    ({"label": "rebuilt from scratch", "subject": "", "detail": "", "count": 0}, "rebuilt from scratch"),
])
def test_a_reason_reads_as_one_line(reason, line):
    assert reason_line(reason) == line


def test_a_page_merges_the_names_of_one_kind_into_one_line(engine, course):
    add_run(engine, SLUG, "2024-01-10T00:00:00Z", reasons=[
        {"kind": "wikis_added", "subject": WIKI},
        *({"kind": "students_added", "subject": f"Student {i}"} for i in range(1, 8)),
        {"kind": "moved", "subject": "Alpha", "detail": "from User:Ana/Alpha"},
        {"kind": "moved", "subject": "Beta"},
        {"kind": "edits", "count": 26}])
    [change] = course_changes(engine, SLUG)
    assert len(change["reasons"]) == 11  # every row is kept; only the page's lines are merged
    assert summarize(change["reasons"], names=5) == [
        {"kind": "wikis_added", "text": f"wiki added: {WIKI}"},
        {"kind": "students_added",
         "text": "student added: Student 1, Student 2, Student 3, Student 4, Student 5 and 2 more"},
        {"kind": "moved", "text": "page moved: Alpha (from User:Ana/Alpha)"},
        {"kind": "moved", "text": "page moved: Beta"},
        {"kind": "edits", "text": "new edits counted: 26"}]
    assert summarize(change["reasons"], names=7)[1]["text"].endswith("Student 6, Student 7")
    assert summarize([]) == []


def test_a_slug_may_not_end_in_changes(engine, course):
    with pytest.raises(InvalidInput, match="may not end in /changes"):
        create_course(engine, "x/changes", title="X", start=utc("2024-01-01T00:00:00Z").date(),
                      end=utc("2024-01-31T00:00:00Z").date(), wikis=[WIKI])


# ---- the command line ---------------------------------------------------------------------------

def test_cli_lists_each_run_its_figures_and_reasons(cli, engine, course):
    runs = history(engine)
    code, out, err = cli("changes", SLUG)
    assert code == 0, err
    assert out.splitlines() == [
        f"run {runs['failed']}, rebuild as of 2024-01-13 00:00:00Z: failed",
        "  no figure moved",
        f"run {runs['drop']}, update as of 2024-01-12 00:00:00Z: partial",
        "  revision_count 120 -> 98",
        "  character_sum 12400 -> 11900",
        f"  page deleted: Siege of Kaunas ({WIKI}, 3)",
        "  student removed: Ana",
        f"run {runs['first']}, update as of 2024-01-10 00:00:00Z: done",
        "  student_count 0 -> 2",
        "  revision_count 0 -> 120",
        "  student added: Ana",
        "  student added: Bob",
        "  new edits counted: 120",
    ]
    code, out, _ = cli("changes", SLUG, "--limit", "1")
    assert code == 0 and out.splitlines() == [f"run {runs['failed']}, rebuild as of 2024-01-13 00:00:00Z: failed",
                                              "  no figure moved"]


def test_cli_json_is_the_list(cli, engine, course):
    history(engine)
    code, out, _ = cli("changes", SLUG, "--json", "--limit", "2")
    assert code == 0 and json.loads(out) == course_changes(engine, SLUG, 2)
    assert [c["status"] for c in json.loads(out)] == ["failed", "partial"]


def test_cli_without_history_says_so(cli, course):
    assert cli("changes", SLUG) == (0, f"{SLUG}: no changes recorded yet\n", "")
    assert cli("changes", SLUG, "--json") == (0, "[]\n", "")


@pytest.mark.parametrize("args,message", [
    (["nope"], "error: no course 'nope'"),
    ([SLUG, "--limit", "0"], "error: the limit is at least 1, not 0"),
    ([SLUG, "--limit", "many"], "error: Invalid value for '--limit'"),
])
def test_cli_bad_input_is_one_line_and_a_non_zero_exit(cli, course, args, message):
    code, out, err = cli("changes", *args)
    assert code != 0 and out == ""
    assert err.startswith(message) and err.count("\n") == 1


def test_an_update_that_moves_no_figure_records_no_reason(engine, course):
    """An hourly update that finds nothing new moves no figure, and `changes` does not list
    it; the update that counted the edits explains them."""
    from support.course import update

    update(engine, course, "2024-01-02T12:00:00Z")
    first = update(engine, course, "2024-01-03T12:00:00Z")  # Bob's edit of the 3rd comes in
    quiet = update(engine, course, "2024-01-03T12:00:10Z")  # nothing new
    assert first.figures and {"kind": "edits", "count": 1} in first.reasons  # Bob's new edit
    assert not quiet.figures and quiet.reasons == []
    assert [c["run"] for c in course_changes(engine, course)] == [first.run_id, first.run_id - 1]
