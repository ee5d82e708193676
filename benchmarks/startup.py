"""Start-up cost of the command line: what `import wikicourse.cli` imports (python -X importtime),
and whole-process wall times of `wikicourse --help`, `wikicourse stats SLUG --json` on the demo
database, and `python -c pass` (the interpreter's own floor).

    python benchmarks/startup.py [--db URL --slug SLUG] [--runs 10] [--src DIR]

Without --db, the demo database is built in a temporary folder as scripts/demo.sh builds it.
--src measures another checkout's sources (e.g. an older commit's, from `git archive`).
Bytecode is cached (in a temporary PYTHONPYCACHEPREFIX) and each command runs once untimed
first, as an installed wikicourse's would be. It prints figures and asserts none; it exits
non-zero only when a command fails.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAVY = ("alembic", "fastapi", "httpx", "jinja2", "redis", "starlette", "uvicorn", "sqlalchemy")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", metavar="URL", help="a database holding course SLUG [default: build the demo's]")
    parser.add_argument("--slug", default="demo-2024", help="the course `stats` reads [default: demo-2024]")
    parser.add_argument("--runs", type=int, default=10, help="timed runs of each command [default: 10]")
    parser.add_argument("--src", type=Path, default=Path(__file__).resolve().parents[1] / "src",
                        help="the wikicourse sources to measure [default: this checkout's]")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="wikicourse-startup-") as tmp:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(args.src.resolve()),
                                                                        os.environ.get("PYTHONPATH")])),
                   PYTHONPYCACHEPREFIX=str(Path(tmp) / "pycache"))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        wikicourse = _wikicourse_command()
        print(f"sources {args.src.resolve()}; {os.cpu_count()} CPUs; load average {_load()} at the start")
        url = args.db or build_demo(wikicourse, Path(tmp), env, args.src)
        stats = ["--db", url, "stats", args.slug, "--json"]
        commands = [("python -c pass", [sys.executable, "-c", "pass"]),
                    ("wikicourse --help", [*wikicourse, "--help"]),
                    (f"wikicourse stats {args.slug} --json", [*wikicourse, *stats])]
        for _, command in commands:
            _run(command, env)  # untimed: writes the bytecode cache

        print("\npython -X importtime -c 'import wikicourse.cli': top 10 by cumulative time")
        _print_importtime([sys.executable, "-X", "importtime", "-c", "import wikicourse.cli"], env)
        print(f"\n-X importtime of `wikicourse stats {args.slug} --json`: top 10 by cumulative time")
        _print_importtime([sys.executable, "-X", "importtime", *wikicourse[1:], *stats], env)

        print(f"\nwhole-process wall time over {args.runs} runs (s): median  min  max")
        for label, command in commands:
            times = [_timed(command, env) for _ in range(args.runs)]
            print(f"  {label:<36} {statistics.median(times):.3f}  {min(times):.3f}  {max(times):.3f}")
        print(f"\nload average {_load()} at the end")


def _wikicourse_command() -> list[str]:
    """The installed console script, run by this interpreter (so -X flags go in front);
    `python -m wikicourse` when there is none."""
    script = Path(sys.executable).parent / "wikicourse"
    return [sys.executable, str(script)] if script.is_file() else [sys.executable, "-m", "wikicourse"]


def build_demo(wikicourse: list[str], folder: Path, env: dict, src: Path) -> str:
    """scripts/demo.sh's course: the bundled export, demo-2024 with its students and instructor,
    updated to the end of January. Returns the database's URL."""
    sys.path.insert(0, str(src.resolve()))  # the measured sources' demo
    from wikicourse.demo import DEMO_END, DEMO_INSTRUCTOR, DEMO_START, DEMO_STUDENTS, DEMO_WIKI, DEMO_XML

    url = f"sqlite:///{folder / 'demo.sqlite'}"
    print(f"building the demo database {url}")
    for args in (["wiki", "add", DEMO_WIKI, "--api-url", DEMO_XML.resolve().as_uri()],
                 ["course", "create", "demo-2024", "--title", "Writing Wikipedia, January 2024",
                  "--start", str(DEMO_START), "--end", str(DEMO_END), "--wiki", DEMO_WIKI],
                 ["enroll", "demo-2024", *DEMO_STUDENTS],
                 ["enroll", "demo-2024", *DEMO_INSTRUCTOR, "--role", "instructor"],
                 ["update", "demo-2024", "--as-of", "2024-02-01T00:00:00Z", "--no-progress"]):
        _run([*wikicourse, "--db", url, *args], env)
    return url


def _run(command: list[str], env: dict) -> subprocess.CompletedProcess:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stderr}")
    return done


def _timed(command: list[str], env: dict) -> float:
    start = time.perf_counter()
    _run(command, env)
    return time.perf_counter() - start


def _print_importtime(command: list[str], env: dict) -> None:
    """The ten imports of largest cumulative time (nested ones indented), and which heavy
    packages were imported at all."""
    rows = []
    for line in _run(command, env).stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.removeprefix("import time:").split("|")
        rows.append((int(cumulative), name.rstrip()))
    for cumulative, name in sorted(rows, reverse=True)[:10]:
        print(f"  {cumulative / 1000:8.1f} ms {name}")
    loaded = {name.strip().split(".")[0] for _, name in rows}
    print(f"  {len(rows)} modules; heavy packages imported: {', '.join(p for p in HEAVY if p in loaded) or 'none'}")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "unknown"


if __name__ == "__main__":
    main()
