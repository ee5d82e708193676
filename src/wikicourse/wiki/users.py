"""Canonical usernames through list=users."""
from __future__ import annotations

from typing import Sequence

from wikicourse.sources.base import normalize_username as normalise_username
from wikicourse.wiki.api import ActionAPI, flag, join_values, parsing

BATCH = 50  # ususers takes at most 50 names (500 with apihighlimits)


def canonical_usernames(api: ActionAPI, names: Sequence[str]) -> dict[str, str | None]:
    """Map each name to its canonical spelling, or None if the wiki has no such account (or the name is invalid)."""
    keys = {name: normalise_username(name) for name in names}
    wanted = sorted({key for key in keys.values() if key})
    found: dict[str, str | None] = {}
    for i in range(0, len(wanted), BATCH):
        batch = wanted[i : i + BATCH]
        answers = _lookup(api, batch)
        found.update((normalise_username(name), canonical) for name, canonical in answers)
        # The wiki may normalise differently (case rules beyond ASCII); ask for the strays alone,
        # where the one answer can only be theirs.
        for key in batch:
            if key not in found:
                answers = _lookup(api, [key])
                found[key] = answers[0][1] if len(answers) == 1 else None
    return {name: found.get(key) if key else None for name, key in keys.items()}


def _lookup(api: ActionAPI, names: list[str]) -> list[tuple[str, str | None]]:
    result = api.call({"action": "query", "list": "users", "ususers": join_values(names)})
    answers = []
    with parsing(api.wiki, "list=users"):
        for user in result.get("query", {}).get("users", []):
            exists = not (flag(user, "missing") or flag(user, "invalid"))
            answers.append((user["name"], user["name"] if exists else None))
    return answers
