"""Wikidata test data and its oracle (docs/wikidata.md).

`fixture_export` writes an XML export of entity pages whose texts are Wikibase entity JSON and
whose summaries are the ones Wikibase writes for such edits, plus edge cases. `diff_figures`
is the oracle: it knows nothing of summaries and computes each revision's figures by diffing
its entity JSON with its parent's.
"""
from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from xml.sax.saxutils import escape

ENTITY_NAMESPACES = {0, 120, 146}
MALFORMED = '{"type": "item", "id": "Q3", "labels": {"en": {"language": "en", "value": "Har'


def _item(qid: str, label: str) -> dict:
    return {"type": "item", "id": qid, "labels": {"en": {"language": "en", "value": label}},
            "descriptions": {}, "aliases": {}, "claims": {}, "sitelinks": {}}


def _claim(qid: str, sid: str, pid: str, value: str) -> dict:
    return {"mainsnak": {"snaktype": "value", "property": pid, "datavalue": {
        "value": {"entity-type": "item", "id": value}, "type": "wikibase-entityid"}},
        "type": "statement", "id": f"{qid}${sid}", "rank": "normal"}


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def history() -> list[dict]:
    """Every page: {"title", "ns", "revisions": [(user, time, summary, text)]}, oldest first."""
    pages = []
    # Q1: one item edited through every kind of Wikibase API edit.
    q1, revs = _item("Q1", "Tartu harbour"), []

    def save(user, when, summary, entity=None, text=None):
        revs.append((user, _t(when), summary, text if text is not None else json.dumps(entity, ensure_ascii=False)))

    save("Ada Item", "2024-03-02T10:00:00", "/* wbeditentity-create-item:0| */", q1)
    q1["descriptions"]["en"] = {"language": "en", "value": "harbour in Estonia"}
    save("Ada Item", "2024-03-02T10:05:00", "/* wbsetdescription-add:1|en */ harbour in Estonia", q1)
    q1["claims"]["P31"] = [_claim("Q1", "a", "P31", "Q44782")]
    save("Ben Claim", "2024-03-03T09:00:00", "/* wbsetclaim-create:2||1 */ [[Property:P31]]: [[Q44782]]", q1)
    q1["claims"]["P31"][0]["references"] = [{"hash": "r1", "snaks": {"P854": []}, "snaks-order": ["P854"]}]
    save("Ben Claim", "2024-03-03T09:10:00", "/* wbsetreference-add:2| */ [[Property:P31]]: [[Q44782]]", q1)
    q1["claims"]["P31"][0]["qualifiers"] = {"P580": [{"snaktype": "value", "property": "P580", "hash": "q1"}]}
    save("Ben Claim", "2024-03-03T09:20:00", "/* wbsetqualifier-add:1| */ [[Property:P580]]: 1950", q1)
    q1["aliases"]["en"] = [{"language": "en", "value": "Tartu port"}, {"language": "en", "value": "Port of Tartu"}]
    save("Ada Item", "2024-03-04T11:00:00", "/* wbsetaliases-add:2|en */ Tartu port, Port of Tartu", q1)
    q1["labels"]["en"]["value"] = "Port of Tartu"
    save("Ada Item", "2024-03-04T11:05:00", "/* wbsetlabel-set:1|en */ Port of Tartu", q1)
    q1["sitelinks"]["enwiki"] = {"site": "enwiki", "title": "Port of Tartu", "badges": []}
    save("Ada Item", "2024-03-04T11:10:00", "/* wbsetsitelink-add:1|enwiki */ Port of Tartu", q1)
    q1["claims"]["P31"][0]["mainsnak"]["datavalue"]["value"]["id"] = "Q1248784"
    save("Ben Claim", "2024-03-05T08:00:00", "/* wbsetclaim-update:2||1 */ [[Property:P31]]: [[Q1248784]]", q1)
    q1["labels"]["de"] = {"language": "de", "value": "Hafen Tartu"}
    save("Dee Other", "2024-03-05T09:00:00", "/* wbsetlabel-add:1|de */ Hafen Tartu", q1)  # not a student
    q1["aliases"]["en"] = q1["aliases"]["en"][1:]
    save("Ada Item", "2024-03-06T10:00:00", "/* wbsetaliases-remove:1|en */ Tartu port", q1)
    q1["sitelinks"]["enwiki"]["title"] = "Tartu River Port"
    save("Ada Item", "2024-03-06T10:10:00", "/* wbsetsitelink-set:1|enwiki */ Tartu River Port", q1)
    q1["claims"]["P17"] = [_claim("Q1", "b", "P17", "Q191")]
    save("Ben Claim", "2024-03-06T10:30:00", "/* wbsetclaim-create:2||1 */ [[Property:P17]]: [[Q191]]", q1)
    q1["claims"]["P131"] = [_claim("Q1", "c", "P131", "Q13972")]
    save("Ben Claim", "2024-03-06T10:31:00", "/* wbsetclaim-create:2||1 */ [[Property:P131]]: [[Q13972]]", q1)
    del q1["claims"]["P17"], q1["claims"]["P131"]
    save("Ben Claim", "2024-03-07T12:00:00", "/* wbremoveclaims-remove:2| */ [[Property:P17]]: [[Q191]], "
         "[[Property:P131]]: [[Q13972]]", q1)
    q1["descriptions"]["en"]["value"] = "river harbour in Tartu, Estonia"
    save("Ada Item", "2024-03-07T12:30:00", "/* wbsetdescription-set:1|en */ river harbour in Tartu, Estonia", q1)
    del q1["sitelinks"]["enwiki"]
    save("Ada Item", "2024-03-07T12:40:00", "/* wbsetsitelink-remove:1|enwiki */", q1)
    del q1["labels"]["de"]
    save("Ada Item", "2024-03-07T12:50:00", "/* wbsetlabel-remove:1|de */ Hafen Tartu", q1)
    del q1["descriptions"]["en"]
    save("Ada Item", "2024-03-07T12:55:00", "/* wbsetdescription-remove:1|en */ river harbour in Tartu, Estonia", q1)
    q1["aliases"]["en"].append({"language": "en", "value": "Duplicate harbour"})
    save("Ben Claim", "2024-03-08T09:00:00", "/* wbmergeitems-from:0||Q2 */", q1)
    pages.append({"title": "Q1", "ns": 0, "revisions": revs})
    # Q2: merged into Q1, then a redirect to it.
    q2, revs = _item("Q2", "Duplicate harbour"), []
    save("Ben Claim", "2024-03-02T12:00:00", "/* wbeditentity-create-item:0| */", q2)
    save("Ben Claim", "2024-03-08T09:00:01", "/* wbmergeitems-to:0||Q1 */", {**_item("Q2", ""), "labels": {}})
    save("Ben Claim", "2024-03-08T09:00:02", "/* wbcreateredirect:0||Q2|Q1 */", {"entity": "Q2", "redirect": "Q1"})
    pages.append({"title": "Q2", "ns": 0, "revisions": revs})
    # Q3: edge cases: a key Wikibase does not write, then text that is not JSON.
    q3, revs = _item("Q3", "Harbour crane"), []
    save("Ada Item", "2024-03-03T14:00:00", "/* wbeditentity-create-item:0| */", q3)
    q3["labels"]["fr"] = {"language": "fr", "value": "Grue portuaire"}
    save("Ada Item", "2024-03-03T14:05:00", "/* wbsetlabel-frobnicate:1|fr */ Grue portuaire", q3)
    save("Ada Item", "2024-03-03T14:10:00", "/* wbsetlabel-add:1|et */ Sadamakraana", text=MALFORMED)
    pages.append({"title": "Q3", "ns": 0, "revisions": revs})
    # Q4: an edit with no summary at all.
    q4, revs = _item("Q4", "Harbour master"), []
    save("Ben Claim", "2024-03-04T08:00:00", "/* wbeditentity-create-item:0| */", q4)
    q4["descriptions"]["en"] = {"language": "en", "value": "office of a harbour"}
    save("Ben Claim", "2024-03-04T08:05:00", "", q4)
    pages.append({"title": "Q4", "ns": 0, "revisions": revs})
    # A lexeme (namespace 146) and a user page (wikitext: no entity).
    lexeme = {"type": "lexeme", "id": "L1", "lemmas": {"et": {"language": "et", "value": "sadam"}},
              "lexicalCategory": "Q1084", "language": "Q9072", "claims": {}, "forms": [], "senses": []}
    revs = []
    save("Ben Claim", "2024-03-04T15:00:00", "/* wbeditentity-create-lexeme:0| */", lexeme)
    pages.append({"title": "Lexeme:L1", "ns": 146, "revisions": revs})
    revs = []
    save("Ada Item", "2024-03-05T16:00:00", "notes on harbours", text="Harbours I work on: [[Q1]], [[Q3]].")
    pages.append({"title": "User:Ada Item", "ns": 2, "revisions": revs})
    return pages


def fixture_export(path, pages: list[dict]) -> None:
    """An XML export of `pages` (importDump keeps ids, times, users and summaries)."""
    out = ['<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11" xml:lang="en">\n']
    rev_id = 1000
    for n, page in enumerate(pages, start=1):
        out.append(f"  <page>\n    <title>{escape(page['title'])}</title>\n    <ns>{page['ns']}</ns>\n"
                   f"    <id>{100 + n}</id>\n")
        parent = 0
        for user, when, summary, text in page["revisions"]:
            rev_id += 1
            out.append("    <revision>\n"
                       f"      <id>{rev_id}</id>\n" + (f"      <parentid>{parent}</parentid>\n" if parent else "")
                       + f"      <timestamp>{when:%Y-%m-%dT%H:%M:%SZ}</timestamp>\n"
                       f"      <contributor><username>{escape(user)}</username></contributor>\n"
                       + (f"      <comment>{escape(summary)}</comment>\n" if summary else "")
                       + "      <model>wikitext</model>\n      <format>text/x-wiki</format>\n"
                       f'      <text xml:space="preserve">{escape(text)}</text>\n    </revision>\n')
            parent = rev_id
        out.append("  </page>\n")
    out.append("</mediawiki>\n")
    path.write_text("".join(out), encoding="utf-8")


def _entity(text: str | None):
    try:
        value = json.loads(text) if text is not None else None
    except ValueError:
        return "malformed"
    return value if isinstance(value, dict) else "malformed"


def _terms(old: dict, new: dict, name: str, out: dict) -> None:
    for lang in set(old) | set(new):
        if lang not in old:
            out[f"{name}_added"] += 1
        elif lang not in new:
            out[f"{name}_removed"] += 1
        elif old[lang]["value"] != new[lang]["value"]:
            out[f"{name}_changed"] += 1


def diff_figures(namespace: int, parent_text: str | None, text: str) -> dict[str, int] | str:
    """The figures of one revision by diffing entity JSON; "malformed" when a text is not JSON."""
    from collections import Counter

    out: Counter = Counter()
    if namespace not in ENTITY_NAMESPACES:
        return {"other_edits": 1}
    new, old = _entity(text), _entity(parent_text) if parent_text is not None else None
    if new == "malformed" or old == "malformed":
        return "malformed"
    if "redirect" in new:
        return {"redirects": 1}
    if old is None:
        return {"lexemes_created" if new.get("type") == "lexeme" else "items_created": 1}
    _terms(old.get("labels", {}), new.get("labels", {}), "labels", out)
    _terms(old.get("descriptions", {}), new.get("descriptions", {}), "descriptions", out)
    for lang in set(old.get("aliases", {})) | set(new.get("aliases", {})):
        before = {a["value"] for a in old.get("aliases", {}).get(lang, [])}
        after = {a["value"] for a in new.get("aliases", {}).get(lang, [])}
        out["aliases_added"] += len(after - before)
        out["aliases_removed"] += len(before - after)
    _terms({k: {"value": v["title"]} for k, v in old.get("sitelinks", {}).items()},
           {k: {"value": v["title"]} for k, v in new.get("sitelinks", {}).items()}, "sitelinks", out)
    claims = lambda e: {c["id"]: c for cs in e.get("claims", {}).values() for c in cs}  # noqa: E731
    before, after = claims(old), claims(new)
    for sid in set(before) | set(after):
        if sid not in before:
            out["claims_created"] += 1
        elif sid not in after:
            out["claims_removed"] += 1
        else:
            a, b = copy.deepcopy(before[sid]), copy.deepcopy(after[sid])
            refs = {r["hash"] for r in b.pop("references", [])} - {r["hash"] for r in a.pop("references", [])}
            quals = lambda c: {q["hash"] for qs in c.pop("qualifiers", {}).values() for q in qs}  # noqa: E731
            added_quals = quals(b) - quals(a)
            out["references_added"] += len(refs)
            out["qualifiers_added"] += len(added_quals)
            if a != b:
                out["claims_changed"] += 1
    return dict(out) if out else {"other_edits": 1}
