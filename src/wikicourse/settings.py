"""Settings an operator may change, read from the environment, with their defaults."""
from __future__ import annotations

import math
import os

from .errors import InvalidInput

GRACE_DAYS = 14
USAGE_REFRESH = 500  # files whose usage one update reads again (docs/uploads.md): 10 requests at most
MAX_BODY = 1024 * 1024  # bytes: nginx's default too; an enroll of 500 usernames takes a fraction
WEB_LOCK_WAIT = 5  # seconds
BROKER_HEARTBEAT_MS = 60_000  # a worker silent this long is dead: its messages go back to their queue
BROKER_MAINTENANCE = 100_000  # in a million broker commands: those that sweep dead workers' messages back


def grace_days() -> int:
    """Days after a course's end during which its updates still follow the wikis' past (pages
    deleted after a deletion discussion, students' drafts published late): $WIKICOURSE_GRACE_DAYS
    (0: none, as --grace-days 0)."""
    return _number("WIKICOURSE_GRACE_DAYS", GRACE_DAYS, "days", whole=True, zero=True)


def usage_refresh() -> int:
    """How many of a course's files one update reads the usage of again, least recently read
    first (docs/uploads.md): $WIKICOURSE_USAGE_REFRESH (0: none)."""
    return _number("WIKICOURSE_USAGE_REFRESH", USAGE_REFRESH, "files", whole=True, zero=True)


def max_body() -> int:
    """The largest request body the web server reads: $WIKICOURSE_MAX_BODY (bytes)."""
    return _number("WIKICOURSE_MAX_BODY", MAX_BODY, "bytes", whole=True)


def web_lock_wait() -> int:
    """How long a web request (and a dis-enrollment preview, on the command line too) waits for
    a lock another process holds on the database before it answers busy, try again (the web:
    503): $WIKICOURSE_WEB_LOCK_WAIT (seconds)."""
    return _number("WIKICOURSE_WEB_LOCK_WAIT", WEB_LOCK_WAIT, "seconds", whole=True)


def broker() -> dict[str, int]:
    """The workers' broker's settings, as RedisBroker's keyword arguments:
    $WIKICOURSE_BROKER_HEARTBEAT_MS (milliseconds without a worker's heartbeat before its
    unacknowledged messages go back to their queue) and $WIKICOURSE_BROKER_MAINTENANCE (how many
    broker commands in a million also sweep those messages back)."""
    return {"heartbeat_timeout": _number("WIKICOURSE_BROKER_HEARTBEAT_MS", BROKER_HEARTBEAT_MS, "milliseconds",
                                         whole=True),
            "maintenance_chance": _number("WIKICOURSE_BROKER_MAINTENANCE", BROKER_MAINTENANCE,
                                          "commands in a million", whole=True)}


def wiki_limits() -> dict[str, float]:
    """The limits on requests to a live wiki that the operator set, as MediaWikiSource's keyword
    arguments (its defaults stand for the others): $WIKICOURSE_REQUEST_DEADLINE (seconds for one
    request, its answer read in full), $WIKICOURSE_FETCH_BUDGET (seconds for every request to
    one wiki in one update) and $WIKICOURSE_MAX_RESPONSE_MB (the largest answer read)."""
    limits: dict[str, float] = {}
    for name, key in (("WIKICOURSE_REQUEST_DEADLINE", "deadline"), ("WIKICOURSE_FETCH_BUDGET", "fetch_budget")):
        if (seconds := _number(name, None)) is not None:
            limits[key] = seconds
    if (megabytes := _number("WIKICOURSE_MAX_RESPONSE_MB", None)) is not None:
        limits["max_bytes"] = int(megabytes * 2**20)
    return limits


def _number(name: str, default: float | None, unit: str | None = None, *, whole: bool = False,
            zero: bool = False) -> float | None:
    """$`name` as a number above zero (`zero`: or zero), `whole` (digits only) or not (finite);
    `default` when it is unset or blank (an int when `whole`). A bad value is refused with one
    line naming it."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    of = f" of {unit}" if unit else ""
    number: int | float
    if whole:
        if not (value.isascii() and value.isdigit()):  # (str.isdigit takes "²", int() does not)
            raise InvalidInput(f"{name} must be a whole number{of}, not {value!r}")
        number = int(value)
    else:
        try:
            number = float(value)
        except ValueError:
            number = math.nan
    if not (math.isfinite(number) and (number >= 0 if zero else number > 0)):  # (NaN is neither)
        raise InvalidInput(f"{name} must be a positive number{of}, not {value!r}")
    return number
