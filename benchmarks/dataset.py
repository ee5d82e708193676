"""The benchmark's synthetic course: its parameters, its accounts, its two generated exports (cached)."""
from __future__ import annotations

import hashlib
import json
import os
import random
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine

import wikicourse.demo.generate as gen
from wikicourse.db import open_db

UTC = timezone.utc
REPO = Path(__file__).resolve().parents[1]
DEFAULT_CACHE = Path(os.environ.get("WIKICOURSE_BENCH_CACHE", "/tmp/wikicourse-bench"))


@dataclass(frozen=True)
class Params:
    students: int = 500
    late: int = 5  # accounts with edits, enrolled mid-course ("enrolling 5")
    disenroll: int = 10
    revisions_per_wiki: int = 25_000
    days: int = 60
    start: date = date(2024, 1, 1)
    seed: int = 2024
    wikis: tuple[str, ...] = ("alpha.wiki", "beta.wiki")

    @property
    def pages_per_wiki(self) -> int:
        return max(10, self.revisions_per_wiki // 10)

    @property
    def period_start(self) -> datetime:
        return datetime.combine(self.start, time(0), tzinfo=UTC)

    @property
    def end(self) -> date:  # the course's last day
        return self.start + timedelta(days=self.days - 1)

    @property
    def as_of(self) -> datetime:
        """The clock of the first update: mid-way through the last day, so its window is partial."""
        return self.period_start + timedelta(days=self.days - 1, hours=12)

    @property
    def later_as_of(self) -> datetime:
        return self.as_of + timedelta(hours=6)

    def accounts(self) -> tuple[list[str], list[str]]:
        """(the students enrolled first, the late ones); the same accounts on both wikis."""
        names = gen.make_usernames(self.students + self.late, self.seed)
        return sorted(names[: self.students]), sorted(names[self.students:])

    def leavers(self) -> list[str]:
        students, _ = self.accounts()
        return sorted(random.Random(self.seed + 1).sample(students, min(self.disenroll, len(students))))

    def key(self) -> str:
        """Names the cached exports and wikis: the parameters and the generator's source."""
        h = hashlib.sha256(json.dumps(asdict(self), default=str, sort_keys=True).encode())
        h.update(Path(gen.__file__).read_bytes())
        return f"s{self.students}-r{self.revisions_per_wiki}-d{self.days}-{h.hexdigest()[:12]}"


@dataclass
class Export:
    domain: str
    path: Path
    revisions: int  # in the file
    accounts: list[str] = field(default_factory=list)  # every named author (to create before an import)


def exports(params: Params, cache: Path) -> dict[str, Export]:
    """The generated exports, one per wiki, written once into the cache folder."""
    folder = cache / params.key()
    folder.mkdir(parents=True, exist_ok=True)
    students, late = params.accounts()
    out: dict[str, Export] = {}
    for n, domain in enumerate(params.wikis):
        path = folder / f"{domain}.xml"
        meta = folder / f"{domain}.json"
        if not (path.exists() and meta.exists()):
            tmp = path.with_suffix(".xml.part")
            facts = gen.generate(tmp, users=students + late, pages=params.pages_per_wiki,
                                 revisions=params.revisions_per_wiki, start=params.period_start,
                                 days=params.days, seed=params.seed + 17 * n, wiki=domain)
            info = {"revisions": len(facts), "accounts": gen.account_names(facts)}
            tmp.replace(path)
            meta.write_text(json.dumps(info), encoding="utf-8")
        info = json.loads(meta.read_text(encoding="utf-8"))
        out[domain] = Export(domain, path, info["revisions"], info["accounts"])
    return out


def quiet_clock_step(params: Params, sources, moves: list[tuple[datetime, int]],
                     candidates=(10, 5, 2, 1)) -> tuple[timedelta, bool]:
    """The largest candidate step (seconds) such that no account of the course edits while
    the clock moves from each `base` by `n` steps: an update at base + k * step (k <= n) after
    one at `base` has nothing new. An update as of t counts edits up to t's whole second
    (windows.through), so the quiet span is [base + 1 s, base + n * step + 1 s).
    Returns (step, True), or (the smallest candidate, False) when every candidate sees edits."""
    accounts = set(sum(params.accounts(), []))
    times = sorted(c.timestamp for s in sources for c in s.all_contributions() if c.user in accounts)
    second = timedelta(seconds=1)
    for secs in candidates:
        step = timedelta(seconds=secs)
        spans = [(base + second, base + n * step + second) for base, n in moves]
        if not any(lo <= t < hi for t in times for lo, hi in spans):
            return step, True
    return timedelta(seconds=candidates[-1]), False


def account_edits(params: Params, sources, start: datetime, end: datetime) -> int:
    """Edits by the course's accounts (students and late ones) within [start, end), on all the wikis."""
    accounts = set(sum(params.accounts(), []))
    return sum(1 for s in sources for c in s.all_contributions() if c.user in accounts and start <= c.timestamp < end)


@contextmanager
def fresh_engine(backend: str, folder: str | Path, name: str = "bench") -> Iterator[Engine]:
    """An engine on an empty database: an SQLite file in `folder` ("sqlite"), or a throwaway
    PostgreSQL database (any other backend), disposed of and dropped afterwards."""
    pg_url = None
    if backend == "sqlite":
        url = f"sqlite:///{folder}/{name}.sqlite"
    else:
        from support.postgres import fresh_database, postgres_url

        pg_url = url = fresh_database(postgres_url())
    engine = open_db(url)
    try:
        yield engine
    finally:
        engine.dispose()
        if pg_url is not None:
            from support.postgres import drop_database

            drop_database(pg_url)
