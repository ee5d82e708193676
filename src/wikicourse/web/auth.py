"""Who is asking: a Bearer token on the API, a cookie holding a session id on the pages
(wikicourse.sessions: opened by signing in with a token).

Forms carry a CSRF token derived from the session's secret id (an HMAC), so another site that
can make the browser send the cookie cannot know the value the form must carry.
"""
from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..courses import course_id
from ..sessions import session_actor
from ..tokens import Actor, authenticate, may_manage

COOKIE = "wikicourse_session"
OLD_COOKIE = "wikicourse_token"  # older versions kept the token itself there: no longer read, cleared
# Declares the Bearer scheme in the API's description (the Authorize button of /docs, a lock on
# each action); a missing or other header is no error here: require_manager answers 401.
BEARER = HTTPBearer(scheme_name="bearer", auto_error=False,
                    description="an access token from `wikicourse token create`")


def api_actor(request: Request,
              bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)] = None) -> Actor | None:
    return _once(request, "api_actor", authenticate, bearer.credentials.strip() if bearer else None)


def page_actor(request: Request) -> Actor | None:
    return _once(request, "page_actor", session_actor, request.cookies.get(COOKIE))


def _once(request: Request, key: str, check, secret: str | None) -> Actor | None:
    """Authenticate once per request, however many parts of a page ask who is there."""
    if not hasattr(request.state, key):
        setattr(request.state, key, check(request.app.state.engine, secret))
    return getattr(request.state, key)


def csrf_token(request: Request) -> str:
    """The value this visitor's forms must carry ('' when not signed in)."""
    secret = request.cookies.get(COOKIE)
    if not secret:
        return ""
    return hmac.new(secret.encode(), b"wikicourse-csrf", hashlib.sha256).hexdigest()


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = csrf_token(request)
    if not expected or not submitted or not hmac.compare_digest(expected, submitted):
        raise HTTPException(403, "the form is stale or came from another site: reload the page and try again")


def require_manager(request: Request, actor: Actor | None, slug: str) -> Actor:
    """The actor, if they may act on the course: 401 without a valid token, 403 without the right."""
    actor = require_actor(actor)
    engine = request.app.state.engine
    with engine.connect() as conn:
        if not may_manage(conn, actor, course_id(conn, slug)):
            raise HTTPException(403, f"{actor.name} is not an instructor of {slug!r} nor an admin")
    return actor


def require_admin(actor: Actor | None) -> Actor:
    """The actor, if an admin: campaigns span courses, so only admins manage them."""
    actor = require_actor(actor)
    if actor.role != "admin":
        raise HTTPException(403, f"{actor.name} is not an admin: only admins manage campaigns")
    return actor


def require_actor(actor: Actor | None) -> Actor:
    """The actor: 401 without a valid token."""
    if actor is None:
        raise HTTPException(401, "sign in with an access token (wikicourse token create)",
                            headers={"WWW-Authenticate": "Bearer"})
    return actor
