"""The one order names are listed in, everywhere: pages, CSVs, the API and `stats`.

Case- and accent-blind, as a reader alphabetises: "Émile" sorts next to "Emile" (before
"Fatima"), "Ólafur" with the O's rather than after "Z". Databases collate differently from
one another (SQLite by bytes), so lists are ordered here, in Python, not by ORDER BY.
"""
from __future__ import annotations

import unicodedata


def name_key(text: str) -> tuple[str, str]:
    """The sort key of a username or a title: the folded text, then the text itself, so names
    that fold alike ("Emile", "Émile") still come in one fixed order."""
    folded = "".join(ch for ch in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(ch))
    return folded, text
