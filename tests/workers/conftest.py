"""Fixtures of the workers' tests (helpers are in support/workers.py)."""
from __future__ import annotations

import pytest

from support.workers import Sender
from wikicourse.db import open_db


@pytest.fixture
def sender(redis_url):
    s = Sender(redis_url)
    yield s
    s.broker.close()


@pytest.fixture
def db(any_url):
    """An engine on SQLite, then on PostgreSQL (for the queries whose SQL the dialects spell apart)."""
    eng = open_db(any_url)
    yield eng
    eng.dispose()
