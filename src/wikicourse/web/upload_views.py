"""Uploads on the web (docs/uploads.md): the Uploads page, uploads.csv and /api/courses/{slug}/uploads,
all three from wikicourse.uploads.

The page shows each file's thumbnail as the wiki serves it: the browser loads it from the
wiki (never through this site), so the page's Content-Security-Policy lets images come from
exactly the origins of the thumbnails it shows, and nothing else loosens.

Included before the API's and the views' routers: their bare /courses/{slug:path} would take
/courses/x/uploads for a course "x/uploads".
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse

from ..stats import course_stats
from ..uploads import FIELDS, count_uploads, course_uploads_list
from . import exports
from .openapi import READ, errors
from .security import PAGES
from .manage import Csrf, acting, back_to_manage
from .views import render

router = APIRouter()
_HOST = re.compile(r"^[A-Za-z0-9.-]+$")


@router.get("/api/courses/{slug:path}/uploads", tags=["courses"], responses=errors(*READ),
            summary="The files the course's students uploaded, with their usage and the upload figures")
def uploads_api(request: Request, slug: str) -> dict:
    return course_uploads_list(request.app.state.engine, slug)


@router.get("/courses/{slug:path}/uploads.csv", include_in_schema=False)
def uploads_csv(request: Request, slug: str) -> Response:
    doc = course_uploads_list(request.app.state.engine, slug)
    text = {"wiki", "title", "uploader", "thumb_url", "file_url"}
    rows = [[exports._text(u[f]) if f in text and u[f] else u[f] for f in FIELDS] for u in doc["uploads"]]
    return exports.download(slug, "uploads", list(FIELDS), rows)


def image_origins(urls) -> list[str]:
    """The origins (scheme://host[:port]) of these thumbnail URLs, for img-src: http(s) only, a
    plain host name or address (nothing a policy could read as more than one source)."""
    found = set()
    for url in urls:
        parts = urlsplit(url or "")
        try:
            port = parts.port
        except ValueError:
            continue
        if parts.scheme in ("http", "https") and parts.hostname and _HOST.match(parts.hostname):
            found.add(f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port else ""))
    return sorted(found)


def page_policy(origins: list[str]) -> str:
    """The pages' policy with these image origins added (security.PAGES otherwise)."""
    return PAGES.replace("img-src 'self' data:", " ".join(["img-src 'self' data:", *origins]))


@router.get("/courses/{slug:path}/uploads", response_class=HTMLResponse, include_in_schema=False)
def uploads_page(request: Request, slug: str):
    engine = request.app.state.engine
    course = course_stats(engine, slug, ("course",))["course"]
    doc = course_uploads_list(engine, slug)
    response = render(request, "uploads.html", {"course": course, "tab": "uploads", "uploads": doc["uploads"],
                                                "one_wiki": len(course["wikis"]) == 1,
                                                # wikis that said they have no GlobalUsage (not those never asked)
                                                "local": [w for w, has in sorted(course["global_usage"].items())
                                                          if has is False]})
    shown = [u["thumb_url"] for u in doc["uploads"] if not u["deleted"]]
    response.headers["content-security-policy"] = page_policy(image_origins(shown))
    return response


@router.post("/courses/{slug:path}/uploads/count", include_in_schema=False)
def count_uploads_form(request: Request, slug: str, csrf: Csrf = None, on: Annotated[bool, Form()] = False):
    """The manage page's switch: count the students' uploads, or stop."""
    acting(request, slug, csrf)
    if not count_uploads(request.app.state.engine, slug, on):
        return back_to_manage(request, slug, "Nothing to change: the course already has that setting.")
    return back_to_manage(request, slug, ("Uploads counted" if on else "Uploads no longer counted")
                          + ". The next update adjusts the statistics.")
