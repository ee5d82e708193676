"""Structured logs: one JSON object a line (event, course, run, figures), for the workers and
the scheduler, where a log collector rather than a person reads them."""
from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from .redact import without_credentials
from .terminal import escape, lines


class _NoCredentials(logging.Filter):
    """Every record as shown, its URLs' `user:password@` removed: a message or a traceback may
    quote a wiki's or a broker's URL (a library's exception text never passed through ours)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = without_credentials(record.getMessage()), None
        if record.exc_info:  # the traceback's text, redacted, in the place formatters look first
            record.exc_text = without_credentials(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class _Visible(logging.Formatter):
    """Text lines whose control characters are escaped (a message may quote a wiki's error): the
    message one line, a traceback its own lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return escape(super().formatMessage(record).rstrip())  # (uvicorn's end in a line break)

    def format(self, record: logging.LogRecord) -> str:
        return lines(super().format(record))


def setup(json_lines: bool = True, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s",
                                           rename_fields={"asctime": "time", "levelname": "level"}))
    else:
        handler.setFormatter(_Visible("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_NoCredentials())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for chatty in ("httpx", "alembic"):  # a line per request, per migration step, would drown the rest
        logging.getLogger(chatty).setLevel(logging.WARNING)
