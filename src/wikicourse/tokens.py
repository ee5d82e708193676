"""Access tokens for the web actions: made on the command line, shown once, stored hashed.

A token is 32 random bytes, so a plain SHA-256 of it is as good as a slow password hash
(nothing to guess from a dictionary) and lets a request be checked with one indexed look-up.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import OperationalError

from .clock import now_utc
from .errors import InvalidInput
from .models import TOKEN_ROLES, AccessToken
from .sources.base import normalize_username
from .models.tables import enrollments, users

access_tokens = AccessToken.__table__
PREFIX = "wct_"
USE_RECORDED_EVERY = timedelta(hours=1)  # last_used_at's resolution: one write an hour at most
MANAGING_ROLES = ("instructor", "staff")  # enrollment roles whose tokens may act on a course


@dataclass(frozen=True)
class Actor:
    """Who a valid token speaks for."""

    token_id: int
    label: str
    role: str  # admin or instructor
    username: str | None

    @property
    def name(self) -> str:
        return self.username or self.label


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class NewToken:
    """A token just made: its number and what it is, and its secret (shown this once only)."""

    id: int
    label: str
    role: str  # admin or instructor
    username: str | None
    secret: str


def issue_token(engine: Engine, label: str, *, role: str, username: str | None = None) -> NewToken:
    """Make a token; an instructor token's user must be instructor or staff of a course now."""
    if role not in TOKEN_ROLES:
        raise InvalidInput(f"unknown token role {role!r}: one of {', '.join(TOKEN_ROLES)}")
    if not label.strip() or len(label) > 100:
        raise InvalidInput("a token needs a label of 1 to 100 characters")
    if role == "instructor" and not (username and username.strip()):
        raise InvalidInput("an instructor token names the instructor's wiki username (--user)")
    if role == "admin" and username:
        raise InvalidInput("an admin token acts on every course: give no --user")
    name = normalize_username(username) if username else None
    secret = PREFIX + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        if name is not None and not _manages_a_course(conn, name):
            # Such a token could act on nothing: most likely a misspelt name.
            raise InvalidInput(f"{name} is not instructor or staff in any course: enroll them with "
                               f"--role instructor first")
        token_id = conn.execute(insert(access_tokens).values(
            label=label.strip(), token_hash=digest(secret), role=role, username=name,
            created_at=now_utc())).inserted_primary_key[0]
    return NewToken(token_id, label.strip(), role, name, secret)


def create_token(engine: Engine, label: str, *, role: str, username: str | None = None) -> str:
    """A new token's secret (only ever shown here); issue_token tells its number too."""
    return issue_token(engine, label, role=role, username=username).secret


def _manages_a_course(conn: Connection, username: str) -> bool:
    return conn.scalar(select(enrollments.c.id).join(users, users.c.id == enrollments.c.user_id).where(
        users.c.username == username, enrollments.c.role.in_(MANAGING_ROLES)).limit(1)) is not None


def list_tokens(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        return [r._asdict() for r in conn.execute(
            select(access_tokens.c.id, access_tokens.c.label, access_tokens.c.role, access_tokens.c.username,
                   access_tokens.c.created_at, access_tokens.c.last_used_at, access_tokens.c.revoked_at)
            .order_by(access_tokens.c.id))]


def revoke_token(engine: Engine, token_id: int) -> None:
    with engine.begin() as conn:
        done = conn.execute(update(access_tokens).where(access_tokens.c.id == token_id,
                                                        access_tokens.c.revoked_at.is_(None))
                            .values(revoked_at=now_utc()))
        if not done.rowcount:
            raise InvalidInput(f"no active token #{token_id}")


def authenticate(engine: Engine, secret: str | None) -> Actor | None:
    """The actor a secret speaks for, or None for a missing, unknown or revoked one."""
    if not secret or not secret.startswith(PREFIX):
        return None
    with engine.connect() as conn:
        row = conn.execute(select(access_tokens.c.id, access_tokens.c.label, access_tokens.c.role,
                                  access_tokens.c.username, access_tokens.c.last_used_at)
                           .where(access_tokens.c.token_hash == digest(secret),
                                  access_tokens.c.revoked_at.is_(None))).first()
    if row is None:
        return None
    now = now_utc()
    if row.last_used_at is None or now - row.last_used_at > USE_RECORDED_EVERY:
        try:  # worth knowing, not worth failing or waiting for: a busy database skips it
            with engine.begin() as conn:
                conn.execute(update(access_tokens).where(access_tokens.c.id == row.id).values(last_used_at=now))
        except OperationalError:
            pass
    return Actor(row.id, row.label, row.role, row.username)


def may_manage(conn: Connection, actor: Actor | None, course_id: int) -> bool:
    """Admins manage every course; an instructor token the courses its user teaches now."""
    if actor is None:
        return False
    if actor.role == "admin":
        return True
    return conn.scalar(select(enrollments.c.id).join(users, users.c.id == enrollments.c.user_id).where(
        enrollments.c.course_id == course_id, users.c.username == actor.username,
        enrollments.c.role.in_(MANAGING_ROLES))) is not None

