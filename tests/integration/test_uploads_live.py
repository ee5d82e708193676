"""Uploads on real MediaWikis with uploads enabled (docs/uploads.md): past uploads imported with
importImages.php (--user, --timestamp), students uploading live through action=upload with
their own accounts, an instructor's upload, an overwrite, pages embedding the files, a file
deleted. After every update the upload figures equal those the oracle below computes from
what the test did (not by wikicourse's code), and those of a --full rebuild in a fresh
database; a student dis-enrolled, the start moved, a wiki removed and --full keep that true.

Neither test wiki has GlobalUsage: the course says so (global_usage false) and counts local
usage only. Runs on SQLite and PostgreSQL; request costs are printed with -s.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Iterator

import httpx
import pytest
from sqlalchemy import select

from support.cli import wikicourse_cli
from support.course import comparable
from support.mediawiki import TestWiki, uploads_settings
from support.pictures import png, write_pngs
from twowikis import free_port
from wikicourse import campaigns, courses
from wikicourse.campaign_stats import campaign_stats
from wikicourse.db import open_db
from wikicourse.models.tables import upload_files
from wikicourse.removal import removal_preview
from wikicourse.stats import course_stats
from wikicourse.update.cycle import update_course
from wikicourse.uploads import count_uploads, course_uploads_list
from wikicourse.wikis import add_wiki

ONE, TWO = "files-one.test", "files-two.test"
UNA, PIA, IVO = "Una Upload", "Pia Picture", "Ivo Instructor"
PASSWORD = "Uploader-Password-2024"
START = date(2024, 3, 1)
DAYS = 30  # windows of 30 days: the course runs from 2024 to today
FIGURES = ("upload_count", "uploads_in_use_count", "upload_usages_count")


@pytest.fixture
def wikis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, TestWiki]]:
    """Two fresh wikis for each database: the test's uploads and log are its own."""
    started = []
    try:
        for domain in (ONE, TWO):
            root = tmp_path_factory.mktemp(domain.split(".")[0]) / "wiki"
            wiki = TestWiki(root, free_port(), settings=uploads_settings(root))
            wiki.up()
            started.append(wiki)
            wiki.create_users([UNA, PIA, IVO], password=PASSWORD)
        yield dict(zip((ONE, TWO), started))
    finally:
        for wiki in started:
            wiki.down()


@dataclass
class Oracle:
    """What the test did on the wikis, and the figures docs/uploads.md defines from it."""

    uploads: dict[tuple[str, str], tuple[str, datetime]] = field(default_factory=dict)  # (wiki, file) -> by, when
    used_by: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # (wiki, file) -> pages using it
    deleted: set[tuple[str, str]] = field(default_factory=set)

    def uploaded(self, wiki: str, name: str, user: str, when: datetime) -> None:
        self.uploads[(wiki, name)] = (user, when)

    def embed(self, wiki: str, page: str, names: list[str]) -> None:
        for key in self.used_by.values():
            key.discard(f"{wiki}|{page}")
        for name in names:
            self.used_by.setdefault((wiki, name), set()).add(f"{wiki}|{page}")

    def figures(self, students: set[str], wikis: set[str], start: date, as_of: datetime, user: str | None = None):
        first = datetime.combine(start, datetime.min.time(), tzinfo=timezone.utc)
        counted = [k for k, (who, when) in self.uploads.items()
                   if who in students and k[0] in wikis and first <= when <= as_of and k not in self.deleted
                   and (user is None or who == user)]
        uses = [len(self.used_by.get(k, ())) for k in counted]
        return {"upload_count": len(counted), "uploads_in_use_count": sum(1 for u in uses if u),
                "upload_usages_count": sum(uses)}


def logged(wiki: TestWiki, count: int) -> None:
    """Wait until the wiki's upload log shows `count` entries: MediaWiki writes an upload's entry
    after answering it, and the oracle takes the wiki as its log shows it."""
    params = {"action": "query", "list": "logevents", "letype": "upload", "lelimit": "max", "format": "json",
              "formatversion": "2"}
    for _ in range(100):
        if len(httpx.get(wiki.api_url, params=params).json()["query"]["logevents"]) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"the upload log of {wiki.api_url} never showed {count} entries")


def ts(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)


def rebuilt(wikis, folder, label: str, *, start, end, domains, students, as_of) -> dict:
    engine = open_db(f"sqlite:///{folder / f'full-{label}.sqlite'}")
    try:
        for domain in (ONE, TWO):
            add_wiki(engine, domain, wikis[domain].api_url)
        courses.create_course(engine, "files", title="Files", start=start, end=end, wikis=domains,
                              timeslice_days=DAYS)
        assert count_uploads(engine, "files", True)
        courses.enroll(engine, "files", students)
        courses.enroll(engine, "files", [IVO], role="instructor")
        assert update_course(engine, "files", as_of=as_of, full=True).status == "done"
        return comparable(course_stats(engine, "files"))
    finally:
        engine.dispose()


def test_uploads_follow_students_files_and_usage_on_live_wikis(wikis, tmp_path, any_url):
    one, two = wikis[ONE], wikis[TWO]
    oracle = Oracle()
    end = datetime.now(timezone.utc).date() + timedelta(days=2)
    engine = open_db(any_url)
    costs: dict[str, tuple[int, int, int, int]] = {}
    state = {"start": START, "domains": [ONE, TWO], "students": [UNA, PIA]}

    def update(label: str, full: bool = False) -> dict:
        report = update_course(engine, "files", full=full)
        assert report.status == "done", report.errors
        up = report.uploads
        costs[label] = (report.requests, up.requests, up.probes, up.log_reads)
        doc = course_stats(engine, "files")
        students = set(state["students"])
        assert {f: doc["course"][f] for f in FIGURES} == oracle.figures(
            students, set(state["domains"]), state["start"], report.as_of), label
        for u in doc["users"]:
            want = oracle.figures(students, set(state["domains"]), state["start"], report.as_of, user=u["username"])
            assert {f: u[f] for f in FIGURES} == want, (label, u["username"])
        # The windows add up to the course (one row per file in the finest grain).
        assert {f: sum(t[f] for t in doc["timeslices"]) for f in FIGURES} == {f: doc["course"][f] for f in FIGURES}
        assert doc["course"]["global_usage"] == {d: False for d in state["domains"]}
        assert comparable(doc) == rebuilt(wikis, tmp_path, label.replace(" ", "-"), start=state["start"], end=end,
                                          domains=state["domains"], students=state["students"], as_of=report.as_of)
        return doc

    sessions = {name: one.login(name, PASSWORD) for name in (UNA, PIA, IVO)}
    try:
        for domain in (ONE, TWO):
            add_wiki(engine, domain, wikis[domain].api_url)
        courses.create_course(engine, "files", title="Files", start=START, end=end, wikis=[ONE, TWO],
                              timeslice_days=DAYS)
        assert count_uploads(engine, "files", True) and not count_uploads(engine, "files", True)
        courses.enroll(engine, "files", [UNA, PIA])
        courses.enroll(engine, "files", [IVO], role="instructor")

        # Past uploads, imported with their dates: one before the course, one by the instructor.
        one.import_images(write_pngs(tmp_path / "una", ["Harbour crane.png", "Old quay.png"], 1), UNA,
                          "20240305100000")
        oracle.uploaded(ONE, "Harbour crane.png", UNA, ts("20240305100000"))
        oracle.uploaded(ONE, "Old quay.png", UNA, ts("20240305100000"))
        one.import_images(write_pngs(tmp_path / "pia", ["Lighthouse.png"], 2), PIA, "20240410120000")
        oracle.uploaded(ONE, "Lighthouse.png", PIA, ts("20240410120000"))
        one.import_images(write_pngs(tmp_path / "early", ["Before the course.png"], 3), UNA, "20240201000000")
        oracle.uploaded(ONE, "Before the course.png", UNA, ts("20240201000000"))
        one.import_images(write_pngs(tmp_path / "ivo", ["Syllabus map.png"], 4), IVO, "20240306000000")
        oracle.uploaded(ONE, "Syllabus map.png", IVO, ts("20240306000000"))
        two.import_images(write_pngs(tmp_path / "two", ["Ferry.png"], 5), UNA, "20240320080000")
        oracle.uploaded(TWO, "Ferry.png", UNA, ts("20240320080000"))
        # Live uploads through the API, and pages embedding files.
        for name, who, colour in (("Tug boat.png", UNA, (200, 10, 10)), ("Buoy.png", PIA, (10, 200, 10))):
            info = sessions[who].upload(name, png(48, 32, colour), text="A picture for the course.")
            oracle.uploaded(ONE, name, who, datetime.fromisoformat(info["imageinfo"]["timestamp"]
                                                                   .replace("Z", "+00:00")))
        sessions[UNA].upload("Old quay.png", png(40, 30, (1, 2, 3)))  # an overwrite: no new file
        logged(one, 8)
        sessions[IVO].edit("Harbour", "[[File:Harbour crane.png|thumb]] [[File:Syllabus map.png]]")
        sessions[PIA].edit("Lighthouses", "[[File:Lighthouse.png]] [[File:Harbour crane.png]] [[File:Buoy.png]]")
        oracle.embed(ONE, "Harbour", ["Harbour crane.png", "Syllabus map.png"])
        oracle.embed(ONE, "Lighthouses", ["Lighthouse.png", "Harbour crane.png", "Buoy.png"])

        doc = update("first update")
        assert [doc["course"][f] for f in FIGURES] == [6, 3, 4]  # the six new files; three used, on four pages
        listed = course_uploads_list(engine, "files")["uploads"]
        assert {u["title"] for u in listed} == {"File:Harbour crane.png", "File:Old quay.png", "File:Lighthouse.png",
                                                "File:Tug boat.png", "File:Buoy.png", "File:Ferry.png"}
        for u in listed:  # thumbnails and file pages straight from the wiki that holds the file
            base = f"http://127.0.0.1:{wikis[u['wiki']].port}/"
            assert u["thumb_url"].startswith(base + "img_auth.php/") and u["file_url"].startswith(base)
        shown = wikicourse_cli(any_url, "uploads", "files")
        assert shown.returncode == 0 and "Files (files): 6 new files, 3 in use, 4 usages (no GlobalUsage on " \
            f"{ONE}, {TWO}" in shown.stdout and "File:Tug boat.png" in shown.stdout, shown.stderr
        assert "uploads: 6 new files, 3 in use, 4 usages" in wikicourse_cli(any_url, "stats", "files").stdout
        with engine.connect() as conn:  # no GlobalUsage on these wikis: none counted, none pretended
            assert set(conn.scalars(select(upload_files.c.global_usage))) == {None}

        # A campaign of this course and another counting one of its students: each file once.
        courses.create_course(engine, "una", title="Una's", start=START, end=end, wikis=[ONE], timeslice_days=DAYS)
        courses.enroll(engine, "una", [UNA])
        count_uploads(engine, "una", True)
        shared = update_course(engine, "una")
        # The store is shared: the probe asks only from where the course above left Una (its last
        # minutes, read again: uploads.LOG_LAG); her file pages there are new, so her log is read
        # once, over the period (one request): her four entries on the wiki.
        assert shared.status == "done" and (shared.uploads.probes, shared.uploads.log_reads) == (1, 1)
        assert shared.uploads.uploads == 4
        campaigns.create_campaign(engine, "harbours", title="Harbours")
        campaigns.add_courses(engine, "harbours", ["files", "una"])
        union = campaign_stats(engine, "harbours")
        as_of = max(datetime.fromisoformat(c["last_update"].replace("Z", "+00:00")) for c in union["courses"])
        assert {f: union["campaign"][f] for f in FIGURES} == oracle.figures({UNA, PIA}, {ONE, TWO}, START, as_of)
        assert {f: c[f] for c in union["courses"] if c["slug"] == "una" for f in FIGURES} == oracle.figures(
            {UNA}, {ONE}, START, as_of)
        # The dis-enrollment preview: the upload figures Una takes along, as the next update will.
        last = datetime.fromisoformat(course_stats(engine, "files", ("course",))["course"]["last_update"]
                                      .replace("Z", "+00:00"))
        preview = removal_preview(engine, "files", [UNA])
        assert {f: preview["after"][f] for f in FIGURES} == oracle.figures({PIA}, {ONE, TWO}, START, last)
        assert {f: preview["before"][f] - preview["after"][f] for f in FIGURES} == {f: preview["loses"][f] for f in FIGURES}
        assert preview["loses"]["upload_count"] > 0
        # Figures as of a day: the windows ending by then (30 days from March 1: through March 30).
        march_30 = datetime(2024, 3, 30, 23, 59, 59, tzinfo=timezone.utc)
        until = course_stats(engine, "files", ("course",), until=date(2024, 3, 30))["course"]
        assert {f: until[f] for f in FIGURES} == oracle.figures({UNA, PIA}, {ONE, TWO}, START, march_30)
        dated = {c["slug"]: {f: c[f] for f in FIGURES}
                 for c in campaign_stats(engine, "harbours", until=date(2024, 3, 30))["courses"]}
        assert dated == {"files": oracle.figures({UNA, PIA}, {ONE, TWO}, START, march_30),
                         "una": oracle.figures({UNA}, {ONE}, START, march_30)}
        update("nothing new")
        # A file deleted; another one put to use; a page no longer embedding one.
        one.delete_page("File:Lighthouse.png")
        oracle.deleted.add((ONE, "Lighthouse.png"))
        sessions[UNA].edit("Tugs", "[[File:Tug boat.png]]")
        oracle.embed(ONE, "Tugs", ["Tug boat.png"])
        sessions[IVO].edit("Harbour", "[[File:Syllabus map.png]] only")
        oracle.embed(ONE, "Harbour", ["Syllabus map.png"])
        update("deleted, used, unused")

        courses.disenroll(engine, "files", [PIA])
        state["students"] = [UNA]
        update("Pia dis-enrolled")
        courses.enroll(engine, "files", [PIA])
        state["students"] = [UNA, PIA]
        update("Pia back")
        courses.edit_course(engine, "files", start=date(2024, 3, 10))
        state["start"] = date(2024, 3, 10)
        update("start moved after Una's first uploads")
        courses.edit_course(engine, "files", remove_wikis=[TWO])
        state["domains"] = [ONE]
        update("second wiki removed")
        update("full rebuild", full=True)
        # A course that stops counting uploads asks nothing about them, and shows none.
        count_uploads(engine, "files", False)
        report = update_course(engine, "files")
        assert report.uploads.requests == 0 and course_uploads_list(engine, "files")["uploads"] == []
        assert [course_stats(engine, "files")["course"][f] for f in FIGURES] == [0, 0, 0]
        count_uploads(engine, "files", True)
        update("counting uploads again")
    finally:
        for session in sessions.values():
            session.close()
        engine.dispose()
    print(f"\n[{engine.dialect.name}] requests of each update: all; for uploads: all, File-namespace probes, "
          "upload logs read")
    for label, (requests, upload_requests, probes, reads) in costs.items():
        print(f"  {label}: {requests}; {upload_requests}, {probes}, {reads}")
    # Besides the usage (one request per wiki and 50 files) and, once per wiki, meta=siteinfo, an
    # update asks one File-namespace probe per wiki and gap (students whose store reaches equally
    # far share it, 50 a request) and the log of each student who created a file page since: here
    # the students' uploads are minutes old (imported pages are created now), so they are read
    # again while less than LOG_LAG old.
    for label, (_, upload_requests, probes, reads) in costs.items():
        assert upload_requests - probes - reads <= (4 if label == "first update" else 2), label
    assert costs["nothing new"][2:] == (3, 3)  # ONE: two gaps ("una" read Una further); TWO: one
    # Dis-enrolling reads nobody's log again: only the remaining student's, on each wiki.
    assert costs["Pia dis-enrolled"][2:] == (2, 2)
    assert costs["full rebuild"][2:] == (1, 2)  # one wiki left: one probe; both students created pages there
