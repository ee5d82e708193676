"""References in revisions' wikitext, through prop=revisions."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from wikicourse.refs import count_refs
from wikicourse.wiki.api import ActionAPI, flag, pages_of, parsing

BATCH = 50  # revids with content: at most 50 per request (500 with apihighlimits)


def main_slot_text(revision: Mapping[str, Any]) -> str | None:
    """The main slot's wikitext, or None when hidden, missing or not (yet) in this response."""
    slot = revision.get("slots", {}).get("main")
    if not slot or flag(slot, "texthidden") or flag(slot, "textmissing") or flag(slot, "badcontentformat"):
        return None
    text = slot.get("content", slot.get("*"))  # formatversion 2 : 1
    return text if isinstance(text, str) else None


def reference_counts(api: ActionAPI, revids: Sequence[int]) -> dict[int, int]:
    """refs(text) per revision; deleted, hidden or missing revisions are left out."""
    # A creation's parent id is 0: no revision, nothing to ask for.
    wanted = sorted({int(revid) for revid in revids if int(revid) > 0})
    counts: dict[int, int] = {}
    for i in range(0, len(wanted), BATCH):
        params = {
            "prop": "revisions",
            "revids": "|".join(str(revid) for revid in wanted[i : i + BATCH]),
            "rvprop": "ids|content",
            "rvslots": "main",
        }
        # Contents over the wiki's result size limit come back over several responses,
        # each carrying the revisions that fit.
        for result in api.query(params):
            with parsing(api.wiki, "prop=revisions"):
                for page in pages_of(result.get("query", {})):
                    for revision in page.get("revisions", []):
                        text = main_slot_text(revision)
                        if text is not None:
                            counts[int(revision["revid"])] = count_refs(text)
    return counts
