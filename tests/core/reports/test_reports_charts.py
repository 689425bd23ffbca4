"""Chart building blocks: recycling markers, pause hatching, band drawing (the geometry itself is tested in
``test_reports_geometry``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from hypothesis import given, settings, strategies as st
from reportlab.graphics.shapes import Group, Polygon, Rect, String

from stagewise.core.instruments import load_library
from stagewise.core.models import Stage, StageBasis
from stagewise.core.reports import charts, trend_charts
from stagewise.core.reports.data import StageEntry
from stagewise.core.stages.labels import CLINICIAN_NAMES as CLINICAL_STAGE_NAMES

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
    history = [_entry((1, 10), Stage.ACTION), _entry((4, 1), None), _entry((8, 1), Stage.CONTEMPLATION)]
    drawing = charts.stage_timeline(history, START, END, stage_names=CLINICAL_STAGE_NAMES)
    assert _backward_markers(drawing) == 2
    texts = _strings(drawing)
    assert texts.count("not staged for now") == 2  # on the span and in the legend: one wording


def test_a_narrow_pause_is_labelled_up_the_span() -> None:
    history = [_entry((1, 10), Stage.ACTION), _entry((4, 1), None), _entry((4, 25), Stage.CONTEMPLATION)]
    drawing = charts.stage_timeline(history, START, END, stage_names=CLINICAL_STAGE_NAMES)

    def words(n: Any) -> list[str]:
        return [c.text for c in getattr(n, "contents", []) if isinstance(c, String)]

    turns = [
        tuple(round(v, 9) for v in n.transform[:4])
        for n in _walk(drawing)
        if isinstance(n, Group) and "not staged for now" in words(n)
    ]
    assert (0, 1, -1, 0) in turns  # on the span, turned a quarter, reading upwards (the other is the legend)


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


def test_trend_draws_bands_reference_line_and_values() -> None:
    (barc,) = load_library().get("barc-10").charts
    series = [charts.Series("BARC-10 total", ((dt.date(2024, 2, 1), 31.0), (dt.date(2024, 9, 1), 49.0)))]
    drawing = trend_charts.score_trend(
        series, START, END, y_range=barc.axes[0], bands=barc.bands, references=barc.references
    )
    texts = _strings(drawing)
    assert "47 line (Vilsaint 2017)" in texts
    assert "47–60 remission range" in texts
    assert "31" in texts
    assert "49" in texts
    fills = [n for n in _walk(drawing) if isinstance(n, Rect) and n.fillColor in charts.BAND_FILLS]
    assert len(fills) >= 2


def test_missing_score_breaks_the_line() -> None:
    pts = ((dt.date(2024, 1, 1), 5.0), (dt.date(2024, 2, 1), None), (dt.date(2024, 3, 1), 7.0))
    drawing = trend_charts.score_trend([charts.Series("x", pts)], START, END, y_range=(0, 27))
    from reportlab.graphics.shapes import PolyLine

    assert not [n for n in _walk(drawing) if isinstance(n, PolyLine)]  # no two consecutive values


def test_bar_chart_prints_every_value() -> None:
    drawing = trend_charts.bar_chart(["A", "B"], [("n", [3.0, None])])
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
