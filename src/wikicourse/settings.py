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


def _positive(name: str) -> float | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if not 0 < number < float("inf"):
        raise InvalidInput(f"{name} must be a positive number, not {value!r}")
    return number


def wiki_limits() -> dict[str, float]:
    """The limits on requests to a live wiki that the operator set, as MediaWikiSource's keyword
    arguments (its defaults stand for the others): $WIKICOURSE_REQUEST_DEADLINE (seconds for one
    request, its answer read in full), $WIKICOURSE_FETCH_BUDGET (seconds for every request to
    one wiki in one update) and $WIKICOURSE_MAX_RESPONSE_MB (the largest answer read)."""
    limits: dict[str, float] = {}
    for name, key in (("WIKICOURSE_REQUEST_DEADLINE", "deadline"), ("WIKICOURSE_FETCH_BUDGET", "fetch_budget")):
        if (seconds := _positive(name)) is not None:
            limits[key] = seconds
    if (megabytes := _positive("WIKICOURSE_MAX_RESPONSE_MB")) is not None:
        limits["max_bytes"] = int(megabytes * 2**20)
    return limits
