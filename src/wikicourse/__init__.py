"""wikicourse: statistics of Wikimedia education programs, kept in timeslices.

The Python API (docs/python-api.md): what the command line and the dashboard call,
importable from here, e.g. ``from wikicourse import open_db, create_course, update_course``.
Names are imported on first use (PEP 562), so ``import wikicourse.cli`` loads none of them.
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Each public name, and the module (relative to this package) that defines it.
_WHERE = {
    "open_db": ".db",
    "add_wiki": ".wikis",
    "list_wikis": ".wikis",
    "create_course": ".courses",
    "edit_course": ".courses",
    "enroll": ".courses",
    "disenroll": ".courses",
    "parse_date": ".courses",
    "update_course": ".update.cycle",
    "UpdateReport": ".update.cycle",
    "course_stats": ".stats",
    "course_list": ".stats",
    "per_wiki": ".stats",
    "removal_preview": ".removal",
    "course_changes": ".changes",
    "create_campaign": ".campaigns",
    "add_courses": ".campaigns",
    "remove_courses": ".campaigns",
    "campaign_list": ".campaign_stats",
    "create_token": ".tokens",
    "list_tokens": ".tokens",
    "revoke_token": ".tokens",
    "WikicourseError": ".errors",
    "InvalidInput": ".errors",
    "UnknownCourse": ".errors",
    "UnknownCampaign": ".errors",
    "CourseBusy": ".errors",
    "DatabaseBusy": ".errors",
    "WikiError": ".errors",
}
# (campaign_stats() is not among them: the name is its module's, which importing
# wikicourse.campaign_stats would put here in its place; import it from that module.)

__all__ = [
    "__version__",
    "open_db", "add_wiki", "list_wikis",
    "create_course", "edit_course", "enroll", "disenroll", "parse_date",
    "update_course", "UpdateReport",
    "course_stats", "course_list", "per_wiki", "removal_preview", "course_changes",
    "create_campaign", "add_courses", "remove_courses", "campaign_list",
    "create_token", "list_tokens", "revoke_token",
    "WikicourseError", "InvalidInput", "UnknownCourse", "UnknownCampaign", "CourseBusy", "DatabaseBusy", "WikiError",
]


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'wikicourse' has no attribute {name!r}")
    value = getattr(import_module(where, __name__), name)
    globals()[name] = value  # found once: later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))


if TYPE_CHECKING:  # what type checkers and editors see; at run time __getattr__ imports them
    from .campaign_stats import campaign_list
    from .campaigns import add_courses, create_campaign, remove_courses
    from .changes import course_changes
    from .courses import create_course, disenroll, edit_course, enroll, parse_date
    from .db import open_db
    from .errors import (CourseBusy, DatabaseBusy, InvalidInput, UnknownCampaign, UnknownCourse, WikicourseError,
                         WikiError)
    from .removal import removal_preview
    from .stats import course_list, course_stats, per_wiki
    from .tokens import create_token, list_tokens, revoke_token
    from .update.cycle import UpdateReport, update_course
    from .wikis import add_wiki, list_wikis
