"""Headers and sessions: every answer refuses sniffing and framing under a strict CSP, HEAD is
answered where GET is, sign-in needs this site's Origin (or Referer), and the cookie holds a
server-side session that signing out or revoking the token ends."""
from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from support.course import setup_course
from support.course import update as update_course
from wikicourse import sessions
from wikicourse.clock import now_utc
from wikicourse.demo import DEMO_END, DEMO_START, DEMO_WIKI, DEMO_XML
from wikicourse.models.tables import web_sessions
from wikicourse.tokens import create_token, digest, list_tokens, revoke_token
from wikicourse.web import auth, create_app
from wikicourse.web.security import PAGES

HTML = {"accept": "text/html"}
OWN = {"origin": "http://testserver"}


@pytest.fixture
def client(engine):
    setup_course(engine, {DEMO_WIKI: DEMO_XML}, slug="c", start=str(DEMO_START), end=str(DEMO_END),
                 students=["Amara Okafor"])
    update_course(engine, "c", "2024-02-01T00:00:00Z")  # figures, so the pages show their charts and legend
    with TestClient(create_app(engine), headers=HTML) as client:
        client.engine = engine
        yield client


def sign_in(client, token: str, headers=OWN):
    return client.post("/login", data={"token": token, "next": "/"}, headers=headers, follow_redirects=False)


def csrf(client) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/").text).group(1)


# ---- headers ------------------------------------------------------------------------------------

@pytest.mark.parametrize("method,path,status", [
    ("GET", "/", 200), ("GET", "/courses/c", 200), ("GET", "/login", 200), ("GET", "/api/courses", 200),
    ("GET", "/static/style.css", 200), ("GET", "/nothing", 404), ("POST", "/courses/c/enroll", 401),
    ("GET", "/openapi.json", 200)])
def test_every_answer_refuses_sniffing_and_framing(client, method, path, status):
    r = client.request(method, path)
    assert r.status_code == status
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-frame-options"] == "DENY"
    policy = dict(part.strip().split(" ", 1) for part in r.headers["content-security-policy"].split(";"))
    assert policy["frame-ancestors"] == "'none'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"  # nothing inline runs


def test_a_crash_is_answered_with_the_headers_too(engine):
    app = create_app(engine)

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/boom")
    assert r.status_code == 500 and r.json()["error"].startswith("internal error (RuntimeError)")
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-frame-options"] == "DENY"
    assert r.headers["content-security-policy"] == PAGES


def test_the_api_description_pages_have_their_own_policy_and_refuse_framing(client):
    for path in ("/docs", "/redoc"):
        r = client.get(path)
        assert r.status_code == 200
        policy = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "'unsafe-inline'" in policy, path


def test_pages_hold_no_inline_script_style_or_handler(client):
    sign_in(client, create_token(client.engine, "a", role="admin"))
    for path in ("/", "/courses/c", "/courses/c/activity", "/courses/c/manage", "/login", "/campaigns"):
        text = client.get(path).text
        assert 'class="swatch"' in text or path != "/courses/c/activity"  # the charts' legend checked too
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", text, re.I), path


@pytest.mark.parametrize("path", ["/", "/courses/c", "/api/courses", "/api/courses/c", "/static/style.css",
                                  "/courses/c/overview.csv", "/login"])
def test_head_is_answered_where_get_is(client, path):
    got = client.get(path)
    head = client.head(path)
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-type"] == got.headers["content-type"]
    assert int(head.headers["content-length"]) == len(got.content)


def test_head_is_refused_where_only_post_is(client):
    assert client.get("/logout").status_code == 405
    r = client.head("/logout")
    assert r.status_code == 405 and r.content == b"" and r.headers["allow"] == "POST"


# ---- signing in ---------------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"origin": "null"}, {"origin": "https://evil.example"},
                                     {"referer": "https://evil.example/login"}, {"origin": "http://testserver:81"}])
def test_sign_in_needs_this_sites_origin(client, headers):
    token = create_token(client.engine, "a", role="admin")
    r = sign_in(client, token, headers)
    assert r.status_code == 403 and "sign in from this site's own form" in html.unescape(r.text)
    assert auth.COOKIE not in client.cookies and "Signed in" not in client.get("/").text


def test_sign_in_takes_a_referer_when_there_is_no_origin(client):
    token = create_token(client.engine, "a", role="admin")
    assert sign_in(client, token, {"referer": "http://testserver/login?next=/"}).status_code == 303
    assert "Signed in as" in client.get("/").text


# ---- sessions -----------------------------------------------------------------------------------

def test_the_cookie_holds_a_session_stored_only_hashed_not_the_token(client):
    token = create_token(client.engine, "a", role="admin")
    r = sign_in(client, token)
    assert r.status_code == 303
    cookie = client.cookies[auth.COOKIE]
    assert cookie.startswith(sessions.PREFIX) and token not in r.headers["set-cookie"]
    with client.engine.connect() as conn:
        (row,) = conn.execute(select(web_sessions)).all()
    assert row.session_hash == digest(cookie) and cookie not in str(tuple(row))
    assert row.expires_at - row.created_at == timedelta(hours=sessions.HOURS)
    client.cookies.clear()
    client.cookies.set(auth.COOKIE, token)  # the token itself in the cookie signs nobody in
    assert "Signed in" not in client.get("/").text


def test_signing_in_or_out_clears_the_cookie_older_versions_kept_the_token_in(client):
    token = create_token(client.engine, "a", role="admin")
    for step in (lambda: sign_in(client, token), lambda: client.post("/logout", data={"csrf": csrf(client)},
                                                                      follow_redirects=False)):
        client.cookies.set(auth.OLD_COOKIE, token)
        r = step()
        assert r.status_code == 303
        assert any(c.startswith(f'{auth.OLD_COOKIE}=""; ') and "Max-Age=0" in c
                   for c in r.headers.get_list("set-cookie")), r.headers.get_list("set-cookie")


def test_signing_out_ends_the_session_for_whoever_kept_the_cookie(client):
    sign_in(client, create_token(client.engine, "a", role="admin"))
    kept = client.cookies[auth.COOKIE]
    r = client.post("/logout", data={"csrf": csrf(client)})
    assert r.status_code == 200 and "Signed out." in r.text
    with client.engine.connect() as conn:
        assert conn.execute(select(web_sessions)).all() == []
    client.cookies.set(auth.COOKIE, kept)  # a copy of the cookie taken before signing out
    assert "Signed in" not in client.get("/").text
    assert client.get("/courses/c/manage", follow_redirects=False).status_code == 303  # to /login


def test_revoking_the_token_ends_its_sessions(client):
    sign_in(client, create_token(client.engine, "a", role="admin"))
    assert client.get("/courses/c/manage").status_code == 200
    revoke_token(client.engine, list_tokens(client.engine)[0]["id"])
    assert client.get("/courses/c/manage", follow_redirects=False).status_code == 303


def test_an_expired_session_signs_nobody_in_and_goes_at_the_next_sign_in(client):
    token = create_token(client.engine, "a", role="admin")
    sign_in(client, token)
    with client.engine.begin() as conn:
        conn.execute(update(web_sessions).values(expires_at=now_utc() - timedelta(seconds=1)))
    assert "Signed in" not in client.get("/").text
    sign_in(client, token)
    with client.engine.connect() as conn:
        assert len(conn.execute(select(web_sessions)).all()) == 1  # the expired one was removed


def test_the_form_token_is_derived_from_the_session_and_changes_with_it(client):
    token = create_token(client.engine, "a", role="admin")
    sign_in(client, token)
    first = csrf(client)
    client.cookies.clear()
    sign_in(client, token)
    assert csrf(client) != first
    r = client.post("/courses/c/update", data={"csrf": first}, follow_redirects=False)
    assert r.status_code == 403
