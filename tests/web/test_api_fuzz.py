"""Generated requests from the OpenAPI description (schemathesis): whatever arrives, the API
answers with a documented JSON body or a one-line JSON error, never a 500."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.course import setup_course, update
from wikicourse.db import open_db
from wikicourse.demo import DEMO_XML
from wikicourse.tokens import create_token
from wikicourse.web import create_app


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    engine = open_db(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.sqlite'}")
    setup_course(engine, {"demo.wikicourse.invalid": DEMO_XML}, slug="demo", start="2024-01-01",
                 end="2024-01-31", students=["Amara Okafor", "Lena Fischer"])
    update(engine, "demo", "2024-01-15T00:00:00Z")
    app = create_app(engine)
    token = create_token(engine, "fuzz", role="admin")
    yield app, token
    app.state.updater.wait()
    engine.dispose()


def test_generated_requests_never_crash_the_api(served):
    app, token = served
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    seen: set[str] = set()

    @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=schema.as_strategy(), known=st.sampled_from([None, "demo"]),
           name=st.sampled_from([None, "Lena Fischer", "Mei Chen"]))
    def check(case, known, name):
        # Random slugs would all be 404s: half the cases aim at the real course and its users.
        if known and "slug" in (case.path_parameters or {}):
            case.path_parameters["slug"] = known
            if name and "username" in case.path_parameters:
                case.path_parameters["username"] = name
        seen.add(f"{case.method} {case.path} {known}")
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            body = response.json()
            assert set(body) == {"error"} and "\n" not in body["error"], body

    check()
    assert len(seen) >= 16  # every operation was tried, on the real course and on unknown ones
