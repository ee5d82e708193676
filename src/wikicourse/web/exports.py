"""The CSV downloads: the figures of the stats document, one table per file.

Column names are the stats document's field names, so a CSV and `stats --json` read alike.
"""
from __future__ import annotations

import csv
import io

from ..stats import ARTICLE_FIELDS, COURSE_FIELDS, USER_FIELDS, WINDOW_FIELDS

KINDS = ("overview", "students", "articles", "timeslices")
ALL_WIKIS = "all wikis"
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula (usernames and titles are anyone's)."""
    return "'" + value if value.startswith(_FORMULA) else value


def overview_rows(doc: dict, wikis: list[dict]) -> tuple[list[str], list[list]]:
    """One row per wiki (from stats.per_wiki) and the course totals; `student_count` is a course
    figure (enrollment is not per wiki) and `editors` a per-wiki one, so each is blank where it has none."""
    header = ["wiki", *COURSE_FIELDS, "editors"]
    rows = [[_text(w["wiki"]), *("" if f == "student_count" else w[f] for f in COURSE_FIELDS), w["editors"]]
            for w in wikis]
    rows.append([ALL_WIKIS, *(doc["course"][f] for f in COURSE_FIELDS), ""])
    return header, rows


def students_rows(doc: dict) -> tuple[list[str], list[list]]:
    return (["username", "role", *USER_FIELDS],
            [[_text(u["username"]), u["role"], *(u[f] for f in USER_FIELDS)] for u in doc["users"]])


def articles_rows(doc: dict) -> tuple[list[str], list[list]]:
    return (["wiki", "title", "namespace", "new_article", *ARTICLE_FIELDS, "editors"],
            [[a["wiki"], _text(a["title"]), a["namespace"], "yes" if a["new_article"] else "no",
              *(a[f] for f in ARTICLE_FIELDS), _text("; ".join(a["editors"]))] for a in doc["articles"]])


def timeslices_rows(doc: dict) -> tuple[list[str], list[list]]:
    return (["wiki", "start", "end", *WINDOW_FIELDS, "needs_update", "last_mw_rev_datetime"],
            [[t["wiki"], t["start"], t["end"], *(t[f] for f in WINDOW_FIELDS),
              "yes" if t["needs_update"] else "no", t["last_mw_rev_datetime"] or ""] for t in doc["timeslices"]])


def campaign_courses_rows(doc: dict) -> tuple[list[str], list[list]]:
    """A campaign's courses with their own figures (as their last update cached them)."""
    return (["slug", "title", "start", "end", *COURSE_FIELDS, "last_update"],
            [[_text(c["slug"]), _text(c["title"]), c["start"], c["end"], *(c[f] for f in COURSE_FIELDS),
              c["last_update"] or ""] for c in doc["courses"]])


def campaign_wikis_rows(doc: dict) -> tuple[list[str], list[list]]:
    """The campaign's union figures per wiki, then its totals, laid out as a course's overview.csv."""
    header = ["wiki", *COURSE_FIELDS, "editors"]
    rows = [[_text(w["wiki"]), *("" if f == "student_count" else w[f] for f in COURSE_FIELDS), w["editors"]]
            for w in doc["wikis"]]
    rows.append([ALL_WIKIS, *(doc["campaign"][f] for f in COURSE_FIELDS), ""])
    return header, rows


def to_csv(header: list[str], rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def filename(slug: str, kind: str) -> str:
    return f"{slug.replace('/', '_')}-{kind}.csv"
