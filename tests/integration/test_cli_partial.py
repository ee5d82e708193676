"""`wikicourse update` when a real wiki fails: exit status 3 (partial), and every error line
names the wiki by its domain, the same text the run's record (web, API, workers) holds."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import wikicourse
from support.faults import status
from twowikis import DOMAINS, END, START, USERS
from wikicourse.db import open_db
from wikicourse.update.runs import recent_runs

ONE, TWO = DOMAINS
SLUG = "partial-course"
SRC = str(Path(wikicourse.__file__).parents[1])


def wikicourse_cli(db: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")])))
    return subprocess.run([sys.executable, "-m", "wikicourse", "--db", db, *args], capture_output=True, text=True,
                          timeout=120, env=env)


def test_an_update_a_wiki_fails_exits_3_naming_the_wiki_by_its_domain(wiki_urls, proxies, tmp_path):
    db = f"sqlite:///{tmp_path / 'partial.sqlite'}"
    for args in (["wiki", "add", ONE, "--api-url", wiki_urls[ONE]], ["wiki", "add", TWO, "--api-url", proxies[TWO].api_url],
                 ["course", "create", SLUG, "--title", "T", "--start", START.isoformat(), "--end", END.isoformat(),
                  "--wiki", ONE, "--wiki", TWO],
                 ["enroll", SLUG, *USERS[:4]], ["update", SLUG, "--as-of", "2024-03-11T00:00:00Z"]):
        done = wikicourse_cli(db, *args)
        assert done.returncode == 0, (args, done.stderr)

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
