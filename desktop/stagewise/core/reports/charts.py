"""Vector charts for the reports (``reportlab.graphics``): the stage timeline and the drawing parts that the
score trends and bar charts (:mod:`.trend_charts`) share.  Where things go comes from :mod:`.geometry`,
shared with the screen.

Charts are drawn from plain values (no ORM, no Qt) and return a :class:`Drawing` that a report places
as a flowable.  Colours come from the Okabe & Ito palette and every meaning is carried twice: by colour and
by line style, marker shape or hatching, so a grey-scale photocopy still reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reportlab.graphics.shapes import Circle, Drawing, Group, Line, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.lib.units import cm
from reportlab.pdfbase.pdfmetrics import stringWidth

from stagewise.core.models import Stage
from stagewise.core.reports.data import StageEntry
from stagewise.core.reports.fonts import register_fonts
from stagewise.core.reports.geometry import TimeScale, time_ticks
from stagewise.core.reports.layout import OKABE_ITO, TEXT_GREY
from stagewise.core.stages.labels import NOT_STAGED_WORDING

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
TICK_SIZE = 6.5
LEGEND_ROW = 10.0
BAND_LABEL_COLUMN = 3.9 * cm  # fixed, so the time axes of all trend charts line up
TIME_TICK_SPACING = 55.0  # points per time tick at most (a "Jan 2024" label is about 30 points wide)

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
class Series:
    """One line: a named score over time; a None value breaks the line (missing score)."""

    name: str
    points: tuple[tuple[dt.date, float | None], ...]


# --------------------------------------------------------------------------------------------------------
# Shared drawing helpers


def new_drawing(width: float, height: float) -> Drawing:
    """A drawing whose initial font is DejaVu Sans (else ReportLab starts each chart in Helvetica, an
    unembedded Latin-1 font)."""
    return Drawing(width, height, initialFontName=FONT, initialFontSize=7)


def time_axis(group: Group, scale: TimeScale, y0: float) -> None:
    """The time axis along ``y0``: a line, a tick per calendar step and labels that never overlap."""
    x0, width = scale.start, scale.end - scale.start
    group.add(Line(x0, y0, x0 + width, y0, strokeColor=TEXT_GREY, strokeWidth=0.6))
    last_right = -1e9
    for day, label in time_ticks(scale.first, scale.last, int(width // TIME_TICK_SPACING)):
        x = scale(day)
        group.add(Line(x, y0, x, y0 - 2.5, strokeColor=TEXT_GREY, strokeWidth=0.5))
        w = stringWidth(label, FONT, TICK_SIZE)
        left = max(min(x - w / 2, x0 + width - w), x0 - 4)
        if left < last_right + 4:
            continue  # never print overlapping tick labels
        group.add(String(left, y0 - 10, label, fontName=FONT, fontSize=TICK_SIZE, fillColor=TEXT_GREY))
        last_right = left + w


def marker(kind: str, x: float, y: float, size: float, colour: colors.Color, *, filled: bool = True) -> Group:
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


def hatch(group: Group, x0: float, y0: float, w: float, h: float, *, spacing: float = 4.0) -> None:
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


def empty_note(group: Group, text: str, x0: float, y0: float, width: float, height: float) -> None:
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


def legend_rows(items: Sequence[tuple[Group, str]], width: float) -> list[list[tuple[Group, str, float]]]:
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


def legend(group: Group, items: Sequence[tuple[Group, str]], x0: float, top: float, width: float) -> None:
    """Lay legend entries left to right from ``top`` downwards, wrapping to ``width``."""
    for r, row in enumerate(legend_rows(items, width)):
        y = top - 7 - r * LEGEND_ROW
        for sample, label, x in row:
            sample.translate(x0 + x, y + 2.5)
            group.add(sample)
            group.add(String(x0 + x + 16, y, label, fontName=FONT, fontSize=7, fillColor=colors.black))


def line_sample(
    colour: colors.Color, dash: tuple[float, ...] | None, shape: str | None, width: float = 1.4
) -> Group:
    g = Group()
    g.add(
        Line(0, 0, 12, 0, strokeColor=colour, strokeWidth=width, strokeDashArray=list(dash) if dash else None)
    )
    if shape:
        g.add(marker(shape, 6, 0, 4.5, colour))
    return g


# --------------------------------------------------------------------------------------------------------
# Stage timeline


STAGES_BOTTOM_UP = tuple(Stage)


def _gap_words(group: Group, label: str, centre: float, width: float, top: float) -> None:
    """The words on a not-staged span, on a white patch under its top edge; on a narrow span they run up
    the span (as on the screen), and where even that has no room the legend alone explains the hatching."""
    text_w = stringWidth(label, FONT, 6.5)
    if text_w + 4 <= width:
        group.add(
            Rect(
                centre - text_w / 2 - 1.5, top - 10, text_w + 3, 8.5, fillColor=colors.white, strokeColor=None
            )
        )
        group.add(String(centre, top - 8, label, fontName=FONT, fontSize=6.5, textAnchor="middle"))
    elif width >= 10:
        words = Group(
            Rect(-1.5, -6.6, text_w + 3, 8.8, fillColor=colors.white, strokeColor=None),
            String(0, -4.7, label, fontName=FONT, fontSize=6.5),
        )
        words.translate(centre, top - 4 - text_w)
        words.rotate(90)
        group.add(words)


def _timeline_legend(
    has_gap: bool, has_proposed: bool, gap_legend: str, back_legend: str = "moved back a stage (recycling)"
) -> list[tuple[Group, str]]:
    legend: list[tuple[Group, str]] = [
        (line_sample(STAGE_COLOUR, None, "circle", 2.2), "stage (each decision)")
    ]
    back = Group()
    back.add(marker("down_triangle", 6, 0, 7, BACK_COLOUR))
    legend.append((back, back_legend))
    if has_gap:
        gap = Group()
        hatch(gap, 0, -3.5, 12, 7, spacing=3)
        gap.add(Rect(0, -3.5, 12, 7, fillColor=None, strokeColor=GAP_GREY, strokeWidth=0.4))
        legend.append((gap, gap_legend))
    if has_proposed:
        prop = Group()
        prop.add(marker("diamond", 6, 0, 6, PROPOSED_COLOUR, filled=False))
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
    gap_label: str = NOT_STAGED_WORDING.lower(),
    gap_legend: str = NOT_STAGED_WORDING.lower(),
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
    drawing = new_drawing(width, height)
    g = Group()
    label_w = min(max(stringWidth(stage_names[s], FONT, 7) for s in Stage) + 8, 4.6 * cm)
    x0 = label_w
    pw = width - label_w - 6
    has_gap = any(e.stage is None and e.effective <= end for e in history)
    has_proposed = show_proposed and any(
        e.differs_from_proposed and start <= e.effective <= end and e.stage is not None for e in history
    )
    keys = _timeline_legend(has_gap, has_proposed, gap_legend, back_legend)
    legend_h = len(legend_rows(keys, pw)) * LEGEND_ROW + 2
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
    x_of = TimeScale(start, end, x0, x0 + pw)
    time_axis(g, x_of, y0)

    entries = [e for e in history if e.effective <= end]
    if not entries:
        empty_note(g, "No stage recorded in this period", x0, y0, pw, ph)
    gaps: list[tuple[float, float]] = []
    markers: list[Group] = []
    last_staged: Stage | None = None
    prev_point: tuple[float, float] | None = None  # end of the previous staged segment, if contiguous
    for i, entry in enumerate(entries):
        seg_start = max(entry.effective, start)
        seg_end = entries[i + 1].effective if i + 1 < len(entries) else end
        seg_end = min(max(seg_end, seg_start), end)
        xa = x_of(seg_start)
        xb = x_of(seg_end)
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
                markers.append(marker("down_triangle", xa, y, 7, BACK_COLOUR))
            else:
                markers.append(marker("circle", xa, y, 4.5, STAGE_COLOUR))
            if show_proposed and entry.differs_from_proposed and entry.proposed is not None:
                markers.append(marker("diamond", xa, row_y(entry.proposed), 6, PROPOSED_COLOUR, filled=False))
        last_staged = entry.stage
        prev_point = (xb, y)
    for xa, xb in gaps:
        w = max(xb - xa, 1.5)
        hatch(g, xa, y0 + 0.5, w, ph - 0.5)
        _gap_words(g, gap_label, xa + w / 2, w, y0 + ph)
    for m in markers:
        g.add(m)

    legend(g, keys, x0, legend_h, pw)
    drawing.add(g)
    return drawing
