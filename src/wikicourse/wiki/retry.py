"""When to try a failed request again, how long to wait, and when to give up on a wiki."""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Callable, TypeVar

from wikicourse.errors import WikiUnavailable

T = TypeVar("T")

# Seconds one wiki may take to answer in one update ($WIKICOURSE_FETCH_BUDGET): the time of
# its own requests and retry waits, summed; an update that reaches it ends partial, and the
# next one resumes from its checkpoints.
FETCH_BUDGET = 3600.0


class Retry(Exception):
    """A failed attempt worth repeating; `wait` is the wiki's own hint (Retry-After, lag), if any."""

    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = " ".join(reason.split())  # messages stay on one line
        self.wait = wait


@dataclass
class RetryPolicy:
    """Exponential backoff with jitter, a cap on attempts, and two time budgets per source.

    `budget` counts only time lost to trouble (failed attempts and waits), summed over
    every request of the source, so one bad wiki cannot stall an update for longer than
    `budget` seconds. Waits count as requested, which keeps it testable with an injected
    `sleep`. `fetch_budget` counts all of the source's own time, `used`: every attempt
    (answered or not) and every wait, so a wiki that answers, but too slowly, is given up
    on once it is spent, while time the update spends elsewhere (another wiki, the
    database) costs it nothing.
    """

    max_attempts: int = 5
    budget: float = 300.0
    fetch_budget: float = FETCH_BUDGET
    backoff: float = 1.0  # first wait; doubles with each failed attempt
    max_wait: float = 60.0  # cap on any one wait, Retry-After included
    jitter: float = 0.5  # waits vary by up to this fraction, so clients do not retry in step
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)
    spent: float = field(default=0.0, init=False)
    used: float = field(default=0.0, init=False)  # the source's own time: attempts and waits
    given_up: bool = field(default=False, init=False)  # on the fetch budget: for the source's lifetime

    def remaining(self) -> float:
        """Seconds left of the fetch budget."""
        if self.given_up:
            return 0.0
        return self.fetch_budget - self.used

    def delay(self, failures: int, hint: float | None) -> float:
        """The wait before the next attempt, after `failures` failed ones."""
        if hint is not None:
            return min(max(hint, 0.0), self.max_wait)
        base = self.backoff * 2 ** (failures - 1)
        return min(base * self.rng.uniform(1 - self.jitter, 1 + self.jitter), self.max_wait)

    def run(self, attempt: Callable[[], T], wiki: str) -> T:
        """Call `attempt` until it returns, retrying on Retry; raise WikiUnavailable when out of tries."""
        failures = 0
        while True:
            if self.remaining() <= 0:
                raise WikiUnavailable(self._out_of_time(wiki))
            started = self.clock()
            try:
                return attempt()
            except Retry as retry:
                failure = retry
            finally:
                took = self.clock() - started
                self.used += took
            self.spent += took
            failures += 1
            if failures >= self.max_attempts:
                raise WikiUnavailable(
                    f"{wiki} is unavailable: gave up after {failures} attempts ({failure.reason})"
                ) from None
            wait = self.delay(failures, failure.wait)
            if self.spent + wait > self.budget:
                raise WikiUnavailable(
                    f"{wiki} is unavailable: its retry budget of {self.budget:g} s is spent ({failure.reason})"
                ) from None
            if wait >= self.remaining():  # no time left for the wait and an attempt
                self.given_up = True
                raise WikiUnavailable(f"{self._out_of_time(wiki)} ({failure.reason})") from None
            self.sleep(wait)
            self.spent += wait
            self.used += wait

    def _out_of_time(self, wiki: str) -> str:
        return f"{wiki} is unavailable: its time budget of {self.fetch_budget:g} s for this update is spent"
