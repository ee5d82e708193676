"""Window arithmetic: a course period cut into half-open timeslices [start, start + length)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone


def day_start(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=timezone.utc)


def through(as_of: datetime) -> datetime:
    """The exclusive end of what an update as of `as_of` counts: every revision timestamped
    `as_of` or earlier, to the whole second (wiki timestamps are whole seconds; docs/update-cycle.md)."""
    return as_of.replace(microsecond=0) + timedelta(seconds=1)


@dataclass(frozen=True)
class Grid:
    """The windows of one course on one wiki.

    A start date means 00:00:00 UTC, an end date 23:59:59 UTC (docs/concepts.md); MediaWiki
    timestamps are whole seconds, so the period is [start, end + 1 day). The last
    window is clipped to the period's end.
    """

    period_start: datetime
    period_end: datetime  # exclusive
    length: timedelta

    @classmethod
    def of(cls, start: date, end: date, days: int) -> Grid:
        return cls(day_start(start), day_start(end) + timedelta(days=1), timedelta(days=days))

    def starts(self) -> list[datetime]:
        out, t = [], self.period_start
        while t < self.period_end:
            out.append(t)
            t += self.length
        return out

    def end_of(self, start: datetime) -> datetime:
        return min(start + self.length, self.period_end)

    def floor(self, t: datetime) -> datetime:
        """Start of the window holding t (the period's start for anything earlier)."""
        if t <= self.period_start:
            return self.period_start
        return self.period_start + ((t - self.period_start) // self.length) * self.length

    def aligned(self, start: datetime) -> bool:
        return self.period_start <= start < self.period_end and self.floor(start) == start

    def horizon(self, as_of: datetime) -> datetime:
        """Where ingestion stops (exclusive): min(as-of's second included, end of the period)."""
        return max(self.period_start, min(through(as_of), self.period_end))

    def settled(self, as_of: datetime, now: datetime) -> datetime:
        """How far what an update as of `as_of`, run at `now`, fetched is final: its horizon,
        but for the second that is still running (an edit can be saved in it after the
        fetch): the next update reads that window again."""
        return max(self.period_start, min(through(as_of), now.replace(microsecond=0), self.period_end))
