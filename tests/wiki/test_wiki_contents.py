"""prop=revisions against a real MediaWiki: references per revision, batching, continuation, gone texts."""
from __future__ import annotations

from wikicourse.refs import references_added
from wikicourse.wiki import MediaWikiSource


def test_reference_counts_of_revisions_and_their_parents(source: MediaWikiSource, revisions: dict) -> None:
    first, second, third = (r["revid"] for r in revisions["Referenced"])
    counts = source.reference_counts([third, second, first, 0])  # 0: a creation's parent
    # <ref>A</ref>; + <ref name="b">, <REF NAME="b" />; back to one, <references/> not counted
    assert counts == {first: 1, second: 3, third: 1}
    assert references_added(counts[second], counts[first]) == 2
    assert references_added(counts[third], counts[second]) == 0
    assert source.request_count == 1


def test_deleted_and_hidden_revisions_are_left_out(source: MediaWikiSource, revisions: dict) -> None:
    visible, hidden, _ = (r["revid"] for r in revisions["Hidden text"])
    doomed = [r["revid"] for r in revisions["Doomed"]]
    counts = source.reference_counts([visible, hidden, *doomed, 999_999])
    assert counts == {visible: 1}


def test_contents_over_the_result_limit_follow_continuation(source: MediaWikiSource, revisions: dict) -> None:
    # The test wiki's $wgAPIMaxResultSize fits one of these revisions per response.
    big = [r["revid"] for r in revisions["Big"]]
    assert source.reference_counts(big) == dict(zip(big, [1, 2, 0]))
    assert source.request_count == 3


def test_more_than_50_revisions_go_in_batches_of_50(source: MediaWikiSource, revisions: dict) -> None:
    crowd = [r["revid"] for r in revisions["Crowd"]]
    assert len(crowd) == 60
    counts = source.reference_counts(crowd)
    assert counts == dict.fromkeys(crowd, 0)
    assert source.request_count >= 2


def test_no_revisions_no_request(source: MediaWikiSource) -> None:
    assert source.reference_counts([]) == {}
    assert source.reference_counts([0]) == {}
    assert source.request_count == 0
