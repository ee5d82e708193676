"""The API's description (/openapi.json, what /docs shows): the Bearer scheme behind the
Authorize button on every action, and each operation's error statuses with their body."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from wikicourse.db import open_db
from wikicourse.web import create_app

READ, ACT = {"404", "422"}, {"401", "403", "404", "422"}
# Every operation and the error statuses it can answer; None: public, else it needs a token.
OPERATIONS = {
    ("get", "/api/courses"): ({"422"}, False),
    ("get", "/api/courses/{slug}/wikis"): (READ, False),
    ("get", "/api/courses/{slug}/users/{username}/removal"): (ACT | {"503"}, True),
    ("get", "/api/wikis"): (set(), False),
    ("get", "/api/courses/{slug}/students/{username}"): (READ, False),
    ("get", "/api/courses/{slug}/articles/{article_id}"): (READ, False),
    ("get", "/api/courses/{slug}/recent"): (READ, False),
    ("get", "/api/courses/{slug}/uploads"): (READ, False),
    ("get", "/api/courses/{slug}"): (READ, False),
    ("get", "/api/courses/{slug}/users"): (READ, False),
    ("get", "/api/courses/{slug}/articles"): (READ, False),
    ("get", "/api/courses/{slug}/timeslices"): (READ, False),
    ("get", "/api/courses/{slug}/updates"): (READ, False),
    ("get", "/api/courses/{slug}/changes"): (READ, False),
    ("post", "/api/courses/{slug}/updates"): (ACT | {"409", "503"}, True),
    ("post", "/api/courses/{slug}/users"): (ACT, True),
    ("delete", "/api/courses/{slug}/users/{username}"): (ACT, True),
    ("patch", "/api/courses/{slug}"): (ACT, True),
    ("get", "/api/campaigns"): (set(), False),
    ("get", "/api/campaigns/{slug}"): (READ, False),
    ("post", "/api/campaigns"): ({"401", "403", "422"}, True),
    ("post", "/api/campaigns/{slug}/courses"): (ACT, True),
    ("delete", "/api/campaigns/{slug}/courses/{course}"): (ACT, True),
}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    engine = open_db(f"sqlite:///{tmp_path_factory.mktemp('openapi') / 'empty.sqlite'}")
    with TestClient(create_app(engine)) as c:
        yield c
    engine.dispose()


@pytest.fixture(scope="module")
def spec(client) -> dict:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    return r.json()


def test_the_bearer_scheme_is_declared(spec):
    schemes = spec["components"]["securitySchemes"]
    assert [(s["type"], s["scheme"]) for s in schemes.values()] == [("http", "bearer")]


def test_the_description_covers_every_operation_and_only_those(spec):
    listed = {(method, path) for path, ops in spec["paths"].items() for method in ops}
    assert listed == set(OPERATIONS)


@pytest.mark.parametrize("method,path", sorted(OPERATIONS))
def test_each_action_needs_the_bearer_token_and_each_operation_lists_its_errors(spec, method, path):
    statuses, protected = OPERATIONS[(method, path)]
    (scheme,) = spec["components"]["securitySchemes"]
    op = spec["paths"][path][method]
    assert op.get("security") == ([{scheme: []}] if protected else None)
    errors = {s for s in op["responses"] if s[0] in "45"}
    assert errors == statuses
    schemas = spec["components"]["schemas"]
    for status in errors:
        ref = op["responses"][status]["content"]["application/json"]["schema"]["$ref"]
        body = schemas[ref.rsplit("/", 1)[1]]
        assert body["required"] == ["error"] and body["properties"]["error"]["type"] == "string", (status, ref)
        assert op["responses"][status]["description"]


def test_the_declared_errors_are_what_the_api_answers(client):
    """A sample of each: the body is the declared one, the 401 names the scheme."""
    r = client.post("/api/courses/nope/updates")
    assert r.status_code == 401 and set(r.json()) == {"error"} and r.headers["www-authenticate"] == "Bearer"
    r = client.post("/api/courses/nope/updates", headers={"authorization": "Bearer not-a-token"})
    assert r.status_code == 401 and set(r.json()) == {"error"}
    r = client.get("/api/courses/nope")
    assert r.status_code == 404 and r.json() == {"error": "no course 'nope'"}
    r = client.get("/api/courses/nope/updates", params={"limit": 0})
    assert r.status_code == 422 and set(r.json()) == {"error"}


def test_docs_page_is_served(client):
    r = client.get("/docs")
    assert r.status_code == 200 and "swagger" in r.text.lower()
