"""The update cycle (docs/update-cycle.md), beyond the reference system: what updates cost the wikis, counted on real
MediaWikis through pass-through proxies. Removing a user costs no request; adding one
costs only that user's revisions; an update with nothing new costs one usercontribs
request per wiki and user batch, and no revision contents (the refs cache). Every update
also reads each wiki's log once (docs/wiki-past.md): one list=logevents request while the wiki's
past does not change. A date or timeslice edit costs only the days no update read (docs/shared-ingestion.md).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import pytest

from support import oracle
from support.course import comparable
from wikicourse.campaign_stats import campaign_stats
from wikicourse.campaigns import add_courses, create_campaign
from wikicourse.models.course import HEADLINE
from wikicourse import courses
from wikicourse.sources.base import TRACKED_NAMESPACES
from twowikis import (DOMAINS, QUIET, START, USERS, Course, assert_up_to_date, at, calls, day_start, iso, quiet_hour,
                      revision_contents, usercontribs, users_of)

T1 = "2024-03-11T13:17:00Z"
T2 = "2024-03-14T19:40:00Z"
LATER = "2024-03-20T08:00:00Z"  # past every end the date tests give, within their grace period
PERIOD_START = "2024-03-04T00:00:00Z"


def reset(proxies) -> None:
    for p in proxies.values():
        p.schedule([])  # pass everything on; forget the requests seen so far


def log_reads(proxy) -> list[dict[str, str]]:
    return [c for c in calls(proxy) if c.get("list") == "logevents"]


def test_disenrolling_students_then_updating_at_the_same_as_of_sends_no_request(
        new_db, proxies, proxy_urls, facts, wiki_urls, tmp_path):
    course = Course.create(new_db(), proxy_urls, students=USERS[:8], instructors=[USERS[11]])
    assert course.update(T1).status == "done"
    course.disenroll(USERS[2:4])
    reset(proxies)
    report = course.update(T1)
    assert (report.status, report.removed_users) == ("done", 2)
    # Nothing but each wiki's log, read once: the removal itself costs no request.
    assert report.requests == 2
    assert {d: [c.get("list") for c in calls(p)] for d, p in proxies.items()} == {d: ["logevents"] for d in proxies}
    assert_up_to_date(course, facts, T1, tmp_path, wiki_urls)


def test_an_update_after_disenrolling_sends_only_the_ingestion_point_requests(
        new_db, proxies, proxy_urls, facts, wiki_urls, tmp_path):
    removed, kept = USERS[2:4], USERS[:2] + USERS[4:8]
    course = Course.create(new_db("course"), proxy_urls, students=USERS[:8], instructors=[USERS[11]])
    course.update(T1)
    course.disenroll(removed)
    course.update(T1)
    reset(proxies)
    report = course.update(T2)
    seen = {d: calls(p) for d, p in proxies.items()}
    contribs = {d: usercontribs(p) for d, p in proxies.items()}
    assert report.status == "done"
    assert report.requests == sum(len(c) for c in seen.values())
    for domain in DOMAINS:
        # One wide request per wiki from where the store's reads end (the second after T1:
        # T1's own second counted) to T2, for the students still enrolled.
        # T2 itself counts: ucend is inclusive.
        assert [(c["ucstart"], c["ucend"], users_of(c, proxies[domain])) for c in contribs[domain]] == [
            ("2024-03-11T13:17:01Z", "2024-03-14T19:40:00Z", set(kept))], domain
        assert all(c.get("list") in ("usercontribs", "usercontribs|users", "logevents", None)
                   and c.get("prop") in ("revisions", None)
                   for c in seen[domain]), seen[domain]
        assert len(log_reads(proxies[domain])) == 1
    assert_up_to_date(course, facts, T2, tmp_path, wiki_urls)

    # The same updates of a course that never had the removed students cost no less.
    control = Course.create(new_db("control"), proxy_urls, students=kept, instructors=[USERS[11]])
    control.update(T1)
    reset(proxies)
    control_report = control.update(T2)
    assert {d: usercontribs(p) for d, p in proxies.items()} == contribs
    assert report.requests <= control_report.requests
    assert comparable(course.stats()) == comparable(control.stats())


def test_enrolling_a_student_fetches_only_that_students_revisions(
        new_db, proxies, proxy_urls, facts, wiki_urls, tmp_path):
    old, new, newer = USERS[:6], USERS[6], USERS[7]
    course = Course.create(new_db(), proxy_urls, students=old, instructors=[USERS[11]])
    course.update(T1)
    course.enroll([new])
    reset(proxies)
    assert course.update(T2).status == "done"
    for domain, proxy in proxies.items():
        by_start = defaultdict(set)
        for c in usercontribs(proxy):
            assert c["ucend"] == "2024-03-14T19:40:00Z"
            by_start[c["ucstart"]] |= users_of(c, proxy)
        # The whole period is asked for the new student alone; the others from where their
        # last read ended only (the second after T1), without the new student.
        assert dict(by_start) == {PERIOD_START: {new}, "2024-03-11T13:17:01Z": set(old)}, domain
    assert_up_to_date(course, facts, T2, tmp_path, wiki_urls)

    # Enrolled and updated at the same as-of: nobody else is asked about at all.
    course.enroll([newer])
    reset(proxies)
    report = course.update(T2)
    for domain, proxy in proxies.items():
        assert [(c["ucstart"], users_of(c, proxy)) for c in usercontribs(proxy)] == [(PERIOD_START, {newer})], domain
    assert report.requests == sum(p.request_count for p in proxies.values())
    assert [p.max_in_flight for p in proxies.values()] == [1, 1], "requests to one wiki overlapped"
    assert_up_to_date(course, facts, T2, tmp_path, wiki_urls)


def test_an_update_with_nothing_new_costs_one_usercontribs_request_per_wiki_and_user_batch(
        new_db, proxies, proxy_urls, facts, wiki_urls, tmp_path):
    # 56 students: two usercontribs batches (50 + 6) per wiki.
    students = USERS[:11] + QUIET
    t = quiet_hour(facts, at("2024-03-13T10:00:00Z"))
    before, after = iso(t), iso(t + timedelta(minutes=59))
    course = Course.create(new_db(), proxy_urls, students=students, instructors=[USERS[11]])
    assert course.update(before).status == "done"
    reset(proxies)
    report = course.update(after)
    assert report.status == "done"
    assert report.requests == 6  # per wiki: 2 usercontribs batches and 1 log read
    for domain, proxy in proxies.items():
        assert not revision_contents(proxy), "refs of known revisions were fetched again"
        batches = usercontribs(proxy)
        assert len(batches) == 2 and len(log_reads(proxy)) == 1 and len(calls(proxy)) == 3, domain
        assert sorted(len(users_of(c, proxy)) for c in batches) == [6, 50]
        assert set().union(*(users_of(c, proxy) for c in batches)) == set(students)
        # From where the last update's reads ended: the second after it.
        assert {c["ucstart"] for c in batches} == {iso(t + timedelta(seconds=1))}
        assert proxy.max_in_flight == 1, "requests to one wiki overlapped"
    assert_up_to_date(course, facts, after, tmp_path, wiki_urls)


def test_a_revision_with_hidden_text_is_not_asked_for_again_by_every_update(
        new_db, pristine_wikis, proxies, proxy_urls, facts, tmp_path):
    """An admin hid the text of a student's revision (revision deletion): the revision still
    counts (usercontribs lists it), but its content can never be had. That is worth knowing
    once; asking again costs a prop=revisions request on every update that re-reads its window."""
    students = USERS[:11]
    wiki = pristine_wikis[DOMAINS[0]]
    last = {f.title: f.timestamp for f in wiki.facts}  # each page's latest revision (facts come oldest first)
    hidden, t = None, None
    for day in range(5, 20):  # a quiet hour after a student revision of the same day that can be hidden
        t = quiet_hour(facts, at(f"2024-03-{day:02d}T12:00:00Z"))
        if t.day != day:
            continue
        candidates = [f for f in wiki.facts if f.user in students and not f.deleted and f.namespace in (0, 2, 118)
                      and day_start(t) <= f.timestamp < t and last[f.title] > f.timestamp]
        if candidates:
            hidden = candidates[0]
            break
    assert hidden is not None, "no student revision to hide"
    revid = next(r["revid"] for r in wiki.wiki.page_revisions(hidden.title)
                 if at(r["timestamp"]) == hidden.timestamp)
    wiki.wiki.hide_revision_text(revid)

    course = Course.create(new_db(), proxy_urls, students=students, instructors=[USERS[11]])
    assert course.update(iso(t)).status == "done"
    reset(proxies)
    report = course.update(iso(t + timedelta(minutes=59)))
    assert report.status == "done"
    assert not revision_contents(proxies[DOMAINS[0]]), (
        f"revision {revid} (text hidden) was asked for again: {revision_contents(proxies[DOMAINS[0]])}")
    assert report.requests == 4  # per wiki: one usercontribs, one log read


def test_a_course_whose_students_another_course_follows_asks_the_wikis_only_for_the_others(
        new_db, proxies, proxy_urls, facts, wiki_urls, tmp_path):
    """The shared store (docs/shared-ingestion.md): contributions are fetched once per wiki
    and user, whichever course needs them. A second course sharing half its roster, over
    part of the first one's period, asks for its own students alone; both courses' figures
    stay those of a rebuild."""
    engine = new_db()
    first = Course.create(engine, proxy_urls, students=USERS[:8], instructors=[USERS[11]])
    assert first.update(T2).status == "done"
    second = Course.create(engine, proxy_urls, slug="second", students=USERS[4:11],
                           start=at(PERIOD_START).date() + timedelta(days=3))
    reset(proxies)
    report = second.update(T2)
    assert report.status == "done"
    # The revisions read are the three new students' alone.
    assert report.revisions == sum(1 for domain in DOMAINS for f in facts[domain] if f.user in USERS[8:11]
                                   and at("2024-03-07T00:00:00Z") <= f.timestamp <= at(T2) and not f.deleted
                                   and f.namespace in TRACKED_NAMESPACES)
    for domain, proxy in proxies.items():
        asked = [(c["ucstart"], c["ucend"], users_of(c, proxy)) for c in usercontribs(proxy)]
        assert asked == [("2024-03-07T00:00:00Z", "2024-03-14T19:40:00Z", set(USERS[8:11]))], domain
    assert_up_to_date(second, facts, T2, tmp_path, wiki_urls)
    assert_up_to_date(first, facts, T2, tmp_path, wiki_urls)

    # Dis-enrolled from the first course, still in the second: the first drops them with no
    # request; the second keeps counting them from the store.
    first.disenroll(USERS[4:6])
    reset(proxies)
    assert first.update(T2).requests == 2  # each wiki's log, nothing else
    assert_up_to_date(first, facts, T2, tmp_path, wiki_urls)
    assert_up_to_date(second, facts, T2, tmp_path, wiki_urls)

    # A campaign of both counts the union of their revisions: each once (docs/campaigns.md).
    create_campaign(engine, "both", title="Both")
    add_courses(engine, "both", [first.slug, second.slug])
    doc = campaign_stats(engine, "both")
    rosters = [dict(students=c.students, start=c.start, end=c.end, wikis=c.wikis, as_of=T2) for c in (first, second)]
    want = oracle.expected_campaign(facts, rosters)["campaign"]
    assert {f: doc["campaign"][f] for f in HEADLINE} == want
    assert want["revision_count"] < sum(c.stats()["course"]["revision_count"] for c in (first, second))


def test_date_and_grid_changes_fetch_only_the_days_the_store_lacks(
        new_db, proxies, proxy_urls, facts, wiki_urls, tmp_path):
    """A start moved earlier costs its new days alone; a new timeslice length costs no
    contributions request: the course's finest grain is rebuilt from the shared store."""
    course = Course.create(new_db(), proxy_urls, students=USERS[:8], start=at(PERIOD_START).date() + timedelta(days=4))
    assert course.update(T2).status == "done"
    course.edit(start=at(PERIOD_START).date())
    reset(proxies)
    assert course.update(T2).status == "done"
    for domain, proxy in proxies.items():
        assert [(c["ucstart"], c["ucend"], users_of(c, proxy)) for c in usercontribs(proxy)] == [
            (PERIOD_START, "2024-03-07T23:59:59Z", set(USERS[:8]))], domain
    assert_up_to_date(course, facts, T2, tmp_path, wiki_urls)

    courses.edit_course(course.engine, course.slug, timeslice_days=3)
    course.timeslice_days = 3
    reset(proxies)
    report = course.update(T2)
    assert report.status == "done" and report.requests == 2  # the wikis' logs alone
    assert_up_to_date(course, facts, T2, tmp_path, wiki_urls)


# -- date edits: each is local (docs/shared-ingestion.md); only days no update read cost requests ----------


def only_the_logs(proxies) -> bool:
    """Each wiki was asked for its log once, and nothing else."""
    return all([c.get("list") for c in calls(p)] == ["logevents"] for p in proxies.values())


def contents_asked(proxy) -> set[int]:
    """The revisions whose content the wiki was asked for."""
    return {int(r) for c in revision_contents(proxy) for r in c["revids"].split("|")}


def listed(facts, users, start: str, end: str) -> int:
    """The revisions usercontribs lists of `users` on both wikis with start <= timestamp < end."""
    return sum(1 for fs in facts.values() for f in fs if f.user in users and at(start) <= f.timestamp < at(end)
               and not f.deleted and f.namespace in TRACKED_NAMESPACES)


def edit_grid(course: Course, *, start: date | None = None, end: date | None = None, days: int) -> None:
    """Dates and the timeslice length changed in one edit."""
    courses.edit_course(course.engine, course.slug, start=start, end=end, timeslice_days=days)
    course.start, course.end, course.timeslice_days = start or course.start, end or course.end, days


@pytest.mark.parametrize("days", [1, 3])
def test_an_end_moved_earlier_costs_only_the_logs(new_db, proxies, proxy_urls, facts, wiki_urls, tmp_path, days):
    """The windows after the new end go; with 3-day windows the end cuts the window of
    03-10 short, which is taken again from the store. The course's figures drop, and no
    contributions nor contents are asked for, at the same as-of or a later one."""
    course = Course.create(new_db(), proxy_urls, students=USERS[:8], timeslice_days=days)
    assert course.update(T2).status == "done"
    course.edit(end=date(2024, 3, 11))
    for as_of in (T2, LATER):
        reset(proxies)
        report = course.update(as_of)
        assert (report.status, report.requests, report.revisions) == ("done", 2, 0), as_of
        assert only_the_logs(proxies), {d: calls(p) for d, p in proxies.items()}
        assert_up_to_date(course, facts, as_of, tmp_path, wiki_urls)
        if as_of == T2:  # the edit did drop the days after 03-11
            before, after = report.figures["revision_count"]
            assert before - after == listed(facts, USERS[:8], "2024-03-12T00:00:00Z", "2024-03-14T19:40:01Z")


def test_an_end_moved_later_while_the_course_runs_costs_what_any_update_costs(
        new_db, proxies, proxy_urls, facts, wiki_urls, tmp_path):
    course = Course.create(new_db(), proxy_urls, students=USERS[:8], end=date(2024, 3, 16))
    assert course.update(T1).status == "done"
    course.edit(end=date(2024, 3, 20))
    reset(proxies)
    assert course.update(T2).status == "done"
    for domain, proxy in proxies.items():
        # From where the last read ended (the second after T1) to T2, as without the edit.
        assert [(c["ucstart"], c["ucend"], users_of(c, proxy)) for c in usercontribs(proxy)] == [
            ("2024-03-11T13:17:01Z", T2, set(USERS[:8]))], domain
    assert_up_to_date(course, facts, T2, tmp_path, wiki_urls)


@pytest.mark.parametrize("days", [1, 3])
def test_an_end_moved_later_past_the_as_of_fetches_only_the_added_days(
        new_db, proxies, proxy_urls, facts, wiki_urls, tmp_path, days):
    """The course was read to its end (03-11; with 3-day windows its last window, 03-10, is
    clipped to two days and now grows): the update asks for the added days alone, and for
    no content it asked for before."""
    course = Course.create(new_db(), proxy_urls, students=USERS[:8], end=date(2024, 3, 11), timeslice_days=days)
    assert course.update(T2).status == "done"
    asked = {d: contents_asked(p) for d, p in proxies.items()}
    course.edit(end=date(2024, 3, 18))
    reset(proxies)
    report = course.update(LATER)
    assert report.status == "done"
    assert report.revisions == listed(facts, USERS[:8], "2024-03-12T00:00:00Z", "2024-03-19T00:00:00Z")
    for domain, proxy in proxies.items():
        assert [(c["ucstart"], c["ucend"], users_of(c, proxy)) for c in usercontribs(proxy)] == [
            ("2024-03-12T00:00:00Z", "2024-03-18T23:59:59Z", set(USERS[:8]))], domain
        assert contents_asked(proxy) and not contents_asked(proxy) & asked[domain], domain
    assert_up_to_date(course, facts, LATER, tmp_path, wiki_urls)


@pytest.mark.parametrize("days", [1, 3])
def test_a_start_moved_later_then_back_costs_only_the_logs(
        new_db, proxies, proxy_urls, facts, wiki_urls, tmp_path, days):
    """The windows before the new start go (with 3-day windows, 03-08 is off the old grid:
    the windows are cut anew from the store). Moved back, the course finds the days it had
    dropped still in the store: the wikis are asked for nothing but their logs."""
    course = Course.create(new_db(), proxy_urls, students=USERS[:8], timeslice_days=days)
    assert course.update(T2).status == "done"
    for start in (date(2024, 3, 8), START):
        course.edit(start=start)
        reset(proxies)
        report = course.update(T2)
        assert (report.status, report.requests, report.revisions) == ("done", 2, 0), start
        assert only_the_logs(proxies), {d: calls(p) for d, p in proxies.items()}
        assert_up_to_date(course, facts, T2, tmp_path, wiki_urls)
        before, after = report.figures["revision_count"]
        assert abs(after - before) == listed(facts, USERS[:8], PERIOD_START, "2024-03-08T00:00:00Z"), start


def test_start_end_and_timeslice_length_moved_in_one_edit_fetch_only_the_added_days(
        new_db, proxies, proxy_urls, facts, wiki_urls, tmp_path):
    """Start later, end later and 2-day windows at once: the days after the old end (from
    the middle of the new window of 03-11) are the only ones asked for. Then start back
    earlier, end earlier and 3-day windows: held by the store, they cost the logs alone."""
    course = Course.create(new_db(), proxy_urls, students=USERS[:8], end=date(2024, 3, 11))
    assert course.update(T2).status == "done"
    asked = {d: contents_asked(p) for d, p in proxies.items()}
    edit_grid(course, start=date(2024, 3, 5), end=date(2024, 3, 18), days=2)
    reset(proxies)
    report = course.update(LATER)
    assert report.status == "done"
    assert report.revisions == listed(facts, USERS[:8], "2024-03-12T00:00:00Z", "2024-03-19T00:00:00Z")
    for domain, proxy in proxies.items():
        assert [(c["ucstart"], c["ucend"], users_of(c, proxy)) for c in usercontribs(proxy)] == [
            ("2024-03-12T00:00:00Z", "2024-03-18T23:59:59Z", set(USERS[:8]))], domain
        assert not contents_asked(proxy) & asked[domain], domain
    assert_up_to_date(course, facts, LATER, tmp_path, wiki_urls)

    edit_grid(course, start=START, end=date(2024, 3, 15), days=3)
    reset(proxies)
    report = course.update(LATER)
    assert (report.status, report.requests, report.revisions) == ("done", 2, 0)
    assert only_the_logs(proxies), {d: calls(p) for d, p in proxies.items()}
    assert_up_to_date(course, facts, LATER, tmp_path, wiki_urls)
