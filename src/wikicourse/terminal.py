"""Text for the operator's terminal: what a wiki or a user wrote (titles, usernames, error texts)
shown with its control characters escaped, so that it can neither drive the terminal (escape
sequences, C1 controls such as U+009B) nor break a table's row (a newline).

Three layers, each needed somewhere: `renders` escapes the documents a renderer is given and
what it returns; report.table escapes every cell, for renderers that read their rows themselves
(`status`); `escape` is for the single lines the CLI prints. Escaping twice changes nothing."""
from __future__ import annotations

import functools
import json
import re
from typing import Any, Callable

# Unicode's control characters (category Cc): C0, DEL and C1.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# What JSON lets through raw in a string (it escapes only C0): DEL and C1, as \u escapes.
_JSON_RAW = {c: f"\\u{c:04x}" for c in range(0x7f, 0xa0)}


def _visible(m: re.Match) -> str:
    c = m.group()
    return _NAMED.get(c) or f"\\x{ord(c):02x}"


def escape(text: str) -> str:
    """One value on one line: each control character as Python writes it (\\x1b, \\n, \\x9b)."""
    return _CONTROL.sub(_visible, text)


def lines(text: str) -> str:
    """Text made of lines (a rendered table, a message): control characters escaped but its own
    line breaks."""
    return "\n".join(escape(line) for line in text.split("\n"))


def escaped(value: Any) -> Any:
    """A document with every string in it (keys too) escaped, however deep."""
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, dict):
        return {escaped(k): escaped(v) for k, v in value.items()}
    if type(value) in (list, tuple):
        return type(value)(escaped(v) for v in value)
    return value


def renders(render: Callable[..., str]) -> Callable[..., str]:
    """For a function that renders documents for the terminal: it gets them with every string
    escaped (a title's newline cannot start a row), and what it returns keeps only its own line
    breaks."""
    @functools.wraps(render)
    def run(*args, **kwargs) -> str:
        return lines(render(*escaped(args), **escaped(kwargs)))
    return run


def json_text(doc: Any) -> str:
    """A document as the command line prints it with --json: the same JSON, its DEL and C1
    characters written as \\u escapes (they can appear only inside strings)."""
    return json.dumps(doc, indent=1, ensure_ascii=False).translate(_JSON_RAW)
