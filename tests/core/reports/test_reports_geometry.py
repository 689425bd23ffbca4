"""The chart geometry shared by the screen and the reports: scales, ticks, band spans, time axis."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings, strategies as st

from stagewise.core.instruments import ShadedBand
from stagewise.core.reports.geometry import (
    LinearScale,
    TimeScale,
    band_spans,
    nice_step,
    nice_ticks,
    score_axis,
    spread,
    tick_label,
    time_ticks,
)


def test_linear_scale_maps_both_ways_and_holds_values_at_the_edge() -> None:
    up = LinearScale(0, 10, 100, 200)  # PDF: y grows upwards
    down = LinearScale(0, 10, 200, 100)  # screen: y grows downwards
    assert (up(0), up(5), up(10)) == (100, 150, 200)
    assert (down(0), down(5), down(10)) == (200, 150, 100)
    assert up(-3) == 100
    assert up(12) == 200


def test_time_scale_places_days_in_proportion() -> None:
    scale = TimeScale(dt.date(2024, 1, 1), dt.date(2024, 1, 11), 0, 100)
    assert scale(dt.date(2024, 1, 6)) == 50
    assert TimeScale(dt.date(2024, 1, 1), dt.date(2024, 1, 1), 0, 100)(dt.date(2024, 1, 1)) == 0


def test_one_tick_rule_for_every_axis() -> None:
    assert nice_ticks(0, 27, 6) == [0, 5, 10, 15, 20, 25]
    assert nice_ticks(-2, 14, 4) == [0, 5, 10]
    assert nice_ticks(10, 60, 6) == [10, 20, 30, 40, 50, 60]
    assert nice_ticks(1, 5, 6) == [1, 2, 3, 4, 5]
    assert nice_ticks(-8, 8, 6) == [-5, 0, 5]
    assert nice_step(0.4, 4) == 0.1
    assert [tick_label(v) for v in (0.0, 2.5, 1 / 3, -5.0)] == ["0", "2.5", "0.33", "-5"]


@settings(max_examples=80, deadline=None)
@given(
    lo=st.floats(min_value=-1000, max_value=1000, allow_nan=False),
    span=st.floats(min_value=0.01, max_value=5000, allow_nan=False),
    target=st.integers(min_value=1, max_value=12),
)
def test_ticks_are_round_inside_and_few(lo: float, span: float, target: int) -> None:
    hi = lo + span
    ticks = nice_ticks(lo, hi, target)
    step = nice_step(span, target)
    mantissa = step / 10 ** __import__("math").floor(__import__("math").log10(step))
    assert round(mantissa, 6) in (1, 2, 5, 10)
    assert all(lo - 1e-6 <= t <= hi + 1e-6 for t in ticks)
    assert len(ticks) <= target + 1
    assert ticks == sorted(ticks)


def test_score_axis_widens_to_hold_every_value() -> None:
    assert score_axis((0, 27), [3, 9]) == (0, 27)
    assert score_axis((1, 5), [0.5, 6]) == (0.5, 6)
    assert score_axis((4, 4), []) == (4, 5)


def test_band_spans_are_clipped_to_the_axis() -> None:
    bands = [ShadedBand(-0.5, 4.5, "0–4 none"), ShadedBand(4.5, 9.5, "5–9 mild"), ShadedBand(30, 40, "off")]
    spans = band_spans(bands, LinearScale(0, 27, 0, 270))
    assert [(s.low, s.high, s.visible) for s in spans] == [(0, 45, True), (45, 95, True), (270, 270, False)]
    assert [s.index for s in spans] == [0, 1, 2]
    assert spans[0].centre == 22.5


def test_spread_keeps_labels_apart_and_inside() -> None:
    placed = spread([10, 11, 12, 100], 8, 0, 100)
    assert all(b - a >= 8 - 1e-9 for a, b in zip(sorted(placed), sorted(placed)[1:], strict=False))
    assert all(0 <= p <= 100 for p in placed)


def test_time_ticks_scale_with_the_period() -> None:
    ten_years = time_ticks(dt.date(2015, 1, 1), dt.date(2024, 12, 31), 10)
    assert [label for _, label in ten_years] == [str(y) for y in range(2015, 2025)]
    one_year = time_ticks(dt.date(2024, 1, 1), dt.date(2024, 12, 31), 8)
    assert [label for _, label in one_year] == ["Jan 2024", "Apr 2024", "Jul 2024", "Oct 2024"]
    two_weeks = time_ticks(dt.date(2024, 3, 5), dt.date(2024, 3, 20), 4)
    assert [label for _, label in two_weeks] == ["05 Mar 2024", "12 Mar 2024", "19 Mar 2024"]
    assert time_ticks(dt.date(2024, 3, 5), dt.date(2024, 3, 5), 4) == [(dt.date(2024, 3, 5), "2024-03-05")]


@settings(max_examples=80, deadline=None)
@given(
    start_offset=st.integers(min_value=0, max_value=20000),
    span=st.integers(min_value=0, max_value=6000),
    most=st.integers(min_value=2, max_value=14),
)
def test_time_ticks_inside_increasing_and_few(start_offset: int, span: int, most: int) -> None:
    start = dt.date(1990, 1, 1) + dt.timedelta(days=start_offset)
    end = start + dt.timedelta(days=span)
    ticks = [d for d, _ in time_ticks(start, end, most)]
    assert ticks
    assert all(start <= d <= end for d in ticks)
    assert ticks == sorted(set(ticks))
    assert len(ticks) <= most
