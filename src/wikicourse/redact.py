"""Credentials out of what is shown: a URL's `user:password@` is for connecting (HTTP basic
auth to a private wiki, a Redis password), never for a message, a page, a log or a record."""
from __future__ import annotations

import re

# scheme://userinfo@ : the authority ends at the first "/", "?", "#" or white space, and its
# userinfo at the last "@" before that (a careless password may hold a raw "@").
_USERINFO = re.compile(r"\b([A-Za-z][A-Za-z0-9+.-]*://)[^/?#\s]*@")


def without_credentials(text: str) -> str:
    """`text`, a URL or a message that holds URLs, with every URL's `user:password@` removed."""
    return _USERINFO.sub(r"\1", text)


def host(url: str) -> str:
    """A URL's host (and port), without its credentials: a wiki's name in messages and keys.
    Read as text, so that even a URL a parser refuses (`http://[::1/`) has one."""
    authority = re.split(r"[/?#]", url.partition("://")[2], maxsplit=1)[0]
    return authority.rpartition("@")[2]
