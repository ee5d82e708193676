"""Registering wikis: a domain and its Action API URL (any MediaWiki, or a file: export), and
opening the revision source an API URL names."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlparse

from sqlalchemy import Connection, Engine, select

from .errors import InvalidInput
from .models import Wiki
from .redact import without_credentials
from .sources.base import RevisionSource
from .sql import upsert

wikis = Wiki.__table__
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:\d{1,5})?$")
_URL = re.compile(r"^(https?://[^\s/]+(/\S*)?|file:/\S+)$")


def default_api_url(domain: str) -> str:
    return f"https://{domain}/w/api.php"


def open_source(api_url: str, *, gate=None) -> RevisionSource:
    """A source for a wiki's API URL; a file: URL names a MediaWiki XML export read offline.
    `gate` (see wiki.transport) is entered around each request to a live wiki, within the
    limits the operator set (settings.wiki_limits)."""
    if api_url.startswith("file:"):
        from .sources.dump import DumpSource

        return DumpSource(Path(unquote(urlparse(api_url).path)))
    from . import settings
    from .wiki import MediaWikiSource

    return MediaWikiSource(api_url, gate=gate, **settings.wiki_limits())


def add_wiki(engine: Engine, domain: str, api_url: str | None = None, wikibase: bool | None = None) -> str:
    """Register (or re-point) a wiki; returns its API URL as shown. A URL's `user:password@` is
    kept for HTTP basic auth to a private wiki, and never shown (see redact.py). `wikibase` says
    whether it is a Wikibase repository (docs/wikidata.md); by default its first update asks it."""
    domain = domain.strip().lower()
    if not _DOMAIN.match(domain):
        raise InvalidInput(f"not a wiki domain: {domain!r} (e.g. en.wikipedia.org)")
    api_url = api_url or default_api_url(domain)
    if not _URL.match(api_url):
        raise InvalidInput(f"not an API URL: {api_url!r} (http(s)://... or file:/...)")
    try:  # what the requests will parse: a bad port or IPv6 address is refused now, not at the update
        urlparse(api_url).port
    except ValueError as exc:
        raise InvalidInput(f"not an API URL: {api_url!r} ({exc})") from None
    with engine.begin() as conn:
        upsert(conn, wikis, [dict(domain=domain, api_url=api_url)], keys=["domain"], update=["api_url"])
        if wikibase is not None:
            from .wikidata.detect import set_wikibase

            set_wikibase(conn, conn.scalar(select(wikis.c.id).where(wikis.c.domain == domain)), wikibase)
    return without_credentials(api_url)


def list_wikis(engine: Engine) -> list[dict]:
    """Every registered wiki, {"domain", "api_url"}, by domain; the URLs as shown (no credentials)."""
    with engine.connect() as conn:
        rows = conn.execute(select(wikis.c.domain, wikis.c.api_url).order_by(wikis.c.domain)).all()
    return [{"domain": d, "api_url": without_credentials(url)} for d, url in rows]


def wiki_ids(conn: Connection, domains: list[str]) -> dict[str, int]:
    """Wiki ids by domain; an unregistered domain is bad input."""
    wanted = [d.strip().lower() for d in domains]
    found = dict(conn.execute(select(wikis.c.domain, wikis.c.id).where(wikis.c.domain.in_(wanted))).all())
    unknown = [d for d in wanted if d not in found]
    if unknown:
        raise InvalidInput(f"unknown wiki {unknown[0]!r}: register it with `wikicourse wiki add`")
    return {d: found[d] for d in wanted}


def wiki_urls(conn: Connection, ids: list[int]) -> dict[int, str]:
    return dict(conn.execute(select(wikis.c.id, wikis.c.api_url).where(wikis.c.id.in_(ids))).all())


def wiki_domains(conn: Connection, ids: list[int]) -> dict[int, str]:
    """Each wiki's domain: how users and every message name a wiki (never by its id)."""
    return dict(conn.execute(select(wikis.c.id, wikis.c.domain).where(wikis.c.id.in_(ids))).all())


def on_wiki(domain: str, message: str) -> str:
    """A wiki's error, led by the wiki's domain (unless the message already is)."""
    return message if message.startswith(f"{domain} ") or message.startswith(f"{domain}:") else f"{domain}: {message}"
