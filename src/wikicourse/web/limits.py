"""What a request may make the server read: a body of at most `max_body` bytes, and on the
API's actions none at all before the token is checked.

Pure ASGI, so that it stands between the server and whatever reads the body: its first read
of an API action checks the Bearer token (401), a declared Content-Length over the limit is
refused then (413) and a chunked body as soon as it grows past it. Nothing more is read: the
refusal goes through the app's error handlers (JSON on the API, the error page on pages).
"""
from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .auth import BEARER, api_actor, require_actor

MAX_USERNAMES = 500  # users enrolled by one request (API or form): each is looked up on the wikis
ACTIONS = {"POST", "PUT", "PATCH", "DELETE"}


class Limits:
    def __init__(self, app: ASGIApp, max_body: int):
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        first, read = True, 0

        async def limited() -> Message:
            nonlocal first, read
            if first:
                first = False
                if scope["method"] in ACTIONS and scope["path"].startswith("/api/"):
                    await _require_token(scope)
                declared = Headers(scope=scope).get("content-length", "")
                if declared.isdigit() and int(declared) > self.max_body:
                    raise self.too_large()
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > self.max_body:
                    raise self.too_large()
            return message

        await self.app(scope, limited, send)

    def too_large(self) -> HTTPException:
        return HTTPException(413, f"the request's body is over this server's limit of {self.max_body:,} bytes")


async def _require_token(scope: Scope) -> None:
    """401 unless the Bearer token is valid; the actor is kept for the route (auth.api_actor)."""
    request = Request(scope)
    require_actor(await run_in_threadpool(api_actor, request, await BEARER(request)))
