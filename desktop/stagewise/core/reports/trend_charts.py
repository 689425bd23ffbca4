"""Score trend charts and bar charts for the reports (``reportlab.graphics``).

A trend chart draws one :class:`~stagewise.core.instruments.ChartSpec` (from the instrument file's
``[presentation]`` table): its scores as lines, its shaded bands with their labels in a column on the right,
its reference lines.  Positions come from :mod:`.geometry`, the same rules the screen uses.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from reportlab.graphics.shapes import Drawing, Group, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.units import cm
from reportlab.pdfbase.pdfmetrics import stringWidth

from stagewise.core.instruments.model import ReferenceLine, ShadedBand
from stagewise.core.reports.charts import (
    BAND_FILLS,
    BAND_LABEL_COLUMN,
    FONT,
    FONT_BOLD,
    LEGEND_ROW,
    SERIES_STYLES,
    TICK_SIZE,
    Series,
    empty_note,
    legend,
    legend_rows,
    line_sample,
    marker,
    new_drawing,
    time_axis,
)
from stagewise.core.reports.fonts import register_fonts
from stagewise.core.reports.geometry import (
    LinearScale,
    TimeScale,
    band_spans,
    nice_step,
    nice_ticks,
    score_axis,
    spread,
    tick_label,
)
from stagewise.core.reports.layout import OKABE_ITO, RULE_GREY, TEXT_GREY

SCORE_TICKS = 6  # at most this many score-axis steps on a trend chart


def score_trend(
    series: Sequence[Series],
    start: dt.date,
    end: dt.date,
    *,
    y_range: tuple[float, float],
    bands: Sequence[ShadedBand] = (),
    references: Sequence[ReferenceLine] = (),
    width: float = 16 * cm,
    height: float = 6 * cm,
    value_labels: bool | None = None,
) -> Drawing:
    """A line chart of scores over time with shaded band regions and labelled reference lines.

    Args:
        series: the lines (one per score); each point is (date, value or None for a missing score).
        start: first day of the time axis.
        end: last day of the time axis.
        y_range: the score axis (the chart's axis for these values; widened if a value lies outside).
        bands: shaded regions, lowest first; labels go in a column right of the plot.
        references: dashed horizontal lines with labels (e.g. the BARC-10 47 line).
        width: drawing width in points.
        height: drawing height in points.
        value_labels: print each value beside its point (default: one series with at most 12 points).
    """
    register_fonts()
    values = [v for s in series for _, v in s.points if v is not None]
    lo, hi = score_axis(y_range, values)
    drawing = new_drawing(width, height)
    g = Group()
    label_col = BAND_LABEL_COLUMN
    x0 = 24.0
    pw = width - x0 - label_col - 6
    multi = len(series) > 1
    styles = [SERIES_STYLES[i % len(SERIES_STYLES)] for i in range(len(series))]
    items = [
        (line_sample(st.colour, st.dash, st.marker), s.name) for s, st in zip(series, styles, strict=True)
    ]
    legend_h = len(legend_rows(items, pw + label_col)) * LEGEND_ROW + 2 if multi else 0
    y0 = 18 + legend_h
    ph = height - y0 - 6
    y_of = LinearScale(lo, hi, y0, y0 + ph)
    x_of = TimeScale(start, end, x0, x0 + pw)

    label_x = x0 + pw + 8
    spans = band_spans(bands, y_of)
    for span in spans:
        if not span.visible:
            continue
        fill = BAND_FILLS[min(span.index, len(BAND_FILLS) - 1)]
        g.add(Rect(x0, span.low, pw, span.high - span.low, fillColor=fill, strokeColor=None))
        if span.index > 0:
            edge = colors.HexColor("#BDBDBD")
            g.add(Line(x0, span.low, x0 + pw, span.low, strokeColor=edge, strokeWidth=0.4))
    if spans:
        wanted = [s.centre for s in spans]
        placed = spread(wanted, 8.0, y0 + 2, y0 + ph - 2)
        for span, want, at in zip(spans, wanted, placed, strict=True):
            if abs(at - want) > 1:
                g.add(Line(x0 + pw + 1, want, label_x - 2, at + 2, strokeColor=RULE_GREY, strokeWidth=0.3))
            g.add(String(label_x, at, span.label, fontName=FONT, fontSize=6.5, fillColor=TEXT_GREY))
    for ref in references:
        y = y_of(ref.value)
        g.add(Line(x0, y, x0 + pw, y, strokeColor=colors.black, strokeWidth=0.9, strokeDashArray=[3, 2]))
        g.add(String(label_x, y - 2.5, ref.label, fontName=FONT_BOLD, fontSize=6.5, fillColor=colors.black))

    # y axis with tick labels
    g.add(Line(x0, y0, x0, y0 + ph, strokeColor=TEXT_GREY, strokeWidth=0.6))
    for t in nice_ticks(lo, hi, SCORE_TICKS):
        y = y_of(t)
        g.add(Line(x0 - 2.5, y, x0, y, strokeColor=TEXT_GREY, strokeWidth=0.5))
        g.add(
            String(x0 - 4, y - 2.3, tick_label(t), fontName=FONT, fontSize=TICK_SIZE, textAnchor="end",
                   fillColor=TEXT_GREY)
        )  # fmt: skip
    time_axis(g, x_of, y0)

    show_values = (
        value_labels if value_labels is not None else (len(series) == 1 and len(series[0].points) <= 12)
    )
    for s, style in zip(series, styles, strict=True):
        dash = list(style.dash) if style.dash else None
        runs: list[list[float]] = [[]]
        points: list[tuple[float, float, float]] = []
        for day, value in s.points:
            if value is None:
                runs.append([])
                continue
            x, y = x_of(day), y_of(value)
            runs[-1] += [x, y]
            points.append((x, y, value))
        for run in runs:
            if len(run) >= 4:
                g.add(PolyLine(run, strokeColor=style.colour, strokeWidth=1.3, strokeDashArray=dash))
        size = 4.5 if len(points) <= 40 else 3.0
        for x, y, value in points:
            g.add(marker(style.marker, x, y, size, style.colour))
            if show_values:
                g.add(
                    String(x, y + 4.5, tick_label(value), fontName=FONT, fontSize=6.5, textAnchor="middle",
                           fillColor=colors.black)
                )  # fmt: skip
    if not values:
        empty_note(g, "No scores in this period", x0, y0, pw, ph)
    if multi:
        legend(g, items, x0, legend_h, pw + label_col)
    drawing.add(g)
    return drawing


# --------------------------------------------------------------------------------------------------------


def bar_chart(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    width: float = 16 * cm,
    height: float = 6 * cm,
    value_format: str = "{:g}",
) -> Drawing:
    """Vertical grouped bars with the value printed above each bar.

    Args:
        categories: one label per group (x axis).
        series: (legend name, one value per category; None = no value, printed as "–").
        width: drawing width in points.
        height: drawing height in points.
        value_format: how values are printed above the bars.
    """
    register_fonts()
    drawing = new_drawing(width, height)
    g = Group()
    fills = (OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["bluish_green"])
    multi = len(series) > 1
    items: list[tuple[Group, str]] = []
    for i, (name, _values) in enumerate(series):
        sample = Group()
        sample.add(
            Rect(1, -3.5, 10, 7, fillColor=fills[i % len(fills)], strokeColor=colors.black, strokeWidth=0.3)
        )
        items.append((sample, name))
    legend_h = len(legend_rows(items, width - 30)) * LEGEND_ROW + 2 if multi else 0
    x0, y0 = 28.0, 14 + legend_h
    pw, ph = width - x0 - 4, height - y0 - 12
    values = [v for _, vals in series for v in vals if v is not None]
    top = max(values, default=0.0)
    step = nice_step(top if top > 0 else 1, 5)
    top = max(step, math.ceil(top / step) * step)
    g.add(Line(x0, y0, x0 + pw, y0, strokeColor=TEXT_GREY, strokeWidth=0.6))
    g.add(Line(x0, y0, x0, y0 + ph, strokeColor=TEXT_GREY, strokeWidth=0.6))
    tick = 0.0
    while tick <= top + 1e-9:
        y = y0 + tick / top * ph
        g.add(Line(x0, y, x0 + pw, y, strokeColor=colors.HexColor("#E6E6E6"), strokeWidth=0.4))
        g.add(
            String(
                x0 - 4,
                y - 2.3,
                tick_label(tick),
                fontName=FONT,
                fontSize=TICK_SIZE,
                textAnchor="end",
                fillColor=TEXT_GREY,
            )
        )
        tick += step
    group_w = pw / max(len(categories), 1)
    bar_w = group_w * 0.7 / max(len(series), 1)
    for c, label in enumerate(categories):
        gx = x0 + c * group_w + group_w * 0.15
        for s, (_name, vals) in enumerate(series):
            value = vals[c] if c < len(vals) else None
            bx = gx + s * bar_w
            if value is not None and value > 0:
                h = value / top * ph
                g.add(
                    Rect(
                        bx,
                        y0,
                        bar_w * 0.92,
                        h,
                        fillColor=fills[s % len(fills)],
                        strokeColor=colors.black,
                        strokeWidth=0.3,
                    )
                )
            text = "–" if value is None else value_format.format(value)
            vy = y0 + (0 if value is None else max(value, 0) / top * ph) + 2
            g.add(
                String(
                    bx + bar_w * 0.46,
                    vy,
                    text,
                    fontName=FONT,
                    fontSize=6.5,
                    textAnchor="middle",
                    fillColor=colors.black,
                )
            )
        words = label
        while stringWidth(words, FONT, TICK_SIZE) > group_w - 2 and len(words) > 4:
            words = words[:-2] + "…"
        g.add(
            String(
                x0 + c * group_w + group_w / 2,
                y0 - 9,
                words,
                fontName=FONT,
                fontSize=TICK_SIZE,
                textAnchor="middle",
                fillColor=colors.black,
            )
        )
    if multi:
        legend(g, items, x0, legend_h, pw)
    drawing.add(g)
    return drawing
