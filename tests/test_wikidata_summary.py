"""Reading a revision's Wikidata figure off its Wikibase summary (docs/wikidata.md#figures)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wikicourse.wikidata.summary import FIGURES, KEYS, MAX_COUNT, figures_of, row_of


@pytest.mark.parametrize("comment,expected", [
    ("/* wbeditentity-create-item:0| */", {"items_created": 1}),
    ("/* wbeditentity-create-lexeme:0| */", {"lexemes_created": 1}),
    ("/* wbsetclaim-create:2||1 */ [[Property:P31]]: [[Q5]]", {"claims_created": 1}),  # 2 is no claim count
    ("/* wbsetclaim-update:2||1 */ [[Property:P31]]: [[Q6]]", {"claims_changed": 1}),
    ("/* wbremoveclaims-remove:3| */ [[Property:P17]]", {"claims_removed": 3}),
    ("/* wbsetaliases-add:2|en */ Tartu port, Port of Tartu", {"aliases_added": 2}),
    ("/* wbsetaliases-remove:1|en */ Tartu port", {"aliases_removed": 1}),
    ("/* wbsetlabel-add:1|en */ harbour", {"labels_added": 1}),
    ("/* wbsetdescription-remove:1|de */", {"descriptions_removed": 1}),
    ("/* wbsetsitelink-add:1|enwiki */ Port of Tartu", {"sitelinks_added": 1}),
    ("/* clientsitelink-update:0|enwiki|enwiki:Old|enwiki:New */", {"sitelinks_changed": 1}),
    ("/* wbsetreference-add:2| */ [[Property:P31]]: [[Q5]]", {"references_added": 1}),
    ("/* wbsetqualifier-add:1| */ [[Property:P580]]: 1950", {"qualifiers_added": 1}),
    ("/* wbmergeitems-from:0||Q2 */", {"merges": 1}),
    ("/* wbmergeitems-to:0||Q1 */", {"other_edits": 1}),  # the emptied side: the merge counts once
    ("/* wbcreateredirect:0||Q2|Q1 */", {"redirects": 1}),
    ("/* wbeditentity-update:0| */", {"other_edits": 1}),  # a bulk edit: the summary does not say what
    ("/* wbsetlabel-frobnicate:1|en */ x", {"other_edits": 1}),  # a key Wikibase does not write
    ("", {"other_edits": 1}),
    (None, {"other_edits": 1}),
    ("Undid revision 123 by [[Special:Contributions/X|X]]", {"other_edits": 1}),
    ("fixed a typo /* wbsetlabel-add:1|en */", {"other_edits": 1}),  # only a leading autocomment counts
    ("/* wbsetaliases-add */ a", {"aliases_added": 1}),  # no count: at least one
    ("/* wbsetaliases-add:x|en */ a", {"aliases_added": 1}),
    ("/* wbsetaliases-add:99999999999999999999|en */ a", {"aliases_added": MAX_COUNT}),  # anyone can write one
    ("/* wbremoveclaims-remove:0| */", {"claims_removed": 1}),
])
def test_each_summary_adds_to_the_figure_its_key_names(comment, expected):
    assert figures_of(comment) == expected


def test_every_key_names_a_figure():
    assert {figure for figure, _ in KEYS.values()} | {"other_edits"} == set(FIGURES)


def autocomments():
    """Summaries that start like Wikibase's, with any key (known or not) and any arguments."""
    key = st.sampled_from(sorted(KEYS)) | st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True)
    return st.builds(lambda k, args, rest: f"/* {k}:{args} */{rest}", key, st.text(max_size=20), st.text(max_size=20))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80) | autocomments())
def test_any_summary_adds_to_exactly_one_figure(comment):
    row = row_of(comment)
    assert len(row) == len(FIGURES) and sum(1 for v in row if v) == 1 and all(0 <= v <= MAX_COUNT for v in row)


@pytest.mark.parametrize("count", ["²", "٣", "1_000", "+3", "-2", "99999999999999999999"])
def test_a_count_that_is_not_plain_ascii_digits_adds_one_or_the_cap(count):
    """Anyone may write a summary: a count Python's int() would choke on or misread adds one."""
    assert figures_of(f"/* wbsetaliases-add:{count}|en */ x") == {"aliases_added": 1 if len(count) < 10 else MAX_COUNT}


def test_a_summary_an_admin_hid_counts_as_an_other_edit():
    """usercontribs leaves a revision-deleted summary out (`commenthidden`): no summary, no figure but other."""
    from wikicourse.wiki.usercontribs import parse_contribution

    item = {"revid": 5, "parentid": 4, "pageid": 1, "ns": 0, "title": "Q1", "timestamp": "2024-03-02T10:00:00Z",
            "user": "Ada Item", "sizediff": 40, "commenthidden": True}
    hidden = parse_contribution(item, comments=True)
    assert hidden.comment == "" and figures_of(hidden.comment) == {"other_edits": 1}
    shown = parse_contribution({**item, "comment": "/* wbsetlabel-add:1|en */ x"}, comments=True)
    assert figures_of(shown.comment) == {"labels_added": 1}
    assert parse_contribution({**item, "comment": "x"}).comment is None  # not asked: not kept
