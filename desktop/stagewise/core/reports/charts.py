"""Vector charts for the reports (``reportlab.graphics``): stage timelines and score trends.

Both charts are drawn from plain values (no ORM, no Qt) and return a :class:`Drawing` that a report places
as a flowable.  Colours come from the Okabe & Ito palette and every meaning is carried twice: by colour and
by line style, marker shape or hatching, so a grey-scale photocopy still reads.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reportlab.graphics.shapes import Circle, Drawing, Group, Line, Polygon, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.units import cm
from reportlab.pdfbase.pdfmetrics import stringWidth

from stagewise.core.models import Stage
from stagewise.core.reports.data import StageEntry
from stagewise.core.reports.fonts import register_fonts
from stagewise.core.reports.layout import OKABE_ITO, RULE_GREY, TEXT_GREY

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
TICK_SIZE = 6.5
LEGEND_ROW = 10.0
BAND_LABEL_COLUMN = 3.9 * cm  # fixed, so the time axes of all trend charts line up

STAGE_COLOUR = OKABE_ITO["blue"]
BACK_COLOUR = OKABE_ITO["vermillion"]
PROPOSED_COLOUR = OKABE_ITO["reddish_purple"]
GAP_GREY = colors.HexColor("#8C8C8C")

# Band fills: a light sequential grey ramp, so bands read in grey-scale print and never compete with
# the data lines (which carry the colour).
BAND_FILLS = (
    colors.HexColor("#FFFFFF"),
    colors.HexColor("#F1F1F1"),
    colors.HexColor("#E3E3E3"),
    colors.HexColor("#D5D5D5"),
    colors.HexColor("#C7C7C7"),
    colors.HexColor("#B9B9B9"),
)


@dataclass(frozen=True, slots=True)
class SeriesStyle:
    colour: colors.Color
    dash: tuple[float, ...] | None
    marker: str  # circle | square | triangle | diamond


SERIES_STYLES = (
    SeriesStyle(OKABE_ITO["blue"], None, "circle"),
    SeriesStyle(OKABE_ITO["vermillion"], (4, 2), "square"),
    SeriesStyle(OKABE_ITO["bluish_green"], (1, 1.5), "triangle"),
    SeriesStyle(OKABE_ITO["reddish_purple"], (5, 2, 1, 2), "diamond"),
    SeriesStyle(OKABE_ITO["black"], (2, 2), "circle"),
    SeriesStyle(OKABE_ITO["orange"], (6, 3), "square"),
)


@dataclass(frozen=True, slots=True)
class BandRegion:
    """A shaded score region (drawn from ``low`` to ``high`` on the score axis)."""

    low: float
    high: float
    label: str


@dataclass(frozen=True, slots=True)
class ReferenceLine:
    value: float
    label: str


@dataclass(frozen=True, slots=True)
class Series:
    """One line: a named score over time; a None value breaks the line (missing score)."""

    name: str
    points: tuple[tuple[dt.date, float | None], ...]


# --------------------------------------------------------------------------------------------------------
# Shared drawing helpers


def _drawing(width: float, height: float) -> Drawing:
    """A drawing whose initial font is DejaVu Sans (else ReportLab starts each chart in Helvetica, an
    unembedded Latin-1 font)."""
    return Drawing(width, height, initialFontName=FONT, initialFontSize=7)


def _x_of(day: dt.date, start: dt.date, end: dt.date, x0: float, width: float) -> float:
    span = max((end - start).days, 1)
    return x0 + (day - start).days / span * width


def _add_months(day: dt.date, months: int) -> dt.date:
    total = day.year * 12 + day.month - 1 + months
    return dt.date(total // 12, total % 12 + 1, 1)


def date_ticks(start: dt.date, end: dt.date) -> list[tuple[dt.date, str]]:
    """Tick dates and labels for a time axis (yearly, half-yearly, quarterly or monthly ticks)."""
    days = (end - start).days
    if days > 4 * 366:
        step, fmt = 12, "%Y"
    elif days > 2 * 366:
        step, fmt = 6, "%b %Y"
    elif days > 270:
        step, fmt = 3, "%b %Y"
    else:
        step, fmt = 1, "%b %Y"
    if step == 12:
        first = dt.date(start.year if (start.month, start.day) == (1, 1) else start.year + 1, 1, 1)
    else:
        first = _add_months(start.replace(day=1), 0 if start.day == 1 else 1)
        while (first.month - 1) % step:
            first = _add_months(first, 1)
    ticks: list[tuple[dt.date, str]] = []
    day = first
    while day <= end:
        ticks.append((day, day.strftime(fmt)))
        day = _add_months(day, step)
    if len(ticks) < 2:
        ticks = (
            [(start, start.isoformat()), (end, end.isoformat())] if days > 0 else [(start, start.isoformat())]
        )
    return ticks


def _time_axis(group: Group, start: dt.date, end: dt.date, x0: float, y0: float, width: float) -> None:
    group.add(Line(x0, y0, x0 + width, y0, strokeColor=TEXT_GREY, strokeWidth=0.6))
    last_right = -1e9
    for day, label in date_ticks(start, end):
        x = _x_of(day, start, end, x0, width)
        group.add(Line(x, y0, x, y0 - 2.5, strokeColor=TEXT_GREY, strokeWidth=0.5))
        w = stringWidth(label, FONT, TICK_SIZE)
        left = max(min(x - w / 2, x0 + width - w), x0 - 4)
        if left < last_right + 4:
            continue  # never print overlapping tick labels
        group.add(String(left, y0 - 10, label, fontName=FONT, fontSize=TICK_SIZE, fillColor=TEXT_GREY))
        last_right = left + w


def _marker(
    kind: str, x: float, y: float, size: float, colour: colors.Color, *, filled: bool = True
) -> Group:
    g = Group()
    fill = colour if filled else colors.white
    r = size / 2
    if kind == "circle":
        g.add(Circle(x, y, r, fillColor=fill, strokeColor=colour, strokeWidth=0.8))
    elif kind == "square":
        g.add(
            Rect(
                x - r * 0.9,
                y - r * 0.9,
                r * 1.8,
                r * 1.8,
                fillColor=fill,
                strokeColor=colour,
                strokeWidth=0.8,
            )
        )
    elif kind == "triangle":
        g.add(Polygon([x - r, y - r * 0.8, x + r, y - r * 0.8, x, y + r], fillColor=fill, strokeColor=colour))
    elif kind == "down_triangle":
        g.add(
            Polygon(
                [x - r * 1.1, y + r * 0.9, x + r * 1.1, y + r * 0.9, x, y - r * 1.1],
                fillColor=fill,
                strokeColor=colour,
                strokeWidth=0.8,
            )
        )
    else:  # diamond
        g.add(
            Polygon(
                [x, y + r, x + r, y, x, y - r, x - r, y], fillColor=fill, strokeColor=colour, strokeWidth=0.8
            )
        )
    return g


def _hatch(group: Group, x0: float, y0: float, w: float, h: float, *, spacing: float = 4.0) -> None:
    """Diagonal hatching inside a rectangle, clipped by computation (shapes have no clip paths)."""
    group.add(Rect(x0, y0, w, h, fillColor=colors.HexColor("#F4F4F4"), strokeColor=None))
    c = -h
    while c < w:
        # line y - y0 = (x - x0) - c  → points where it crosses the rectangle
        xa, ya = x0 + max(c, 0), y0 + max(-c, 0)
        run = min(w - max(c, 0), h - max(-c, 0))
        if run > 0:
            group.add(Line(xa, ya, xa + run, ya + run, strokeColor=GAP_GREY, strokeWidth=0.4))
        c += spacing


def _empty_note(group: Group, text: str, x0: float, y0: float, width: float, height: float) -> None:
    """Grey text in the middle of an empty plot area ("No scores in this period")."""
    group.add(
        String(
            x0 + width / 2,
            y0 + height / 2,
            text,
            fontName=FONT,
            fontSize=8,
            textAnchor="middle",
            fillColor=TEXT_GREY,
        )
    )


def _legend_rows(items: Sequence[tuple[Group, str]], width: float) -> list[list[tuple[Group, str, float]]]:
    rows: list[list[tuple[Group, str, float]]] = [[]]
    x = 0.0
    for sample, label in items:
        w = 16 + stringWidth(label, FONT, 7) + 12
        if x + w > width and rows[-1]:
            rows.append([])
            x = 0.0
        rows[-1].append((sample, label, x))
        x += w
    return rows


def _legend(group: Group, items: Sequence[tuple[Group, str]], x0: float, top: float, width: float) -> None:
    """Lay legend entries left to right from ``top`` downwards, wrapping to ``width``."""
    for r, row in enumerate(_legend_rows(items, width)):
        y = top - 7 - r * LEGEND_ROW
        for sample, label, x in row:
            sample.translate(x0 + x, y + 2.5)
            group.add(sample)
            group.add(String(x0 + x + 16, y, label, fontName=FONT, fontSize=7, fillColor=colors.black))


def _line_sample(
    colour: colors.Color, dash: tuple[float, ...] | None, marker: str | None, width: float = 1.4
) -> Group:
    g = Group()
    g.add(
        Line(0, 0, 12, 0, strokeColor=colour, strokeWidth=width, strokeDashArray=list(dash) if dash else None)
    )
    if marker:
        g.add(_marker(marker, 6, 0, 4.5, colour))
    return g


# --------------------------------------------------------------------------------------------------------
# Stage timeline


STAGES_BOTTOM_UP = tuple(Stage)


def _timeline_legend(
    has_gap: bool, has_proposed: bool, gap_legend: str, back_legend: str = "moved back a stage (recycling)"
) -> list[tuple[Group, str]]:
    legend: list[tuple[Group, str]] = [
        (_line_sample(STAGE_COLOUR, None, "circle", 2.2), "stage (each decision)")
    ]
    back = Group()
    back.add(_marker("down_triangle", 6, 0, 7, BACK_COLOUR))
    legend.append((back, back_legend))
    if has_gap:
        gap = Group()
        _hatch(gap, 0, -3.5, 12, 7, spacing=3)
        gap.add(Rect(0, -3.5, 12, 7, fillColor=None, strokeColor=GAP_GREY, strokeWidth=0.4))
        legend.append((gap, gap_legend))
    if has_proposed:
        prop = Group()
        prop.add(_marker("diamond", 6, 0, 6, PROPOSED_COLOUR, filled=False))
        legend.append((prop, "questionnaire suggested another stage"))
    return legend  # precontemplation (bottom) … maintenance (top)


def stage_timeline(
    history: Sequence[StageEntry],
    start: dt.date,
    end: dt.date,
    *,
    stage_names: Mapping[Stage, str],
    width: float = 16 * cm,
    height: float = 6 * cm,
    show_proposed: bool = False,
    gap_label: str = "not staged",
    gap_legend: str = "not staged for a while",
    back_legend: str = "moved back a stage (recycling)",
) -> Drawing:
    """A step chart of one focus's stage over the report period.

    Stages are rows (precontemplation at the bottom, maintenance at the top); time runs left to right.
    Each decision holds until the next one.  A move to an earlier stage than the last recorded stage is
    marked with a vermillion down-pointing triangle ("moved back a stage (recycling)"); a "not staged"
    span is hatched grey and labelled, and the line is broken across it.

    Args:
        history: decisions oldest first; the first may predate ``start`` (it is the stage in force then).
        start: first day of the period.
        end: last day of the period.
        stage_names: row label per stage (clinical names or the client's plain-language labels).
        width: drawing width in points.
        height: drawing height in points (legend included).
        show_proposed: also mark where an instrument proposed a different stage (clinician audience).
        gap_label: the words printed on a not-staged span.
        gap_legend: the legend's words for a not-staged span.
        back_legend: the legend's words for a move back a stage.
    """
    register_fonts()
    drawing = _drawing(width, height)
    g = Group()
    label_w = min(max(stringWidth(stage_names[s], FONT, 7) for s in Stage) + 8, 4.6 * cm)
    x0 = label_w
    pw = width - label_w - 6
    has_gap = any(e.stage is None and e.effective <= end for e in history)
    has_proposed = show_proposed and any(
        e.differs_from_proposed and start <= e.effective <= end and e.stage is not None for e in history
    )
    legend = _timeline_legend(has_gap, has_proposed, gap_legend, back_legend)
    legend_h = len(_legend_rows(legend, pw)) * LEGEND_ROW + 2
    y0 = legend_h + 18
    ph = height - y0 - 4
    row_h = ph / len(STAGES_BOTTOM_UP)

    def row_y(stage: Stage) -> float:
        return y0 + (stage.order + 0.5) * row_h

    for stage in STAGES_BOTTOM_UP:
        y = row_y(stage)
        g.add(Line(x0, y, x0 + pw, y, strokeColor=colors.HexColor("#E0E0E0"), strokeWidth=0.5))
        name = stage_names[stage]
        while stringWidth(name, FONT, 7) > label_w - 6 and len(name) > 4:
            name = name[:-2] + "…"
        g.add(
            String(x0 - 4, y - 2.5, name, fontName=FONT, fontSize=7, textAnchor="end", fillColor=colors.black)
        )
    g.add(Line(x0, y0, x0, y0 + ph, strokeColor=TEXT_GREY, strokeWidth=0.6))
    _time_axis(g, start, end, x0, y0, pw)

    entries = [e for e in history if e.effective <= end]
    if not entries:
        _empty_note(g, "No stage recorded in this period", x0, y0, pw, ph)
    gaps: list[tuple[float, float]] = []
    markers: list[Group] = []
    last_staged: Stage | None = None
    prev_point: tuple[float, float] | None = None  # end of the previous staged segment, if contiguous
    for i, entry in enumerate(entries):
        seg_start = max(entry.effective, start)
        seg_end = entries[i + 1].effective if i + 1 < len(entries) else end
        seg_end = min(max(seg_end, seg_start), end)
        xa = _x_of(seg_start, start, end, x0, pw)
        xb = _x_of(seg_end, start, end, x0, pw)
        if i + 1 == len(entries):
            xb = x0 + pw
        if entry.stage is None:
            gaps.append((xa, xb))
            prev_point = None
            continue
        y = row_y(entry.stage)
        if prev_point is not None:
            g.add(Line(xa, prev_point[1], xa, y, strokeColor=STAGE_COLOUR, strokeWidth=1.0))
        g.add(Line(xa, y, max(xb, xa + 0.5), y, strokeColor=STAGE_COLOUR, strokeWidth=2.2))
        backward = last_staged is not None and entry.stage.order < last_staged.order
        if entry.effective >= start:
            if backward:
                markers.append(_marker("down_triangle", xa, y, 7, BACK_COLOUR))
            else:
                markers.append(_marker("circle", xa, y, 4.5, STAGE_COLOUR))
            if show_proposed and entry.differs_from_proposed and entry.proposed is not None:
                markers.append(
                    _marker("diamond", xa, row_y(entry.proposed), 6, PROPOSED_COLOUR, filled=False)
                )
        last_staged = entry.stage
        prev_point = (xb, y)
    for xa, xb in gaps:
        w = max(xb - xa, 1.5)
        _hatch(g, xa, y0 + 0.5, w, ph - 0.5)
        label = gap_label
        if stringWidth(label, FONT, 6.5) + 4 <= w:
            g.add(
                Rect(
                    xa + w / 2 - stringWidth(label, FONT, 6.5) / 2 - 1.5,
                    y0 + ph - 10,
                    stringWidth(label, FONT, 6.5) + 3,
                    8.5,
                    fillColor=colors.white,
                    strokeColor=None,
                )
            )
            g.add(
                String(
                    xa + w / 2,
                    y0 + ph - 8,
                    label,
                    fontName=FONT,
                    fontSize=6.5,
                    textAnchor="middle",
                    fillColor=colors.black,
                )
            )
    for m in markers:
        g.add(m)

    _legend(g, legend, x0, legend_h, pw)
    drawing.add(g)
    return drawing


# --------------------------------------------------------------------------------------------------------
# Score trends


def _nice_step(span: float, target: int = 6) -> float:
    raw = span / max(target, 1)
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def _fmt(value: float) -> str:
    """Integers plain, other values to at most two decimals (as in the reports' tables)."""
    if abs(value - round(value)) < 1e-9:
        return str(round(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _spread(centres: list[float], gap: float, lo: float, hi: float) -> list[float]:
    """Move label centres apart so that neighbours are at least ``gap`` apart, staying within [lo, hi]."""
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


def score_trend(
    series: Sequence[Series],
    start: dt.date,
    end: dt.date,
    *,
    y_range: tuple[float, float],
    bands: Sequence[BandRegion] = (),
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
        y_range: the score axis (the instrument's possible range; widened if a value lies outside).
        bands: shaded regions, lowest first; labels go in a column right of the plot.
        references: dashed horizontal lines with labels (e.g. the BARC-10 47 line).
        width: drawing width in points.
        height: drawing height in points.
        value_labels: print each value beside its point (default: one series with at most 12 points).
    """
    register_fonts()
    lo, hi = y_range
    values = [v for s in series for _, v in s.points if v is not None]
    if values:
        lo, hi = min(lo, min(values)), max(hi, max(values))
    if hi <= lo:
        hi = lo + 1
    drawing = _drawing(width, height)
    g = Group()
    label_col = BAND_LABEL_COLUMN
    x0 = 24.0
    pw = width - x0 - label_col - 6
    multi = len(series) > 1
    items = [
        (_line_sample(st.colour, st.dash, st.marker), s.name)
        for s, st in zip(
            series, (SERIES_STYLES[i % len(SERIES_STYLES)] for i in range(len(series))), strict=True
        )
    ]
    legend_h = len(_legend_rows(items, pw + label_col)) * LEGEND_ROW + 2 if multi else 0
    y0 = 18 + legend_h
    ph = height - y0 - 6

    def y_of(v: float) -> float:
        return y0 + (min(max(v, lo), hi) - lo) / (hi - lo) * ph

    label_x = x0 + pw + 8
    band_centres: list[float] = []
    for i, band in enumerate(bands):
        b_lo, b_hi = max(band.low, lo), min(band.high, hi)
        if b_hi <= b_lo:
            band_centres.append(y_of(b_lo))
            continue
        fill = BAND_FILLS[min(i, len(BAND_FILLS) - 1)]
        g.add(Rect(x0, y_of(b_lo), pw, y_of(b_hi) - y_of(b_lo), fillColor=fill, strokeColor=None))
        if i > 0:
            g.add(
                Line(
                    x0,
                    y_of(b_lo),
                    x0 + pw,
                    y_of(b_lo),
                    strokeColor=colors.HexColor("#BDBDBD"),
                    strokeWidth=0.4,
                )
            )
        band_centres.append((y_of(b_lo) + y_of(b_hi)) / 2)
    if bands:
        placed = _spread(band_centres, 8.0, y0 + 2, y0 + ph - 2)
        for band, want, at in zip(bands, band_centres, placed, strict=True):
            if abs(at - want) > 1:
                g.add(Line(x0 + pw + 1, want, label_x - 2, at + 2, strokeColor=RULE_GREY, strokeWidth=0.3))
            g.add(String(label_x, at, band.label, fontName=FONT, fontSize=6.5, fillColor=TEXT_GREY))
    for ref in references:
        y = y_of(ref.value)
        g.add(Line(x0, y, x0 + pw, y, strokeColor=colors.black, strokeWidth=0.9, strokeDashArray=[3, 2]))
        g.add(String(label_x, y - 2.5, ref.label, fontName=FONT_BOLD, fontSize=6.5, fillColor=colors.black))

    # y axis with tick labels
    g.add(Line(x0, y0, x0, y0 + ph, strokeColor=TEXT_GREY, strokeWidth=0.6))
    step = _nice_step(hi - lo)
    tick = math.ceil(lo / step) * step
    ticks = []
    while tick <= hi + 1e-9:
        ticks.append(tick)
        tick += step
    for t in ticks:
        y = y_of(t)
        g.add(Line(x0 - 2.5, y, x0, y, strokeColor=TEXT_GREY, strokeWidth=0.5))
        g.add(
            String(
                x0 - 4,
                y - 2.3,
                _fmt(t),
                fontName=FONT,
                fontSize=TICK_SIZE,
                textAnchor="end",
                fillColor=TEXT_GREY,
            )
        )
    _time_axis(g, start, end, x0, y0, pw)

    show_values = (
        value_labels if value_labels is not None else (len(series) == 1 and len(series[0].points) <= 12)
    )
    for index, s in enumerate(series):
        style = SERIES_STYLES[index % len(SERIES_STYLES)]
        run: list[float] = []
        points: list[tuple[float, float, float]] = []
        for day, value in s.points:
            if value is None:
                if len(run) >= 4:
                    g.add(
                        PolyLine(
                            run,
                            strokeColor=style.colour,
                            strokeWidth=1.3,
                            strokeDashArray=list(style.dash) if style.dash else None,
                        )
                    )
                run = []
                continue
            x, y = _x_of(day, start, end, x0, pw), y_of(value)
            run += [x, y]
            points.append((x, y, value))
        if len(run) >= 4:
            g.add(
                PolyLine(
                    run,
                    strokeColor=style.colour,
                    strokeWidth=1.3,
                    strokeDashArray=list(style.dash) if style.dash else None,
                )
            )
        size = 4.5 if len(points) <= 40 else 3.0
        for x, y, value in points:
            g.add(_marker(style.marker, x, y, size, style.colour))
            if show_values:
                g.add(
                    String(
                        x,
                        y + 4.5,
                        _fmt(value),
                        fontName=FONT,
                        fontSize=6.5,
                        textAnchor="middle",
                        fillColor=colors.black,
                    )
                )
    if not values:
        _empty_note(g, "No scores in this period", x0, y0, pw, ph)
    if multi:
        items = [
            (_line_sample(st.colour, st.dash, st.marker), s.name)
            for s, st in zip(
                series, (SERIES_STYLES[i % len(SERIES_STYLES)] for i in range(len(series))), strict=True
            )
        ]
        _legend(g, items, x0, legend_h, pw + label_col)
    drawing.add(g)
    return drawing


# --------------------------------------------------------------------------------------------------------
# Bar charts (practice report)


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
    drawing = _drawing(width, height)
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
    legend_h = len(_legend_rows(items, width - 30)) * LEGEND_ROW + 2 if multi else 0
    x0, y0 = 28.0, 14 + legend_h
    pw, ph = width - x0 - 4, height - y0 - 12
    values = [v for _, vals in series for v in vals if v is not None]
    top = max(values, default=0.0)
    step = _nice_step(top if top > 0 else 1, 5)
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
                _fmt(tick),
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
        _legend(g, items, x0, legend_h, pw)
    drawing.add(g)
    return drawing
