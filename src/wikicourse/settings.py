"""Settings an operator may change, read from the environment, with their defaults."""
from __future__ import annotations

import os

from .errors import InvalidInput

GRACE_DAYS = 14
MAX_BODY = 1024 * 1024  # bytes: nginx's default too; an enroll of 500 usernames takes a fraction
WEB_LOCK_WAIT = 5  # seconds


def grace_days() -> int:
    """Days after a course's end during which its updates still follow the wikis' past (pages
    deleted after a deletion discussion, students' drafts published late): $WIKICOURSE_GRACE_DAYS."""
    return _whole("WIKICOURSE_GRACE_DAYS", GRACE_DAYS, "days")


def max_body() -> int:
    """The largest request body the web server reads: $WIKICOURSE_MAX_BODY (bytes)."""
    return _whole("WIKICOURSE_MAX_BODY", MAX_BODY, "bytes")


def web_lock_wait() -> int:
    """How long a web request waits for a lock another process holds on the database before it
    answers 503 (busy, try again): $WIKICOURSE_WEB_LOCK_WAIT (seconds)."""
    return _whole("WIKICOURSE_WEB_LOCK_WAIT", WEB_LOCK_WAIT, "seconds")


def _whole(name: str, default: int, unit: str) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit():
        raise InvalidInput(f"{name} must be a whole number of {unit}, not {value!r}")
    return int(value)
