"""References in wikitext, as docs/metrics.md counts them."""
import re

# <ref>, <ref name="a">, <ref name="a"/>; not <references/> (the \s or / or > must follow "ref").
_REF = re.compile(r"<ref(\s[^>]*)?/?>", re.IGNORECASE)


def count_refs(text: str | None) -> int:
    return len(_REF.findall(text)) if text else 0


def references_added(text_refs: int | None, parent_refs: int | None) -> int:
    """max(0, refs(text) - refs(parent text)); 0 when either text is unknown (hidden by the wiki)."""
    if text_refs is None or parent_refs is None:
        return 0
    return max(0, text_refs - parent_refs)
