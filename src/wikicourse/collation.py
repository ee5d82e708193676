"""The one order names are listed in, everywhere (pages, CSVs, the API and `stats`), and the
key courses are found by.

Case- and accent-blind, as a reader alphabetises: "Émile" sorts next to "Emile" (before
"Fatima"), "Ólafur" with the O's rather than after "Z". Databases collate differently from
one another (SQLite by bytes), so lists are ordered here, in Python, not by ORDER BY.

Neither SQLite nor PostgreSQL (without the unaccent extension) can fold accents in SQL
either, so a course's folded title is computed once, when it is created, and stored on its
row (courses.title_key). A search or a sort by title then stays one SQL statement over that
column, however many thousands of courses there are: the sort can use the column's index,
and a search scans the short keys alone ("contains" can use no B-tree index; tens of
thousands of keys take milliseconds).
"""
from __future__ import annotations

import unicodedata


# Letters that carry their mark in the letter itself, which NFKD does not take apart.
_WHOLE_LETTERS = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe",
                                "ı": "i", "ħ": "h"})


def search_key(text: str) -> str:
    """`text` lower-cased (casefold), without accents, its spaces collapsed: "Ólafur  Jónsson" -> "olafur jonsson"."""
    folded = unicodedata.normalize("NFKD", text.casefold()).translate(_WHOLE_LETTERS)
    return " ".join("".join(ch for ch in folded if not unicodedata.combining(ch)).split())


def name_key(text: str) -> tuple[str, str]:
    """The sort key of a username or a title: the folded text, then the text itself, so names
    that fold alike ("Emile", "Émile") still come in one fixed order."""
    return search_key(text), text
