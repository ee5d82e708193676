"""`wikicourse` as a subprocess, run from these sources (not whatever copy is installed)."""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import wikicourse

SRC = str(Path(wikicourse.__file__).parents[1])


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment, with `extra`, and SRC first on PYTHONPATH."""
    return dict(os.environ, **(extra or {}),
                PYTHONPATH=os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")])))


def command(db: str, *args: str, prefix: Sequence[str] = ()) -> list[str]:
    """`wikicourse --db DB ARGS`, after `prefix` (a command that runs it, such as setpriv)."""
    return [*prefix, sys.executable, "-m", "wikicourse", "--db", db, *args]


def wikicourse_cli(db: str, *args: str, timeout: float = 120, env: dict[str, str] | None = None,
                   prefix: Sequence[str] = ()) -> subprocess.CompletedProcess:
    """Run `wikicourse --db DB ARGS` to its end (within `timeout`), `env` added to the environment:
    its exit status, standard output and standard error (text)."""
    return subprocess.run(command(db, *args, prefix=prefix), capture_output=True, text=True, timeout=timeout,
                          env=environment(env))
