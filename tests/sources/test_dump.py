"""DumpSource reports what list=usercontribs would, for generated and hand-written exports."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from wikicourse.demo import DEMO_INSTRUCTOR, DEMO_OTHERS, DEMO_STUDENTS, DEMO_XML
from wikicourse.demo.generate import BACKGROUND_USERS, RevisionFact, account_names, generate, generate_demo
from wikicourse.errors import InvalidInput, WikiAPIError
from wikicourse.sources.base import TRACKED_NAMESPACES, Contribution
from wikicourse.sources.dump import DumpSource, canonical_username

UTC = timezone.utc
EVER = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
START = datetime(2024, 1, 1, tzinfo=UTC)
USERS = ["Amara Okafor", "Lena Fischer", "Tomás Ibáñez", "Ólafur Jónsson", "Mei Chen", "Jonas Berg"]


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> tuple[Path, list[RevisionFact]]:
    path = tmp_path_factory.mktemp("dump") / "wiki.xml"
    facts = generate(path, users=USERS, pages=60, revisions=900, start=START, days=30, seed=3, anonymous=0.05)
    return path, facts


def everything(source: DumpSource, users, namespaces=TRACKED_NAMESPACES) -> list[Contribution]:
    return [c for page in source.contributions(users, *EVER, namespaces) for c in page]


def test_contributions_carry_what_the_generator_wrote(export):
    path, facts = export
    source = DumpSource(path)
    got = {c.revid: c for c in everything(source, account_names(facts), namespaces=(0, 1, 2, 3, 118))}
    expected = [f for f in facts if not f.anonymous]
    assert set(got) == {f.revid for f in expected}
    for f in expected:
        c = got[f.revid]
        assert (c.user, c.title, c.namespace, c.timestamp, c.sizediff, c.new, c.pageid) == (
            f.user, f.title, f.namespace, f.timestamp, f.sizediff, f.new, f.pageid)
    assert source.request_count == 0


def test_parentid_is_the_previous_revision_of_the_page_even_an_ip_one(export):
    path, facts = export
    source = DumpSource(path)
    got = {c.revid: c for c in source.all_contributions()}
    previous: dict[str, int] = {}
    for f in facts:  # oldest first
        if f.revid in got:
            assert got[f.revid].parentid == previous.get(f.title, 0)
        previous[f.title] = f.revid
    assert any(f.anonymous for f in facts)


def test_edits_come_grouped_by_user_in_the_order_asked_each_oldest_first(export):
    path, facts = export
    order = ["Mei Chen", "Amara Okafor", "Veteran Editor"]
    edits = everything(DumpSource(path), order)
    users = [c.user for c in edits]
    assert users == sorted(users, key=order.index)
    for user in order:
        mine = [(c.timestamp, c.revid) for c in edits if c.user == user]
        assert mine == sorted(mine) and mine


def test_start_is_inclusive_and_end_exclusive(export):
    path, facts = export
    source = DumpSource(path)
    f = next(f for f in facts if f.user == "Lena Fischer" and f.namespace == 0)
    at = list(source.contributions(["Lena Fischer"], f.timestamp, f.timestamp + timedelta(seconds=1)))
    assert [[c.revid for c in page] for page in at] == [[f.revid]]
    just_before = source.contributions(["Lena Fischer"], f.timestamp - timedelta(hours=1), f.timestamp)
    assert f.revid not in [c.revid for page in just_before for c in page]


def test_only_the_namespaces_asked_for(export):
    path, facts = export
    source = DumpSource(path)
    users = account_names(facts)
    assert {c.namespace for c in everything(source, users, (0,))} == {0}
    assert {c.namespace for c in everything(source, users)} == {0, 2, 118}
    assert {c.namespace for c in everything(source, users, (1, 3))} == {1, 3}


def test_pages_hold_500_edits_and_run_across_users(tmp_path):
    path = tmp_path / "busy.xml"
    facts = generate(path, users=["Busy Bee", "Quiet One"], pages=50, revisions=1400, start=START, days=30, seed=5,
                     activity={"Busy Bee": 20, "Quiet One": 1}, background_users=["Busy Bee"])
    pages = list(DumpSource(path).contributions(["Quiet One", "Busy Bee"], *EVER, (0, 1, 2, 3, 118)))
    assert [len(p) for p in pages[:-1]] == [500] * (len(pages) - 1)
    assert sum(len(p) for p in pages) == sum(not f.anonymous for f in facts) > 1000
    assert pages[0][0].user == "Quiet One" and pages[-1][-1].user == "Busy Bee"


def test_more_than_50_users_is_refused_like_the_api_does(export):
    with pytest.raises(WikiAPIError) as e:
        list(DumpSource(export[0]).contributions([f"U{i}" for i in range(51)], *EVER))
    assert e.value.code == "toomanyvalues"


def test_canonical_usernames_need_an_edit_or_the_companion_list(export, tmp_path):
    path, _ = export
    source = DumpSource(path)
    assert source.canonical_usernames(["lena_Fischer", "Ólafur_Jónsson", "Lena fischer", "Nobody", "", "192.0.2.17"]) == {
        "lena_Fischer": "Lena Fischer", "Ólafur_Jónsson": "Ólafur Jónsson", "Lena fischer": None, "Nobody": None,
        "": None, "192.0.2.17": None}
    assert DumpSource(path, known_users=["nobody"]).canonical_usernames(["Nobody"]) == {"Nobody": "Nobody"}
    copy = tmp_path / "copy.xml"
    copy.write_bytes(path.read_bytes())
    (tmp_path / "copy.xml.users").write_text("Fresh_Account\n", encoding="utf-8")
    with DumpSource(copy) as companion:
        assert companion.canonical_usernames(["fresh Account"]) == {"fresh Account": "Fresh Account"}
        assert list(companion.contributions(["Fresh Account"], *EVER)) == []


def test_reference_counts_are_refs_of_each_revision_text(export):
    path, facts = export
    source = DumpSource(path)
    revids = [f.revid for f in facts]
    assert source.reference_counts(revids + [10**9]) == {f.revid: f.refs for f in facts}
    assert any(f.refs < f.parent_refs for f in facts)  # references get removed too


def test_deleted_titles_vanish_from_contributions_and_reference_counts(export):
    path, facts = export
    gone = next(f.title for f in facts if f.new and f.user in USERS and f.namespace == 0)
    source = DumpSource(path, deleted_titles=[gone])
    assert all(c.title != gone for c in source.all_contributions())
    gone_revids = [f.revid for f in facts if f.title == gone]
    assert source.reference_counts(gone_revids) == {}


def test_compressed_exports_read_the_same(export, tmp_path):
    import bz2
    import gzip

    path, facts = export
    plain = DumpSource(path).all_contributions()
    (tmp_path / "w.xml.gz").write_bytes(gzip.compress(path.read_bytes()))
    (tmp_path / "w.xml.bz2").write_bytes(bz2.compress(path.read_bytes()))
    assert DumpSource(tmp_path / "w.xml.gz").all_contributions() == plain
    assert DumpSource(tmp_path / "w.xml.bz2").all_contributions() == plain


def test_a_missing_file_fails_on_first_use_with_a_printable_error(tmp_path):
    source = DumpSource(tmp_path / "nope.xml")  # lazy: nothing read yet
    with pytest.raises(InvalidInput, match="nope.xml"):
        source.canonical_usernames(["X"])


HAND_MADE = """<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10">
  <page>
    <title>Draft:Łódź Tramway</title>
    <revision>
      <timestamp>2024-01-05T10:00:00Z</timestamp>
      <contributor><username>zofia_Nowak</username><id>7</id></contributor>
      <text xml:space="preserve">Łódź &lt;ref&gt;A&lt;/ref&gt;</text>
    </revision>
    <revision>
      <timestamp>2024-01-06T10:00:00Z</timestamp>
      <contributor><ip>192.0.2.9</ip></contributor>
      <text xml:space="preserve">Łódź.</text>
    </revision>
    <revision>
      <timestamp>2024-01-07T10:00:00Z</timestamp>
      <contributor><username>Zofia Nowak</username></contributor>
      <comment>ref back</comment>
      <text xml:space="preserve">Łódź. &lt;ref name="a"/&gt;&lt;ref name="a" /&gt;&lt;references/&gt;</text>
    </revision>
  </page>
  <page>
    <title>Tartu</title>
    <revision>
      <timestamp>2024-01-04T10:00:00Z</timestamp>
      <contributor><username>Zofia Nowak</username></contributor>
      <text bytes="0" />
    </revision>
    <revision>
      <timestamp>2024-01-08T10:00:00Z</timestamp>
      <contributor deleted="deleted" />
      <text xml:space="preserve">x</text>
    </revision>
    <revision>
      <timestamp>2024-01-09T10:00:00Z</timestamp>
      <contributor><username>Zofia Nowak</username></contributor>
      <text deleted="deleted" bytes="40" />
    </revision>
  </page>
</mediawiki>
"""


def test_a_bare_export_without_ids_namespaces_or_siteinfo(tmp_path):
    path = tmp_path / "bare.xml"
    path.write_text(HAND_MADE, encoding="utf-8")
    source = DumpSource(str(path))
    edits = everything(source, ["Zofia Nowak"])
    assert [(c.title, c.namespace, c.sizediff, c.new) for c in edits] == [
        ("Tartu", 0, 0, True),
        ("Draft:Łódź Tramway", 118, len("Łódź <ref>A</ref>".encode()), True),
        ("Draft:Łódź Tramway", 118, len("Łódź. <ref name=\"a\"/><ref name=\"a\" /><references/>".encode()) - len("Łódź.".encode()), False),
        ("Tartu", 0, 40 - 1, False),
    ]
    # Revision ids follow time order when the export has none; the IP's edit has one too.
    assert [c.revid for c in edits] == [1, 2, 4, 6]
    assert edits[2].parentid == 3 and edits[3].parentid == 5
    assert edits[0].pageid != edits[1].pageid
    assert all(c.user == "Zofia Nowak" for c in edits)
    # Text revision-deleted: its references are unknown, as the API would not show them.
    assert source.reference_counts([1, 2, 3, 4, 5, 6]) == {1: 0, 2: 1, 3: 0, 4: 2, 5: 0}


def test_siteinfo_namespaces_place_pages_without_ns(tmp_path):
    path = tmp_path / "site.xml"
    path.write_text(
        '<mediawiki><siteinfo><namespaces><namespace key="0" /><namespace key="118">Brouillon</namespace>'
        "</namespaces></siteinfo><page><title>Brouillon:Nîmes</title><id>42</id><revision><id>9</id>"
        "<timestamp>2024-01-05T10:00:00Z</timestamp><contributor><username>Émile</username></contributor>"
        '<text xml:space="preserve">é</text></revision></page></mediawiki>',
        encoding="utf-8",
    )
    [c] = everything(DumpSource(path), ["émile"])
    assert (c.namespace, c.pageid, c.revid, c.sizediff, c.user) == (118, 42, 9, 2, "Émile")


def test_canonical_username_spelling():
    assert canonical_username(" émile__Zola ") == "Émile Zola"
    assert canonical_username("a[b") is None and canonical_username("_") is None


# -- the generator's exports ---------------------------------------------------------------


def test_generation_is_deterministic_and_exact(export, tmp_path):
    path, facts = export
    again = tmp_path / "again.xml"
    assert generate(again, users=USERS, pages=60, revisions=900, start=START, days=30, seed=3, anonymous=0.05) == facts
    assert again.read_bytes() == path.read_bytes()
    assert len(facts) == 900 and len({f.title for f in facts}) == 60
    assert len({f.timestamp for f in facts}) == 900  # one edit a second at most: orders agree everywhere


def test_generated_exports_look_like_a_course(export):
    _, facts = export
    end = START + timedelta(days=30)
    students = [f for f in facts if f.user in USERS]
    assert {f.namespace for f in facts} == {0, 1, 2, 3, 118}
    assert any(f.title.startswith("User:") and f.title.endswith("/sandbox") and f.namespace == 2 for f in facts)
    assert all(f.title.startswith("Draft:") for f in facts if f.namespace == 118)
    assert any(f.timestamp < START for f in students) and any(f.timestamp >= end for f in students)
    preexisting = {f.title for f in facts if f.new and f.user in BACKGROUND_USERS and f.timestamp < START}
    assert any(f.title in preexisting for f in students)
    assert any(f.sizediff < 0 for f in students)
    assert any(f.refs > f.parent_refs for f in students) and any(f.refs < f.parent_refs for f in students)
    assert any(len(f.title.encode()) != len(f.title) for f in facts)
    assert all(f.sizediff == f.size for f in facts if f.new)


def test_the_bundled_demo_is_what_generate_demo_writes(tmp_path):
    fresh = tmp_path / "demo.xml"
    facts = generate_demo(fresh)
    assert fresh.read_bytes() == DEMO_XML.read_bytes(), "regenerate: python -m wikicourse.demo.generate --demo " + str(DEMO_XML)
    assert DEMO_XML.stat().st_size < 400_000
    people = set(DEMO_STUDENTS + DEMO_INSTRUCTOR + DEMO_OTHERS)
    assert people <= set(account_names(facts))
    source = DumpSource(DEMO_XML)
    assert {c.revid for c in everything(source, sorted(people))} == {
        f.revid for f in facts if f.user in people and f.namespace in TRACKED_NAMESPACES}
