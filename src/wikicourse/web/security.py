"""Headers every answer carries, so a browser reads it only as what it says it is and shows it
only on its own: no content-type sniffing, no framing by another site (clickjacking), and a
Content-Security-Policy that runs only this site's own scripts and styles.

The pages need nothing inline (the one script is /static/progress.js; chart colours are SVG
attributes, which a CSP does not govern), so their policy allows no inline code at all: an
injected <script> or on* attribute would not run. The API's description pages (/docs, /redoc)
come from FastAPI with an inline script and styles and Swagger's injected styles: they get a
looser policy of their own; they show only the API's own description, no visitor's text.
Still only this site's files load there: ReDoc's "powered by" logo from its CDN is refused.
"""
from __future__ import annotations

from .head import HeadAsGet

PAGES = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
         "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'")
API_DOCS = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; form-action 'self'; "
            "base-uri 'none'; object-src 'none'; frame-ancestors 'none'")
DOC_PATHS = ("/docs", "/redoc")  # and /docs/oauth2-redirect


def policy(path: str) -> str:
    return API_DOCS if path.startswith(DOC_PATHS) else PAGES


class SecurityHeaders:
    """Pure ASGI (no buffering, streaming answers stay streamed): adds the headers to every
    HTTP answer, errors and static files included."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        extra = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
                 (b"content-security-policy", policy(scope["path"]).encode()),
                 (b"referrer-policy", b"same-origin")]

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                # A page that names its own policy keeps it: the Uploads page adds the origins of
                # the wikis' thumbnails it shows to img-src, and nothing else (web.upload_views).
                own = any(k.lower() == b"content-security-policy" for k, _ in headers)
                added = [(k, v) for k, v in extra if not (own and k == b"content-security-policy")]
                names = {name for name, _ in added}
                kept = [(k, v) for k, v in headers if k.lower() not in names]
                message = {**message, "headers": kept + added}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app) -> None:
    """Wrap the whole of `app`, outside Starlette's own error middleware (which answers the 500s
    and would otherwise send them without the headers): answers HEAD and adds the headers."""
    build = app.build_middleware_stack
    app.build_middleware_stack = lambda: SecurityHeaders(HeadAsGet(build()))
