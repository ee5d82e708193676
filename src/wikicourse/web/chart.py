"""Inline SVG charts of a course's timeslices: bars per window stacked by wiki, and the running total.

Built on the server so the pages need no JavaScript. Bars are placed by time, not by index,
so windows of any length (and wikis with different lengths) share one axis; the axis labels
are thinned to at most MAX_TICKS whatever the course's span (a week or several years).

Each chart comes in two layouts, and the stylesheet shows the one fitting the screen: an SVG
scales as a whole, so the wide one's labels would shrink to a few pixels on a phone, while the
narrow one (fewer, shorter-spaced labels on a smaller canvas) keeps them readable at 390 px.
"""
from __future__ import annotations

import math
from calendar import month_abbr
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from markupsafe import Markup

MAX_TICKS = 8
WIDTH, HEIGHT = 960, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 64, 16, 36
PALETTE = ("#3b6ea8", "#d08c2c", "#4f9a6a", "#a8508a", "#6c6c9e", "#b5563f")
LINE = "#222"


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)  # the stats document's "...Z" times


@dataclass(frozen=True)
class Layout:
    """A canvas (in SVG units), its margins around the plot and how many time labels fit."""

    name: str
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    max_ticks: int


WIDE = Layout("wide", WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM, MAX_TICKS)
NARROW = Layout("narrow", 380, 260, 54, 54, 14, 32, 4)  # shown below 600 px, about the SVG units' size


@dataclass(frozen=True)
class Frame:
    """Where things go: the plot area and the time span it shows."""

    start: datetime
    end: datetime
    layout: Layout = WIDE

    @property
    def plot_width(self) -> float:
        return self.layout.width - self.layout.left - self.layout.right

    @property
    def plot_height(self) -> float:
        return self.layout.height - self.layout.top - self.layout.bottom

    def x(self, t: datetime) -> float:
        span = (self.end - self.start).total_seconds() or 1
        return self.layout.left + self.plot_width * (t - self.start).total_seconds() / span

    def y(self, value: float, top: float) -> float:
        return self.layout.top + self.plot_height * (1 - value / top if top else 1)


def nice_top(value: float) -> tuple[int, int]:
    """A round axis maximum at or above `value` and its tick step (1, 2 or 5 times a power of ten)."""
    if value <= 0:
        return 4, 1
    raw = value / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(1, int(step))
    return step * math.ceil(value / step), step


def time_ticks(start: datetime, end: datetime, max_ticks: int = MAX_TICKS) -> list[tuple[datetime, str]]:
    """At most `max_ticks` labelled instants: days for short spans, months (or years) for long ones."""
    days = (end - start).total_seconds() / 86400
    if days <= 62:
        step = next((s for s in (1, 2, 3, 7, 14, 28) if math.ceil(days / s) <= max_ticks), 28)
        ticks, t = [], start
        while t < end and len(ticks) < max_ticks:
            ticks.append((t, f"{month_abbr[t.month]} {t.day}"))
            t += timedelta(days=step)
        return ticks
    months = []
    m = datetime(start.year, start.month, 1, tzinfo=start.tzinfo)
    if m < start:
        m = _add_months(m, 1)
    while m < end:
        months.append(m)
        m = _add_months(m, 1)
    step = next((s for s in (1, 2, 3, 6, 12, 24, 60) if math.ceil(len(months) / s) <= max_ticks), 120)
    if step >= 12:  # whole years: keep the Januaries
        months = [t for t in months if t.month == 1] or months[:1]
        step //= 12
    chosen = months[::step][:max_ticks]
    return [(t, f"{month_abbr[t.month]} {t.year}" if t.month == 1 or i == 0 else month_abbr[t.month])
            for i, t in enumerate(chosen)]


def _add_months(t: datetime, n: int) -> datetime:
    month = t.month - 1 + n
    return t.replace(year=t.year + month // 12, month=month % 12 + 1)


def _fmt(value: float) -> str:
    return f"{int(round(value)):,}"


def chart(windows: list[dict], field: str, *, start: str, end: str, svg_id: str, label: str,
          as_of: str | None = None) -> Markup:
    """The SVG of `field` per window (bars stacked by wiki) with its running total on the right axis,
    in both layouts (the wide one carries `svg_id`).

    `windows` are the stats document's timeslices; `start`/`end` the course's (end inclusive);
    `as_of` the time the figures hold for: the running total stops there, not at the end."""
    span = parse_time(start), parse_time(end) + timedelta(seconds=1)
    stop = as_of and parse_time(as_of)
    return Markup("\n".join(
        _svg(windows, field, Frame(*span, layout), svg_id if layout is WIDE else f"{svg_id}-{layout.name}", label, stop)
        for layout in (WIDE, NARROW)))


def _svg(windows: list[dict], field: str, frame: Frame, svg_id: str, label: str, as_of: datetime | None) -> str:
    lay = frame.layout
    color = dict(legend(windows))
    stacks: dict[tuple[datetime, datetime], list[dict]] = {}
    for w in windows:
        stacks.setdefault((parse_time(w["start"]), parse_time(w["end"])), []).append(w)
    top, step = nice_top(max((sum(w[field] for w in ws) for ws in stacks.values()), default=0))
    total = sum(w[field] for w in windows)
    cum_top, cum_step = nice_top(total)

    out = [(f'<svg id="{escape(svg_id)}" class="chart {lay.name}" viewBox="0 0 {lay.width} {lay.height}" role="img" '
            f'aria-labelledby="{escape(svg_id)}-title" preserveAspectRatio="xMidYMid meet">'),
           (f'<title id="{escape(svg_id)}-title">{escape(label)} per window, stacked by wiki; '
            f'the line is the running total ({_fmt(total)} in all)</title>')]
    # Horizontal grid and the two value axes.
    for v in range(0, top + 1, step):
        y = frame.y(v, top)
        out.append(f'<line class="grid" x1="{lay.left}" x2="{lay.width - lay.right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(f'<text class="tick-y" x="{lay.left - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(v)}</text>')
    for v in range(0, cum_top + 1, cum_step):
        y = frame.y(v, cum_top)
        out.append(f'<text class="tick-cum" x="{lay.width - lay.right + 6}" y="{y + 4:.1f}">{_fmt(v)}</text>')
    base = frame.y(0, top)
    out.append(f'<line class="axis" x1="{lay.left}" x2="{lay.width - lay.right}" y1="{base:.1f}" y2="{base:.1f}"/>')
    for t, text in time_ticks(frame.start, frame.end, lay.max_ticks):
        x = frame.x(t)
        out.append(f'<line class="axis" x1="{x:.1f}" x2="{x:.1f}" y1="{base:.1f}" y2="{base + 4:.1f}"/>')
        out.append(f'<text class="tick-x" x="{x:.1f}" y="{base + 18:.1f}" text-anchor="middle">'
                   f'{escape(text)}</text>')
    # Bars: a gap between them only while they are wide enough to keep one.
    for (w_start, w_end), ws in sorted(stacks.items()):
        x0, x1 = frame.x(w_start), frame.x(min(w_end, frame.end))
        gap = (x1 - x0) * 0.15 if x1 - x0 >= 4 else 0
        y = base
        for w in sorted(ws, key=lambda w: w["wiki"]):
            if w[field] <= 0 and not w["needs_update"]:
                continue
            h = base - frame.y(w[field], top)
            pending = " pending" if w["needs_update"] else ""
            note = " (pending: redone at the next update)" if w["needs_update"] else ""
            out.append(f'<rect class="bar{pending}" x="{x0 + gap / 2:.2f}" y="{y - h:.2f}" '
                       f'width="{max(x1 - x0 - gap, 0.5):.2f}" height="{max(h, 0):.2f}" '
                       f'fill="{color[w["wiki"]]}"><title>{escape(w["start"][:10])} {escape(w["wiki"])}: '
                       f'{_fmt(w[field])} {escape(label.lower())}{note}</title></rect>')
            y -= h
    # The running total, drawn at each window's end up to the as-of time: the future has no total yet.
    stop = min(as_of, frame.end) if as_of else frame.end
    running, points = 0, [f"{frame.x(frame.start):.1f},{frame.y(0, cum_top):.1f}"]
    for (w_start, w_end), ws in sorted(stacks.items()):
        if w_start >= stop:
            break
        running += sum(w[field] for w in ws)
        points.append(f"{frame.x(min(w_end, stop)):.1f},{frame.y(running, cum_top):.1f}")
    if len(points) > 1:
        out.append(f'<polyline class="cumulative" fill="none" stroke="{LINE}" points="{" ".join(points)}"/>')
    if not windows:
        out.append(f'<text class="empty" x="{lay.width / 2}" y="{lay.height / 2}" text-anchor="middle">'
                   'No figures yet: the course has not been updated.</text>')
    out.append("</svg>")
    return "\n".join(out)


def legend(windows: list[dict]) -> list[tuple[str, str]]:
    """(wiki, colour) pairs, in the order the bars stack."""
    wikis = sorted({w["wiki"] for w in windows})
    return [(wiki, PALETTE[i % len(PALETTE)]) for i, wiki in enumerate(wikis)]
