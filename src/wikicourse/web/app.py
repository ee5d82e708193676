"""The web application: API and pages on one engine, with errors that say what went wrong."""
from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from fastapi_offline import FastAPIOffline
from redis.exceptions import RedisError
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException

from ..errors import (CourseBusy, DatabaseBusy, InvalidInput, UnknownArticle, UnknownCampaign, UnknownCourse,
                      UnknownStudent, WikiError, WikicourseError)
from .. import settings
from ..lock_wait import is_lock_wait, is_read_only, waiting_at_most, waits_for
from ..wikis import open_source
from ..update.cycle import SourceFactory
from . import api, campaign_api, campaign_views, drilldown_api, drilldown_views, manage, upload_views, views
from .jobs import QueuedUpdater, Updater
from .limits import Limits
from .security import install as secure_headers_and_head

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
views.setup_templates(templates)


def create_app(engine: Engine, *, source_factory: SourceFactory = open_source,
               redis_url: str | None = None) -> FastAPI:
    """The app; with `redis_url`, updates started here go to the workers' queues."""
    # The API's description pages (/docs, /redoc) with their scripts served from here, not a CDN.
    app = FastAPIOffline(title="wikicourse", version="0.1.0",
                  description="Course statistics for Wikimedia education programs. Reading is public; "
                              "actions need `Authorization: Bearer TOKEN` (see `wikicourse token create`; on this page, "
                              "Authorize). Every error answers `{\"error\": \"...\"}`.")
    app.state.engine = waiting_at_most(engine, settings.web_lock_wait())  # busy: a 503 soon, not a 500 late
    app.state.source_factory = source_factory
    app.state.updater = (QueuedUpdater(app.state.engine, redis_url) if redis_url
                         else Updater(engine, source_factory, lock_engine=app.state.engine))
    app.state.templates = templates
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(upload_views.router)  # before the API's and the views' bare /courses/{slug:path}
    app.include_router(drilldown_api.router)  # before the API's bare /courses/{slug:path}
    app.include_router(api.router)
    app.include_router(campaign_api.router)
    app.include_router(manage.router)  # before the views: its /courses/{slug}/... routes precede the bare one
    app.include_router(campaign_views.router)
    app.include_router(drilldown_views.router)  # before the views' bare /courses/{slug:path} too
    app.include_router(views.router)
    app.add_middleware(Limits, max_body=settings.max_body())
    _error_handlers(app)
    secure_headers_and_head(app)
    return app


def _status(exc: Exception) -> int:
    if isinstance(exc, (UnknownCourse, UnknownCampaign, UnknownStudent, UnknownArticle)):
        return 404
    if isinstance(exc, InvalidInput):
        return 422
    if isinstance(exc, CourseBusy):
        return 409
    if isinstance(exc, WikiError):
        return 502
    return 400


def _respond(request: Request, status: int, message: str, headers: dict | None = None):
    if request.url.path.startswith("/api") or "text/html" not in request.headers.get("accept", ""):
        return JSONResponse({"error": message}, status_code=status, headers=headers)
    return templates.TemplateResponse(request, "error.html", {"status": status, "message": message},
                                      status_code=status, headers=headers)


def _retry_after(request: Request) -> dict:
    """After a lock wait: as long again (a lock held that long may be gone by then)."""
    wait = waits_for(request.app.state.engine) or 1
    return {"Retry-After": str(max(1, round(wait)))}


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(WikicourseError)
    async def domain_error(request: Request, exc: WikicourseError):
        if isinstance(exc, DatabaseBusy):  # a lock wait its function told in its own words
            return _respond(request, 503, str(exc), _retry_after(request))
        return _respond(request, _status(exc), str(exc))

    @app.exception_handler(RedisError)
    async def queue_down(request: Request, exc: RedisError):
        log.warning("the workers' queue cannot be reached: %s", exc)
        return _respond(request, 503, "the workers' queue cannot be reached: try again later")

    @app.exception_handler(DBAPIError)
    async def database_refused(request: Request, exc: DBAPIError):
        if is_read_only(exc):  # a replica or a backup served for reading: no later try will succeed
            return _respond(request, 503, "this server's database is read-only: nothing can be changed here")
        if not is_lock_wait(exc):
            raise exc  # any other database failure: crash() below
        return _respond(request, 503, "the database is busy (another process holds a lock on it): try again shortly",
                        _retry_after(request))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        message = exc.detail if isinstance(exc.detail, str) else "request refused"
        if exc.status_code == 404 and exc.detail == "Not Found":
            message = f"nothing at {request.url.path}"
        return _respond(request, exc.status_code, message, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def bad_input(request: Request, exc: RequestValidationError):
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path"))
            problems.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
        return _respond(request, 422, "; ".join(problems) or "invalid input")

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception):  # never a traceback to the visitor
        log.exception("unhandled error on %s", request.url.path)
        return _respond(request, 500, f"internal error ({type(exc).__name__}); the server log has details")

