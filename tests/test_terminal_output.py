"""What a wiki or a user wrote reaches the operator's terminal escaped: a title or a username with
an escape sequence, a C1 control (U+009B is a terminal's CSI) or a newline can neither drive the
terminal nor break a table's row, in every command's output and error; --json stays exact JSON.
A username with a C1 control is refused at enrollment (command line, API, web form)."""
from __future__ import annotations

import json
import logging
import re
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from support.exports import write_export
from test_cli import snapshot
from wikicourse import logs
from wikicourse.db import open_db
from wikicourse.models.tables import articles, courses, users
from wikicourse.web import create_app

SLUG = "c1"
# A title as a wiki's API could answer it (an XML export cannot hold ESC): it sets the terminal's
# title, clears the screen and starts a row of its own.
EVIL_TITLE = "Evil\x1b]0;pwned\x07\x1b[2J\nfake row"
EXPORT_TITLE = "Csi\x9b31m red\tand\x85next"  # what an export can hold: C1, a tab
EVIL_NAME = "Mal\x9b2Jlory"  # as a database from before the refusal, or a wiki's rename, holds it
EVIL_COURSE = "Course\x1b[31m\r\nred"
RAW = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # every control character but the line break


@pytest.fixture
def course(cli, tmp_path, sqlite_url):
    pages = {("Plain", 0): [("2024-01-02T10:00:00Z", "Ann", "Plain text"),
                            ("2024-01-03T10:00:00Z", "Mallory", "Plain text, longer")],
             (EXPORT_TITLE, 0): [("2024-01-04T10:00:00Z", "Mallory", "Red text")]}
    export = write_export(tmp_path / "wiki.xml", pages).resolve().as_uri()
    assert cli("wiki", "add", "test.wiki", "--api-url", export)[0] == 0
    assert cli("course", "create", SLUG, "--title", "Course", "--start", "2024-01-01", "--end", "2024-01-10",
               "--wiki", "test.wiki")[0] == 0
    assert cli("enroll", SLUG, "Ann", "Mallory")[0] == 0
    assert cli("update", SLUG, "--as-of", "2024-02-01T00:00:00Z")[0] == 0
    assert cli("campaign", "create", "camp", "--title", "Camp")[0] == 0
    assert cli("campaign", "add", "camp", SLUG)[0] == 0
    engine = open_db(sqlite_url)
    with engine.begin() as conn:
        conn.execute(update(articles).where(articles.c.title == "Plain").values(title=EVIL_TITLE))
        conn.execute(update(users).where(users.c.username == "Mallory").values(username=EVIL_NAME))
        conn.execute(update(courses).where(courses.c.slug == SLUG).values(title=EVIL_COURSE))
        ids = dict(conn.execute(select(articles.c.title, articles.c.id)).all())
    engine.dispose()
    assert EXPORT_TITLE in ids, "the export's title did not come through as written"
    return ids


def shown(cli, *args: str, code: int = 0) -> str:
    got, out, err = cli(*args)
    assert got == code, (args, out, err)
    for text in (out, err):
        assert not RAW.search(text), f"{args}: a raw control character reached the terminal: {text!r}"
        assert not any(line.lstrip().startswith("fake row") for line in text.splitlines()), \
            f"{args}: a title's newline started a line of its own: {text!r}"
    return out + err


def test_every_terminal_rendering_escapes_control_characters(cli, course):
    ids = course
    evil, export = r"Evil\x1b]0;pwned\x07\x1b[2J\nfake row", r"Csi\x9b31m red\tand\x85next"
    out = shown(cli, "stats", SLUG)
    assert evil in out and export in out and r"Mal\x9b2Jlory" in out and r"Course\x1b[31m\r\nred" in out
    # A row of the articles table stays one line, its columns aligned.
    row = next(line for line in out.splitlines() if line.startswith("Evil"))
    assert "test.wiki" in row and r"Mal\x9b2Jlory" in row
    shown(cli, "stats", SLUG, "--per-wiki")
    assert evil in shown(cli, "student", SLUG, EVIL_NAME)
    assert r"Mal\x9b2Jlory" in shown(cli, "article", SLUG, str(ids[EVIL_TITLE]))
    assert export in shown(cli, "article", SLUG, str(ids[EXPORT_TITLE]))
    assert evil in shown(cli, "recent", SLUG)
    assert r"Course\x1b[31m\r\nred" in shown(cli, "course", "list")
    preview = shown(cli, "disenroll", SLUG, EVIL_NAME, "--dry-run")
    assert r"Mal\x9b2Jlory" in preview and f"stops counting: {export}" in preview
    shown(cli, "campaign", "stats", "camp")
    shown(cli, "campaign", "list")
    shown(cli, "changes", SLUG)
    shown(cli, "status", "--redis", "redis://127.0.0.1:1/0")


def test_errors_that_quote_the_input_stay_one_escaped_line(cli, course):
    for args in (["student", SLUG, "Nobody\x1b[2J\nfake row"], ["disenroll", SLUG, "Nobody\x9b2J"],
                 ["stats", "no\x1b[2Jsuch"], ["course", "list", "--wiki", "x\x1b[2J"],
                 ["stats", SLUG, "--per\x1b[2J\nfake row"]):  # a usage error (exit 2) too
        text = shown(cli, *args, code=2 if args[-1].startswith("--") else 1)
        assert text.startswith("error: ") and text.count("\n") == 1, text


def test_json_stays_exact_json_with_no_raw_control(cli, course):
    for args, get in ((["stats", SLUG], lambda d: ([a["title"] for a in d["articles"]],
                                                   [u["username"] for u in d["users"]], d["course"]["title"])),
                      (["recent", SLUG], lambda d: [r["title"] for r in d["revisions"]]),
                      (["course", "list"], lambda d: [c["title"] for c in d["courses"]])):
        out = shown(cli, *args, "--json")
        assert repr(get(json.loads(out))).count("\\x") >= 1
    doc = json.loads(shown(cli, "stats", SLUG, "--json"))
    assert sorted(a["title"] for a in doc["articles"]) == sorted([EVIL_TITLE, EXPORT_TITLE])
    assert sorted(u["username"] for u in doc["users"]) == ["Ann", EVIL_NAME]
    assert doc["course"]["title"] == EVIL_COURSE


@pytest.mark.parametrize("name", ["Bad\x9bName", "\x85Lead", "Tail\x80", "Del\x7f"])
def test_a_username_with_a_control_character_is_refused_at_enrollment(cli, course, sqlite_url, name):
    before = snapshot(sqlite_url)
    code, out, err = cli("enroll", SLUG, "Ann", name)
    assert code == 1 and out == ""
    assert err.startswith("error: not a username: ") and err.count("\n") == 1 and not RAW.search(err), err
    assert snapshot(sqlite_url) == before


def test_the_api_and_the_web_form_refuse_a_c1_username(cli, course, sqlite_url):
    from wikicourse.tokens import issue_token

    engine = open_db(sqlite_url)
    secret = issue_token(engine, "admin", role="admin").secret

    def roster() -> dict:  # (signing in and using the token change the token tables)
        tables = snapshot(sqlite_url)
        return {name: tables[name] for name in ("users", "enrollments")}

    before = roster()
    site = {"origin": "http://testserver"}  # a browser's sign-in and forms say where they come from
    with TestClient(create_app(engine)) as client:
        r = client.post(f"/api/courses/{SLUG}/users", json={"usernames": ["Bad\x9bName"]},
                        headers={"authorization": f"Bearer {secret}"})
        assert r.status_code == 422 and r.json()["error"].startswith("not a username: "), r.text
        # The form takes a name a line: U+0085 (NEL) is not a line break there, nor stripped away.
        r = client.post("/login", data={"token": secret, "next": "/"}, headers=site, follow_redirects=False)
        assert r.status_code == 303, r.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get(f"/courses/{SLUG}/manage").text).group(1)
        for typed in ("Ann\nBad\x9bName", "Ann\x85", "Bad\x85Name"):
            r = client.post(f"/courses/{SLUG}/enroll", data={"csrf": csrf, "usernames": typed, "role": "student"},
                            headers={**site, "accept": "text/html"})
            assert r.status_code == 422 and "Nobody enrolled: not a username" in r.text, (typed, r.text[-500:])
    engine.dispose()
    assert roster() == before


@contextmanager
def worker_logs(json_lines: bool):
    """The logs as the workers write them (text or JSON lines), to stderr as it is now; then as they were."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    logs.setup(json_lines=json_lines)
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


@pytest.mark.parametrize("json_lines", [False, True])
def test_the_workers_log_lines_escape_what_they_quote(capsys, json_lines):
    with worker_logs(json_lines):
        logging.getLogger("wikicourse.update.cycle").warning("update round not read: %s", EVIL_TITLE + EVIL_NAME)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and not RAW.search(err), err
    assert (r"\u001b]0;pwned" if json_lines else r"Evil\x1b]0;pwned\x07\x1b[2J\nfake row") in err


@pytest.mark.parametrize("json_lines", [False, True])
def test_log_lines_show_no_credentials_of_the_urls_they_quote(capsys, json_lines):
    """A message or a library's exception text may quote a URL with its user:password@."""
    log = logging.getLogger("wikicourse.workers.worker")
    with worker_logs(json_lines):
        log.warning("cannot reach %s", "https://bot:s3cret@wiki.example/w/api.php")
        try:
            raise ConnectionError("redis://:hunter2@queue.example:6379/0 refused the connection")
        except ConnectionError:
            log.exception("the broker failed")
    err = capsys.readouterr().err
    assert "s3cret" not in err and "hunter2" not in err and "bot" not in err, err
    assert "https://wiki.example/w/api.php" in err and "redis://queue.example:6379/0 refused" in err
    assert "Traceback" in err and "raise ConnectionError" in err  # the traceback itself is kept
