"""The command line: every command (docs/cli.md), and bad input refused in one line, changing nothing."""
from __future__ import annotations

import json

import httpx

import pytest
from sqlalchemy import MetaData, create_engine, select

from support.cli import wikicourse_cli
from support.exports import write_export
from support.ports import free_port
from support.serving import serving


@pytest.fixture
def wiki_export(tmp_path):
    pages = {("Alpha", 0): [("2024-01-02T10:00:00Z", "Ann", "Alpha <ref>a</ref>"),
                            ("2024-01-03T10:00:00Z", "Bob_Two", "Alpha <ref>a</ref> grows")],
             ("Draft:Beta", 118): [("2024-01-04T10:00:00Z", "Ann", "Beta draft")]}
    return write_export(tmp_path / "wiki.xml", pages).resolve().as_uri()


@pytest.fixture
def course(cli, wiki_export):
    code, out, err = cli("wiki", "add", "test.wiki", "--api-url", wiki_export)
    assert code == 0, err
    assert cli("course", "create", "c1", "--title", "Course one", "--start", "2024-01-01",
               "--end", "2024-01-10", "--wiki", "test.wiki")[0] == 0
    assert cli("enroll", "c1", "Ann", "bob_Two")[0] == 0
    return "c1"


def snapshot(url: str) -> dict:
    """Every table's rows, to show a refused command changed nothing."""
    engine = create_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        return {name: sorted(map(tuple, conn.execute(select(t)).all()), key=repr)
                for name, t in meta.tables.items()}


def test_the_whole_flow_and_the_json_document(cli, course):
    code, out, _ = cli("update", course, "--as-of", "2024-02-01T00:00:00Z")
    assert code == 0 and "  student_count: 0 -> 2" in out and "  why: student added: " in out
    code, out, _ = cli("stats", course, "--json")
    doc = json.loads(out)
    assert set(doc) == {"course", "users", "articles", "timeslices"}
    c = doc["course"]
    assert (c["start"], c["end"], c["wikis"]) == ("2024-01-01T00:00:00Z", "2024-01-10T23:59:59Z", ["test.wiki"])
    assert (c["student_count"], c["revision_count"], c["references_count"], c["character_sum_draft"]) == (2, 3, 1, 10)
    assert [u["username"] for u in doc["users"]] == ["Ann", "Bob Two"]  # canonical: spaces, upper first
    assert doc["articles"][0]["editors"] == ["Ann", "Bob Two"]
    assert len(doc["timeslices"]) == 10 and c["last_update"] == "2024-02-01T00:00:00Z"
    code, out, _ = cli("stats", course)
    assert code == 0 and "Course one" in out and "Bob Two" in out and "can fall" in out


def test_stats_until_a_day_counts_the_windows_ending_by_then_and_says_so(cli, course, sqlite_url):
    cli("update", course, "--as-of", "2024-02-01T00:00:00Z")
    before = snapshot(sqlite_url)
    code, out, err = cli("stats", course, "--until", "2024-01-02", "--json")
    assert code == 0, err
    doc = json.loads(out)
    c = doc["course"]  # only Ann's creation of Alpha, on Jan 2, is counted
    assert (c["revision_count"], c["character_sum"], c["references_count"], c["character_sum_draft"]) == \
        (1, len("Alpha <ref>a</ref>"), 1, 0)
    assert (c["article_count"], c["new_article_count"], c["student_count"]) == (1, 1, 2)
    assert (c["until"], c["counted_through"], c["exact"]) == ("2024-01-02T23:59:59Z", "2024-01-02T23:59:59Z", True)
    assert c["last_update"] == "2024-02-01T00:00:00Z"
    assert [(u["username"], u["revision_count"]) for u in doc["users"]] == [("Ann", 1), ("Bob Two", 0)]
    assert [(a["title"], a["editors"], a["new_article"]) for a in doc["articles"]] == [("Alpha", ["Ann"], True)]
    assert [t["start"][:10] for t in doc["timeslices"]] == ["2024-01-01", "2024-01-02"]
    code, out, _ = cli("stats", course, "--until", "2024-01-03")
    assert code == 0 and "figures up to 2024-01-03: windows counted through 2024-01-03T23:59:59Z" in out
    assert "not exact" not in out
    assert snapshot(sqlite_url) == before


def test_disenroll_then_update_explains_the_drop(cli, course):
    cli("update", course, "--as-of", "2024-02-01T00:00:00Z")
    assert cli("disenroll", course, "bob Two")[0] == 0
    code, out, _ = cli("update", course, "--as-of", "2024-02-01T00:00:00Z")
    assert code == 0
    assert "why: student removed: Bob Two" in out and "revision_count: 3 -> 2" in out


def test_course_edit_changes_dates_and_wikis(cli, course, wiki_export):
    cli("wiki", "add", "other.wiki", "--api-url", wiki_export)
    assert cli("course", "edit", course, "--end", "2024-01-02", "--add-wiki", "other.wiki")[0] == 0
    cli("update", course, "--as-of", "2024-02-01T00:00:00Z")
    doc = json.loads(cli("stats", course, "--json")[1])
    assert doc["course"]["wikis"] == ["other.wiki", "test.wiki"]
    assert doc["course"]["revision_count"] == 2  # Ann's Jan 2 edit, on each wiki
    assert cli("course", "edit", course, "--remove-wiki", "other.wiki")[0] == 0


BAD = [
    (["stats", "nope"], "no course 'nope'"),
    (["update", "nope"], "no course 'nope'"),
    (["enroll", "c1", "Nobody here"], "no such user"),
    (["enroll", "nope", "Ann"], "no course"),
    (["disenroll", "c1", "Carol"], "not enrolled"),
    (["course", "create", "c2", "--title", "T", "--start", "2024-02-30", "--end", "2024-03-01",
      "--wiki", "test.wiki"], "malformed start date"),
    (["course", "create", "c2", "--title", "T", "--start", "2024-03-01", "--end", "2024-02-01",
      "--wiki", "test.wiki"], "before the start"),
    (["course", "create", "c2", "--title", "T", "--start", "2024-03-01", "--end", "2024-04-01",
      "--wiki", "nowhere.wiki"], "unknown wiki"),
    (["course", "create", "c1", "--title", "T", "--start", "2024-03-01", "--end", "2024-04-01",
      "--wiki", "test.wiki"], "already exists"),
    (["course", "edit", "c1", "--end", "2023-12-01"], "before the start"),
    (["course", "create", "uni/students", "--title", "T", "--start", "2024-03-01", "--end", "2024-04-01",
      "--wiki", "test.wiki"], "may not end in /students"),
    *[(["course", "create", bad, "--title", "T", "--start", "2024-03-01", "--end", "2024-04-01",
        "--wiki", "test.wiki"], f"not a course slug: '{bad}' (no part between slashes may be empty, . or ..)")
      for bad in ("x/../c1", "x/./y", "x/..", "x/", "x//y")],  # a browser would rewrite their links
    (["course", "edit", "c1", "--start", "1999-12-01"], "when no wiki had edits"),
    (["course", "edit", "c1", "--end", "2040-01-01"], "longer than a course can run"),
    (["course", "edit", "c1", "--remove-wiki", "test.wiki"], "at least one wiki"),
    (["course", "edit", "c1", "--add-wiki", "nowhere.wiki"], "unknown wiki"),
    (["course", "edit", "c1", "--timeslice-days", "0"], "at least 1"),
    (["update", "c1", "--as-of", "yesterday"], "malformed time"),
    (["stats", "c1", "--until", "2026-13-01"], "malformed --until date '2026-13-01': use YYYY-MM-DD"),
    (["stats", "c1", "--until", "yesterday"], "malformed --until date 'yesterday'"),
    (["stats", "c1", "--until", ""], "malformed --until date"),
    (["stats", "nope", "--until", "2024-01-02"], "no course 'nope'"),
    (["wiki", "add", "not a domain"], "not a wiki domain"),
    (["wiki", "add", "x.org", "--api-url", "ftp://x"], "not an API URL"),
    (["wiki", "add", "x.org", "--api-url", "http://bot:s3cret@[::1/api.php"],
     "not an API URL: 'http://[::1/api.php' (Invalid IPv6 URL)"),  # the update would fail on it, later
    (["wiki", "add", "x.org", "--api-url", "http://x.org:99999/api.php"], "Port out of range"),
    (["status", "--redis", "redis://:s3cret@127.0.0.1:notaport/0"],
     "Invalid value for '--redis': not a Redis URL: 'redis://127.0.0.1:notaport/0'"),
    (["status", "--redis", "http://queue.example/0"], "not a Redis URL: 'http://queue.example/0' (redis://, rediss://"),
    (["enroll", "c1", "Ann", "--role", "king"], "Invalid value for '--role'"),
    (["course", "create", "c2", "--start", "2024-01-01"], "Missing option"),
    (["nosuchcommand"], "No such command"),
    (["token", "create", "t"], "either --admin or --user"),
    (["token", "create", "t", "--admin", "--user", "Ann"], "either --admin or --user"),
    (["token", "create", " ", "--admin"], "label"),
    (["token", "create", "t", "--user", "Nobody"], "Nobody is not instructor or staff in any course"),
    (["token", "create", "t", "--user", "bob_Two"], "Bob Two is not instructor or staff in any course"),
    (["token", "revoke", "99"], "no active token #99"),
    (["serve", "--port", "70000"], "Invalid value for '--port'"),
]


@pytest.mark.parametrize("args,message", BAD, ids=[" ".join(a[:2]) + f"-{i}" for i, (a, _) in enumerate(BAD)])
def test_bad_input_is_one_line_nonzero_and_changes_nothing(cli, course, sqlite_url, args, message):
    before = snapshot(sqlite_url)
    code, out, err = cli(*args)
    assert code != 0
    lines = err.splitlines()
    assert len(lines) == 1 and message in lines[0], err
    assert "Traceback" not in err + out
    assert snapshot(sqlite_url) == before


def test_an_unopenable_database_is_one_line(tmp_path):
    for url in ("postgresql+psycopg://nobody@127.0.0.1:1/none", "nosuchdialect://x", "sqlite:////proc/nope/x.sqlite"):
        proc = wikicourse_cli(url, "stats", "x")
        assert proc.returncode != 0
        assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr, proc.stderr


def test_default_database_is_a_sqlite_file_in_the_user_data_folder(tmp_path, monkeypatch):
    from wikicourse.db import default_url

    monkeypatch.delenv("WIKICOURSE_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_url() == f"sqlite:///{tmp_path}/wikicourse/wikicourse.sqlite"
    monkeypatch.setenv("WIKICOURSE_DB", "sqlite:///elsewhere.sqlite")
    assert default_url() == "sqlite:///elsewhere.sqlite"


def test_an_as_of_before_the_last_update_is_refused_but_a_rebuild_may_go_back(cli, course):
    cli("update", course, "--as-of", "2024-02-01T00:00:00Z")
    code, _, err = cli("update", course, "--as-of", "2024-01-02T12:00:00Z")
    assert code == 1 and "use --full" in err
    assert cli("update", course, "--full", "--as-of", "2024-01-02T12:00:00Z")[0] == 0
    doc = json.loads(cli("stats", course, "--json")[1])
    assert doc["course"]["revision_count"] == 1 and doc["course"]["last_update"] == "2024-01-02T12:00:00Z"


def test_a_new_timeslice_length_regrids_the_course_like_a_rebuild(cli, course):
    cli("update", course, "--as-of", "2024-02-01T00:00:00Z")
    assert cli("course", "edit", course, "--timeslice-days", "3")[0] == 0
    assert cli("update", course, "--as-of", "2024-02-01T00:00:00Z")[0] == 0
    incremental = json.loads(cli("stats", course, "--json")[1])
    cli("update", course, "--full", "--as-of", "2024-02-01T00:00:00Z")
    rebuilt = json.loads(cli("stats", course, "--json")[1])
    assert [w["start"][:10] for w in rebuilt["timeslices"]] == ["2024-01-01", "2024-01-04", "2024-01-07", "2024-01-10"]
    for doc in (incremental, rebuilt):
        doc["course"].pop("updated_at")
    assert incremental == rebuilt and rebuilt["course"]["revision_count"] == 3


def test_tokens_are_shown_once_listed_without_their_secret_and_revoked(cli, course, sqlite_url):
    cli("enroll", course, "ann", "--role", "instructor")
    code, secret, err = cli("token", "create", "Ann's laptop", "--user", "ann")
    secret = secret.removesuffix("\n")
    header, note = err.splitlines()
    assert code == 0 and secret.startswith("wct_") and len(secret) > 40 and "\n" not in secret
    assert header == "token #1 \"Ann's laptop\": instructor, acts on the courses where Ann is instructor or staff"
    assert note == "(the secret above is shown this once: give it to its holder; only its hash is kept)"
    code, listing, _ = cli("token", "list")
    assert "#1\tAnn's laptop\tinstructor\tAnn\tactive\tlast used never" in listing
    assert secret.strip() not in repr(snapshot(sqlite_url))  # stored hashed only
    assert cli("token", "revoke", "1") == (0, "token #1 revoked\n", "")
    assert "revoked" in cli("token", "list")[1]


def test_serve_answers_the_api_on_the_port_it_is_given(course, sqlite_url):
    port = free_port(18300, 18399)
    with serving(sqlite_url, port=port) as server:
        assert server.port == port
        answer = httpx.get(f"http://127.0.0.1:{port}/api/courses")
        assert [c["slug"] for c in answer.json()["courses"]] == ["c1"]


def test_an_ended_course_follows_the_wikis_past_for_its_grace_period_only(cli, course, monkeypatch):
    """The course ends 2024-01-10: as of the 20th it is within 14 days, as of March past them."""
    from wikicourse.update import wiki_logs

    asked = []
    monkeypatch.setattr(wiki_logs, "read_wiki_log", lambda engine, wiki_id, source, **kw: asked.append(wiki_id))
    code, out, _ = cli("update", course, "--as-of", "2024-01-20T00:00:00Z")
    assert code == 0 and asked and "no longer followed" not in out
    asked.clear()
    code, out, _ = cli("update", course, "--as-of", "2024-03-01T00:00:00Z")
    assert code == 0 and not asked and "no longer followed" in out
    code, out, _ = cli("update", course, "--as-of", "2024-03-01T00:00:00Z", "--grace-days", "60")
    assert code == 0 and asked and "no longer followed" not in out
    monkeypatch.setenv("WIKICOURSE_GRACE_DAYS", "60")
    asked.clear()
    assert cli("update", course, "--as-of", "2024-03-01T00:00:00Z")[0] == 0 and asked


def test_a_negative_grace_period_is_refused(cli, course):
    code, out, err = cli("update", course, "--grace-days", "-1")
    assert code != 0 and err.startswith("error:") and len(err.strip().splitlines()) == 1


def test_the_grace_period_from_the_environment_may_be_zero_never_negative(cli, course, monkeypatch):
    """As --grace-days: 0 (no grace period) is taken, a negative number refused in one line."""
    monkeypatch.setenv("WIKICOURSE_GRACE_DAYS", "0")
    code, out, err = cli("update", course, "--as-of", "2024-01-11T00:00:00Z")
    assert code == 0 and "no longer followed" in out, err
    monkeypatch.setenv("WIKICOURSE_GRACE_DAYS", "-1")
    assert cli("update", course) == (1, "", "error: WIKICOURSE_GRACE_DAYS must be a whole number of days, not '-1'\n")


def test_database_and_broker_failures_are_one_line_and_other_failures_propagate(cli, course, monkeypatch):
    """main() recognises SQLAlchemy's and Redis's errors without importing either to start."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from sqlalchemy.exc import OperationalError

    import wikicourse.stats

    def failing(error):
        def course_stats(*args, **kwargs):
            raise error
        return course_stats

    for error, line in [(OperationalError("SELECT", {}, Exception("disk I/O error")), "error: database: disk I/O error"),
                        (RedisConnectionError("Connection refused."),
                         "error: the workers' broker (Redis): Connection refused.")]:
        monkeypatch.setattr(wikicourse.stats, "course_stats", failing(error))
        assert cli("stats", course) == (1, "", line + "\n")
    monkeypatch.setattr(wikicourse.stats, "course_stats", failing(RuntimeError("a bug")))
    with pytest.raises(RuntimeError, match="a bug"):
        cli("stats", course)


@pytest.mark.parametrize("name,value", [("WIKICOURSE_REQUEST_DEADLINE", "soon"), ("WIKICOURSE_FETCH_BUDGET", "0"),
                                        ("WIKICOURSE_MAX_RESPONSE_MB", "-5"), ("WIKICOURSE_FETCH_BUDGET", "inf")])
def test_a_bad_limit_on_the_wikis_answers_is_refused_before_the_course_is_locked(
    cli, course, sqlite_url, monkeypatch, name, value
):
    before = snapshot(sqlite_url)
    monkeypatch.setenv(name, value)
    code, out, err = cli("update", course)
    assert code != 0 and "Traceback" not in err + out
    assert err.splitlines() == [f"error: {name} must be a positive number, not {value!r}"], err
    assert snapshot(sqlite_url) == before  # no run recorded: the lock was never taken
