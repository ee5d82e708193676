"""The campaigns' HTTP API: public reads, admin-only writes (401 anonymous, 403 instructors), 404s,
422s with one JSON message, and the document `campaign stats --json` prints."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from support import campaigns as world
from wikicourse.campaign_stats import campaign_stats
from wikicourse.campaigns import add_courses, campaign_courses, campaigns, create_campaign
from wikicourse.courses import create_course
from wikicourse.db import open_db
from wikicourse.tokens import create_token
from wikicourse.web import create_app

NESTED = "uni/courses/2024"  # a course slug holding "/courses/": the DELETE route still splits right


@pytest.fixture
def env(sqlite_url):
    engine = open_db(sqlite_url)
    world.build_world(engine)
    create_course(engine, NESTED, title="Nested", start=world.t("2024-03-01").date(),
                  end=world.t("2024-03-09").date(), wikis=[world.ONE])
    create_campaign(engine, "spring", title="Spring")
    add_courses(engine, "spring", ["c1", "c2"])
    tokens = {"admin": create_token(engine, "ops", role="admin"),
              "instructor": create_token(engine, "cy", role="instructor", username="Cy")}  # teaches c1
    with TestClient(create_app(engine)) as client:
        yield client, engine, tokens
    engine.dispose()


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def error_of(response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and "\n" not in body["error"]
    return body["error"]


def state(engine) -> tuple:
    with engine.connect() as conn:
        return (sorted(conn.execute(select(campaigns.c.slug, campaigns.c.title)).all()),
                sorted(conn.execute(select(campaign_courses.c.campaign_id, campaign_courses.c.course_id)).all()))


def test_reads_are_public_and_are_the_stats_documents(env):
    client, engine, _ = env
    listed = client.get("/api/campaigns").json()["campaigns"]
    assert [(c["slug"], c["course_count"]) for c in listed] == [("spring", 2)]
    assert {f: listed[0][f] for f in world.FIGURES} == world.UNION
    doc = client.get("/api/campaigns/spring").json()
    assert doc == campaign_stats(engine, "spring")
    assert set(doc) == {"campaign", "courses", "wikis", "activity"}
    assert {f: doc["campaign"][f] for f in world.FIGURES} == world.UNION
    assert {"course_count", "wikis", "last_update", "until"} <= set(doc["campaign"])
    assert [set(c) >= {"slug", "title", "start", "end", "last_update", *world.FIGURES} for c in doc["courses"]] == \
        [True, True]
    until = client.get("/api/campaigns/spring", params={"until": "2024-01-06"}).json()
    assert {f: until["campaign"][f] for f in world.FIGURES} == world.UNTIL_6TH and until["campaign"]["until"] == \
        "2024-01-06"


@pytest.mark.parametrize("method,path,body", [
    ("post", "/api/campaigns", {"slug": "autumn", "title": "Autumn"}),
    ("post", "/api/campaigns/spring/courses", {"courses": [NESTED]}),
    ("delete", "/api/campaigns/spring/courses/c1", None),
])
def test_writes_need_an_admin_token(env, method, path, body):
    client, engine, tokens = env
    before = state(engine)
    send = getattr(client, method)
    kwargs = {"json": body} if body else {}
    assert "sign in" in error_of(send(path, **kwargs), 401)
    assert "sign in" in error_of(send(path, headers=auth("wct_not-a-token"), **kwargs), 401)
    assert "only admins manage campaigns" in error_of(send(path, headers=auth(tokens["instructor"]), **kwargs), 403)
    assert state(engine) == before
    assert send(path, headers=auth(tokens["admin"]), **kwargs).status_code in (200, 201)
    assert state(engine) != before


def test_an_admin_creates_a_campaign_adds_and_removes_courses(env):
    client, engine, tokens = env
    admin = auth(tokens["admin"])
    created = client.post("/api/campaigns", json={"slug": "uni/autumn", "title": "Autumn"}, headers=admin)
    assert created.status_code == 201 and created.json()["campaign"]["slug"] == "uni/autumn"
    assert client.post("/api/campaigns/uni/autumn/courses", json={"courses": [NESTED, "c1"]},
                       headers=admin).json() == {"added": ["c1", NESTED]}
    assert client.post("/api/campaigns/uni/autumn/courses", json={"courses": ["c1"]},
                       headers=admin).json() == {"added": []}  # already in: nothing to do
    assert client.delete(f"/api/campaigns/uni/autumn/courses/{NESTED}", headers=admin).json() == {
        "removed": [NESTED]}
    assert [c["slug"] for c in client.get("/api/campaigns/uni/autumn").json()["courses"]] == ["c1"]


def test_unknown_campaigns_are_404_and_bad_input_422_changing_nothing(env):
    client, engine, tokens = env
    admin = auth(tokens["admin"])
    before = state(engine)
    assert error_of(client.get("/api/campaigns/nope"), 404) == "no campaign 'nope'"
    assert error_of(client.post("/api/campaigns/nope/courses", json={"courses": ["c1"]}, headers=admin), 404) == \
        "no campaign 'nope'"
    assert error_of(client.delete("/api/campaigns/nope/courses/c1", headers=admin), 404) == "no campaign 'nope'"
    assert "no course 'x'" in error_of(
        client.post("/api/campaigns/spring/courses", json={"courses": [NESTED, "x"]}, headers=admin), 422)
    assert "not in campaign" in error_of(client.delete(f"/api/campaigns/spring/courses/{NESTED}", headers=admin), 422)
    assert "courses" in error_of(client.post("/api/campaigns/spring/courses", json={"courses": []}, headers=admin), 422)
    assert "already exists" in error_of(
        client.post("/api/campaigns", json={"slug": "spring", "title": "Again"}, headers=admin), 422)
    assert "may not hold /wikis" in error_of(
        client.post("/api/campaigns", json={"slug": "a/wikis", "title": "T"}, headers=admin), 422)
    for bad in ("x/../spring", "x/./y", "x/", "x//y"):  # a browser would rewrite the links rendered for them
        assert error_of(client.post("/api/campaigns", json={"slug": bad, "title": "T"}, headers=admin), 422) == \
            f"not a campaign slug: '{bad}' (no part between slashes may be empty, . or ..)"
    assert "title" in error_of(client.post("/api/campaigns", json={"slug": "x"}, headers=admin), 422)
    assert "until" in error_of(client.get("/api/campaigns/spring", params={"until": "soon"}), 422)
    assert state(engine) == before
