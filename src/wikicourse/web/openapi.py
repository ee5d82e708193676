"""What the API's description (/openapi.json, /docs) says of its errors: every error answers
`{"error": "..."}` (app.py's handlers), and each route lists the statuses it can answer."""
from __future__ import annotations

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    """The body of every error answer."""

    error: str = Field(description="what went wrong, in one line", examples=["no course 'nope'"])


WHY = {
    401: "No valid token: send `Authorization: Bearer TOKEN` (`wikicourse token create`)",
    403: "The token's holder may not do this (not an instructor of the course, nor an admin)",
    404: "No such course or campaign (or, in a drill-down, student or article)",
    409: "An update of the course is already running",
    422: "Bad input (a malformed date or body, an unknown user or wiki): the message says which",
    503: "The database stayed locked by another process (with Retry-After), or the workers' queue cannot be "
         "reached: try again later",
}
READ = (404, 422)  # reading a course or a campaign
ACT = (401, 403, 404, 422)  # acting on one


def errors(*statuses: int) -> dict[int | str, dict]:
    """The `responses=` of a route answering these error statuses."""
    return {status: {"model": ErrorBody, "description": WHY[status]} for status in statuses}
