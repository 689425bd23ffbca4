"""Chart geometry shared by the screen (QPainter) and the reports (ReportLab): scales, ticks, band spans.

Pure arithmetic, no Qt, no ReportLab: each renderer asks here where things go and only draws them.  Pixel
coordinates are whatever the renderer uses: a scale maps its value range onto ``start`` → ``end``, so a
y axis pointing down (Qt) is ``LinearScale(lo, hi, bottom, top)`` and one pointing up (PDF) the same with
``bottom < top``.

One rule for every axis: score ticks are 1, 2 or 5 × a power of ten apart (:func:`nice_step`); time ticks
fall on calendar months, quarters, half-years or years, else on evenly spaced days (:func:`time_ticks`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from stagewise.core.instruments.model import ShadedBand

STEP_MULTIPLES = (1, 2, 5, 10)
MONTH_STEPS = (1, 3, 6, 12, 24, 60, 120)
DAY_STEPS = (1, 2, 7, 14)


@dataclass(frozen=True, slots=True)
class LinearScale:
    """Score ``lo`` → pixel ``start``, ``hi`` → ``end``; values outside are held at the edge."""

    lo: float
    hi: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        span = self.hi - self.lo or 1.0
        clamped = min(max(value, self.lo), self.hi)
        return self.start + (clamped - self.lo) / span * (self.end - self.start)


@dataclass(frozen=True, slots=True)
class TimeScale:
    """Day ``first`` → pixel ``start``, day ``last`` → ``end`` (a one-day span is drawn as one day)."""

    first: dt.date
    last: dt.date
    start: float
    end: float

    def __call__(self, day: dt.date) -> float:
        span = max((self.last - self.first).days, 1)
        return self.start + (day - self.first).days / span * (self.end - self.start)


@dataclass(frozen=True, slots=True)
class BandSpan:
    """A shaded band placed on a scale: pixel edges (``low`` at the band's low score), its position in the
    band list (for the fill shade) and whether any of it lies on the axis."""

    index: int
    low: float
    high: float
    label: str
    visible: bool

    @property
    def centre(self) -> float:
        return (self.low + self.high) / 2


def nice_step(span: float, target: int) -> float:
    """The smallest 1, 2 or 5 × 10ⁿ step that cuts ``span`` into at most ``target`` pieces."""
    raw = span / max(target, 1)
    if raw <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(raw))
    return float(next(m * power for m in STEP_MULTIPLES if m * power >= raw - 1e-12))


def nice_ticks(lo: float, hi: float, target: int) -> list[float]:
    """Round tick values from ``lo`` to ``hi`` (both included when they fall on a step)."""
    step = nice_step(hi - lo, target)
    out: list[float] = []
    tick = math.ceil(lo / step - 1e-9) * step
    while tick <= hi + 1e-9:
        out.append(round(tick, 9) + 0.0)  # + 0.0: never "-0"
        tick += step
    return out


def tick_label(value: float) -> str:
    """Integers plain, other values to at most two decimals (as in the reports' tables)."""
    if abs(value - round(value)) < 1e-9:
        return str(round(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def score_axis(axis: tuple[float, float], values: Sequence[float]) -> tuple[float, float]:
    """``axis`` widened to hold every value (never empty)."""
    lo, hi = axis
    if values:
        lo, hi = min(lo, *values), max(hi, *values)
    if hi <= lo:
        hi = lo + 1
    return float(lo), float(hi)


def band_spans(bands: Sequence[ShadedBand], scale: LinearScale) -> list[BandSpan]:
    """Each band clipped to the scale's range, in pixels (a band off the axis keeps its edge position)."""
    out: list[BandSpan] = []
    for i, band in enumerate(bands):
        lo, hi = max(band.low, scale.lo), min(band.high, scale.hi)
        visible = hi > lo
        out.append(BandSpan(i, scale(lo), scale(hi if visible else lo), band.label, visible))
    return out


def spread(centres: Sequence[float], gap: float, lo: float, hi: float) -> list[float]:
    """Label positions near ``centres``, at least ``gap`` apart, kept within [lo, hi] where possible."""
    order = sorted(range(len(centres)), key=lambda i: centres[i])
    placed = [centres[i] for i in order]
    for i in range(1, len(placed)):
        placed[i] = max(placed[i], placed[i - 1] + gap)
    if placed and placed[-1] > hi:
        placed[-1] = hi
        for i in range(len(placed) - 2, -1, -1):
            placed[i] = min(placed[i], placed[i + 1] - gap)
    placed = [max(p, lo) for p in placed]
    out = [0.0] * len(centres)
    for rank, i in enumerate(order):
        out[i] = placed[rank]
    return out


def _add_months(day: dt.date, months: int) -> dt.date:
    total = day.year * 12 + day.month - 1 + months
    return dt.date(total // 12, total % 12 + 1, 1)


def _month_ticks(start: dt.date, end: dt.date, step: int) -> list[dt.date]:
    day = dt.date(start.year, start.month, 1)
    if day < start:
        day = _add_months(day, 1)
    while (day.year * 12 + day.month - 1) % step:
        day = _add_months(day, 1)
    out: list[dt.date] = []
    while day <= end:
        out.append(day)
        day = _add_months(day, step)
    return out


def time_ticks(start: dt.date, end: dt.date, max_ticks: int) -> list[tuple[dt.date, str]]:
    """Tick days and labels for a time axis from ``start`` to ``end``, at most ``max_ticks`` of them.

    Calendar steps first (the first of every 1, 3, 6, 12, 24, 60 or 120 months, the first that fits),
    labelled ``Jan 2024`` (or ``2024`` for yearly steps); a span too short for two month ticks gets evenly
    spaced days labelled ``05 Mar 2024``; a single day is labelled with its ISO date.
    """
    max_ticks = max(max_ticks, 2)
    if end <= start:
        return [(start, start.isoformat())]
    for step in MONTH_STEPS:
        months = _month_ticks(start, end, step)
        if len(months) < 2:
            break
        if len(months) <= max_ticks:
            fmt = "%Y" if step >= 12 else "%b %Y"
            return [(d, d.strftime(fmt)) for d in months]
    span = (end - start).days
    step_days = next((s for s in DAY_STEPS if span // s + 1 <= max_ticks), math.ceil(span / (max_ticks - 1)))
    return [(start + dt.timedelta(days=n), (start + dt.timedelta(days=n)).strftime("%d %b %Y"))
            for n in range(0, span + 1, step_days)]  # fmt: skip
