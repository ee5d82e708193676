"""The CSV downloads: the figures of the stats document, one table per file.

Column names are the stats document's field names, so a CSV and `stats --json` read alike;
each column holds one kind of value (a cell with nothing to say there is empty). The files are
UTF-8 with a byte-order mark, always: without it spreadsheets (Excel) read accented names as
mojibake, and CSV readers that know UTF-8 skip it.
"""
from __future__ import annotations

import csv
import io
import re

from fastapi import Response

from ..models.uploads import UPLOAD_FIGURES
from ..stats import ARTICLE_FIELDS, COURSE_FIELDS, USER_FIELDS, WINDOW_FIELDS

KINDS = ("overview", "students", "articles", "timeslices", "wikidata")  # wikidata: a Wikibase wiki's course only
BOM = "\ufeff"
# overview.csv's first column: what a row adds up, one wiki or the whole course (every wiki).
WIKI_ROW, TOTAL_ROW = "wiki", "total"
# Where a spreadsheet may start a cell: the cell's start, and after any character some
# spreadsheet splits on (its locale's separator, `;` in much of Europe, is not the file's `,`,
# and a line break). Spaces and quotes it may drop there are skipped; then an apostrophe goes
# before the run of apostrophes and the formula character (OWASP's guard): `a;=x` becomes
# `a;'=x`, `=x` becomes `'=x`, `'=x` becomes `''=x`. Removing one apostrophe at each such place
# (a cell's start or after a separator, where more and a formula character follow) gives the
# value back exactly.
_FORMULA_START = re.compile(r"""(?:^|(?<=[,;|\t\r\n]))[ "]*(?='*[=+\-@\t\r])""")


def _text(value: str) -> str:
    """A text cell no spreadsheet runs as a formula, however it splits the line (usernames and
    titles are anyone's)."""
    return _FORMULA_START.sub(lambda m: m.group() + "'", value)


def _split_rows(wikis: list[dict], totals: dict, fields=COURSE_FIELDS) -> tuple[list[str], list[list]]:
    """A row per wiki, then the totals row (`scope` says which a row is; its `wiki` is empty).

    `student_count` (enrolled students) is a course figure, enrollment being for every wiki, so
    it is empty on the wiki rows; `students_editing` (students with an edit counted on the wiki)
    is a per-wiki one, empty on the totals row. `tracked`: whether the course still tracks the wiki."""
    header = ["scope", "wiki", "tracked", *fields, "students_editing"]
    rows = [[WIKI_ROW, _text(w["wiki"]), "no" if w.get("tracked") is False else "yes",
             *("" if f == "student_count" else w[f] for f in fields), w["editors"]] for w in wikis]
    rows.append([TOTAL_ROW, "", "", *(totals[f] for f in fields), ""])
    return header, rows


def overview_rows(doc: dict, wikis: list[dict]) -> tuple[list[str], list[list]]:
    """The course's figures per wiki (stats.per_wiki) and in all, uploads included."""
    return _split_rows(wikis, doc["course"], COURSE_FIELDS + UPLOAD_FIGURES)


def students_rows(doc: dict) -> tuple[list[str], list[list]]:
    return (["username", "role", *USER_FIELDS, *UPLOAD_FIGURES],
            [[_text(u["username"]), u["role"], *(u[f] for f in USER_FIELDS + UPLOAD_FIGURES)] for u in doc["users"]])


def articles_rows(doc: dict) -> tuple[list[str], list[list]]:
    return (["wiki", "title", "namespace", "new_article", *ARTICLE_FIELDS, "editors"],
            [[a["wiki"], _text(a["title"]), a["namespace"], "yes" if a["new_article"] else "no",
              *(a[f] for f in ARTICLE_FIELDS), _text("; ".join(a["editors"]))] for a in doc["articles"]])


def timeslices_rows(doc: dict) -> tuple[list[str], list[list]]:
    return (["wiki", "start", "end", *WINDOW_FIELDS, *UPLOAD_FIGURES, "needs_update", "last_mw_rev_datetime"],
            [[t["wiki"], t["start"], t["end"], *(t[f] for f in WINDOW_FIELDS + UPLOAD_FIGURES),
              "yes" if t["needs_update"] else "no", t["last_mw_rev_datetime"] or ""] for t in doc["timeslices"]])


def wikidata_rows(doc: dict) -> tuple[list[str], list[list]]:
    from ..wikidata.figures import csv_rows

    header, rows = csv_rows(doc["wikidata"])
    return header, [[r[0], _text(r[1]), *r[2:]] for r in rows]


def campaign_courses_rows(doc: dict) -> tuple[list[str], list[list]]:
    """A campaign's courses with their own figures (as their last update cached them)."""
    return (["slug", "title", "start", "end", *COURSE_FIELDS, *UPLOAD_FIGURES, "last_update"],
            [[_text(c["slug"]), _text(c["title"]), c["start"], c["end"], *(c[f] for f in COURSE_FIELDS + UPLOAD_FIGURES),
              c["last_update"] or ""] for c in doc["courses"]])


def campaign_wikis_rows(doc: dict) -> tuple[list[str], list[list]]:
    """The campaign's union figures per wiki, then its totals, laid out as a course's overview.csv."""
    return _split_rows(doc["wikis"], doc["campaign"])


def to_csv(header: list[str], rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def filename(slug: str, kind: str) -> str:
    return f"{slug.replace('/', '_')}-{kind}.csv"


def download(slug: str, kind: str, header: list[str], rows: list[list]) -> Response:
    """The file as a download: UTF-8 with its byte-order mark, named after the course and the table."""
    return Response(BOM + to_csv(header, rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename(slug, kind)}"'})
