"""Credentials in a URL are used, never shown: a private wiki behind HTTP basic auth (a real
MediaWiki behind a proxy that asks for a password) is registered as https://user:password@...;
neither its password nor a Redis password appears in any command's output, the run records,
the API or the pages, even when the wiki refuses the credentials and the errors quote its URL."""
from __future__ import annotations

import subprocess

import httpx
from sqlalchemy import select

from support.cli import wikicourse_cli
from support.serving import serving
from twowikis import DOMAINS, END, START, USERS, free_port
from wikicourse.db import open_db
from wikicourse.models.tables import update_runs

ONE, TWO = DOMAINS
SLUG = "private-course"
PASSWORD, WRONG, REDIS_PASSWORD = "Pa55-one-secret", "Wr0ng-two-secret", "Red1s-secret"
SECRETS = (PASSWORD, WRONG, REDIS_PASSWORD)


def private(url: str, password: str) -> str:
    return url.replace("http://", f"http://bot:{password}@", 1)


def leaks(text: str) -> bool:
    return any(secret in text for secret in SECRETS) or "bot:" in text or "bot@" in text


def test_a_private_wikis_credentials_are_used_and_never_shown(proxies, tmp_path):
    for proxy in proxies.values():
        proxy.credentials = ("bot", PASSWORD)
    db = f"sqlite:///{tmp_path / 'private.sqlite'}"
    shown: dict[str, str] = {}

    def run(*args: str, code: int = 0) -> subprocess.CompletedProcess:
        done = wikicourse_cli(db, *args)
        assert done.returncode == code, (args, done.stdout, done.stderr)
        shown[f"#{len(shown) + 1}: {' '.join(args[:2])}"] = done.stdout + done.stderr  # args may hold a password
        return done

    run("wiki", "add", ONE, "--api-url", private(proxies[ONE].api_url, PASSWORD))
    run("wiki", "add", TWO, "--api-url", private(proxies[TWO].api_url, PASSWORD))
    run("course", "create", SLUG, "--title", "Private", "--start", START.isoformat(), "--end", END.isoformat(),
        "--wiki", ONE, "--wiki", TWO)
    run("enroll", SLUG, *USERS[:4])
    run("update", SLUG, "--as-of", "2024-03-11T00:00:00Z")
    # The credentials kept in the database are what the proxies asked for: nothing was refused.
    assert all(p.refused == 0 and p.request_count > 0 for p in proxies.values())

    # The second wiki's password changes: its requests are refused, and the errors quote its URL.
    run("wiki", "add", TWO, "--api-url", private(proxies[TWO].api_url, WRONG))
    assert "401" in run("update", SLUG, "--as-of", "2024-03-17T00:00:00Z", code=3).stderr
    assert proxies[TWO].refused > 0
    listed = run("wiki", "list").stdout
    assert "401" in run("status").stdout
    run("stats", SLUG)
    run("changes", SLUG)
    # Nothing listens on that port: a real connection refused, with the password in the URL.
    closed = free_port()
    assert "cannot be reached" in run("status", "--redis", f"redis://:{REDIS_PASSWORD}@127.0.0.1:{closed}/0").stdout

    engine = open_db(db, migrate=False)
    try:
        with engine.connect() as conn:
            errors = [e for e in conn.scalars(select(update_runs.c.errors)) if e]
    finally:
        engine.dispose()
    assert errors and any("401" in e for e in errors)
    shown["update_runs.errors"] = "\n".join(errors)

    token = run("token", "create", "ops", "--admin").stdout.strip()
    student = USERS[0].replace(" ", "_")
    with serving(db) as server, httpx.Client(base_url=server.url, timeout=30) as web:
        base = server.url
        signed_in = web.post("/login", data={"token": token, "next": f"/courses/{SLUG}/manage"},
                             headers={"Origin": base}, follow_redirects=True)
        assert signed_in.status_code == 200 and "401" in signed_in.text  # the manage page shows the run's error
        shown["manage page"] = signed_in.text
        for path in ("/", f"/courses/{SLUG}", f"/courses/{SLUG}/students/{student}", f"/courses/{SLUG}/recent",
                     f"/api/courses/{SLUG}/updates", "/api/wikis", f"/api/courses/{SLUG}/students/{student}",
                     f"/api/courses/{SLUG}/recent"):
            answer = web.get(path)
            assert answer.status_code == 200, (path, answer.text)
            shown[path] = answer.text
    assert [where for where, text in shown.items() if leaks(text)] == []

    assert "401" in shown[f"/courses/{SLUG}"] and "401" in shown[f"/api/courses/{SLUG}/updates"]
    assert listed == f"{ONE}\t{proxies[ONE].api_url}\n{TWO}\t{proxies[TWO].api_url}\n"
    assert {w["api_url"] for w in httpx.Response(200, text=shown["/api/wikis"]).json()["wikis"]} \
        == {p.api_url for p in proxies.values()}
    # Diff links lead to the wiki's index.php beside its API URL, without the API's credentials.
    assert f'{proxies[ONE].api_url.removesuffix("api.php")}index.php?diff=' in shown[f"/api/courses/{SLUG}/recent"]
