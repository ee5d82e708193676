"""The case- and accent-blind form of a name, for finding and ordering courses by title.

Neither SQLite nor PostgreSQL (without the unaccent extension) can fold accents in SQL, so
the key is computed here once, when a course is created, and stored on its row
(courses.title_key). A search or a sort by title then stays one SQL statement over that
column, however many thousands of courses there are, instead of loading every title into
Python to fold it on each request: the sort can use the column's index, and a search scans
the short keys alone ("contains" can use no B-tree index; tens of thousands of keys take
milliseconds).
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
