"""One revision's Wikidata figures from its Wikibase edit summary (docs/wikidata.md#figures).

Wikibase writes `/* key:scount|lang|carg... */ sargs` (its SummaryFormatter): `key` names
the change (`wbsetlabel-add`, `wbsetclaim-create`), `scount` the number of summary
arguments (for aliases: how many were added or removed). Only the leading autocomment is
read; a user's own text after it never counts.
"""
from __future__ import annotations

import re

# Every figure, in the order they are shown; `other_edits` counts the revisions that add to no other.
FIGURES = (
    "items_created", "lexemes_created",
    "claims_created", "claims_changed", "claims_removed",
    "labels_added", "labels_changed", "labels_removed",
    "descriptions_added", "descriptions_changed", "descriptions_removed",
    "aliases_added", "aliases_changed", "aliases_removed",
    "sitelinks_added", "sitelinks_changed", "sitelinks_removed",
    "references_added", "qualifiers_added",
    "merges", "redirects",
    "other_edits",
)

ONE, COUNT = "one", "count"  # the revision adds 1, or its scount (at least 1)
MAX_COUNT = 10_000  # a summary is text anyone can write: no count beyond what one edit can do

# key -> (figure, how much). A key not here (and a summary without an autocomment) is an other edit.
KEYS: dict[str, tuple[str, str]] = {
    "wbeditentity-create-item": ("items_created", ONE),
    "wbeditentity-create": ("items_created", ONE),  # older Wikibase: no entity type in the key
    "wbcreate-new": ("items_created", ONE),
    "wbeditentity-create-lexeme": ("lexemes_created", ONE),
    "wbsetclaim-create": ("claims_created", ONE),
    "wbcreateclaim-create": ("claims_created", ONE),
    "wbcreateclaim": ("claims_created", ONE),
    "wbsetclaim-update": ("claims_changed", ONE),
    "wbsetclaim-update-qualifiers": ("claims_changed", ONE),
    "wbsetclaim-update-references": ("claims_changed", ONE),
    "wbsetclaim-update-rank": ("claims_changed", ONE),
    "wbsetclaimvalue": ("claims_changed", ONE),
    "wbremoveclaims-remove": ("claims_removed", COUNT),
    "wbremoveclaims": ("claims_removed", COUNT),
    "wbsetlabel-add": ("labels_added", ONE),
    "wbsetlabel-set": ("labels_changed", ONE),
    "wbsetlabel-remove": ("labels_removed", ONE),
    "wbsetdescription-add": ("descriptions_added", ONE),
    "wbsetdescription-set": ("descriptions_changed", ONE),
    "wbsetdescription-remove": ("descriptions_removed", ONE),
    "wbsetaliases-add": ("aliases_added", COUNT),
    "wbsetaliases-set": ("aliases_changed", COUNT),
    "wbsetaliases-add-remove": ("aliases_changed", COUNT),
    "wbsetaliases-remove": ("aliases_removed", COUNT),
    "wbsetsitelink-add": ("sitelinks_added", ONE),
    "wbsetsitelink-add-both": ("sitelinks_added", ONE),
    "wbsetsitelink-set": ("sitelinks_changed", ONE),
    "wbsetsitelink-set-badges": ("sitelinks_changed", ONE),
    "wbsetsitelink-set-both": ("sitelinks_changed", ONE),
    "clientsitelink-update": ("sitelinks_changed", ONE),
    "wbsetsitelink-remove": ("sitelinks_removed", ONE),
    "clientsitelink-remove": ("sitelinks_removed", ONE),
    "wbsetreference-add": ("references_added", ONE),
    "wbsetqualifier-add": ("qualifiers_added", ONE),
    "wbmergeitems-from": ("merges", ONE),  # the item merged into; the emptied one's side is an other edit
    "wbcreateredirect": ("redirects", ONE),
}

_DIGITS = re.compile(r"[0-9]+")
# The autocomment at the very start: key, then optionally ':' and the arguments.
_AUTOCOMMENT = re.compile(r"^/\* ?([a-z][a-z0-9-]*)(?::([^*]*?))? ?\*/")


def figures_of(comment: str | None) -> dict[str, int]:
    """The figures one revision adds to: a dict with exactly one figure (its key's, or other_edits)."""
    match = _AUTOCOMMENT.match(comment or "")
    rule = KEYS.get(match.group(1)) if match else None
    if rule is None:
        return {"other_edits": 1}
    figure, how = rule
    if how == ONE:
        return {figure: 1}
    scount = (match.group(2) or "").split("|", 1)[0].strip()
    # ASCII digits only: str.isdigit() also takes '²', which int() refuses.
    return {figure: min(max(1, int(scount)), MAX_COUNT) if _DIGITS.fullmatch(scount) else 1}


def row_of(comment: str | None) -> tuple[int, ...]:
    """figures_of as a tuple in FIGURES' order (the columns of the store's table)."""
    found = figures_of(comment)
    return tuple(found.get(name, 0) for name in FIGURES)
