"""Measuring helpers of scale.py and length.py: the process's resident memory, tables, update steps."""
from __future__ import annotations

import ctypes
import gc
import os
import resource
import statistics
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

MIB = 1024 * 1024


def _status_kib(field: str) -> int | None:
    """A field of /proc/self/status in KiB (VmRSS, VmHWM), or None where there is no /proc."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def rss() -> int:
    """The process's resident set now, in bytes."""
    kib = _status_kib("VmRSS")
    return 0 if kib is None else kib * 1024


def max_rss() -> int:
    """resource.getrusage(RUSAGE_SELF).ru_maxrss in bytes (KiB on Linux): the process's peak so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) to the current RSS (Linux >= 4.0); False if refused."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def release_free_memory() -> None:
    """Collect garbage and give the allocator's free pages back to the OS, so that an operation
    starts from what is really in use (glibc keeps freed memory otherwise)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


class RssMonitor:
    """A thread reading VmRSS every `interval` seconds, keeping the highest value since the
    last `measure()` began. Also resets and reads the kernel's exact peak (VmHWM) around
    each measure, where the kernel allows it."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self._peak = 0
        self._samples = 0
        self.lifetime = max_rss()  # the process's peak since it started, kept across the resets
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-monitor", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            now = rss()
            with self._lock:
                self._samples += 1
                if now > self._peak:
                    self._peak = now
            self._stop.wait(self.interval)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1)

    @contextmanager
    def measure(self) -> Iterator[dict]:
        """Yields a dict filled on exit with bytes: start (RSS at the start, after releasing
        free memory), peak (highest sample, or the end), hwm (the kernel's peak over the
        block, None if it could not be reset), end, maxrss (the process's peak since it
        started: ru_maxrss, which the VmHWM reset resets too, kept as a running maximum), samples."""
        release_free_memory()
        self.lifetime = max(self.lifetime, max_rss())
        exact = reset_peak()
        start = rss()
        with self._lock:
            self._peak, self._samples = start, 0
        out: dict = {}
        try:
            yield out
        finally:
            end = rss()
            hwm = _status_kib("VmHWM") if exact else None
            with self._lock:
                peak, samples = max(self._peak, end), self._samples
            hwm = None if hwm is None else hwm * 1024
            # ru_maxrss only grows, but resetting VmHWM resets it too: keep the maximum of all.
            self.lifetime = max(self.lifetime, max_rss(), peak, hwm or 0)
            out.update(start=start, peak=peak, hwm=hwm, end=end, maxrss=self.lifetime, samples=samples)


def mib(n: float | None) -> str:
    return "" if n is None else f"{n / MIB:,.0f}"


# -- tables -----------------------------------------------------------------------------------


def table(title: str, header: list[str], rows: list[list], notes: list[str] = ()) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    cells = [[str(c) for c in header]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]

    def line(r: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))

    out = [title, line(cells[0]), "  ".join("-" * w for w in widths)] + [line(r) for r in cells[1:]]
    out += [f"  {n}" for n in notes]
    return "\n".join(out)


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b > 0 else ("" if a == 0 else "inf")


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


# -- update steps (instrument.Phases) ---------------------------------------------------------

# The order benchmarks/run.py prints a breakdown in; a step not listed comes after, by name.
STEP_ORDER = [
    "reading logs", "reading logs: list=logevents", "reading logs: page histories",
    "prepare wikis", "prepare users", "prepare users: derive article timeslices", "prepare dates",
    "prepare past", "start over (--full)", "reprocess before ingest", "plan", "ingest (wall)",
    "ingest: writer (main thread)", "ingest: writer: store transaction",
    "ingest: writer: bulk loads (revisions, refs, articles)", "ingest: writer: articles (upsert, ids)",
    "ingest: fetch thread: contributions", "ingest: fetch thread: contents (refs)",
    "ingest: fetch thread: refs cache lookup", "copy from the store",
    "reprocess after ingest", "reprocess: derive_marked", "reprocess: derive: article timeslices",
    "reprocess: derive: user timeslices", "reprocess: derive: wiki timeslices", "reprocess: settle_marks",
    "refresh", "refresh: articles courses", "refresh: enrollments", "refresh: course",
]
OTHER = "other (run record, commits, analyze, course lookup)"


def nested(step: str) -> bool:
    return ":" in step


def steps_of(phases: dict[str, float], total: float) -> dict[str, float]:
    """The update's steps in print order, with 'other': the total less the top-level steps
    (nested steps, with ': ' in their names, lie within a top-level one; the fetch threads'
    run concurrently with the writer)."""
    phases = {s: v for s, v in phases.items() if not s.startswith(("rows: ", "load: "))}  # per-table figures
    names = [s for s in STEP_ORDER if s in phases] + sorted(s for s in phases if s not in STEP_ORDER)
    out = {s: phases[s] for s in names}
    out[OTHER] = total - sum(v for s, v in phases.items() if not nested(s))
    return out


def step_label(step: str) -> str:
    label = ("    " if nested(step) else "  ") + step
    return label + (" (both calls)" if step.startswith(("reprocess:", "refresh")) else "")


def machine_load() -> str:
    try:
        return "/".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"
