"""The Uploads page's Content-Security-Policy: images from exactly the origins of the thumbnails it
shows (the wikis), nothing a policy could read as another source; the pages' own policy otherwise."""
from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from wikicourse import courses
from wikicourse.tokens import create_token
from wikicourse.web.app import create_app
from wikicourse.web.security import PAGES
from wikicourse.web.upload_views import image_origins, page_policy
from wikicourse.wikis import add_wiki


def test_only_plain_http_origins_of_thumbnails_are_allowed():
    assert image_origins([
        "https://upload.wikimedia.org/wikipedia/commons/thumb/a/ab/X.png/120px-X.png",
        "https://upload.wikimedia.org/other.png",
        "http://127.0.0.1:8400/img_auth.php/e/ec/X.png",
        "https://user:secret@wiki.example/x.png",  # the credentials never reach the policy
        "javascript:alert(1)", "data:image/png;base64,AAAA", "//no-scheme.example/x.png",
        "https://evil.example;script-src *", "https://a.example:99999/x.png", "", None,
    ]) == ["http://127.0.0.1:8400", "https://upload.wikimedia.org", "https://wiki.example"]
    policy = page_policy(["https://upload.wikimedia.org"])
    assert "img-src 'self' data: https://upload.wikimedia.org;" in policy
    assert policy.replace(" https://upload.wikimedia.org", "") == PAGES  # nothing else opened


def test_a_course_without_uploads_keeps_the_pages_policy(engine):
    add_wiki(engine, "test.wiki", "https://test.wiki/w/api.php")
    courses.create_course(engine, "c1", title="C", start=date(2024, 1, 1), end=date(2024, 1, 9), wikis=["test.wiki"])
    with TestClient(create_app(engine)) as client:
        page = client.get("/courses/c1/uploads")
        assert page.status_code == 200 and "No upload counted yet." in page.text
        assert page.headers["content-security-policy"] == PAGES
        assert client.get("/api/courses/c1/uploads").json()["uploads"] == []
        assert client.get("/api/courses/nope/uploads").status_code == 404
        assert client.get("/courses/c1/uploads.csv").text.lstrip("\ufeff").startswith("wiki,title,uploader")
        # An organizer switches uploads on through the API; anyone else cannot.
        assert client.patch("/api/courses/c1", json={"count_uploads": True}).status_code == 401
        token = create_token(engine, "organizer", role="admin")
        changed = client.patch("/api/courses/c1", json={"count_uploads": True},
                               headers={"Authorization": f"Bearer {token}"})
        assert changed.status_code == 200 and changed.json()["course"]["count_uploads"] is True
