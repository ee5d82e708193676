"""What a request may cost the server: bodies over the limit refused (413) before they are read,
the API's actions refused (401) before a body is read at all, the enroll form capped as the API
is, the flash cookie kept small, and a database lock answered with 503 and Retry-After soon.

Where it depends on the transport (a body not sent yet, a chunked one), a real uvicorn server
on a free port answers: http.client sends the headers and asks for the answer before the body.
"""
from __future__ import annotations

import http.client
import json
import re
import shutil
import time
from contextlib import contextmanager
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select, text, update

from support.course import setup_course
from support.serving import served
from wikicourse.courses import course_id
from wikicourse.db import open_db
from wikicourse.errors import InvalidInput
from wikicourse.demo import DEMO_END, DEMO_START, DEMO_WIKI, DEMO_XML
from wikicourse.lock_wait import waiting_at_most
from wikicourse.clock import now_utc
from wikicourse.models.tables import enrollments, update_runs
from wikicourse.settings import MAX_BODY
from wikicourse.tokens import create_token
from wikicourse.web import create_app
from wikicourse.web.views import FLASH

SLUG = "limits"
INSTRUCTOR = "Helen Carter (Wiki Ed)"
STUDENTS = ["Amara Okafor", "Lena Fischer"]
# 500 accounts the wiki knows, with names as long as MediaWiki allows (255 bytes of UTF-8).
LONG_NAMES = [f"Ünïcødé {i:03} " + "é" * 119 for i in range(500)]


@pytest.fixture
def site(any_url, tmp_path):
    """A course on a copy of the demo wiki that also knows LONG_NAMES; (engine, instructor's token)."""
    dump = tmp_path / "demo.xml"
    shutil.copy(DEMO_XML, dump)
    dump.with_name("demo.xml.users").write_text("\n".join(LONG_NAMES), encoding="utf-8")
    engine = open_db(any_url)
    setup_course(engine, {DEMO_WIKI: dump}, slug=SLUG, start=str(DEMO_START), end=str(DEMO_END),
                 students=STUDENTS, instructors=[INSTRUCTOR])
    yield engine, create_token(engine, "helen", role="instructor", username=INSTRUCTOR)
    engine.dispose()


def headers_only(base: str, method: str, path: str, headers: dict[str, str], timeout: float = 10):
    """Send a request's headers (a body announced, not sent) and read the answer: (status, headers, body).
    A server that waits for the body before answering makes this time out."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.putrequest(method, path)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def error_of(status: int, headers: dict, body: str) -> str:
    assert headers.get("content-type", "").startswith("application/json"), (status, body)
    document = json.loads(body)
    assert set(document) == {"error"}, body
    return document["error"]


# ---- the token before the body -------------------------------------------------------------------

@pytest.mark.parametrize("any_url", ["sqlite"], indirect=True)
def test_an_api_action_without_a_valid_token_is_refused_before_its_body_is_sent(site):
    engine, _ = site
    actions = [("POST", f"/api/courses/{SLUG}/users"), ("PATCH", f"/api/courses/{SLUG}"),
               ("POST", f"/api/courses/{SLUG}/updates"), ("POST", "/api/campaigns")]
    with served(create_app(engine)) as base:
        for method, path in actions:
            for authorization in ({}, bearer("wrong"), bearer("wkc_not-a-token"), {"Authorization": "Basic eDp5"}):
                # 50 MB announced, none sent: the answer comes without waiting for it.
                status, headers, body = headers_only(base, method, path, {
                    **authorization, "Content-Type": "application/json", "Content-Length": str(50_000_000)})
                assert status == 401, (method, path, authorization, body)
                assert headers.get("www-authenticate") == "Bearer"
                assert "sign in with an access token" in error_of(status, headers, body)
        # A body sent whole, not even JSON: the missing token is what the answer is about, not the body.
        r = httpx.post(f"{base}/api/courses/{SLUG}/users", content=b"x" * 200_000, headers=bearer("wrong"))
        assert r.status_code == 401, r.text


@pytest.mark.parametrize("any_url", ["sqlite"], indirect=True)
def test_a_body_over_the_limit_is_refused_before_it_is_sent(site):
    engine, token = site
    with served(create_app(engine)) as base:
        status, headers, body = headers_only(base, "POST", f"/api/courses/{SLUG}/users", {
            **bearer(token), "Content-Type": "application/json", "Content-Length": str(MAX_BODY + 1)})
        assert status == 413
        assert error_of(status, headers, body) == \
            f"the request's body is over this server's limit of {MAX_BODY:,} bytes"
        # A page's form (no token needed to post it): the error page, not JSON.
        status, headers, body = headers_only(base, "POST", "/login", {
            "Accept": "text/html", "Content-Type": "application/x-www-form-urlencoded",
            "Content-Length": str(50_000_000)})
        assert status == 413 and headers["content-type"].startswith("text/html")
        assert "413: too large" in body and f"limit of {MAX_BODY:,} bytes" in body


@pytest.mark.parametrize("any_url", ["sqlite"], indirect=True)
def test_a_chunked_body_is_refused_as_soon_as_it_grows_past_the_limit(site):
    engine, token = site
    chunk = b'{"usernames": [' + b'"x", ' * 13_000  # 65 KB
    with served(create_app(engine)) as base:
        parts = urlsplit(base)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        conn.putrequest("POST", f"/api/courses/{SLUG}/users")
        for name, value in {**bearer(token), "Content-Type": "application/json",
                            "Transfer-Encoding": "chunked"}.items():
            conn.putheader(name, value)
        conn.endheaders()
        sent = 0
        try:
            while sent < 3 * MAX_BODY:  # without a limit the whole body is read, then refused as bad JSON
                conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
            conn.send(b"0\r\n\r\n")
        except OSError:  # the server may stop reading once it has answered
            pass
        response = conn.getresponse()
        status, body = response.status, response.read().decode()
        conn.close()
    assert status == 413, body
    assert "limit of" in body


@pytest.mark.parametrize("any_url", ["sqlite"], indirect=True)
def test_the_limit_is_the_operators_and_fits_an_enroll_of_500_long_names(site, monkeypatch):
    engine, token = site
    with TestClient(create_app(engine)) as client:
        # 500 names of 255 bytes each, as JSON with escapes (the default ensure_ascii), then as the form posts them.
        r = client.post(f"/api/courses/{SLUG}/users", json={"usernames": [n + "?" for n in LONG_NAMES]},
                        headers=bearer(token))
        assert r.status_code == 422 and "no such user" in r.json()["error"], r.text
        sign_in(client, token)
        r = client.post(f"/courses/{SLUG}/enroll", headers={"accept": "text/html"},
                        data={"csrf": csrf_of(client), "role": "student",
                              "usernames": "\n".join(n + "?" for n in LONG_NAMES)})
        assert r.status_code == 422 and "no such user" in r.text
    monkeypatch.setenv("WIKICOURSE_MAX_BODY", "2000")
    with TestClient(create_app(engine)) as client:
        r = client.post(f"/api/courses/{SLUG}/users", json={"usernames": LONG_NAMES[:20]}, headers=bearer(token))
        assert r.status_code == 413 and "limit of 2,000 bytes" in r.json()["error"]
    monkeypatch.setenv("WIKICOURSE_MAX_BODY", "1 MB")
    with pytest.raises(InvalidInput, match="WIKICOURSE_MAX_BODY must be a whole number of bytes, not '1 MB'"):
        create_app(engine)
    # No limit that refuses every request, sign-in included: a positive number of bytes.
    for value in ("0", "000"):
        monkeypatch.setenv("WIKICOURSE_MAX_BODY", value)
        with pytest.raises(InvalidInput, match=f"^WIKICOURSE_MAX_BODY must be a positive number of bytes, "
                                               f"not '{value}'$"):
            create_app(engine)
    for value in ("-1", "1e6", "²"):
        monkeypatch.setenv("WIKICOURSE_MAX_BODY", value)
        with pytest.raises(InvalidInput, match=f"^WIKICOURSE_MAX_BODY must be a whole number of bytes, not '{value}'$"):
            create_app(engine)
    monkeypatch.delenv("WIKICOURSE_MAX_BODY")
    monkeypatch.setenv("WIKICOURSE_WEB_LOCK_WAIT", "0")
    with pytest.raises(InvalidInput, match="^WIKICOURSE_WEB_LOCK_WAIT must be a positive number of seconds, not '0'$"):
        create_app(engine)


# ---- the enroll form and the flash cookie --------------------------------------------------------

def sign_in(client, token: str) -> None:
    r = client.post("/login", data={"token": token, "next": "/"}, follow_redirects=False,
                    headers={"origin": str(client.base_url).rstrip("/")})
    assert r.status_code == 303, r.text


def csrf_of(client) -> str:
    page = client.get(f"/courses/{SLUG}/manage", headers={"accept": "text/html"}).text
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def roster(engine) -> list:
    with engine.connect() as conn:
        return sorted(conn.execute(select(enrollments.c.user_id, enrollments.c.role)).all())


@pytest.mark.parametrize("any_url", ["sqlite"], indirect=True)
def test_the_enroll_form_takes_at_most_500_usernames_as_the_api(site):
    engine, token = site
    before = roster(engine)
    with TestClient(create_app(engine), headers={"accept": "text/html"}) as client:
        sign_in(client, token)
        names = "\n".join(LONG_NAMES + ["Rafael Souza"])
        r = client.post(f"/courses/{SLUG}/enroll", data={"csrf": csrf_of(client), "role": "student",
                                                         "usernames": names})
        assert r.status_code == 422
        assert "Nobody enrolled: at most 500 usernames at once, not 501" in r.text
        assert roster(engine) == before
        r = client.post(f"/api/courses/{SLUG}/users", json={"usernames": LONG_NAMES + ["Rafael Souza"]},
                        headers=bearer(token))
        assert r.status_code == 422 and "at most 500 items" in r.json()["error"]
        assert roster(engine) == before


@pytest.mark.parametrize("any_url", ["sqlite"], indirect=True)
def test_the_flash_cookie_stays_small_after_enrolling_500_long_names(site):
    engine, token = site
    with TestClient(create_app(engine), headers={"accept": "text/html"}) as client:
        sign_in(client, token)
        r = client.post(f"/courses/{SLUG}/enroll", follow_redirects=False,
                        data={"csrf": csrf_of(client), "role": "student", "usernames": "\n".join(LONG_NAMES)})
        assert r.status_code == 303, r.text
        cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith(f"{FLASH}="))
        assert len(cookie) < 1200, len(cookie)  # a browser drops a cookie over 4 KB: the message would be lost
        shown = client.get(r.headers["location"]).text
        message = re.search(r'<p class="flash ok" role="status">([^<]*)</p>', shown).group(1)
        assert message == f"Enrolled as student: {LONG_NAMES[0]} and 499 more. " \
                          "Their edits count from the next update."
        # The same 500 as instructors: a line for each role changed, cut short.
        r = client.post(f"/courses/{SLUG}/enroll", follow_redirects=False,
                        data={"csrf": csrf_of(client), "role": "instructor", "usernames": "\n".join(LONG_NAMES)})
        cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith(f"{FLASH}="))
        assert len(cookie) < 1200, len(cookie)
        message = re.search(r'<p class="flash ok" role="status">([^<]*)</p>', client.get(r.headers["location"]).text)
        assert message.group(1).startswith(f"{LONG_NAMES[0]}: student -&gt; instructor") and message.group(1)[-1] == "…"
    assert len(roster(engine)) == len(STUDENTS) + 1 + 500


# ---- a database busy -----------------------------------------------------------------------------

@contextmanager
def held(url: str, write):
    """Another connection making `write(conn, course_id)` and not committing it, until the block ends."""
    holder = open_db(url, migrate=False)
    try:
        with holder.begin() as conn:
            write(conn, course_id(conn, SLUG))
            yield
            conn.rollback()
    finally:
        holder.dispose()


def writes_held(url: str):
    """The course's enrollments written: SQLite's write lock, PostgreSQL's row locks."""
    return held(url, lambda conn, cid: conn.execute(
        update(enrollments).where(enrollments.c.course_id == cid).values(role=enrollments.c.role)))


def test_a_write_that_waits_on_a_lock_answers_503_with_retry_after_soon(site, any_url, monkeypatch):
    engine, token = site
    monkeypatch.setenv("WIKICOURSE_WEB_LOCK_WAIT", "1")
    with served(create_app(engine)) as base, httpx.Client(base_url=base, timeout=20) as client:
        sign_in(client, token)  # before the lock: signing in may write too
        csrf = csrf_of(client)
        with writes_held(any_url):
            started = time.monotonic()
            r = client.delete(f"/api/courses/{SLUG}/users/{STUDENTS[0]}", headers=bearer(token))
            assert r.status_code == 503, r.text
            assert r.headers["retry-after"] == "1"
            assert r.json() == {"error": "the database is busy (another process holds a lock on it): "
                                         "try again shortly"}
            r = client.post(f"/courses/{SLUG}/disenroll", data={"csrf": csrf, "username": STUDENTS[1]},
                            headers={"accept": "text/html"})
            assert r.status_code == 503 and r.headers["retry-after"] == "1"
            assert "503: busy" in r.text and "the database is busy" in r.text
            assert time.monotonic() - started < 10  # not the command line's 30 s, nor for ever
        # The lock gone, the same requests go through.
        assert client.delete(f"/api/courses/{SLUG}/users/{STUDENTS[0]}", headers=bearer(token)).status_code == 200
        r = client.post(f"/courses/{SLUG}/disenroll", data={"csrf": csrf, "username": STUDENTS[1]},
                        follow_redirects=False)
        assert r.status_code == 303


def run_row_held(url: str):
    """A run of the course started and not committed: SQLite's write lock; on PostgreSQL the
    one-running-run index makes a second run's insert wait for it."""
    now = now_utc()
    return held(url, lambda conn, cid: conn.execute(insert(update_runs).values(
        course_id=cid, full=False, as_of=now, started_at=now, status="running", holder="elsewhere:1",
        heartbeat_at=now, step="starting")))


def test_starting_an_update_waits_for_the_database_no_longer_than_other_writes(site, any_url, monkeypatch):
    engine, token = site
    monkeypatch.setenv("WIKICOURSE_WEB_LOCK_WAIT", "1")
    app = create_app(engine)
    with served(app) as base, httpx.Client(base_url=base, timeout=60) as client:
        with run_row_held(any_url):
            started = time.monotonic()
            r = client.post(f"/api/courses/{SLUG}/updates", headers=bearer(token))
            assert (r.status_code, r.headers.get("retry-after")) == (503, "1"), r.text
            assert time.monotonic() - started < 10  # not the command line's 30 s, nor the start's 120 s
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(update_runs)) == 0  # it did not start later
        assert client.post(f"/api/courses/{SLUG}/updates", headers=bearer(token)).status_code == 202
        app.state.updater.wait(60)


def test_the_removal_preview_waiting_on_a_lock_answers_503_with_retry_after_soon_too(site, any_url, monkeypatch):
    """The preview writes, then rolls back: it waits as the web's writes do, and is answered as they are."""
    engine, token = site
    monkeypatch.setenv("WIKICOURSE_WEB_LOCK_WAIT", "1")
    api, page = f"/api/courses/{SLUG}/users/{STUDENTS[0]}/removal", f"/courses/{SLUG}/disenroll"
    busy = f"course '{SLUG}' is being written by another process (an update): try the preview again shortly"
    with served(create_app(engine)) as base, httpx.Client(base_url=base, timeout=20) as client:
        sign_in(client, token)
        with writes_held(any_url):
            started = time.monotonic()
            r = client.get(api, headers=bearer(token))
            assert (r.status_code, r.json()) == (503, {"error": busy}), r.text
            assert r.headers["retry-after"] == "1"
            r = client.get(page, params={"username": STUDENTS[0]}, headers={"accept": "text/html"})
            assert r.status_code == 503 and r.headers["retry-after"] == "1"
            assert "503: busy" in r.text and "try the preview again shortly" in r.text
            assert time.monotonic() - started < 10  # not the command line's 30 s, nor for ever
        # The lock gone, the same requests go through.
        r = client.get(api, headers=bearer(token))
        assert r.status_code == 200 and r.json()["users"][0]["username"] == STUDENTS[0]
        assert client.get(page, params={"username": STUDENTS[0]}).status_code == 200


@pytest.mark.parametrize("any_url", ["postgresql"], indirect=True)  # SQLite's: tests/test_read_only_db.py
def test_a_write_to_a_read_only_database_answers_503_at_once(site, any_url):
    """A replica (PostgreSQL in read-only transactions) refuses every write: one clear answer, no 500."""
    engine, token = site
    with served(create_app(engine)) as base, httpx.Client(base_url=base, timeout=20) as client:
        sign_in(client, token)
        csrf = csrf_of(client)
        with engine.begin() as conn:
            conn.execute(text(f'ALTER DATABASE "{engine.url.database}" SET default_transaction_read_only = on'))
        engine.dispose()  # new connections take the database's new default
        r = client.delete(f"/api/courses/{SLUG}/users/{STUDENTS[0]}", headers=bearer(token))
        assert (r.status_code, r.json()) == (503, {"error": "this server's database is read-only: nothing can be "
                                                            "changed here"})
        assert "retry-after" not in r.headers  # trying again will not help
        r = client.post(f"/courses/{SLUG}/disenroll", data={"csrf": csrf, "username": STUDENTS[1]},
                        headers={"accept": "text/html"})
        assert r.status_code == 503 and "database is read-only" in r.text
        assert client.get(f"/courses/{SLUG}/students").status_code == 200  # reading goes on
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(enrollments)) == len(STUDENTS) + 1


def test_only_the_webs_transactions_wait_less_for_a_lock(any_url):
    engine = open_db(any_url)
    web = waiting_at_most(engine, 2)

    def wait_of(eng) -> str:
        with eng.connect() as conn:
            if conn.dialect.name == "sqlite":
                return conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
            return conn.scalar(select(func.current_setting("lock_timeout")))

    try:
        own = wait_of(engine)
        for _ in range(3):  # over the same pooled connections, in turn
            assert wait_of(web) in (2000, "2s")
            assert wait_of(engine) == own
        assert own in (30_000, "0")  # the command line's: SQLite's 30 s, PostgreSQL's none
    finally:
        engine.dispose()
