"""The drill-downs as the terminal shows them (`wikicourse student`, `article`, `recent`)."""
from __future__ import annotations

from .report import table
from .sources.base import NAMESPACE_NAMES as NAMESPACES
from .terminal import renders

WIKI_FIGURES = ["wiki", "revisions", "characters", "user space", "drafts", "references", "articles", "new"]


def _ns(n: int) -> str:
    return NAMESPACES.get(n, str(n))


def _when(iso: str) -> str:
    return iso.replace("T", " ").removesuffix("Z")


def _revisions(revs: list[dict], *, who: bool, where: bool) -> str:
    diffs = any(r["diff_url"] for r in revs)  # none on a wiki read from an export
    headers = ["date", *(["student"] if who else []), *(["wiki", "page", "namespace"] if where else []),
               "characters", "references", "new", "revision", *(["diff"] if diffs else [])]
    rows = [[_when(r["timestamp"]), *([r["username"]] if who else []),
             *([r["wiki"], r["title"], _ns(r["namespace"])] if where else []),
             r["characters"], r["references"], "new" if r["new"] else "", r["rev_id"],
             *([r["diff_url"] or ""] if diffs else [])]
            for r in revs]
    return table(headers, rows) if rows else "No counted revision."


def _paging(p: dict, shown: int) -> str:
    first = (p["page"] - 1) * p["per_page"] + 1
    span = f"{first}-{first + shown - 1} of {p['total']}" if shown else f"none of {p['total']}"
    return f"revisions {span}, by {p['sort']} {p['dir']} (page {p['page']} of {p['pages']})"


@renders
def render_student(doc: dict) -> str:
    s, c = doc["student"], doc["course"]
    role = "" if s["role"] == "student" else f" ({s['role']}: edits never count)"
    out = [f"{s['username']}{role} in {c['title']} ({c['slug']}); as of {c['last_update'] or 'never updated'}", "",
           table(WIKI_FIGURES, [[w["wiki"], w["revision_count"], w["character_sum_ms"], w["character_sum_us"],
                                 w["character_sum_draft"], w["references_count"], w["article_count"],
                                 w["new_article_count"]] for w in doc["wikis"]]), ""]
    if doc["articles"]:
        out += [table(["id", "page", "wiki", "namespace", "new", "revisions", "characters", "references"],
                      [[a["id"], a["title"], a["wiki"], _ns(a["namespace"]), "new" if a["new_article"] else "",
                        a["revision_count"], a["character_sum"], a["references_count"]] for a in doc["articles"]]),
                ""]
    out += [_paging(doc["paging"], len(doc["revisions"])), _revisions(doc["revisions"], who=False, where=True)]
    return "\n".join(out)


@renders
def render_article(doc: dict) -> str:
    a, c = doc["article"], doc["course"]
    state = "deleted: its edits no longer count" if a["deleted"] else (
        f"{_ns(a['namespace'])}" + ("" if a["counted"] else ": out of the tracked namespaces, its edits no longer count"))
    out = [f"{a['title']} on {a['wiki']} (article {a['id']}, page {a['page_id']}): {state}"]
    out += [f"moved {m['at'][:10]} from {m['from']!r} to {m['to']!r}" for m in a["moves"]]
    out += [f"in {c['title']} ({c['slug']}): {a['revision_count']} revisions, {a['character_sum']} characters, "
            f"{a['references_count']} references{', created in the course' if a['new_article'] else ''}", ""]
    if doc["editors"]:
        out += [table(["student", "revisions", "characters", "references", "created"],
                      [[e["username"], e["revision_count"], e["character_sum"], e["references_count"],
                        "yes" if e["created"] else ""] for e in doc["editors"]]), ""]
    if doc["windows"]:
        out += [table(["window", "revisions", "characters", "references"],
                      [[w["start"][:10], w["revision_count"], w["character_sum"], w["references_count"]]
                       for w in doc["windows"]]), ""]
    out += [_paging(doc["paging"], len(doc["revisions"])), _revisions(doc["revisions"], who=True, where=False)]
    return "\n".join(out)


@renders
def render_recent(doc: dict) -> str:
    c, revs = doc["course"], doc["revisions"]
    head = f"The latest {len(revs)} counted revisions of {c['title']} ({c['slug']}), newest first"
    if not revs:
        return f"{c['title']} ({c['slug']}): no counted revision yet."
    diffs = any(r["diff_url"] for r in revs)
    rows = [[_when(r["timestamp"]), r["username"], r["wiki"], r["article_id"], r["title"], _ns(r["namespace"]),
             r["characters"], r["references"], "new" if r["new"] else "", r["rev_id"],
             *([r["diff_url"] or ""] if diffs else [])] for r in revs]
    return "\n".join([head, "", table(["date", "student", "wiki", "article", "page", "namespace", "characters",
                                        "references", "new", "revision", *(["diff"] if diffs else [])], rows)])
