"""Chart building blocks: recycling markers, pause hatching, time ticks, band drawing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from hypothesis import given, settings, strategies as st
from reportlab.graphics.shapes import Group, Polygon, Rect, String

from stagewise.core.models import Stage, StageBasis
from stagewise.core.reports import charts, specs
from stagewise.core.reports.data import CLINICAL_STAGE_NAMES, StageEntry

START, END = dt.date(2024, 1, 1), dt.date(2024, 12, 31)


def _walk(node: Any) -> Iterator[Any]:
    yield node
    for child in getattr(node, "contents", []) or []:
        yield from _walk(child)


def _strings(node: Any) -> list[str]:
    return [n.text for n in _walk(node) if isinstance(n, String)]


def _backward_markers(node: Any) -> int:
    return sum(1 for n in _walk(node) if isinstance(n, Polygon) and n.fillColor == charts.BACK_COLOUR)


def _entry(day: tuple[int, int], stage: Stage | None) -> StageEntry:
    basis = StageBasis.NOT_STAGED if stage is None else StageBasis.CLINICAL_JUDGEMENT
    return StageEntry(
        dt.date(
            2024,
            *day,
        ),
        stage,
        basis=basis,
        reason="r" if stage is None else None,
    )


def test_backward_move_is_marked_as_recycling() -> None:
    forward = [_entry((1, 10), Stage.CONTEMPLATION), _entry((3, 1), Stage.PREPARATION)]
    back = [*forward, _entry((6, 1), Stage.CONTEMPLATION)]
    d_forward = charts.stage_timeline(forward, START, END, stage_names=CLINICAL_STAGE_NAMES)
    d_back = charts.stage_timeline(back, START, END, stage_names=CLINICAL_STAGE_NAMES)
    # The legend always explains the marker; only the chart with a move back draws one in the plot.
    assert _backward_markers(d_forward) == 1
    assert _backward_markers(d_back) == 2
    assert "moved back a stage (recycling)" in _strings(d_back)


def test_move_back_after_a_pause_still_counts_as_recycling() -> None:
    history = [_entry((1, 10), Stage.ACTION), _entry((4, 1), None), _entry((6, 1), Stage.CONTEMPLATION)]
    drawing = charts.stage_timeline(history, START, END, stage_names=CLINICAL_STAGE_NAMES)
    assert _backward_markers(drawing) == 2
    texts = _strings(drawing)
    assert "not staged" in texts
    assert "not staged for a while" in texts


def test_stage_rows_are_ordered_bottom_up() -> None:
    drawing = charts.stage_timeline([], START, END, stage_names=CLINICAL_STAGE_NAMES)
    rows = {
        n.text: n.y
        for n in _walk(drawing)
        if isinstance(n, String) and n.text in CLINICAL_STAGE_NAMES.values()
    }
    ordered = sorted(rows, key=lambda name: rows[name])
    assert ordered == [CLINICAL_STAGE_NAMES[s] for s in Stage]
    assert "No stage recorded in this period" in _strings(drawing)


def test_date_ticks_scale_with_the_period() -> None:
    ten_years = charts.date_ticks(dt.date(2015, 1, 1), dt.date(2024, 12, 31))
    assert [label for _, label in ten_years] == [str(y) for y in range(2015, 2025)]
    one_year = charts.date_ticks(START, END)
    assert [label for _, label in one_year] == ["Jan 2024", "Apr 2024", "Jul 2024", "Oct 2024"]
    short = charts.date_ticks(dt.date(2024, 3, 5), dt.date(2024, 3, 20))
    assert [label for _, label in short] == ["2024-03-05", "2024-03-20"]


def test_trend_draws_bands_reference_line_and_values() -> None:
    series = [charts.Series("BARC-10 total", ((dt.date(2024, 2, 1), 31.0), (dt.date(2024, 9, 1), 49.0)))]
    drawing = charts.score_trend(
        series, START, END, y_range=(10, 60), bands=specs.BARC10.bands, references=specs.BARC10.references
    )
    texts = _strings(drawing)
    assert "47 line (Vilsaint 2017)" in texts
    assert "47 and above" in texts
    assert "31" in texts
    assert "49" in texts
    fills = [n for n in _walk(drawing) if isinstance(n, Rect) and n.fillColor in charts.BAND_FILLS]
    assert len(fills) >= 2


def test_missing_score_breaks_the_line() -> None:
    pts = ((dt.date(2024, 1, 1), 5.0), (dt.date(2024, 2, 1), None), (dt.date(2024, 3, 1), 7.0))
    drawing = charts.score_trend([charts.Series("x", pts)], START, END, y_range=(0, 27))
    from reportlab.graphics.shapes import PolyLine

    assert not [n for n in _walk(drawing) if isinstance(n, PolyLine)]  # no two consecutive values


def test_band_specs_follow_the_published_cut_offs() -> None:
    # PHQ-9 0–4/5–9/10–14/15–19/20–27 (Kroenke et al. 2001), half-point edges.
    assert [(b.low, b.high) for b in specs.PHQ9.bands] == [
        (-0.5, 4.5),
        (4.5, 9.5),
        (9.5, 14.5),
        (14.5, 19.5),
        (19.5, 27.5),
    ]
    assert [(b.low, b.high) for b in specs.GAD7.bands][-1] == (14.5, 21.5)
    assert [(b.low, b.high) for b in specs.AUDIT.bands][1] == (7.5, 15.5)  # zone II 8–15 (Babor et al. 2001)
    socrates_ts = specs.SOCRATES[2].bands
    assert (socrates_ts[0].low, socrates_ts[0].high) == (
        7.5,
        25.5,
    )  # decile 10 = 8–25 (SOCRATES 8A profile sheet)
    assert specs.URICA_READINESS.y_ranges == ((-2, 14),)  # HABITS Lab
    assert specs.pick_range(specs.URICA_SUBSCALES, [2.5, 4.0]) == (1, 5)
    assert specs.pick_range(specs.URICA_SUBSCALES, [21, 30]) == (7, 35)


def test_bar_chart_prints_every_value() -> None:
    drawing = charts.bar_chart(["A", "B"], [("n", [3.0, None])])
    assert {"3", "–"} <= set(_strings(drawing))
    assert isinstance(drawing.contents[0], Group)


stage_or_none = st.one_of(st.none(), st.sampled_from(list(Stage)))


@settings(max_examples=60, deadline=None)
@given(
    days=st.lists(st.integers(min_value=-400, max_value=800), max_size=25),
    stages=st.lists(stage_or_none, min_size=25, max_size=25),
    span=st.integers(min_value=0, max_value=4000),
)
def test_timeline_draws_any_history(days: list[int], stages: list[Stage | None], span: int) -> None:
    start = dt.date(2020, 1, 1)
    end = start + dt.timedelta(days=span)
    history = sorted(
        (
            StageEntry(
                start + dt.timedelta(days=d),
                s,
                basis=StageBasis.NOT_STAGED if s is None else StageBasis.CLINICAL_JUDGEMENT,
            )
            for d, s in zip(days, stages, strict=False)
        ),
        key=lambda e: e.effective,
    )
    drawing = charts.stage_timeline(history, start, end, stage_names=CLINICAL_STAGE_NAMES, show_proposed=True)
    xs = [n.x for n in _walk(drawing) if isinstance(n, String)]
    assert all(-1 <= x <= drawing.width + 1 for x in xs)  # nothing is drawn off the chart


@settings(max_examples=60, deadline=None)
@given(
    start_offset=st.integers(min_value=0, max_value=20000),
    span=st.integers(min_value=0, max_value=6000),
)
def test_date_ticks_inside_and_increasing(start_offset: int, span: int) -> None:
    start = dt.date(1990, 1, 1) + dt.timedelta(days=start_offset)
    end = start + dt.timedelta(days=span)
    ticks = [d for d, _ in charts.date_ticks(start, end)]
    assert ticks
    assert all(start <= d <= end for d in ticks)
    assert ticks == sorted(set(ticks))
