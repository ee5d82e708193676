"""The HTTP API: every endpoint, its refusals (401, 403, 404, 409, 422), and errors as one JSON message."""
from __future__ import annotations

import shutil
import threading
import time
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from support.changes import add_run
from support.course import setup_course, stats, update
from wikicourse.changes import course_changes
from wikicourse.db import open_db
from wikicourse.demo import DEMO_XML
from wikicourse.stats import course_stats
from wikicourse.models.tables import courses, enrollments
from wikicourse.tokens import create_token, list_tokens, revoke_token
from wikicourse.update.runs import begin_run, end_run, now_utc
from wikicourse.web import create_app
from wikicourse.workers.broker import make_broker, queue_lengths
from wikicourse.workers.worker import run_worker

WIKI = "demo.wikicourse.invalid"
SLUG = "Uni/Writing_(2024)"  # slugs may hold slashes and brackets, as on the reference dashboard
STUDENTS = ["Amara Okafor", "Lena Fischer", "Mei Chen", "Priya Raman"]
INSTRUCTOR = "Helen Carter (Wiki Ed)"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """A demo course updated once, and one not updated, in a database copied for each test."""
    path = tmp_path_factory.mktemp("api") / "base.sqlite"
    engine = open_db(f"sqlite:///{path}")
    setup_course(engine, {WIKI: DEMO_XML}, slug=SLUG, start="2024-01-01", end="2024-01-31",
                 students=STUDENTS, instructors=[INSTRUCTOR])
    setup_course(engine, {WIKI: DEMO_XML}, slug="other", start="2024-01-01", end="2024-01-31",
                 instructors=["Jonas Berg"])  # the "stranger": teaches another course
    update(engine, SLUG, "2024-01-20T00:00:00Z")
    engine.dispose()
    return path


@pytest.fixture
def env(prepared, tmp_path):
    path = tmp_path / "api.sqlite"
    shutil.copy(prepared, path)
    engine = open_db(f"sqlite:///{path}")
    app = create_app(engine)
    tokens = {"admin": create_token(engine, "ops", role="admin"),
              "instructor": create_token(engine, "helen", role="instructor", username=INSTRUCTOR),
              "stranger": create_token(engine, "jonas", role="instructor", username="Jonas Berg")}
    with TestClient(app) as client:
        yield client, engine, tokens
    app.state.updater.wait()
    engine.dispose()


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def error_of(response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and "Traceback" not in body["error"] and "\n" not in body["error"]
    return body["error"]


def roster(engine) -> list:
    with engine.connect() as conn:
        return sorted(conn.execute(select(enrollments.c.user_id, enrollments.c.role)).all())


def test_courses_lists_every_course_with_its_headline_figures(env):
    client, engine, _ = env
    listed = {c["slug"]: c for c in client.get("/api/courses").json()["courses"]}
    assert set(listed) == {SLUG, "other"}
    doc = stats(engine, SLUG)["course"]
    for field in ("title", "wikis", "student_count", "revision_count", "character_sum", "article_count",
                  "last_update"):
        assert listed[SLUG][field] == doc[field]
    assert listed["other"]["last_update"] is None and listed["other"]["revision_count"] == 0


def test_a_course_is_the_stats_json_document_and_its_parts_are_resources(env):
    client, engine, _ = env
    doc = stats(engine, SLUG)
    assert doc["course"]["revision_count"] > 0 and doc["articles"]
    assert client.get(f"/api/courses/{SLUG}").json() == doc
    assert client.get(f"/api/courses/{SLUG}/users").json() == {"users": doc["users"]}
    listed = client.get(f"/api/courses/{SLUG}/articles").json()["articles"]  # with their ids, for drill-downs
    assert [{k: v for k, v in a.items() if k != "id"} for a in listed] == doc["articles"]
    assert len({a["id"] for a in listed}) == len(listed)
    assert client.get(f"/api/courses/{SLUG}/timeslices").json() == {"timeslices": doc["timeslices"]}
    assert client.get(f"/api/courses/{SLUG}/timeslices", params={"wiki": "other.wiki"}).json() == {"timeslices": []}


def test_until_a_day_gives_the_figures_as_of_its_end_in_the_course_and_its_parts(env):
    client, engine, _ = env
    now, then = stats(engine, SLUG), course_stats(engine, SLUG, until=date(2024, 1, 10))
    assert 0 < then["course"]["revision_count"] < now["course"]["revision_count"]
    assert len(then["articles"]) < len(now["articles"]) and len(then["timeslices"]) == 10
    assert client.get(f"/api/courses/{SLUG}", params={"until": "2024-01-10"}).json() == then
    assert then["course"]["until"] == "2024-01-10T23:59:59Z" and then["course"]["exact"] is True
    for part in ("users", "articles", "timeslices"):
        got = client.get(f"/api/courses/{SLUG}/{part}", params={"until": "2024-01-10"}).json()
        if part == "articles":  # they carry their ids
            got = {part: [{k: v for k, v in a.items() if k != "id"} for a in got[part]]}
        assert got == {part: then[part]}
    # After the last update (Jan 20): what is stored, with the last update to see.
    later = client.get(f"/api/courses/{SLUG}", params={"until": "2024-01-25"}).json()["course"]
    assert later["last_update"] == "2024-01-20T00:00:00Z"
    assert later["revision_count"] == now["course"]["revision_count"]


@pytest.mark.parametrize("path", ["", "/users", "/articles", "/timeslices"])
@pytest.mark.parametrize("until", ["2026-13-01", "yesterday", ""])
def test_a_malformed_until_is_a_422_with_a_message(env, path, until):
    client, _, _ = env
    message = error_of(client.get(f"/api/courses/{SLUG}{path}", params={"until": until}), 422)
    assert message == f"malformed until date {until!r}: use YYYY-MM-DD"


@pytest.mark.parametrize("path", ["", "/users", "/articles", "/timeslices", "/updates", "/changes"])
def test_an_unknown_course_is_a_404_with_a_message(env, path):
    client, _, _ = env
    assert error_of(client.get(f"/api/courses/no-such{path}"), 404) == "no course 'no-such'"


def test_an_unknown_path_and_a_bad_query_are_json_errors(env):
    client, _, _ = env
    assert "nothing at" in error_of(client.get("/api/nothing-here"), 404)
    assert "limit" in error_of(client.get(f"/api/courses/{SLUG}/updates", params={"limit": "lots"}), 422)


def test_changes_say_why_the_figures_moved_newest_first(env):
    client, engine, _ = env
    drop = add_run(engine, SLUG, "2024-01-25T00:00:00Z", finished="2024-01-25T00:00:07Z",
                   figures={"revision_count": [120, 98]},
                   reasons=[{"kind": "deleted", "subject": "Siege of Kaunas", "detail": WIKI},
                            {"kind": "students_removed", "subject": "Mei Chen"}])
    failed = add_run(engine, SLUG, "2024-01-26T00:00:00Z", "failed")
    add_run(engine, "other", "2024-01-27T00:00:00Z", figures={"student_count": [0, 1]})  # another course's
    body = client.get(f"/api/courses/{SLUG}/changes").json()
    assert body == {"changes": course_changes(engine, SLUG)}
    assert [c["run"] for c in body["changes"][:2]] == [failed, drop]
    assert body["changes"][1] == {
        "run": drop, "as_of": "2024-01-25T00:00:00Z", "started_at": "2024-01-25T00:00:00Z",
        "finished_at": "2024-01-25T00:00:07Z", "duration_seconds": 7, "status": "done",
        "full": False, "figures": {"revision_count": {"before": 120, "after": 98}},
        "reasons": [{"kind": "deleted", "label": "page deleted", "subject": "Siege of Kaunas", "detail": WIKI,
                     "count": 0},
                    {"kind": "students_removed", "label": "student removed", "subject": "Mei Chen", "detail": "",
                     "count": 0}]}
    assert client.get(f"/api/courses/{SLUG}/changes", params={"limit": 1}).json() == {
        "changes": [body["changes"][0]]}
    assert client.get("/api/courses/other/changes").json()["changes"][0]["figures"] == {
        "student_count": {"before": 0, "after": 1}}


@pytest.mark.parametrize("limit", ["0", "101", "lots"])
def test_changes_refuse_a_bad_limit(env, limit):
    client, _, _ = env
    assert "limit" in error_of(client.get(f"/api/courses/{SLUG}/changes", params={"limit": limit}), 422)


def test_a_course_without_history_has_no_changes(env):
    client, _, _ = env
    assert client.get("/api/courses/other/changes").json() == {"changes": []}


ACTIONS = [("post", f"/api/courses/{SLUG}/users", {"usernames": ["Jonas Berg"]}),
           ("delete", f"/api/courses/{SLUG}/users/Mei Chen", None),
           ("patch", f"/api/courses/{SLUG}", {"end": "2024-02-15"}),
           ("post", f"/api/courses/{SLUG}/updates", {})]


@pytest.mark.parametrize("method,path,body", ACTIONS)
def test_actions_refuse_missing_bad_revoked_and_foreign_tokens_and_change_nothing(env, method, path, body):
    client, engine, tokens = env
    before = (roster(engine), stats(engine, SLUG))

    def call(headers):
        return client.request(method, path, json=body, headers=headers)

    refused = call({})
    assert "access token" in error_of(refused, 401)
    assert refused.headers["www-authenticate"] == "Bearer"
    error_of(call(auth("wct_not-a-real-token")), 401)
    error_of(call({"Authorization": "Basic abc"}), 401)
    assert "not an instructor" in error_of(call(auth(tokens["stranger"])), 403)
    revoked = create_token(engine, "gone", role="admin")
    revoke_token(engine, next(t["id"] for t in list_tokens(engine) if t["label"] == "gone"))
    error_of(call(auth(revoked)), 401)
    client.app.state.updater.wait()
    assert (roster(engine), stats(engine, SLUG)) == before


def test_an_instructor_enrolls_and_dis_enrolls_with_canonical_names(env):
    client, engine, tokens = env
    done = client.post(f"/api/courses/{SLUG}/users", headers=auth(tokens["instructor"]),
                       json={"usernames": ["jonas_Berg"], "role": "student"})
    assert done.status_code == 200 and done.json()["enrolled"] == ["Jonas Berg"]
    assert done.json()["changes"] == [{"username": "Jonas Berg", "before": None, "after": "student",
                                       "text": "Jonas Berg: enrolled as student; their edits count from the next update"}]
    assert "Jonas Berg" in [u["username"] for u in client.get(f"/api/courses/{SLUG}/users").json()["users"]]
    again = client.post(f"/api/courses/{SLUG}/users", headers=auth(tokens["instructor"]),
                        json={"usernames": ["Jonas Berg"], "role": "staff"})
    assert again.json()["changes"] == [{"username": "Jonas Berg", "before": "student", "after": "staff",
                                        "text": "Jonas Berg: student -> staff; their edits stop counting at the next update"}]
    gone = client.delete(f"/api/courses/{SLUG}/users/Mei Chen", headers=auth(tokens["instructor"]))
    assert gone.status_code == 200 and gone.json()["removed"] == ["Mei Chen"]
    assert gone.json()["changes"][0]["text"] == "Mei Chen: removed (was student); their edits stop counting at the next update"
    assert "Mei Chen" not in [u["username"] for u in stats(engine, SLUG)["users"]]


@pytest.mark.parametrize("body,message", [
    ({"usernames": ["Nobody At All"]}, "no such user on the course's wikis: Nobody At All"),
    ({"usernames": []}, "usernames"),
    ({"usernames": ["Jonas Berg"], "role": "dean"}, "role"),
    ({"names": ["Jonas Berg"]}, "usernames: Field required"),
])
def test_bad_enrollments_are_422_and_change_nothing(env, body, message):
    client, engine, tokens = env
    before = roster(engine)
    assert message in error_of(client.post(f"/api/courses/{SLUG}/users", json=body,
                                           headers=auth(tokens["admin"])), 422)
    assert roster(engine) == before


def test_dis_enrolling_someone_not_enrolled_is_422(env):
    client, _, tokens = env
    assert "not enrolled" in error_of(client.delete(f"/api/courses/{SLUG}/users/Jonas Berg",
                                                    headers=auth(tokens["admin"])), 422)


def test_editing_dates_and_wikis(env):
    client, engine, tokens = env
    done = client.patch(f"/api/courses/{SLUG}", headers=auth(tokens["instructor"]), json={"end": "2024-02-10"})
    assert done.status_code == 200 and done.json()["course"]["end"] == "2024-02-10T23:59:59Z"
    for body, message, status in [({"end": "2023-12-01"}, "before the start", 422),
                                  ({"start": "2024-13-01"}, "start", 422),
                                  ({"add_wikis": ["nowhere.test"]}, "unknown wiki 'nowhere.test'", 422),
                                  ({"remove_wikis": [WIKI]}, "at least one wiki", 422)]:
        assert message in error_of(client.patch(f"/api/courses/{SLUG}", json=body,
                                                headers=auth(tokens["admin"])), status)
    assert stats(engine, SLUG)["course"]["end"] == "2024-02-10T23:59:59Z"


def test_an_update_runs_in_the_background_and_reports_its_progress(env):
    client, engine, tokens = env
    before = client.get(f"/api/courses/{SLUG}").json()
    client.delete(f"/api/courses/{SLUG}/users/Priya Raman", headers=auth(tokens["instructor"]))
    started = client.post(f"/api/courses/{SLUG}/updates", headers=auth(tokens["instructor"]))
    assert started.status_code == 202
    run = started.json()["run"]
    client.app.state.updater.wait()
    latest = client.get(f"/api/courses/{SLUG}/updates", params={"limit": 1}).json()["updates"][0]
    assert latest["id"] == run and latest["status"] == "done" and latest["finished_at"]
    assert latest["step"] is None and latest["done"] == latest["total"] == len(STUDENTS) - 1
    after = client.get(f"/api/courses/{SLUG}").json()
    assert after["course"]["last_update"] > before["course"]["last_update"]  # now, not 2024-01-20
    assert after["course"]["student_count"] == len(STUDENTS) - 1
    assert after["course"]["revision_count"] == sum(u["revision_count"] for u in after["users"])


def test_a_second_update_while_one_runs_is_a_409(env):
    client, engine, tokens = env
    with engine.connect() as conn:
        course_id = conn.scalar(select(courses.c.id).where(courses.c.slug == SLUG))
    run = begin_run(engine, course_id, slug=SLUG, full=False, as_of=now_utc(), started=now_utc())
    try:
        refused = client.post(f"/api/courses/{SLUG}/updates", headers=auth(tokens["admin"]))
        assert f"run {run}" in error_of(refused, 409)
    finally:
        end_run(engine, run, status="done")


def test_the_openapi_description_lists_every_endpoint(env):
    client, _, _ = env
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    assert set(paths) >= {"/api/courses", "/api/courses/{slug}", "/api/courses/{slug}/users",
                          "/api/courses/{slug}/articles", "/api/courses/{slug}/timeslices",
                          "/api/courses/{slug}/updates", "/api/courses/{slug}/users/{username}",
                          "/api/courses/{slug}/changes"}
    assert {"get", "patch"} <= set(paths["/api/courses/{slug}"])
    assert {"get", "post"} <= set(paths["/api/courses/{slug}/updates"])


def test_the_api_on_postgresql_reads_acts_and_updates(pg_url):
    engine = open_db(pg_url)
    setup_course(engine, {WIKI: DEMO_XML}, slug=SLUG, start="2024-01-01", end="2024-01-31",
                 students=STUDENTS, instructors=[INSTRUCTOR])
    token = create_token(engine, "helen", role="instructor", username=INSTRUCTOR)
    app = create_app(engine)
    try:
        with TestClient(app) as client:
            assert client.post(f"/api/courses/{SLUG}/updates", headers=auth(token)).status_code == 202
            app.state.updater.wait()
            assert client.delete(f"/api/courses/{SLUG}/users/Mei Chen", headers=auth(token)).status_code == 200
            assert client.post(f"/api/courses/{SLUG}/updates", headers=auth(token)).status_code == 202
            app.state.updater.wait()
            assert [r["status"] for r in client.get(f"/api/courses/{SLUG}/updates").json()["updates"]] == \
                ["done", "done"]
            doc = client.get(f"/api/courses/{SLUG}").json()
            assert doc == stats(engine, SLUG) and doc["course"]["student_count"] == len(STUDENTS) - 1
            assert doc["course"]["revision_count"] == sum(u["revision_count"] for u in doc["users"]) > 0
    finally:
        engine.dispose()


def test_where_workers_run_updates_are_queued_for_them(prepared, tmp_path, redis_url):
    """`serve --redis`: an update started here goes to the workers' queue (and through their
    per-wiki gate), coalescing with one already waiting; a rebuild is always sent."""
    path = tmp_path / "queued.sqlite"
    shutil.copy(prepared, path)
    engine = open_db(f"sqlite:///{path}")
    token = create_token(engine, "ops", role="admin")
    broker = make_broker(redis_url)
    try:
        with TestClient(create_app(engine, redis_url=redis_url)) as client:
            def start(body=None):
                answer = client.post(f"/api/courses/{SLUG}/updates", json=body, headers=auth(token))
                assert answer.status_code == 202, answer.text
                return answer.json()

            assert start() == {"run": None, "queued": "short", "coalesced": False,
                               "progress": f"/api/courses/{SLUG}/updates"}
            assert start()["coalesced"] is True
            assert start({"full": True})["coalesced"] is False
            assert queue_lengths(broker)["short"]["waiting"] == 2
            stop = threading.Event()
            worker = threading.Thread(target=run_worker, args=(engine, redis_url, ["short"]), kwargs={"stop": stop})
            worker.start()
            try:
                deadline = time.monotonic() + 30
                while len(client.get(f"/api/courses/{SLUG}/updates").json()["updates"]) < 3:
                    assert time.monotonic() < deadline, "the worker did not run both updates"
                    time.sleep(0.1)
            finally:
                stop.set()
                worker.join(30)
            runs = client.get(f"/api/courses/{SLUG}/updates").json()["updates"]
            assert [(r["full"], r["status"]) for r in runs[:2]] in ([(True, "done"), (False, "done")],
                                                                   [(False, "done"), (True, "done")])
        with TestClient(create_app(engine, redis_url="redis://127.0.0.1:1/0")) as client:
            down = client.post(f"/api/courses/{SLUG}/updates", headers=auth(token))
            assert "workers' queue cannot be reached" in error_of(down, 503)
    finally:
        broker.close()
        engine.dispose()


# ---- the dis-enrollment preview, the per-wiki split, the timeslice length, the wikis --------------

def test_the_removal_preview_is_what_the_update_then_takes_away_and_changes_nothing(env):
    client, engine, tokens = env
    url = f"/api/courses/{SLUG}/users/Priya Raman/removal"
    assert "token" in error_of(client.get(url), 401)
    assert "not an instructor" in error_of(client.get(url, headers=auth(tokens["stranger"])), 403)
    before, enrolled = stats(engine, SLUG), roster(engine)
    preview = client.get(url, headers=auth(tokens["instructor"])).json()
    assert stats(engine, SLUG) == before and roster(engine) == enrolled  # nothing changed
    priya = next(u for u in before["users"] if u["username"] == "Priya Raman")
    assert preview["users"] == [priya] and preview["counts"] is True and preview["slug"] == SLUG
    assert preview["before"] == {f: before["course"][f] for f in preview["before"]}
    assert preview["loses"]["revision_count"] == priya["revision_count"] > 0
    client.delete(f"/api/courses/{SLUG}/users/Priya Raman", headers=auth(tokens["instructor"]))
    update(engine, SLUG, "2024-01-20T00:00:00Z")
    after = stats(engine, SLUG)
    assert preview["after"] == {f: after["course"][f] for f in preview["after"]}
    gone = {a["title"] for a in before["articles"]} - {a["title"] for a in after["articles"]}
    assert {a["title"] for a in preview["articles"]} == gone
    for name, message, status in [("Rafael Souza", "not enrolled in", 422)]:
        assert message in error_of(client.get(f"/api/courses/{SLUG}/users/{name}/removal",
                                              headers=auth(tokens["admin"])), status)
    assert "no course 'nope'" in error_of(client.get("/api/courses/nope/users/X/removal",
                                                     headers=auth(tokens["admin"])), 404)


def test_the_per_wiki_split_adds_up_to_the_course_figures(env):
    client, engine, _ = env
    wikis = client.get(f"/api/courses/{SLUG}/wikis").json()["wikis"]
    course = stats(engine, SLUG)["course"]
    assert [w["wiki"] for w in wikis] == [WIKI] and wikis[0]["tracked"] is True
    for f in ("revision_count", "character_sum", "references_count", "article_count", "new_article_count"):
        assert wikis[0][f] == course[f] > 0
    assert wikis[0]["editors"] == sum(1 for u in stats(engine, SLUG)["users"] if u["revision_count"] > 0)
    assert "no course 'nope'" in error_of(client.get("/api/courses/nope/wikis"), 404)


def test_the_timeslice_length_is_read_and_set_through_the_api(env):
    client, engine, tokens = env
    assert client.get(f"/api/courses/{SLUG}").json()["course"]["timeslice_days"] == 1
    done = client.patch(f"/api/courses/{SLUG}", headers=auth(tokens["instructor"]), json={"timeslice_days": 7})
    assert done.status_code == 200 and done.json()["course"]["timeslice_days"] == 7
    for days, message in [(0, "at least 1"), (-3, "at least 1"), (100_000, "at most 3660"), ("week", "integer")]:
        assert message in error_of(client.patch(f"/api/courses/{SLUG}", headers=auth(tokens["admin"]),
                                                json={"timeslice_days": days}), 422)
    assert "token" in error_of(client.patch(f"/api/courses/{SLUG}", json={"timeslice_days": 2}), 401)
    assert stats(engine, SLUG)["course"]["timeslice_days"] == 7
    update(engine, SLUG, "2024-01-20T00:00:00Z")  # the next update regrids: windows of 7 days
    starts = [t["start"][:10] for t in stats(engine, SLUG)["timeslices"]]
    assert starts == ["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-22", "2024-01-29"]


def test_the_registered_wikis_are_listed(env):
    client, _, _ = env
    listed = client.get("/api/wikis").json()["wikis"]
    assert [w["domain"] for w in listed] == [WIKI] and listed[0]["api_url"].startswith("file:")


def test_editing_namespaces(env):
    client, engine, tokens = env
    for body, message in [({"namespaces": {WIKI: ["Nowhere"]}}, "no namespace named 'Nowhere'"),
                          ({"namespaces": {WIKI: [2]}}, "User and Draft are tracked besides"),
                          ({"namespaces": {WIKI: [-1]}}, "virtual namespaces"),
                          ({"namespaces": {WIKI: []}}, "expected DOMAIN:NS"),
                          ({"namespaces": {"nowhere.test": [0]}}, "unknown wiki 'nowhere.test'")]:
        assert message in error_of(client.patch(f"/api/courses/{SLUG}", json=body,
                                                headers=auth(tokens["admin"])), 422)
    assert stats(engine, SLUG)["course"]["article_namespaces"] == {WIKI: [0]}
    done = client.patch(f"/api/courses/{SLUG}", headers=auth(tokens["instructor"]),
                        json={"namespaces": {WIKI: [0, "Talk"]}})
    assert done.status_code == 200 and done.json()["course"]["article_namespaces"] == {WIKI: [0, 1]}
    course = client.get(f"/api/courses/{SLUG}").json()["course"]
    assert (course["article_namespaces"], course["article_namespace_names"]) == ({WIKI: [0, 1]}, {WIKI: ["(main)", "Talk"]})
