"""HEAD wherever GET is allowed: FastAPI's routes answer only the methods they are declared
with, so a HEAD (link checkers, monitors, `curl -I`) got 405. Here a HEAD is handled as a GET
and the body is dropped, so its status and headers (Content-Length too) are the GET's."""
from __future__ import annotations


class HeadAsGet:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            return await self.app(scope, receive, send)

        async def without_body(message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        # A copy: the server keeps its own scope's HEAD, so it sends no body either.
        await self.app({**scope, "method": "GET"}, receive, without_body)
