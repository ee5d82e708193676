"""`wikicourse update` when a real wiki fails: exit status 3 (partial), and every error line
names the wiki by its domain, the same text the run's record (web, API, workers) holds."""
from __future__ import annotations

import time

import pytest

from support.cli import wikicourse_cli
from support.faults import huge, status, trickle
from twowikis import DOMAINS, END, START, USERS
from wikicourse.db import open_db
from wikicourse.update.runs import recent_runs

ONE, TWO = DOMAINS
SLUG = "partial-course"


def updated_course(db: str, wiki_urls, proxies) -> None:
    """The course on wiki one and wiki two (behind its proxy), updated once."""
    for args in (["wiki", "add", ONE, "--api-url", wiki_urls[ONE]], ["wiki", "add", TWO, "--api-url", proxies[TWO].api_url],
                 ["course", "create", SLUG, "--title", "T", "--start", START.isoformat(), "--end", END.isoformat(),
                  "--wiki", ONE, "--wiki", TWO],
                 ["enroll", SLUG, *USERS[:4]], ["update", SLUG, "--as-of", "2024-03-11T00:00:00Z"]):
        done = wikicourse_cli(db, *args)
        assert done.returncode == 0, (args, done.stderr)


def test_an_update_a_wiki_fails_exits_3_naming_the_wiki_by_its_domain(wiki_urls, proxies, tmp_path):
    db = f"sqlite:///{tmp_path / 'partial.sqlite'}"
    updated_course(db, wiki_urls, proxies)

    proxies[TWO].schedule([], then=status(403))  # refused outright: no retries to wait for
    done = wikicourse_cli(db, "update", SLUG, "--as-of", "2024-03-17T00:00:00Z")
    assert done.returncode == 3, done.stderr
    assert done.stdout.startswith(f"{SLUG}: partial, as of 2024-03-17 00:00:00Z")
    lines = done.stderr.splitlines()
    assert len(lines) == 2 and "Traceback" not in done.stderr, done.stderr
    prefix = "  not done, retried at the next update: "
    assert lines[0].startswith(f"{prefix}{TWO}: log not read: ") and "403" in lines[0], lines
    assert lines[1].startswith(f"{prefix}{TWO}") and "403" in lines[1], lines
    assert ONE not in done.stderr and " 2:" not in done.stderr and "wiki 2" not in done.stderr
    engine = open_db(db)
    try:  # the run's record, which the dashboard, the API and the workers' logs show, says the same
        run = recent_runs(engine, SLUG, 1)[0]
        assert (run["status"], run["errors"].splitlines()) == ("partial", [line.removeprefix(prefix) for line in lines])
    finally:
        engine.dispose()

    proxies[TWO].schedule([])  # the wiki is back: the next update completes, exit 0
    done = wikicourse_cli(db, "update", SLUG, "--as-of", "2024-03-17T00:00:00Z")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith(f"{SLUG}: done")


# Small limits, so that a stalling or flooding wiki costs the test seconds.
LIMITS = dict(WIKICOURSE_REQUEST_DEADLINE="1", WIKICOURSE_FETCH_BUDGET="8", WIKICOURSE_MAX_RESPONSE_MB="1")


@pytest.mark.parametrize("fault", ["trickle", "huge"])
def test_an_update_a_wiki_trickles_or_floods_ends_partial_in_bounded_time_and_releases_the_lock(
    wiki_urls, proxies, tmp_path, fault
):
    """A wiki that answers a byte every 0.2 s for ever (httpx's read timeout never fires), or
    answers 256 MB: the update ends partial within the limits, unlocked, and loses nothing."""
    db = f"sqlite:///{tmp_path / 'partial.sqlite'}"
    updated_course(db, wiki_urls, proxies)
    size = 256 * 2**20
    proxies[TWO].schedule([], then=trickle(every=0.2) if fault == "trickle" else huge(size))
    began = time.monotonic()
    done = wikicourse_cli(db, "update", SLUG, "--as-of", "2024-03-17T00:00:00Z", timeout=60, env=LIMITS)
    took = time.monotonic() - began
    assert done.returncode == 3, done.stderr
    assert took < 20, f"the update took {took:.1f} s"
    lines = done.stderr.splitlines()
    assert lines and "Traceback" not in done.stderr and all(TWO in line for line in lines), done.stderr
    if fault == "trickle":  # retried until the fetch's time budget is spent; then nothing more is asked
        assert all("time budget of 8 s for this update is spent" in line for line in lines), lines
        assert any("no full answer within" in line for line in lines), lines
    else:  # never retried; the answer is dropped past the limit, not read to its end
        assert all("sent an answer larger than 1 MB; stopped reading it" in line for line in lines), lines
        deadline = time.monotonic() + 10
        while proxies[TWO].served < proxies[TWO].request_count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proxies[TWO].sent < proxies[TWO].request_count * 48 * 2**20, proxies[TWO].sent
    engine = open_db(db)
    try:  # the run ended partial: the course's lock is released
        run = recent_runs(engine, SLUG, 1)[0]
        assert run["status"] == "partial", run
    finally:
        engine.dispose()

    proxies[TWO].schedule([])  # the wiki is well again: the next update takes the lock and completes
    done = wikicourse_cli(db, "update", SLUG, "--as-of", "2024-03-17T00:00:00Z", env=LIMITS)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith(f"{SLUG}: done")
