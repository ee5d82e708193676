"""A wiki failing in the middle of the uploads step (docs/uploads.md): the update is partial and says
which wiki, what was read before the failure counts, nothing is half-derived, and the next update
reads only what is missing and gives the figures of the wiki's uploads, as a --full rebuild does."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

from support.course import comparable
from support.faults import PASS, FaultProxy, status
from support.mediawiki import TestWiki, uploads_settings
from support.pictures import write_pngs
from twowikis import free_port
from wikicourse import courses
from wikicourse.db import open_db
from wikicourse.stats import course_stats
from wikicourse.update.cycle import update_course
from wikicourse.uploads import count_uploads
from wikicourse.wikis import add_wiki

DOMAIN = "faulty-files.test"
UNA, PIA = "Una Upload", "Pia Picture"
FIGURES = ("upload_count", "uploads_in_use_count", "upload_usages_count")


def figures(engine) -> dict:
    doc = course_stats(engine, "f")
    return {"course": [doc["course"][f] for f in FIGURES],
            "users": {u["username"]: u["upload_count"] for u in doc["users"]}}


def new_course(url: str, api_url: str, end: date):
    engine = open_db(url)
    add_wiki(engine, DOMAIN, api_url)
    courses.create_course(engine, "f", title="F", start=date(2024, 3, 1), end=end, wikis=[DOMAIN],
                          timeslice_days=30)
    courses.enroll(engine, "f", [UNA, PIA])
    count_uploads(engine, "f", True)
    return engine


def test_a_wiki_failing_mid_uploads_loses_nothing_and_the_next_update_completes(tmp_path):
    wiki = TestWiki(tmp_path / "wiki", free_port(), settings=uploads_settings(tmp_path / "wiki"))
    wiki.up()
    try:
        wiki.create_users([UNA, PIA])
        wiki.import_images(write_pngs(tmp_path / "una", ["Una one.png", "Una two.png"], 1), UNA, "20240305100000")
        wiki.import_images(write_pngs(tmp_path / "pia", ["Pia one.png"], 2), PIA, "20240306100000")
        end = datetime.now(timezone.utc).date() + timedelta(days=1)
        with FaultProxy(f"http://127.0.0.1:{wiki.port}", free_port()) as proxy:
            engine = new_course(f"sqlite:///{tmp_path / 'f.sqlite'}", proxy.api_url, end)
            # Whether the wiki is a Wikibase repository (siteinfo), the wiki's log, the students'
            # contributions, their File-namespace probe and Pia's upload log pass (students go in
            # the order of their ids); Una's is refused.
            proxy.schedule([PASS, PASS, PASS, PASS, PASS, status(404)])
            report = update_course(engine, "f")
            asked = [parse_qs(urlsplit(p).query) for p in proxy.requests]
            assert asked[0].get("meta") == ["siteinfo"]
            assert asked[3].get("list") == ["usercontribs"] and asked[3].get("ucnamespace") == ["6"]
            assert asked[5].get("letype") == ["upload"] and asked[5].get("leuser") == [UNA]
            assert report.status == "partial"
            assert [e for e in report.errors if e.startswith(f"{DOMAIN}: uploads not read")], report.errors
            # What was read counts: Pia's file; Una's log is missing, nothing of it pretended.
            assert figures(engine) == {"course": [1, 0, 0], "users": {UNA: 0, PIA: 1}}

            proxy.schedule([])
            again = update_course(engine, "f")
            assert again.status == "done", again.errors
            # Una's log is read; Pia's again too, her file page being minutes old (uploads.LOG_LAG).
            assert again.uploads.log_reads == 2 and again.uploads.probes == 1
            assert figures(engine) == {"course": [3, 0, 0], "users": {UNA: 2, PIA: 1}}
            rebuilt = new_course(f"sqlite:///{tmp_path / 'full.sqlite'}", wiki.api_url, end)
            assert update_course(rebuilt, "f", as_of=again.as_of, full=True).status == "done"
            assert comparable(course_stats(rebuilt, "f")) == comparable(course_stats(engine, "f"))

            # A rebuild the wiki refuses throughout: the last good figures stay (nothing forgotten
            # is lost before it is read again), and the rebuild's next try completes.
            proxy.schedule([], then=status(404))
            refused = update_course(engine, "f", as_of=again.as_of, full=True)
            assert refused.status != "done" and refused.errors
            assert figures(engine) == {"course": [3, 0, 0], "users": {UNA: 2, PIA: 1}}
            proxy.schedule([])
            assert update_course(engine, "f", as_of=again.as_of, full=True).status == "done"
            assert comparable(course_stats(rebuilt, "f")) == comparable(course_stats(engine, "f"))
            engine.dispose()
            rebuilt.dispose()
    finally:
        wiki.down()
