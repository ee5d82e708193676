"""How fast the dashboard answers for a big course: every page, CSV and API resource.

    .venv/bin/python benchmarks/web.py            # the benchmark course of run.py (500 students)
    .venv/bin/python benchmarks/web.py --quick    # 50 students

The course is built offline on SQLite from the same generated exports as run.py (first
update only), then each URL is requested in-process (FastAPI's TestClient: the app's own
time, no network) several times; the table gives the median and the answer's size, and
each time as a ratio of building the whole `stats --json` document once.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from dataset import DEFAULT_CACHE, Params, exports as make_exports  # noqa: E402
from scenario import SLUG, Scenario  # noqa: E402
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
from fastapi.testclient import TestClient  # noqa: E402
from wikicourse.db import open_db  # noqa: E402
from wikicourse.sources.dump import DumpSource  # noqa: E402
from wikicourse.stats import course_stats  # noqa: E402
from wikicourse.web import create_app  # noqa: E402

PATHS = ["/", "/courses/{slug}", "/courses/{slug}/activity", "/courses/{slug}/students",
         "/courses/{slug}/students?sort=character_sum_ms&dir=desc", "/courses/{slug}/articles",
         "/courses/{slug}/students.csv", "/courses/{slug}/articles.csv", "/courses/{slug}/timeslices.csv",
         "/api/courses", "/api/courses/{slug}", "/api/courses/{slug}/users", "/api/courses/{slug}/articles"]


def median_seconds(call, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        call()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    args = ap.parse_args(argv)
    params = Params(students=50, revisions_per_wiki=2_500) if args.quick else Params()
    exps = make_exports(params, args.cache_dir)
    parsed = {e.path.resolve().as_uri(): DumpSource(e.path) for e in exps.values()}
    with tempfile.TemporaryDirectory(prefix="wikicourse-web-bench-") as tmp:
        engine = open_db(f"sqlite:///{tmp}/web.sqlite")
        sc = Scenario(engine, params, {d: e.path.resolve().as_uri() for d, e in exps.items()},
                      lambda url: parsed[url], log=lambda _: None)
        sc.setup()
        sc.update("first update", params.as_of)
        doc = course_stats(engine, SLUG)
        print(f"course: {len(doc['users'])} students, {len(doc['articles']):,} articles, "
              f"{len(doc['timeslices'])} timeslices, {doc['course']['revision_count']:,} revisions "
              f"(SQLite, median of {args.repeat})\n")
        whole = median_seconds(lambda: course_stats(engine, SLUG), args.repeat)
        print(f"{'URL':<62} {'ms':>8} {'KB':>8} {'× stats doc':>12}")
        print(f"{'(building the whole stats --json document)':<62} {whole * 1000:8.1f} {'':>8} {1:>12.2f}")
        with TestClient(create_app(engine)) as client:
            for path in PATHS:
                url = path.format(slug=SLUG)
                answer = client.get(url)
                assert answer.status_code == 200, (url, answer.status_code)
                seconds = median_seconds(lambda: client.get(url), args.repeat)
                print(f"{url:<62} {seconds * 1000:8.1f} {len(answer.content) / 1024:8.0f} {seconds / whole:12.2f}")
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
