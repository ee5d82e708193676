"""Where revisions come from: a live wiki's Action API, or a bundled XML export (file: URLs)."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from .base import TRACKED_NAMESPACES, Contribution, RevisionSource

__all__ = ["TRACKED_NAMESPACES", "Contribution", "RevisionSource", "open_source", "default_api_url"]


def default_api_url(domain: str) -> str:
    return f"https://{domain}/w/api.php"


def open_source(api_url: str, *, gate=None) -> RevisionSource:
    """A source for a wiki's API URL; a file: URL names a MediaWiki XML export read offline.
    `gate` (see wiki.transport) is entered around each request to a live wiki."""
    if api_url.startswith("file:"):
        from .dump import DumpSource

        return DumpSource(Path(unquote(urlparse(api_url).path)))
    from ..wiki import MediaWikiSource

    return MediaWikiSource(api_url, gate=gate)
