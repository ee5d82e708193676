"""`wikicourse serve` as a real process: a port in use is one line of error, requests are
logged only when asked (--access-log), a reverse proxy's forwarded headers are believed only
from the addresses it is told (--forwarded-allow-ips), and HEAD is answered."""
from __future__ import annotations

import re
import socket
import sqlite3

import httpx
import pytest

from support.cli import wikicourse_cli
from support.ports import free_port
from support.serving import serving
from wikicourse.db import open_db
from wikicourse.tokens import create_token


@pytest.fixture
def database(sqlite_url):
    open_db(sqlite_url).dispose()
    return sqlite_url


def test_a_port_in_use_is_one_line_and_a_nonzero_exit(database):
    port = free_port(18400, 18499)
    with socket.create_server(("127.0.0.1", port)):
        done = wikicourse_cli(database, "serve", "--port", str(port), timeout=30)
    assert (done.returncode, done.stdout, done.stderr) == (
        1, "", f"error: cannot listen on 127.0.0.1:{port}: address already in use\n")


def test_an_unknown_host_is_one_line_too(database):
    done = wikicourse_cli(database, "serve", "--host", "no-such-host.invalid", "--port", "0", timeout=30)
    assert (done.returncode, done.stdout) == (1, "")
    err = done.stderr
    assert err.startswith("error: cannot listen on no-such-host.invalid:0: ") and err.count("\n") == 1, err


def two_requests(url: str, *args: str) -> tuple[str, str]:
    """Start serve, ask for the courses, then for a page that is not there, stop it: what it printed
    (stdout, stderr). Its first request is the courses' (nothing else asked before)."""
    with serving(url, *args, probe=None) as server:
        assert httpx.get(f"{server.url}/api/courses", timeout=30).json()["courses"] == []
        assert httpx.get(f"{server.url}/api/nothing-here").status_code == 404
    assert server.returncode in (0, -15)
    return server.stdout, server.stderr


def test_requests_are_logged_only_with_access_log(database):
    out, err = two_requests(database)
    assert out == "" and "GET" not in err
    assert err.startswith("serving http://127.0.0.1:")
    out, _ = two_requests(database, "--access-log")
    lines = out.splitlines()
    assert len(lines) == 2, out
    assert '"GET /api/courses HTTP/1.1" 200' in lines[0] and '"GET /api/nothing-here HTTP/1.1" 404' in lines[1]


def test_its_log_lines_escape_what_they_quote(database):
    """A failure's log line quotes the path asked for (a visitor's): its controls reach the
    operator's terminal escaped, the line stays one line."""
    with serving(database) as server:  # once it answers the courses
        with sqlite3.connect(database.removeprefix("sqlite:///")) as db:
            db.execute("DROP TABLE courses")  # every course page fails from now on
        answer = httpx.get(f"{server.url}/courses/x%1B%5D0%3Bpwned%07%1B%5B2Jfake%C2%9B1m",
                           headers={"accept": "text/html"})
        assert answer.status_code == 500, answer.text
    err = server.stderr
    assert not set(err) & {"\x1b", "\x07", "\x9b"}, err
    (line,) = [line for line in err.splitlines() if "unhandled error" in line]
    assert line.endswith("unhandled error on /courses/x\\x1b]0;pwned\\x07\\x1b[2Jfake\\x9b1m"), line
    # uvicorn's own report of the failure goes through the same formatter, not a handler of its own
    (line,) = [line for line in err.splitlines() if "Exception in ASGI application" in line]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d [\d:,]+ ERROR uvicorn.error: Exception in ASGI application", line), line


# ---- behind a reverse proxy ---------------------------------------------------------------------

PROXY, STRANGER = "127.0.0.2", "127.0.0.3"  # loopback addresses the client sends from (all reach 127.0.0.1)
BROWSER = {"host": "dash.example", "origin": "https://dash.example", "x-forwarded-proto": "https",
           "x-forwarded-for": "203.0.113.9", "accept": "text/html"}


def client_from(source: str) -> httpx.Client:
    """A client whose connections come from `source`, as a proxy's on that address would."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=source), follow_redirects=False)


def admin_token(database: str) -> str:
    engine = open_db(database, migrate=False)
    try:
        return create_token(engine, "ops", role="admin")
    finally:
        engine.dispose()


def sign_in_through(port: int, source: str, token: str) -> httpx.Response:
    with client_from(source) as client:
        return client.post(f"http://127.0.0.1:{port}/login", data={"token": token, "next": "/"}, headers=BROWSER)


@pytest.mark.parametrize("how", ["option", "environment"])
def test_sign_in_works_behind_a_tls_proxy_the_server_is_told_to_trust(database, how):
    token = admin_token(database)
    args, env = (("--forwarded-allow-ips", f"10.1.2.3, {PROXY}"), None) if how == "option" else \
        ((), {"WIKICOURSE_FORWARDED_ALLOW_IPS": "127.0.0.0/29"})
    with serving(database, *args, env=env) as server:
        port = server.port
        r = sign_in_through(port, PROXY, token)
        assert r.status_code == 303 and r.headers["location"] == "/", r.text
        cookie = r.headers["set-cookie"]
        assert "; secure" in cookie.lower()  # the browser's https, not the proxy's http
        with client_from(PROXY) as client:  # the session works on the next request
            page = client.get(f"http://127.0.0.1:{port}/", headers={**BROWSER, "cookie": cookie.split(";")[0]})
        assert "Signed in as" in page.text


def test_forwarded_headers_from_an_address_not_trusted_are_ignored(database):
    token = admin_token(database)
    with serving(database, "--forwarded-allow-ips", PROXY) as server:
        r = sign_in_through(server.port, STRANGER, token)  # seen as http: the https Origin is another site's
        assert r.status_code == 403 and "sign in from this site" in r.text
    with serving(database) as server:  # by default only 127.0.0.1 is believed
        assert sign_in_through(server.port, PROXY, token).status_code == 403
        assert sign_in_through(server.port, "127.0.0.1", token).status_code == 303


def test_a_mistyped_proxy_address_is_one_line_and_a_nonzero_exit(database):
    done = wikicourse_cli(database, "serve", "--port", "0", "--forwarded-allow-ips", "10.0.0.1,10.0.0.300",
                          timeout=30)
    assert (done.returncode, done.stdout, done.stderr) == (
        1, "", "error: --forwarded-allow-ips: '10.0.0.300' is not an IP address or network\n")


def test_a_body_limit_of_zero_is_one_line_and_a_nonzero_exit(database):
    """WIKICOURSE_MAX_BODY=0 would answer every POST 413, signing in included: refused at start."""
    done = wikicourse_cli(database, "serve", "--port", "0", env={"WIKICOURSE_MAX_BODY": "0"}, timeout=30)
    assert (done.returncode, done.stdout, done.stderr) == (
        1, "", "error: WIKICOURSE_MAX_BODY must be a positive number of bytes, not '0'\n")


def test_head_is_answered_like_get_by_the_real_server(database):
    with serving(database) as server, httpx.Client() as client:
        for path in ("/", "/api/courses", "/static/style.css"):
            got, head = client.get(f"{server.url}{path}"), client.head(f"{server.url}{path}")
            assert (head.status_code, head.content) == (200, b""), path
            assert int(head.headers["content-length"]) == len(got.content), path
            assert head.headers["x-content-type-options"] == "nosniff"
