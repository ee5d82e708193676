"""The test oracle (tests/support/oracle.py) against hand-computed expectations."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime, timezone

from support.oracle import comparable, expected_stats

from wikicourse.demo import DEMO_END, DEMO_INSTRUCTOR, DEMO_START, DEMO_STUDENTS, DEMO_WIKI
from wikicourse.demo.generate import RevisionFact, generate_demo

WIKI = "en.wikipedia.org"
UTC = timezone.utc


def fact(user: str, title: str, when: str, sizediff: int, *, ns: int = 0, new: bool = False, refs: int = 0,
         parent_refs: int = 0, deleted: bool = False, wiki: str = WIKI) -> RevisionFact:
    ts = datetime.fromisoformat(when).replace(tzinfo=UTC)
    return RevisionFact(user=user, title=title, namespace=ns, timestamp=ts, size=max(sizediff, 0), sizediff=sizediff,
                        new=new, refs=refs, parent_refs=parent_refs, deleted=deleted, wiki=wiki)


def stats(facts, students=("Ann",), instructors=(), as_of="2024-03-01T00:00:00", days=1, wikis=(WIKI,)):
    return expected_stats(facts, students=students, instructors=instructors, start="2024-01-01", end="2024-01-31",
                          wikis=list(wikis), timeslice_days=days, as_of=as_of)


def test_creation_counts_the_page_size_references_and_a_new_article():
    doc = stats([fact("Ann", "Kraków Cathedral", "2024-01-02T10:00:00", 500, new=True, refs=2)])
    c = doc["course"]
    assert (c["revision_count"], c["character_sum"], c["references_count"]) == (1, 500, 2)
    assert (c["article_count"], c["new_article_count"], c["student_count"]) == (1, 1, 1)
    assert doc["articles"] == [{"wiki": WIKI, "title": "Kraków Cathedral", "namespace": 0, "character_sum": 500,
                                "references_count": 2, "revision_count": 1, "new_article": True, "editors": ["Ann"]}]
    jan2 = [t for t in doc["timeslices"] if t["start"] == "2024-01-02T00:00:00Z"]
    assert jan2 == [{"wiki": WIKI, "start": "2024-01-02T00:00:00Z", "end": "2024-01-03T00:00:00Z",
                     "character_sum": 500, "references_count": 2, "revision_count": 1}]


def test_a_shrinking_edit_counts_as_a_revision_with_no_characters():
    doc = stats([
        fact("Ann", "Tartu", "2024-01-05T00:00:00", 300),
        fact("Ann", "Tartu", "2024-01-06T00:00:00", -200),
    ])
    assert doc["course"]["character_sum"] == 300
    assert doc["course"]["revision_count"] == 2
    assert doc["course"]["new_article_count"] == 0  # edited, not created, by the student
    assert doc["articles"][0]["new_article"] is False


def test_references_removed_do_not_subtract_and_added_back_count_again():
    doc = stats([
        fact("Ann", "Eger", "2024-01-03T00:00:00", 100, refs=3, parent_refs=0),
        fact("Ann", "Eger", "2024-01-04T00:00:00", -80, refs=1, parent_refs=3),
        fact("Ann", "Eger", "2024-01-05T00:00:00", 40, refs=2, parent_refs=1),
    ])
    assert doc["course"]["references_count"] == 4
    assert doc["users"][0]["references_count"] == 4


def test_user_and_draft_space_count_apart_and_are_not_articles_and_talk_pages_not_at_all():
    doc = stats([
        fact("Ann", "User:Ann/sandbox", "2024-01-03T00:00:00", 700, ns=2, new=True, refs=2),
        fact("Ann", "Draft:Nuuk Harbour", "2024-01-04T00:00:00", 400, ns=118, new=True, refs=1),
        fact("Ann", "Talk:Nuuk", "2024-01-04T01:00:00", 90, ns=1, new=True),
    ])
    c = doc["course"]
    assert (c["character_sum"], c["character_sum_user"], c["character_sum_draft"]) == (0, 700, 400)
    assert c["revision_count"] == 2
    assert (c["references_count"], c["article_count"], c["new_article_count"]) == (0, 0, 0)
    assert doc["articles"] == []
    ann = doc["users"][0]
    assert (ann["character_sum_ms"], ann["character_sum_us"], ann["character_sum_draft"]) == (0, 700, 400)
    assert ann["references_count"] == 0  # namespace 0 only, so students sum to the course total


def test_instructors_are_listed_with_zeros_and_their_edits_never_count():
    doc = stats(
        [fact("Ann", "Graz", "2024-01-03T00:00:00", 50), fact("Bo", "Graz", "2024-01-04T00:00:00", 999, refs=5)],
        instructors=("Bo",),
    )
    assert doc["course"]["student_count"] == 1
    assert doc["course"]["character_sum"] == 50
    assert [(u["username"], u["role"], u["revision_count"]) for u in doc["users"]] == [
        ("Ann", "student", 1), ("Bo", "instructor", 0)]
    assert doc["articles"][0]["editors"] == ["Ann"]


def test_the_period_includes_its_first_and_last_second_and_nothing_outside():
    doc = stats([
        fact("Ann", "A", "2023-12-31T23:59:59", 1),
        fact("Ann", "A", "2024-01-01T00:00:00", 10),
        fact("Ann", "A", "2024-01-31T23:59:59", 100),
        fact("Ann", "A", "2024-02-01T00:00:00", 1000),
    ])
    assert doc["course"]["character_sum"] == 110
    assert doc["course"]["start"] == "2024-01-01T00:00:00Z"
    assert doc["course"]["end"] == "2024-01-31T23:59:59Z"
    assert doc["timeslices"][-1]["end"] == "2024-02-01T00:00:00Z"
    assert doc["timeslices"][-1]["character_sum"] == 100


def test_as_of_hides_later_revisions_but_not_the_later_windows():
    doc = stats([fact("Ann", "A", "2024-01-10T00:00:00", 10), fact("Ann", "A", "2024-01-20T00:00:01", 20)],
                as_of="2024-01-20T00:00:00")
    assert doc["course"]["character_sum"] == 10
    assert len(doc["timeslices"]) == 31


def test_as_of_counts_its_own_second():
    doc = stats([fact("Ann", "A", "2024-01-20T00:00:00", 20)], as_of="2024-01-20T00:00:00")
    assert doc["course"]["character_sum"] == 20


def test_references_are_counted_from_the_texts_a_fact_carries():
    """The oracle counts refs(text) itself (not with wikicourse.refs): <ref>, <ref name=..>,
    <ref .../> count, <references/> and a <ref without its > do not."""
    rev = fact("Ann", "A", "2024-01-03T00:00:00", 100, new=True)
    text = 'a<ref>x</ref> b<REF name="n"/> c<references/> d<ref\tgroup=g>e</ref> <ref/> <refx> <ref '
    doc = stats([dataclasses.replace(rev, text=text, parent_text="<ref>old</ref>")])
    assert doc["course"]["references_count"] == 4 - 1


def test_windows_start_at_the_course_start_and_the_last_one_is_clipped():
    doc = stats([fact("Ann", "A", "2024-01-30T12:00:00", 10)], days=7)
    assert [(t["start"][:10], t["end"][:10]) for t in doc["timeslices"]] == [
        ("2024-01-01", "2024-01-08"), ("2024-01-08", "2024-01-15"), ("2024-01-15", "2024-01-22"),
        ("2024-01-22", "2024-01-29"), ("2024-01-29", "2024-02-01")]
    assert doc["timeslices"][-1]["revision_count"] == 1


def test_deleted_pages_untracked_wikis_and_non_students_do_not_count():
    doc = stats([
        fact("Ann", "Gone", "2024-01-03T00:00:00", 400, new=True, deleted=True),
        fact("Ann", "Elsewhere", "2024-01-03T00:00:00", 400, new=True, wiki="de.wikipedia.org"),
        fact("Stranger", "A", "2024-01-03T00:00:00", 400),
        fact("192.0.2.1", "A", "2024-01-03T00:00:00", 400),
    ])
    assert doc["course"]["revision_count"] == 0
    assert doc["articles"] == []


def test_several_wikis_each_get_their_windows_and_a_mapping_equals_a_flat_list():
    en = [fact("Ann", "A", "2024-01-03T00:00:00", 10)]
    de = [fact("Ann", "A", "2024-01-03T00:00:00", 20, wiki="de.wikipedia.org")]
    wikis = (WIKI, "de.wikipedia.org")
    flat = stats(en + de, wikis=wikis, days={WIKI: 1, "de.wikipedia.org": 31})
    mapped = stats({WIKI: en, "de.wikipedia.org": de}, wikis=wikis, days={WIKI: 1, "de.wikipedia.org": 31})
    assert flat == mapped
    assert flat["course"]["character_sum"] == 30
    assert flat["course"]["article_count"] == 2  # the same title on two wikis is two articles
    assert [a["wiki"] for a in flat["articles"]] == ["de.wikipedia.org", WIKI]
    assert [t["wiki"] for t in flat["timeslices"]] == ["de.wikipedia.org"] + [WIKI] * 31


def test_usernames_are_compared_in_canonical_form():
    doc = stats([fact("Ann_Lee", "A", "2024-01-03T00:00:00", 10)], students=("ann Lee",))
    assert doc["users"][0]["username"] == "Ann Lee"
    assert doc["users"][0]["revision_count"] == 1


def test_on_the_demo_students_timeslices_and_articles_add_up_to_the_course():
    facts = generate_demo(None)
    doc = expected_stats(facts, students=DEMO_STUDENTS, instructors=DEMO_INSTRUCTOR, start=DEMO_START,
                         end=DEMO_END, wikis=[DEMO_WIKI], timeslice_days=7, as_of="2024-03-01T00:00:00Z")
    c = doc["course"]
    assert c["revision_count"] > 100 and c["references_count"] > 10 and c["new_article_count"] > 0
    students = [u for u in doc["users"] if u["role"] == "student"]
    for field, total in (("character_sum_ms", "character_sum"), ("character_sum_us", "character_sum_user"),
                         ("character_sum_draft", "character_sum_draft"), ("references_count", "references_count"),
                         ("revision_count", "revision_count")):
        assert sum(u[field] for u in students) == c[total]
    for field in ("character_sum", "references_count", "revision_count"):
        assert sum(t[field] for t in doc["timeslices"]) == c[field]
    assert sum(a["character_sum"] for a in doc["articles"]) == c["character_sum"]
    assert len(doc["articles"]) == c["article_count"]
    assert comparable({**doc, "course": {**c, "last_update": "x", "extra": 1}}) == doc
    assert date.fromisoformat(doc["timeslices"][0]["start"][:10]) == DEMO_START


def test_article_namespaces_count_as_main_space_does_and_others_not_at_all():
    facts = [
        fact("Ann", "Kraków", "2024-01-02T10:00:00", 500, new=True, refs=2),
        fact("Ann", "Wikipedia:Kraków project", "2024-01-03T10:00:00", 300, ns=4, new=True, refs=1),
        fact("Ann", "Talk:Kraków", "2024-01-04T10:00:00", 70, ns=1),
        fact("Ann", "User:Ann/sandbox", "2024-01-05T10:00:00", 40, ns=2),
    ]
    plain = stats(facts)["course"]
    assert (plain["revision_count"], plain["character_sum"], plain["references_count"], plain["article_count"],
            plain["character_sum_user"]) == (2, 500, 2, 1, 40)
    doc = expected_stats(facts, students=["Ann"], start="2024-01-01", end="2024-01-31", wikis=[WIKI],
                         as_of="2024-03-01T00:00:00", article_namespaces={WIKI: [0, 4]})
    c = doc["course"]
    assert (c["revision_count"], c["character_sum"], c["references_count"], c["article_count"],
            c["new_article_count"], c["character_sum_user"]) == (3, 800, 3, 2, 2, 40)
    assert [(a["title"], a["namespace"]) for a in doc["articles"]] == [("Kraków", 0), ("Wikipedia:Kraków project", 4)]
    assert doc["users"][0]["character_sum_ms"] == 800
    jan3 = [t for t in doc["timeslices"] if t["start"] == "2024-01-03T00:00:00Z"]
    assert (jan3[0]["character_sum"], jan3[0]["references_count"], jan3[0]["revision_count"]) == (300, 1, 1)
    only_project = expected_stats(facts, students=["Ann"], start="2024-01-01", end="2024-01-31", wikis=[WIKI],
                                  as_of="2024-03-01T00:00:00", article_namespaces={WIKI: [4]})["course"]
    assert (only_project["revision_count"], only_project["character_sum"], only_project["article_count"]) == (2, 300, 1)
