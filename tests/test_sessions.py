"""Sessions of signed-in browsers, on SQLite and PostgreSQL: a session speaks for its token
until it expires, is closed, or the token is revoked; only the id's hash is stored."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from wikicourse.clock import now_utc
from wikicourse.db import open_db
from wikicourse.models.tables import web_sessions
from wikicourse.sessions import close_session, open_session, session_actor
from wikicourse.tokens import authenticate, create_token, digest, revoke_token


@pytest.fixture
def engine(any_url):
    engine = open_db(any_url)
    yield engine
    engine.dispose()


def test_a_session_speaks_for_its_token_until_closed(engine):
    token = create_token(engine, "ops", role="admin")
    actor = authenticate(engine, token)
    session = open_session(engine, actor)
    assert session_actor(engine, session) == actor
    assert session_actor(engine, token) is None and session_actor(engine, session + "x") is None
    with engine.connect() as conn:
        assert conn.scalars(select(web_sessions.c.session_hash)).all() == [digest(session)]
    close_session(engine, session)
    assert session_actor(engine, session) is None


def test_revoking_the_token_or_expiry_ends_a_session(engine):
    token = create_token(engine, "ops", role="admin")
    actor = authenticate(engine, token)
    revoked, expired, kept = (open_session(engine, actor) for _ in range(3))
    other = open_session(engine, authenticate(engine, create_token(engine, "other", role="admin")))
    with engine.begin() as conn:
        conn.execute(update(web_sessions).where(web_sessions.c.session_hash == digest(expired))
                     .values(expires_at=now_utc() - timedelta(seconds=1)))
    assert session_actor(engine, expired) is None and session_actor(engine, kept) == actor
    revoke_token(engine, actor.token_id)
    assert session_actor(engine, revoked) is None and session_actor(engine, kept) is None
    assert session_actor(engine, other).label == "other"
