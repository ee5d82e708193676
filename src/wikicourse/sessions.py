"""Signed-in browsers: the sign-in form takes a token once and opens a session; the cookie holds
the session's random id, never the long-lived token, so a cookie that leaks (a shared computer,
a log) is good for hours at most, signing out ends it on the server, and revoking the token
ends every session opened with it. Ids are stored as a SHA-256 hash, as tokens are.
"""
from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import Engine, delete, insert, select

from .clock import now_utc
from .models.tables import web_sessions
from .tokens import Actor, access_tokens, digest

PREFIX = "wcs_"
HOURS = 8  # a working day; then the token is asked for again


def open_session(engine: Engine, actor: Actor, hours: int = HOURS) -> str:
    """A new session of the actor's token: its id, for the cookie (only ever given here)."""
    secret = PREFIX + secrets.token_urlsafe(32)
    now = now_utc()
    with engine.begin() as conn:
        # Expired sessions go as new ones come: the table holds only the live ones, roughly.
        conn.execute(delete(web_sessions).where(web_sessions.c.expires_at <= now))
        conn.execute(insert(web_sessions).values(session_hash=digest(secret), token_id=actor.token_id,
                                                 created_at=now, expires_at=now + timedelta(hours=hours)))
    return secret


def session_actor(engine: Engine, secret: str | None) -> Actor | None:
    """Who a session id speaks for: None when missing, unknown, expired, closed or its token revoked."""
    if not secret or not secret.startswith(PREFIX):
        return None
    with engine.connect() as conn:
        row = conn.execute(
            select(access_tokens.c.id, access_tokens.c.label, access_tokens.c.role, access_tokens.c.username)
            .join(web_sessions, web_sessions.c.token_id == access_tokens.c.id)
            .where(web_sessions.c.session_hash == digest(secret), web_sessions.c.expires_at > now_utc(),
                   access_tokens.c.revoked_at.is_(None))).first()
    return None if row is None else Actor(row.id, row.label, row.role, row.username)


def close_session(engine: Engine, secret: str | None) -> None:
    """End a session (signing out): its id no longer signs anyone in, whoever kept a copy."""
    if secret:
        with engine.begin() as conn:
            conn.execute(delete(web_sessions).where(web_sessions.c.session_hash == digest(secret)))
