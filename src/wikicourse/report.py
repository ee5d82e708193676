"""The readable form of a course's or a campaign's statistics, for the terminal."""
from __future__ import annotations

from .terminal import escape, renders

NOTE = ("Figures count the in-scope edits of the students enrolled now. They can fall: a removed\n"
        "student's edits stop counting for the whole course, and deleted pages or revisions\n"
        "no longer count. Windows marked * are pending: they are redone at the next update.")


def table(headers: list[str], rows: list[list]) -> str:
    """Columns padded to their widest cell; a cell's control characters escaped, so that each
    row stays one line (every table of the command line is made here)."""
    cells = [headers] + [[("" if v is None else escape(str(v))) for v in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for n, r in enumerate(cells):
        lines.append("  ".join(v.rjust(w) if n and v.lstrip("-").isdigit() else v.ljust(w)
                               for v, w in zip(r, widths)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


@renders
def render(doc: dict) -> str:
    c = doc["course"]
    spaces, names = c.get("article_namespaces", {}), c.get("article_namespace_names", {})
    wikis = [w if spaces.get(w, [0]) == [0] else f"{w} (articles: {', '.join(names.get(w, map(str, spaces[w])))})"
             for w in c["wikis"]]
    out = [f"{c['title']} ({c['slug']})",
           f"{c['start'][:10]} to {c['end'][:10]} on {', '.join(wikis)}; "
           f"statistics as of {c['last_update'] or 'never updated'}", "",
           table(["students", "articles", "new", "revisions", "characters", "user space", "drafts",
                   "references"],
                  [[c["student_count"], c["article_count"], c["new_article_count"], c["revision_count"],
                    c["character_sum"], c["character_sum_user"], c["character_sum_draft"],
                    c["references_count"]]]), ""]
    if "upload_count" in c:
        out[-1:-1] = [uploads_line(c)]
    if "until" in c:
        out[2:2] = [_until(c)]
    out.append(table(["user", "role", "revisions", "characters", "user space", "drafts", "references"],
                      [[u["username"], u["role"], u["revision_count"], u["character_sum_ms"],
                        u["character_sum_us"], u["character_sum_draft"], u["references_count"]]
                       for u in doc["users"]]))
    if doc["articles"]:
        out += ["", table(["article", "wiki", "new", "revisions", "characters", "references", "editors"],
                           [[a["title"], a["wiki"], "new" if a["new_article"] else "", a["revision_count"],
                             a["character_sum"], a["references_count"], ", ".join(a["editors"])]
                            for a in doc["articles"]])]
    if "wikidata" in doc:  # a Wikibase wiki's figures (docs/wikidata.md)
        from .wikidata.figures import render_text

        out += ["", render_text(doc["wikidata"])]
    pending = [t for t in doc["timeslices"] if t["needs_update"]]
    out += ["", f"{len(doc['timeslices'])} timeslices, {len(pending)} pending*", "", NOTE]
    return "\n".join(out)


def uploads_line(c: dict) -> str:
    """The upload figures (docs/uploads.md), and which wikis count only their own pages' use."""
    local = [w for w, offered in c.get("global_usage", {}).items() if offered is False]
    return (f"uploads: {c['upload_count']} new files, {c['uploads_in_use_count']} in use, "
            f"{c['upload_usages_count']} usages"
            + (f" (no GlobalUsage on {', '.join(local)}: use on other wikis not counted there)" if local else ""))


@renders
def render_uploads(doc: dict) -> str:
    """`wikicourse uploads`: the course's files, newest first."""
    c = doc["course"]
    head = f"{c['title']} ({c['slug']}): " + uploads_line(c).removeprefix("uploads: ")
    if not doc["uploads"]:
        return head + "\n\nNo upload counted yet."
    rows = [[u["timestamp"].replace("T", " ").removesuffix("Z"), u["uploader"], u["wiki"], u["title"],
             "deleted" if u["deleted"] else ("" if u["local_usage"] is None else u["usages"]),
             "" if u["local_usage"] is None else ("yes" if u["in_use"] else "no"), u["file_url"] or ""]
            for u in doc["uploads"]]
    return "\n".join([head, "", table(["uploaded", "student", "wiki", "file", "usages", "in use", "page"], rows),
                      "", "Usage as last read from the wiki (blank: not read yet); a deleted file counts nowhere."])


@renders
def render_per_wiki(slug: str, rows: list[dict]) -> str:
    """The course figures split by wiki (`stats --per-wiki`); they add up to the course's."""
    if not rows:
        return f"{slug} tracks no wiki."
    out = table(["wiki", "editors", "articles", "new", "revisions", "characters", "user space", "drafts",
                 "references"],
                [[w["wiki"] + ("" if w["tracked"] else " (removed)"), w["editors"], w["article_count"],
                  w["new_article_count"], w["revision_count"], w["character_sum"], w["character_sum_user"],
                  w["character_sum_draft"], w["references_count"]] for w in rows])
    return out + ("\n\nA removed wiki's figures count until the next update." if any(not w["tracked"] for w in rows)
                  else "")


def _until(c: dict) -> str:
    """What figures as of a date count (stats --until)."""
    day = c["until"][:10]
    line = f"figures up to {day}: windows counted through {c['counted_through']}"
    return line + ("" if c["exact"] else f" (not exact: the window running past {day} is left out)")


FIGURE_HEADERS = ["students", "articles", "new", "revisions", "characters", "user space", "drafts", "references"]
CAMPAIGN_NOTE = ("Campaign figures count each revision once, however many of its courses count it, and each\n"
                 "student once: they can be less than the courses' sum. Courses show their own figures,\n")


def _figures(row: dict) -> list:
    return [row["student_count"], row["article_count"], row["new_article_count"], row["revision_count"],
            row["character_sum"], row["character_sum_user"], row["character_sum_draft"], row["references_count"]]


@renders
def render_campaign(doc: dict) -> str:
    c = doc["campaign"]
    counted = f"revisions through {c['until']}" if c["until"] else "every revision counted so far"
    out = [f"{c['title']} ({c['slug']})",
           f"{c['course_count']} course{'s' if c['course_count'] != 1 else ''} on {', '.join(c['wikis']) or 'no wiki'}; "
           f"{counted}; courses updated as of {c['last_update'] or 'never: some course has not been updated yet'}", "",
           table(FIGURE_HEADERS, [_figures(c)]), ""]
    out.append(table(["course", "start", "end", *FIGURE_HEADERS, "last update"],
                     [[k["slug"], k["start"], k["end"], *_figures(k), k["last_update"] or "never"]
                      for k in doc["courses"]]) if doc["courses"] else "No courses in the campaign yet.")
    own = f"counted up to {c['until']} too." if c["until"] else "as of their last update."
    return "\n".join(out + ["", CAMPAIGN_NOTE + own])


@renders
def render_campaigns(found: list[dict]) -> str:
    if not found:
        return "No campaigns yet: wikicourse campaign create SLUG --title TITLE"
    return table(["campaign", "title", "courses", *FIGURE_HEADERS],
                 [[c["slug"], c["title"], c["course_count"], *_figures(c)] for c in found])
