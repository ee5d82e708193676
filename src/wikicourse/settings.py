"""Settings an operator may change, read from the environment, with their defaults."""
from __future__ import annotations

import os

from .errors import InvalidInput

GRACE_DAYS = 14


def grace_days() -> int:
    """Days after a course's end during which its updates still follow the wikis' past (pages
    deleted after a deletion discussion, students' drafts published late): $WIKICOURSE_GRACE_DAYS."""
    value = os.environ.get("WIKICOURSE_GRACE_DAYS", "").strip()
    if not value:
        return GRACE_DAYS
    if not value.isdigit():
        raise InvalidInput(f"WIKICOURSE_GRACE_DAYS must be a whole number of days, not {value!r}")
    return int(value)
