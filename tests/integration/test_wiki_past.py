"""Following the wiki's past (docs/wiki-past.md) end to end: the wiki's past changes under
a course (pages moved, deleted and restored, revisions hidden and shown, students renamed),
and every update follows it.

Each test changes a real MediaWiki *now*, after a first update, then updates again (each
update reads the wikis' logs up to now, whatever its --as-of). After each update the
course's statistics must equal the oracle's, computed from the revision facts changed
the way the wiki changed (see the helpers below), and a --full rebuild's in a fresh
database. The last two tests run on the real clock, on a wiki of their own, with students
editing through the API and updates without --as-of.
"""
from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping

import httpx
import pytest

from support.course import comparable
from support.mediawiki import TestWiki
from twowikis import (DOMAINS, USERS, Course, Facts, assert_up_to_date, at, calls, day_start, differences,
                      iso, live_wiki_with, move_page, rebuild, revision_contents, usercontribs, users_of)
from wikicourse.changes import course_changes
from wikicourse.demo.generate import RevisionFact
from wikicourse.update.cycle import UpdateReport, update_course

ONE, TWO = DOMAINS
STUDENTS, INSTRUCTOR = USERS[:11], USERS[11]
PERIOD_START = at("2024-03-04T00:00:00Z")
T1 = "2024-03-11T13:17:00Z"  # the first update of every test
T2 = "2024-03-14T19:40:00Z"
T3 = "2024-03-16T08:05:30Z"
T4 = "2024-03-18T21:12:00Z"
T5 = "2024-03-20T10:00:00Z"
HEADLINE = ("revision_count", "character_sum", "character_sum_user", "character_sum_draft", "references_count",
            "article_count", "new_article_count")


# -- the course and what it was asked ---------------------------------------------------


def new_course(engine, urls: Mapping[str, str]) -> Course:
    return Course.create(engine, urls, students=STUDENTS, instructors=[INSTRUCTOR])


def updated(course: Course, as_of: str) -> UpdateReport:
    report = course.update(as_of)
    assert report.status == "done", report
    return report


def headline(course: Course) -> dict:
    doc = course.stats()["course"]
    return {k: doc[k] for k in HEADLINE}


def latest_reasons(course: Course) -> list[tuple[str, str, str]]:
    """(kind, subject, detail) of the reasons the course's latest update recorded."""
    runs = course_changes(course.engine, course.slug, limit=1)
    return [(r["kind"], r["subject"], r["detail"]) for r in runs[0]["reasons"]] if runs else []


def assert_equals_rebuild(course: Course, as_of: str, workdir: Path, urls: Mapping[str, str]) -> None:
    """The part of assert_up_to_date that needs no oracle: no window pending, and equal to a --full rebuild."""
    doc = course.stats()
    assert not [t for t in doc["timeslices"] if t["needs_update"]], "windows left needs_update"
    full = rebuild(course, as_of, workdir, urls)
    assert comparable(doc) == full, "differs from a --full rebuild:\n" + differences(comparable(doc), full)


def reset(proxies) -> None:
    for p in proxies.values():
        p.schedule([])  # pass everything on; forget the requests seen so far


def kinds_of_requests(proxy) -> list[str]:
    # usercontribs|users: the accounts known to exist ride along with their contributions.
    return [(c.get("list") or c.get("prop") or c.get("meta") or c["action"]).removesuffix("|users")
            for c in calls(proxy)]


def contents_asked(proxy) -> set[int]:
    """Revision ids whose contents the requests through `proxy` asked for."""
    return {int(r) for c in revision_contents(proxy) if "content" in c.get("rvprop", "") and "revids" in c
            for r in c["revids"].split("|")}


# -- the revision facts, changed as the wiki changes ------------------------------------
# The oracle scores RevisionFact objects. After a change on a wiki, the facts it is given
# are changed the way the change changes what the wiki shows.


def page(facts: Iterable[RevisionFact], title: str) -> list[RevisionFact]:
    """A page's revisions, oldest first."""
    return sorted((f for f in facts if f.title == title), key=lambda f: f.timestamp)


def counted_before(f: RevisionFact, as_of: str) -> bool:
    """Would an update as of `as_of` count this revision, as the wiki was loaded?"""
    return f.user in STUDENTS and not f.deleted and PERIOD_START <= f.timestamp <= at(as_of)


def changed(facts: Facts, domain: str, which: Callable[[RevisionFact], bool], **fields) -> Facts:
    return {d: tuple(replace(f, **fields) if d == domain and which(f) else f for f in fs) for d, fs in facts.items()}


def moved(facts: Facts, domain: str, old: str, new: str, namespace: int) -> Facts:
    """A move: every revision of the page is shown under its new title and namespace."""
    return changed(facts, domain, lambda f: f.title == old, title=new, namespace=namespace)


def deleted(facts: Facts, domain: str, title: str, yes: bool = True) -> Facts:
    """A deletion (yes) or a full restore (not yes) of a page."""
    return changed(facts, domain, lambda f: f.title == title, deleted=yes)


def text_hidden(facts: Facts, domain: str, hidden: RevisionFact) -> Facts:
    """The text of `hidden` is revision-deleted: refs(text) of that revision is unknown, so
    references_added is unknown both for it and for the next revision of the page (its
    parent text is the hidden one); an unknown count adds no references. The oracle counts
    references from a fact's texts when it carries them, else from its `refs` and
    `parent_refs`: without texts and with both numbers 0, it scores references_added 0."""
    history = page(facts[domain], hidden.title)
    affected = set(history[history.index(hidden):][:2])
    return changed(facts, domain, lambda f: f in affected, text=None, parent_text=None, refs=0, parent_refs=0)


def user_hidden(facts: Facts, domain: str, hidden: RevisionFact) -> Facts:
    """The user of `hidden` is revision-deleted: the revision leaves its user's contributions,
    so no course counts it."""
    return {d: tuple(f for f in fs if not (d == domain and f == hidden)) for d, fs in facts.items()}


def renamed(facts: Facts, old: str, new: str) -> Facts:
    """A user renamed: every revision of theirs, on every wiki (usernames are global), shows the new name."""
    return {d: tuple(replace(f, user=new) if f.user == old else f for f in fs) for d, fs in facts.items()}


# -- choosing pages in the loaded histories ----------------------------------------------


def articles_edited_before(facts: Iterable[RevisionFact], as_of: str) -> list[str]:
    """Live main-space pages with revisions an update as of `as_of` counts, most counted first."""
    counts: dict[str, int] = {}
    for f in facts:
        if f.namespace == 0 and counted_before(f, as_of):
            counts[f.title] = counts.get(f.title, 0) + 1
    return sorted(counts, key=lambda t: (-counts[t], t))


def student_sandboxes(facts: Iterable[RevisionFact]) -> list[str]:
    return sorted({f.title for f in facts if f.namespace == 2 and f.title.endswith("/sandbox")})


def edit_again_that_day(facts: Iterable[RevisionFact], users: set[str], as_of: str) -> bool:
    """Do any of `users` edit after `as_of` and before its day (its window) ends?"""
    day_end = day_start(at(as_of)) + timedelta(days=1)
    return any(f.user in users and at(as_of) < f.timestamp < day_end for f in facts)


def publishable_sandbox(facts: Iterable[RevisionFact], as_of: str) -> str:
    """A student's User:Name/sandbox that they created in the period before `as_of`, with
    references an update as of then would count in main space, and whose editors do not
    edit again before the day of `as_of` ends. (An update at the same as-of reads those
    editors' whole day again; that it counts nothing after the as-of is the business of
    test_reading_a_window_again_at_the_same_as_of_counts_nothing_after_it.)"""
    facts = list(facts)
    for title in student_sandboxes(facts):
        history = page(facts, title)
        owner = title.split(":", 1)[1].split("/")[0]
        first, mine = history[0], [f for f in history if counted_before(f, as_of)]
        editors = {f.user for f in mine}
        if (first.user == owner and first.new and counted_before(first, as_of) and editors == {owner}
                and sum(f.references_added for f in mine) > 0 and not edit_again_that_day(facts, editors, as_of)):
            return title
    raise AssertionError("no sandbox to publish")


def revid(wiki: TestWiki, fact: RevisionFact, title: str | None = None) -> int:
    """The wiki's id of the revision a fact describes (an import assigns its own ids), on
    the page now at `title` if it moved."""
    return next(r["revid"] for r in wiki.page_revisions(title or fact.title) if at(r["timestamp"]) == fact.timestamp)


# -- 1. a sandbox published ------------------------------------------------------------


def test_a_sandbox_moved_into_main_space_becomes_a_new_article_fetching_only_that_pages_contents(
        new_db, pristine_wikis, proxies, proxy_urls, wiki_urls, tmp_path):
    wiki = pristine_wikis[ONE]
    facts: Facts = {d: w.facts for d, w in pristine_wikis.items()}
    sandbox = publishable_sandbox(facts[ONE], T1)
    owner = sandbox.split(":", 1)[1].split("/")[0]
    published = f"{owner} (published sandbox)"
    mine = [f for f in page(facts[ONE], sandbox) if counted_before(f, T1)]
    course = new_course(new_db(), proxy_urls)
    updated(course, T1)
    before = headline(course)

    move_page(wiki.wiki, sandbox, published)
    facts = moved(facts, ONE, sandbox, published, 0)
    reset(proxies)
    report = updated(course, T1)  # the same as-of: only the move has anything to fetch
    after = headline(course)
    chars, refs = sum(max(0, f.sizediff) for f in mine), sum(f.references_added for f in mine)
    assert refs > 0
    assert after == {**before, "article_count": before["article_count"] + 1,
                     "new_article_count": before["new_article_count"] + 1,
                     "character_sum": before["character_sum"] + chars,
                     "character_sum_user": before["character_sum_user"] - chars,
                     "references_count": before["references_count"] + refs}
    article = next(a for a in course.stats()["articles"] if a["title"] == published)
    assert (article["new_article"], article["editors"]) == (True, [owner])
    assert ("moved", published, f"from {sandbox}") in latest_reasons(course)

    # What the move cost: the logs, the owner's windows on the page read again, and the
    # contents of that page's revisions (refs are asked for in main space only).
    page_revids = {r["revid"] for r in wiki.wiki.page_revisions(published)}
    needed = {revid(wiki.wiki, f, published) for f in mine}
    assert kinds_of_requests(proxies[TWO]) == ["logevents"]
    one = calls(proxies[ONE])
    assert [c.get("list") for c in one].count("logevents") == 1
    asked = [users_of(c, proxies[ONE]) for c in usercontribs(proxies[ONE])]
    assert asked and all(users == {owner} for users in asked), asked
    assert needed <= contents_asked(proxies[ONE]) <= page_revids, (
        f"contents asked: {sorted(contents_asked(proxies[ONE]))}; the page's revisions: {sorted(page_revids)}")
    assert all(c.get("list") in ("logevents", "usercontribs", "usercontribs|users") or c.get("prop") == "revisions"
               for c in one), one
    assert report.requests == sum(p.request_count for p in proxies.values())
    assert_up_to_date(course, facts, T1, tmp_path, wiki_urls)

    updated(course, T2)  # later edits of the page count in main space
    assert_up_to_date(course, facts, T2, tmp_path, wiki_urls)


def test_reading_a_window_again_at_the_same_as_of_counts_nothing_after_it(
        new_db, pristine_wikis, facts, wiki_urls, tmp_path):
    """A sandbox moved into main space makes the next update read its editors' windows
    again. The window holding the as-of time is only partly covered: read again at the same
    as-of, its edits after the as-of must not count (a rebuild as of then does not count them)."""
    wiki = pristine_wikis[ONE]

    def editors(title: str) -> set[str]:
        return {f.user for f in page(facts[ONE], title) if counted_before(f, T1)}

    sandbox = next(t for t in student_sandboxes(facts[ONE])
                   if editors(t) and edit_again_that_day(facts[ONE], editors(t), T1))
    course = new_course(new_db(), wiki_urls)
    updated(course, T1)
    move_page(wiki.wiki, sandbox, "Published at the same as-of")
    updated(course, T1)
    assert_up_to_date(course, moved(facts, ONE, sandbox, "Published at the same as-of", 0), T1, tmp_path, wiki_urls)


# -- 2. moves within the tracked namespaces --------------------------------------------


def test_an_article_renamed_keeps_its_figures_under_the_new_title(new_db, pristine_wikis, wiki_urls, tmp_path):
    wiki = pristine_wikis[ONE]
    facts: Facts = {d: w.facts for d, w in pristine_wikis.items()}
    title = articles_edited_before(facts[ONE], T1)[0]
    new_title = f"{title} (renamed)"
    course = new_course(new_db(), wiki_urls)
    updated(course, T1)
    before, row = headline(course), next(a for a in course.stats()["articles"] if a["title"] == title)

    move_page(wiki.wiki, title, new_title)
    facts = moved(facts, ONE, title, new_title, 0)
    updated(course, T1)
    articles = {a["title"]: a for a in course.stats()["articles"] if a["wiki"] == ONE}
    assert headline(course) == before
    assert title not in articles and articles[new_title] == {**row, "title": new_title}
    assert ("moved", new_title, f"from {title}") in latest_reasons(course)
    assert_up_to_date(course, facts, T1, tmp_path, wiki_urls)

    updated(course, T2)
    assert_up_to_date(course, facts, T2, tmp_path, wiki_urls)


def test_an_article_moved_to_draft_stops_counting_as_an_article_and_its_characters_count_as_draft(
        new_db, pristine_wikis, wiki_urls, tmp_path):
    wiki = pristine_wikis[ONE]
    facts: Facts = {d: w.facts for d, w in pristine_wikis.items()}
    title = articles_edited_before(facts[ONE], T1)[1]
    draft = f"Draft:{title}"
    chars = sum(max(0, f.sizediff) for f in page(facts[ONE], title) if counted_before(f, T1))
    course = new_course(new_db(), wiki_urls)
    updated(course, T1)
    before = headline(course)

    move_page(wiki.wiki, title, draft)
    facts = moved(facts, ONE, title, draft, 118)
    updated(course, T1)
    after = headline(course)
    assert after["article_count"] == before["article_count"] - 1
    assert after["character_sum"] == before["character_sum"] - chars
    assert after["character_sum_draft"] == before["character_sum_draft"] + chars
    assert after["revision_count"] == before["revision_count"]
    assert all(a["title"] != title for a in course.stats()["articles"])
    assert ("moved", draft, f"from {title}") in latest_reasons(course)
    assert_up_to_date(course, facts, T1, tmp_path, wiki_urls)

    updated(course, T2)
    assert_up_to_date(course, facts, T2, tmp_path, wiki_urls)


def test_pages_moved_between_tracked_and_untracked_namespaces_count_as_a_rebuild_counts_them(
        new_db, pristine_wikis, wiki_urls, tmp_path):
    """A talk page moved into main space: its students' revisions were never fetched
    (contributions are asked for in namespaces 0, 2 and 118 only), and now count. An
    article moved to a talk page: its revisions stop counting."""
    facts: Facts = {d: w.facts for d, w in pristine_wikis.items()}
    domain, talk = max(sorted({(d, f.title) for d, fs in facts.items() for f in fs if f.namespace in (1, 3)}),
                       key=lambda p: sum(counted_before(f, T1) for f in page(facts[p[0]], p[1])))
    assert any(counted_before(f, T1) for f in page(facts[domain], talk)), "no talk page with student edits"
    wiki = pristine_wikis[domain].wiki
    into_main = talk.split(":", 1)[1] + " (from its talk page)"
    article = articles_edited_before(facts[domain], T1)[0]
    archived = f"Talk:{article} (archived)"
    course = new_course(new_db(), wiki_urls)
    updated(course, T1)

    move_page(wiki, talk, into_main)
    move_page(wiki, article, archived)
    facts = moved(moved(facts, domain, talk, into_main, 0), domain, article, archived, 1)
    updated(course, T2)
    titles = {a["title"] for a in course.stats()["articles"] if a["wiki"] == domain}
    assert into_main in titles and article not in titles
    assert_up_to_date(course, facts, T2, tmp_path, wiki_urls)


# -- 3-4. deletions and restores -------------------------------------------------------


def test_deleted_articles_stop_counting_and_a_restored_one_counts_again_exactly(
        new_db, pristine_wikis, wiki_urls, tmp_path):
    wiki = pristine_wikis[ONE]
    facts: Facts = {d: w.facts for d, w in pristine_wikis.items()}
    first, second = articles_edited_before(facts[ONE], T1)[:2]
    course = new_course(new_db(), wiki_urls)
    updated(course, T1)
    before = headline(course)

    wiki.wiki.delete_page(first)
    wiki.wiki.delete_page(second)
    facts = deleted(deleted(facts, ONE, first), ONE, second)
    updated(course, T1)
    after = headline(course)
    assert after["article_count"] == before["article_count"] - 2
    assert after["revision_count"] < before["revision_count"]
    assert after["character_sum"] < before["character_sum"]
    assert {("deleted", first, ""), ("deleted", second, "")} <= set(latest_reasons(course))
    assert_up_to_date(course, facts, T1, tmp_path, wiki_urls)

    wiki.wiki.undelete_page(first)
    facts = deleted(facts, ONE, first, yes=False)
    updated(course, T2)
    assert ("restored", first, "") in latest_reasons(course)
    got = next((a for a in course.stats()["articles"] if a["title"] == first), None)
    want = next(a for a in course.expected(facts, T2)["articles"] if a["title"] == first)
    assert got is not None and {k: got[k] for k in want} == want
    assert_up_to_date(course, facts, T2, tmp_path, wiki_urls)


def test_a_page_deleted_before_the_first_update_and_restored_later_counts_as_a_rebuild_counts_it(
        new_db, pristine_wikis, wiki_urls, tmp_path):
    """The wikis were loaded with some pages deleted: the course never saw them. Restored
    later, their revisions in windows already ingested count again (docs/metrics.md: what the wiki
    shows now)."""
    wiki = pristine_wikis[ONE]
    facts: Facts = {d: w.facts for d, w in pristine_wikis.items()}
    counts = {t: sum(counted_before(replace(f, deleted=False), T1) for f in page(facts[ONE], t))
              for t in {f.title for f in facts[ONE] if f.deleted and f.namespace == 0}}
    title = max(sorted(counts), key=lambda t: counts[t])
    assert counts[title] > 0, "no deleted page with student edits before T1"
    course = new_course(new_db(), wiki_urls)
    updated(course, T1)

    wiki.wiki.undelete_page(title)
    facts = deleted(facts, ONE, title, yes=False)
    updated(course, T2)
    assert_up_to_date(course, facts, T2, tmp_path, wiki_urls)


def test_a_selective_undelete_restoring_a_pages_later_revisions_equals_a_rebuild(
        new_db, pristine_wikis, wiki_urls, tmp_path):
    """Only the later revisions of a deleted page come back. The first restored revision
    keeps its parent, which stays deleted: the wiki then gives it a sizediff of its whole
    size, and it is not a creation (docs/mediawiki-past-changes.md). The facts know neither
    (their sizediff is against the parent), so the oracle cannot say what the wiki shows:
    the update is compared with a --full rebuild only, which reads what the wiki shows."""
    wiki = pristine_wikis[ONE]
    facts: Facts = {d: w.facts for d, w in pristine_wikis.items()}

    def restorable(title: str) -> int | None:
        """Where the restored part of the page starts: a student's counted revision with a parent."""
        history = page(facts[ONE], title)
        return next((i for i, f in enumerate(history) if i > 0 and counted_before(f, T1) and f.sizediff > 0), None)

    title = next(t for t in articles_edited_before(facts[ONE], T1) if restorable(t))
    history = page(facts[ONE], title)
    kept = history[restorable(title):]
    course = new_course(new_db(), wiki_urls)
    updated(course, T1)

    wiki.wiki.delete_page(title)
    updated(course, T1)
    assert all(a["title"] != title for a in course.stats()["articles"])
    wiki.wiki.undelete_page(title, timestamps=[iso(f.timestamp) for f in kept])
    restored = wiki.wiki.page_revisions(title)
    assert [at(r["timestamp"]) for r in restored] == [f.timestamp for f in kept]
    updated(course, T2)
    assert any(a["title"] == title for a in course.stats()["articles"])
    assert_equals_rebuild(course, T2, tmp_path, wiki_urls)


# -- 5. revision deletion --------------------------------------------------------------


def test_hiding_and_showing_a_revisions_text_and_its_user(new_db, pristine_wikis, wiki_urls, tmp_path):
    wiki = pristine_wikis[ONE]
    loaded: Facts = {d: w.facts for d, w in pristine_wikis.items()}
    history = {t: page(loaded[ONE], t) for t in {f.title for f in loaded[ONE]}}

    def next_of(f: RevisionFact) -> RevisionFact | None:
        h = history[f.title]
        return h[h.index(f) + 1] if h.index(f) + 1 < len(h) else None

    # Text: a student's main-space revision that added references and is not its page's
    # latest (MediaWiki cannot hide the current text), followed by a counted revision.
    hidden_text = next(f for f in loaded[ONE]
                       if f.namespace == 0 and counted_before(f, T1) and f.references_added > 0
                       and (n := next_of(f)) is not None and counted_before(n, T5))
    # User: a student's main-space revision that added characters to a page.
    hidden_user = next(f for f in loaded[ONE]
                       if f.namespace == 0 and counted_before(f, T1) and not f.new and f.sizediff > 0
                       and f.title != hidden_text.title)
    course = new_course(new_db(), wiki_urls)
    updated(course, T1)

    wiki.wiki.hide_revision(revid(wiki.wiki, hidden_text), text=True)
    updated(course, T2)
    assert ("revisions", hidden_text.title, "") in latest_reasons(course)
    assert_up_to_date(course, text_hidden(loaded, ONE, hidden_text), T2, tmp_path, wiki_urls)

    wiki.wiki.unhide_revision(revid(wiki.wiki, hidden_text), text=True)
    updated(course, T3)
    assert_up_to_date(course, loaded, T3, tmp_path, wiki_urls)

    wiki.wiki.hide_revision(revid(wiki.wiki, hidden_user), text=False, user=True)
    updated(course, T4)
    assert ("revisions", hidden_user.title, "") in latest_reasons(course)
    assert_up_to_date(course, user_hidden(loaded, ONE, hidden_user), T4, tmp_path, wiki_urls)

    wiki.wiki.unhide_revision(revid(wiki.wiki, hidden_user), text=False, user=True)
    updated(course, T5)
    assert_up_to_date(course, loaded, T5, tmp_path, wiki_urls)


# -- 6. a student renamed --------------------------------------------------------------


def test_a_renamed_student_keeps_their_data_under_the_new_name(new_db, pristine_wikis, wiki_urls, tmp_path, cli):
    facts: Facts = {d: w.facts for d, w in pristine_wikis.items()}
    old = next(u for u in STUDENTS if all(any(f.user == u and counted_before(f, T1) for f in fs)
                                          for fs in facts.values()))
    new = f"{old} Renamed-Ø"
    course = new_course(new_db(), wiki_urls)  # new_db() is the file the `cli` fixture opens
    updated(course, T1)
    mine = next(u for u in course.stats()["users"] if u["username"] == old)

    for w in pristine_wikis.values():  # usernames are global: a rename renames on every wiki
        w.wiki.rename_user(old, new)
    facts = renamed(facts, old, new)
    course.students = (course.students - {old}) | {new}
    updated(course, T1)
    users = {u["username"]: u for u in course.stats()["users"]}
    assert old not in users and users[new] == {**mine, "username": new}
    assert ("renamed", new, f"formerly {old}") in latest_reasons(course)
    assert_up_to_date(course, facts, T1, tmp_path, wiki_urls)

    updated(course, T2)
    assert_up_to_date(course, facts, T2, tmp_path, wiki_urls)
    code, out, err = cli("stats", course.slug)
    assert code == 0, err
    assert new in out and old not in out.replace(new, "")


def test_a_student_renamed_before_the_log_says_so_is_found_under_the_new_name(
        new_db, pristine_wikis, wiki_urls, tmp_path):
    """Workers share a wiki's log read for a while (log_max_age): a rename within that while is
    not in the log yet, and the old name would answer no edits. The account, known to exist,
    is checked in the same request: the update says it was renamed, takes the new name, and
    the next one reads the student under it; nothing is lost."""
    facts: Facts = {d: w.facts for d, w in pristine_wikis.items()}
    old = next(u for u in STUDENTS if all(any(f.user == u and counted_before(f, T1) for f in fs)
                                          for fs in facts.values()))
    new = f"{old} Later"
    course = new_course(new_db(), wiki_urls)
    updated(course, T1)
    for w in pristine_wikis.values():
        w.wiki.rename_user(old, new)
    facts = renamed(facts, old, new)
    course.students = (course.students - {old}) | {new}
    first = course.update(T2, log_max_age=3600)  # the log was read moments ago: not again
    assert first.status == "partial" and any("renamed" in e for e in first.errors), first
    assert {(r["kind"], r.get("subject")) for r in first.reasons} >= {("renamed", new)}
    second = course.update(T2, log_max_age=3600)
    assert second.status == "done", second
    assert_up_to_date(course, facts, T2, tmp_path, wiki_urls)


# -- 7. what following the past costs ---------------------------------------------------


def test_following_the_past_costs_one_log_read_per_wiki_and_after_changes_only_what_they_need(
        new_db, pristine_wikis, proxies, proxy_urls, wiki_urls, tmp_path):
    """Nothing changed on the wikis: an update costs what the same update costs without
    following the wikis' past (a course past its grace period is not followed), plus
    exactly one list=logevents request per wiki. After a sandbox was published, an article
    renamed, another moved to Draft and a third deleted, it costs only the publication's
    requests: the moves within the tracked namespaces and the deletion are local."""
    wiki = pristine_wikis[ONE]
    facts: Facts = {d: w.facts for d, w in pristine_wikis.items()}
    course = new_course(new_db("course"), proxy_urls)
    unfollowed = new_course(new_db("unfollowed"), proxy_urls)
    not_followed = dict(grace_days=-365)  # its end + the grace period lies before any as-of

    def cost(c: Course, as_of: str, **kw) -> tuple[dict[str, list[dict]], int]:
        reset(proxies)
        report = c.update(as_of, **kw)
        assert report.status == "done", report
        seen = {d: calls(p) for d, p in proxies.items()}
        assert report.requests == sum(len(cs) for cs in seen.values())
        return seen, report.requests

    for as_of in (T1, T1, T2):  # the first update, one at the same as-of, one later
        without, n_without = cost(unfollowed, as_of, **not_followed)
        followed, n_followed = cost(course, as_of)
        assert n_followed == n_without + 2
        for domain in DOMAINS:
            logs = [c for c in followed[domain] if c.get("list") == "logevents"]
            assert len(logs) == 1 and [c for c in followed[domain] if c not in logs] == without[domain], domain
    assert comparable(course.stats()) == comparable(unfollowed.stats())

    sandbox = publishable_sandbox(facts[ONE], T2)
    owner = sandbox.split(":", 1)[1].split("/")[0]
    renamed_title, drafted, gone = articles_edited_before(facts[ONE], T2)[:3]
    move_page(wiki.wiki, sandbox, f"{owner} (published sandbox)")
    move_page(wiki.wiki, renamed_title, f"{renamed_title} (renamed)")
    move_page(wiki.wiki, drafted, f"Draft:{drafted}")
    wiki.wiki.delete_page(gone)
    facts = moved(facts, ONE, sandbox, f"{owner} (published sandbox)", 0)
    facts = moved(facts, ONE, renamed_title, f"{renamed_title} (renamed)", 0)
    facts = deleted(moved(facts, ONE, drafted, f"Draft:{drafted}", 118), ONE, gone)
    reset(proxies)
    report = updated(course, T2)
    assert kinds_of_requests(proxies[TWO]) == ["logevents"]
    kinds = kinds_of_requests(proxies[ONE])
    assert kinds.count("logevents") == 1 and set(kinds) == {"logevents", "usercontribs", "revisions"}, kinds
    asked = [users_of(c, proxies[ONE]) for c in usercontribs(proxies[ONE])]
    assert asked and all(users == {owner} for users in asked), asked
    published = {r["revid"] for r in wiki.wiki.page_revisions(f"{owner} (published sandbox)")}
    assert contents_asked(proxies[ONE]) <= published
    assert report.requests == sum(p.request_count for p in proxies.values())
    assert_up_to_date(course, facts, T2, tmp_path, wiki_urls)


# -- 8. on the real clock --------------------------------------------------------------
# A wiki of their own (the shared ones hold 2024's histories), where students log in and
# edit through the API now, and updates run without --as-of.

LIVE = "live.test"
LIVE_STUDENTS = ["Live Student", "Łucja Żywa", "Ömer Canlı"]
SAME_SECOND = "Same Second Student"
OUTSIDER = "Not Enrolled"
LIVE_PASSWORD = "Student-Password-2024"


@pytest.fixture(scope="module")
def live_wiki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestWiki]:
    """A fresh wiki with password accounts for the students, no import; down at the end."""
    with live_wiki_with(tmp_path_factory.mktemp("live") / "wiki", LIVE_STUDENTS + [SAME_SECOND, OUTSIDER],
                        LIVE_PASSWORD) as wiki:
        yield wiki


def live_course(engine, wiki: TestWiki, students: list[str], slug: str) -> Course:
    """A course on the live wiki whose period holds today."""
    today = datetime.now(timezone.utc).date()
    return Course.create(engine, {LIVE: wiki.api_url}, students=students, start=today - timedelta(days=2),
                         end=today + timedelta(days=2), wikis=[LIVE], slug=slug)


def ref(n: int) -> str:
    return f'<ref name="s{n}">Source {n}, p. {n * 7}.</ref>'


def text(*paragraphs: str) -> str:
    return "\n\n".join(paragraphs)


def update_now(course: Course) -> UpdateReport:
    """An update without --as-of: as of now."""
    report = update_course(course.engine, course.slug)
    assert report.status == "done", report
    return report


def check_against_rebuild(course: Course, report: UpdateReport, workdir: Path, urls: Mapping[str, str]) -> None:
    """A --full rebuild as of the update's own as-of time, done right after it, gives the same statistics."""
    assert_equals_rebuild(course, report.as_of.isoformat(), workdir, urls)


def wait_for_a_new_second() -> None:
    time.sleep(1.005 - time.time() % 1)


def live_contributions(api_url: str, user: str) -> list[dict]:
    """The wiki's own list of the user's contributions in the tracked namespaces."""
    params = {"action": "query", "list": "usercontribs", "ucuser": user, "ucnamespace": "0|2|118",
              "ucprop": "ids|title|timestamp|sizediff", "uclimit": "max", "format": "json", "formatversion": "2"}
    body = httpx.get(api_url, params=params).json()
    assert "continue" not in body
    return body["query"]["usercontribs"]


def test_on_the_real_clock_updates_without_as_of_follow_edits_moves_and_deletions(live_wiki, new_db, tmp_path):
    urls = {LIVE: live_wiki.api_url}
    course = live_course(new_db(), live_wiki, LIVE_STUDENTS, "live")
    ana, lucja, omer = (live_wiki.login(name, LIVE_PASSWORD) for name in LIVE_STUDENTS)
    other = live_wiki.login(OUTSIDER, LIVE_PASSWORD)
    try:
        # Round 1: articles, a sandbox, a draft; someone not enrolled edits too.
        ana.edit("Harbour of Tartu", text("The harbour of Tartu lies on the Emajõgi." + ref(1),
                                          "It was rebuilt in 1950." + ref(2)))
        lucja.edit("User:Łucja Żywa/sandbox", text("Kaunas Tramway is a planned line." + ref(3)))
        omer.edit("Draft:Cuisine of Kochi", "Kochi's cuisine draws on the sea." + ref(4))
        other.edit("Harbour of Tartu", text("The harbour of Tartu lies on the Emajõgi river." + ref(1),
                                            "It was rebuilt in 1950." + ref(2)))
        omer.edit("Harbour of Tartu", text("The harbour of Tartu lies on the Emajõgi river." + ref(1),
                                           "It was rebuilt in 1950." + ref(2), "Ferries leave daily." + ref(5)))
        ana.edit("Siege of Tartu", "The siege of Tartu lasted three weeks." + ref(6))
        check_against_rebuild(course, update_now(course), tmp_path, urls)

        # Round 2: more edits, the sandbox published by its author's move (which leaves a
        # redirect, and a null revision by the mover), an article deleted, and an edit in
        # the very second the update starts, just before it.
        wait_for_a_new_second()  # (edits in the second of an update, after it: the next test)
        lucja.edit("User:Łucja Żywa/sandbox", text("Kaunas Tramway is a planned tram line." + ref(3),
                                                   "Construction starts in 2027." + ref(7)))
        lucja.move("User:Łucja Żywa/sandbox", "Kaunas Tramway")
        omer.edit("Draft:Cuisine of Kochi", text("Kochi's cuisine draws on the sea." + ref(4), "Fish curry."))
        live_wiki.delete_page("Siege of Tartu")
        same_second = False
        for attempt in range(5):
            wait_for_a_new_second()
            saved = ana.edit("Kaunas Tramway", text("Kaunas Tramway is a planned tram line." + ref(3),
                                                    "Construction starts in 2027." + ref(7),
                                                    f"Stops: {attempt + 12}." + ref(8)))
            report = update_now(course)
            check_against_rebuild(course, report, tmp_path, urls)
            if iso(report.as_of) == saved["newtimestamp"]:
                same_second = True
                break
        assert same_second, "no edit landed in the second its update started"

        # Round 3: edits after the publication, on the moved page and elsewhere.
        wait_for_a_new_second()
        omer.edit("Kaunas Tramway", text("Kaunas Tramway is a planned tram line." + ref(3),
                                         "Construction starts in 2027." + ref(7), "Stops: 16." + ref(8),
                                         "The depot is in Šilainiai." + ref(9)))
        lucja.edit("Harbour of Tartu", text("The harbour of Tartu lies on the Emajõgi river." + ref(1),
                                            "It was rebuilt in 1950 and 1994." + ref(2),
                                            "Ferries leave daily." + ref(5)))
        report = update_now(course)
        check_against_rebuild(course, report, tmp_path, urls)
    finally:
        for session in (ana, lucja, omer, other):
            session.close()

    # Every revision the students made is counted, as the wiki itself lists them.
    doc = course.stats()
    users = {u["username"]: u for u in doc["users"]}
    total = 0
    for name in LIVE_STUDENTS:
        contribs = live_contributions(live_wiki.api_url, name)
        total += len(contribs)
        by_ns = {ns: sum(max(0, c["sizediff"]) for c in contribs if c["ns"] == ns) for ns in (0, 2, 118)}
        got = users[name]
        assert (got["revision_count"], got["character_sum_ms"], got["character_sum_us"],
                got["character_sum_draft"]) == (len(contribs), by_ns[0], by_ns[2], by_ns[118]), (name, contribs)
    assert doc["course"]["revision_count"] == total
    assert {a["title"] for a in doc["articles"]} == {"Harbour of Tartu", "Kaunas Tramway"}
    assert next(a for a in doc["articles"] if a["title"] == "Kaunas Tramway")["new_article"] is True


def test_an_edit_in_the_second_of_an_update_after_it_counts_at_the_next_update_in_that_second(
        live_wiki, new_db, tmp_path):
    """An update without --as-of counts every revision timestamped in its second, but it
    runs before that second ends: an edit saved later in the same second is not in what it
    fetched. A second update within that second (another worker, a second click) must not
    take the second as done: a rebuild as of that second counts the edit."""
    urls = {LIVE: live_wiki.api_url}
    course = live_course(new_db(), live_wiki, [SAME_SECOND], "same-second")
    with live_wiki.login(SAME_SECOND, LIVE_PASSWORD) as student:
        student.edit("Tartu Town Hall", "Tartu Town Hall stands on the square." + ref(1))
        for attempt in range(30):  # a busy machine may need several tries to fit all three in a second
            wait_for_a_new_second()
            first = update_now(course)
            saved = student.edit("Tartu Town Hall", f"Tartu Town Hall stands on the square ({attempt})." + ref(1))
            second = update_now(course)
            if iso(first.as_of) == saved["newtimestamp"] == iso(second.as_of):
                break
        else:
            raise AssertionError("could not fit an update, an edit and an update into one second")
    check_against_rebuild(course, second, tmp_path, urls)
    assert course.stats()["course"]["revision_count"] == len(live_contributions(live_wiki.api_url, SAME_SECOND))
