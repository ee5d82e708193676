"""list=logevents and prop=revisions against a real MediaWiki: the wiki's past changing (docs/wiki-past.md).

The wiki of this module is its own (it is changed): a few pages, moved, deleted, restored and
revision-deleted by its admin, and a user renamed, then read back as LogEvents and page edits.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from support.exports import write_export
from support.mediawiki import TestWiki
from support.ports import free_port
from wikicourse.clock import now_utc
from wikicourse.errors import AccountRenamed
from wikicourse.wiki import MediaWikiSource

UTC = timezone.utc
T0 = datetime(2024, 3, 4, 10, tzinfo=UTC)


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory):
    """The wiki, its log read from before the changes, and what was done."""
    folder = tmp_path_factory.mktemp("logwiki")
    wiki = TestWiki(folder / "wiki", free_port(8600, 8699))
    wiki.up()
    try:
        wiki.create_users(["Alice Example", "Bob Other"])
        export = folder / "export.xml"
        at = lambda hours: f"{T0 + timedelta(hours=hours):%Y-%m-%dT%H:%M:%SZ}"  # noqa: E731
        write_export(export, {
            ("User:Alice Example/sandbox", 2): [(at(0), "Alice Example", "Draft text<ref>a</ref>"),
                                                (at(1), "Alice Example", "Draft text<ref>a</ref> more")],
            ("Old title", 0): [(at(0), "Bob Other", "An article")],
            ("Doomed", 0): [(at(0), "Bob Other", "To be deleted")],
            ("Hidden", 0): [(at(0), "Alice Example", "One"), (at(2), "Bob Other", "One two")],
        })
        wiki.import_dump(export)
        before = now_utc() - timedelta(seconds=1)
        wiki.move_page("User:Alice Example/sandbox", "Alice article")
        wiki.move_page("Old title", "New title")
        wiki.delete_page("Doomed")
        wiki.undelete_page("Doomed")
        revid = wiki.page_revisions("Hidden")[0]["revid"]
        wiki.hide_revision(revid, text=True)
        wiki.rename_user("Bob Other", "Robert Other")
        yield wiki, before, revid
    finally:
        wiki.down()


@pytest.mark.parametrize("formatversion", [2, 1])
def test_the_log_tells_moves_deletions_restores_revision_deletions_and_renames(changed, formatversion) -> None:
    wiki, before, revid = changed
    with MediaWikiSource(wiki.api_url, formatversion=formatversion) as source:
        events = source.log_events(before)
        assert source.request_count == 1  # a quiet wiki's log: one request, every type at once
    got = [(e.kind, e.title, e.namespace, e.new_title, e.new_namespace, e.rev_ids) for e in events]
    assert got == [
        ("move", "User:Alice Example/sandbox", 2, "Alice article", 0, ()),
        ("move", "Old title", 0, "New title", 0, ()),
        ("delete", "Doomed", 0, "", None, ()),
        ("restore", "Doomed", 0, "", None, ()),
        ("revision", "Hidden", 0, "", None, (revid,)),
        ("rename", "Bob Other", 2, "Robert Other", None, ()),
    ]
    assert all(e.page_id > 0 for e in events[:5]) and events[5].page_id == 0
    assert events[2].page_id == events[3].page_id > 0  # restored under its old id
    assert [e.log_id for e in events] == sorted(e.log_id for e in events)
    with MediaWikiSource(wiki.api_url) as source:
        assert source.log_events(now_utc() + timedelta(minutes=5)) == []


@pytest.mark.parametrize("formatversion", [2, 1])
def test_page_edits_name_who_edited_a_page_as_it_is_now(changed, formatversion) -> None:
    wiki, _, _ = changed
    with MediaWikiSource(wiki.api_url, formatversion=formatversion) as source:
        page_id, edits = source.page_edits("Hidden", T0 - timedelta(days=1))
        assert page_id > 0
        # The renamed user's edit is shown under the new name.
        assert [(e.user, e.timestamp) for e in edits] == [("Alice Example", T0),
                                                         ("Robert Other", T0 + timedelta(hours=2))]
        assert [e.user for e in source.page_edits("Hidden", T0 + timedelta(hours=1))[1]] == ["Robert Other"]
        assert source.page_edits("No such page", T0) == (0, [])


def test_a_renamed_account_is_not_taken_for_one_without_edits(changed) -> None:
    """usercontribs answers the old name of a renamed user with no edits and no error: an
    account known to exist must be checked, or its edits would be taken for none."""
    wiki, _, _ = changed
    with MediaWikiSource(wiki.api_url) as source:
        by_new_name = [c for page in source.contributions(["Robert Other"], T0, now_utc()) for c in page]
        assert by_new_name and {c.user for c in by_new_name} == {"Robert Other"}
        assert [c for page in source.contributions(["Bob Other"], T0, now_utc()) for c in page] == []
        with pytest.raises(AccountRenamed) as failed:
            list(source.contributions(["Bob Other"], T0, now_utc(), must_exist={"Bob Other": by_new_name[0].userid}))
        assert failed.value.renamed == {"Bob Other": "Robert Other"}
