"""Start-up: a command imports what it uses, not the web stack, the workers, the update cycle,
nor Alembic on a database already at the newest schema. Checked in a fresh interpreter, by
the modules it loaded (timings are for benchmarks/startup.py)."""
from __future__ import annotations

import json
import subprocess
import sys

from support.cli import environment
from wikicourse.demo import DEMO_WIKI, DEMO_XML

# Packages no command needs before it runs, and the wikicourse parts only some commands run.
UNWANTED = ("alembic", "fastapi", "httpx", "jinja2", "redis", "starlette", "uvicorn",
            "wikicourse.update", "wikicourse.web", "wikicourse.workers")
# Runs the command line on its arguments, then lists the modules loaded on stderr.
RUN_CLI = """
import sys
from wikicourse.cli import main
sys.argv[0] = "wikicourse"
main()
print("\\n".join(sys.modules), file=sys.stderr)
"""


def loaded_by(*args: str) -> tuple[str, set[str]]:
    """Run `python ARGS` on these sources: its standard output and the modules it loaded."""
    env = environment()
    done = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, check=True)
    return done.stdout, set(done.stderr.split())


def unwanted(modules: set[str], also: tuple[str, ...] = ()) -> list[str]:
    return sorted(m for m in modules if m.startswith(tuple(f"{u}." for u in UNWANTED + also))
                  or m in UNWANTED + also)


def test_importing_the_command_line_loads_no_command():
    _, modules = loaded_by("-c", "import sys, wikicourse.cli; print('\\n'.join(sys.modules), file=sys.stderr)")
    assert "wikicourse.cli" in modules
    # --help and usage errors need no database either.
    assert unwanted(modules, also=("sqlalchemy", "wikicourse.models")) == []


def test_stats_on_a_database_at_the_newest_schema_loads_no_alembic(cli, sqlite_url):
    assert cli("wiki", "add", DEMO_WIKI, "--api-url", DEMO_XML.resolve().as_uri())[0] == 0
    assert cli("course", "create", "c", "--title", "C", "--start", "2024-01-01", "--end", "2024-01-31",
               "--wiki", DEMO_WIKI)[0] == 0
    out, modules = loaded_by("-c", RUN_CLI, "--db", sqlite_url, "stats", "c", "--json")
    assert json.loads(out)["course"]["slug"] == "c"
    assert "wikicourse.stats" in modules
    assert unwanted(modules) == []


def test_a_new_database_is_still_migrated_by_alembic(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    # A command that writes: one that only reads refuses a new database (tests/test_cli_database.py).
    _, modules = loaded_by("-c", RUN_CLI, "--db", url, "wiki", "add", "x.org", "--api-url", "https://x.org/w/api.php")
    assert "alembic" in modules
