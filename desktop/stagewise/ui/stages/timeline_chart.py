"""The stage timeline of one focus, drawn with QPainter (no QtCharts).

Top panel: the clinician's stage over time as steps, stages on the y axis in TTM order (precontemplation
at the bottom).  Moving back a stage is ordinary: it is drawn as a neutral curved arrow ("moved back
(recycling)"), never in a warning colour.  A stage that differs from the instrument's proposal is a small
diamond; "not staged for now" spans are hatched; intervention decisions are small triangles under the
steps, numbered as in the decisions list.  Bottom panel: one of an instrument's charts (its ``[presentation]``
scores, axis, bands and reference lines).  Scales and ticks come from :mod:`stagewise.core.reports.geometry`,
the same rules as the printed charts.

Nothing relies on colour alone: every kind of mark has its own shape, and the legend says what it is.
The widget keeps what it draws as plain data (``steps``, ``recycling_markers``, ``override_markers``,
``paused_spans``, ``decision_markers``, ``score_lines``) so tests can check it without looking at pixels.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QHelpEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from stagewise.core.enums import Stage
from stagewise.core.reports.geometry import (
    LinearScale,
    TimeScale,
    band_spans,
    nice_ticks,
    tick_label,
    time_ticks,
)
from stagewise.core.stages.focus_view import ScoreSeries
from stagewise.core.stages.records import DecisionInfo, StageRecordInfo, Timeline, TimelinePoint
from stagewise.ui import style
from stagewise.ui.dates import format_date
from stagewise.ui.stages import marks, words
from stagewise.ui.stages.marks import STEP

GRID = QColor("#e6e9ec")
AXIS = QColor("#9aa3ab")
# Okabe & Ito (2008) colour-blind-safe palette; every line also has its own marker shape and dash.
SERIES_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00")
SERIES_SHAPES = ("circle", "square", "triangle", "diamond", "cross")
SERIES_DASHES = (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DotLine, Qt.PenStyle.DashDotLine)
# Band shading: a light grey ramp (as in the printed charts), so the coloured lines stay in front.
BAND_FILLS = tuple(QColor(c) for c in ("#ffffff", "#f3f4f5", "#e8eaec", "#dde0e3", "#d2d6da", "#c8ccd1"))
SCORE_TICKS = 4  # at most this many score-axis steps in the small score panel …
SCORE_TICK_SPACING = 22.0  # … and at least this many pixels apart
SCORE_LEGEND_ROW = 18.0  # pixels per row of the score panel's legend
TIME_TICK_SPACING = 72.0  # pixels per date tick at most (a "Jan 2024" label is about 55 wide)


@dataclass(frozen=True, slots=True)
class Step:
    start: dt.date
    end: dt.date
    stage: Stage


@dataclass(frozen=True, slots=True)
class RecyclingMarker:
    day: dt.date
    before: Stage
    after: Stage
    record_id: int


@dataclass(frozen=True, slots=True)
class OverrideMarker:
    day: dt.date
    stage: Stage
    proposed: Stage
    record_id: int


@dataclass(frozen=True, slots=True)
class PausedSpan:
    start: dt.date
    end: dt.date
    reason: str | None


@dataclass(frozen=True, slots=True)
class DecisionMarker:
    number: int  # 1-based, as in the decisions list
    day: dt.date
    decision: DecisionInfo


@dataclass(frozen=True, slots=True)
class RecordDot:
    day: dt.date
    stage: Stage
    superseded: bool
    text: str


class TimelineChart(QWidget):
    """Stage steps over time for one focus, with recycling, overrides, pauses, decisions and scores."""

    MARGIN_RIGHT = 28
    LEGEND_ROW = 22
    STRIP = 24  # the strip under the precontemplation row where decisions sit

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timelineChart")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(300)
        self.setMouseTracking(True)
        self.timeline: Timeline | None = None
        self.steps: list[Step] = []
        self.dots: list[RecordDot] = []
        self.recycling_markers: list[RecyclingMarker] = []
        self.override_markers: list[OverrideMarker] = []
        self.paused_spans: list[PausedSpan] = []
        self.decision_markers: list[DecisionMarker] = []
        self.all_scores: tuple[ScoreSeries, ...] = ()
        self.score_lines: list[ScoreSeries] = []
        self.instrument: str | None = None
        self.first: dt.date | None = None
        self.last: dt.date | None = None
        self._hits: list[tuple[QRectF, str]] = []
        self._left = 140.0
        self._legend_h = 26.0
        self._score_legend_rows = 1
        self.setAccessibleName(self.tr("Stage timeline"))

    def sizeHint(self) -> QSize:
        return QSize(720, 420)

    # -- data ---------------------------------------------------------------------------------------

    def set_data(
        self,
        timeline: Timeline | None,
        decisions: Sequence[DecisionInfo] = (),
        scores: Sequence[ScoreSeries] = (),
        *,
        instrument: str | None = None,
    ) -> None:
        """Show a focus's timeline, its decisions and (for ``instrument``) its score lines."""
        self.timeline = timeline
        self.steps, self.dots, self.paused_spans = [], [], []
        self.recycling_markers, self.override_markers, self.decision_markers = [], [], []
        records: dict[int, StageRecordInfo] = {}
        if timeline is not None:
            records = {p.record.id: p.record for p in timeline.points}
            for seg in timeline.segments:
                if seg.stage is None:
                    reason = records[seg.record_ids[0]].reason if seg.record_ids else None
                    self.paused_spans.append(PausedSpan(seg.start, seg.end, reason))
                else:
                    self.steps.append(Step(seg.start, seg.end, seg.stage))
            previous: Stage | None = None
            for p in timeline.points:
                rec = p.record
                if rec.stage is not None:
                    self.dots.append(RecordDot(rec.effective, rec.stage, p.superseded, self._record_text(p)))
                if p.is_recycling and not p.superseded and rec.stage is not None:
                    before = previous if previous is not None else rec.stage
                    self.recycling_markers.append(RecyclingMarker(rec.effective, before, rec.stage, rec.id))
                if rec.is_override and rec.stage is not None and rec.proposed is not None:
                    self.override_markers.append(
                        OverrideMarker(rec.effective, rec.stage, rec.proposed, rec.id)
                    )
                if rec.stage is not None and not p.superseded:
                    previous = rec.stage
        self.decision_markers = [
            DecisionMarker(n, d.decided_at.astimezone().date(), d) for n, d in enumerate(decisions, start=1)
        ]
        self.all_scores = tuple(scores)
        self.set_instrument(instrument, update=False)
        self._update_range()
        self.update()

    def set_instrument(self, chart: str | None, *, update: bool = True) -> None:
        """Which chart the lower panel shows (``ScoreSeries.chart``; None: the first one available)."""
        available = [s.chart for s in self.all_scores]
        if chart not in available:
            chart = available[0] if available else None
        self.instrument = chart
        self.score_lines = [s for s in self.all_scores if s.chart == chart]
        if update:
            self._update_range()
            self.update()

    def _update_range(self) -> None:
        days: list[dt.date] = []
        if self.timeline is not None:
            days += [p.effective for p in self.timeline.points]
            if self.timeline.points:
                days.append(self.timeline.until)
        days += [m.day for m in self.decision_markers]
        days += [p.day for s in self.score_lines for p in s.points]
        if not days:
            self.first = self.last = None
            return
        first, last = min(days), max(days)
        span = max(14, (last - first).days)
        pad = max(2, round(span * 0.03))
        self.first, self.last = first - dt.timedelta(days=pad), last + dt.timedelta(days=pad)

    @staticmethod
    def _record_text(point: TimelinePoint) -> str:
        rec = point.record
        lines = [f"{format_date(rec.effective)}: {words.stage(rec.stage)}"]
        if rec.proposed is not None:
            lines.append(words.legend("proposed") + ": " + words.stage(rec.proposed))
        if rec.direction in ("forward", "backward"):
            lines.append(words.direction(rec.direction))
        if point.superseded:
            lines.append(words.legend("corrected the same day"))
        if rec.by_name:
            lines.append(words.legend("by") + " " + rec.by_name)
        return "\n".join(lines)

    # -- geometry -----------------------------------------------------------------------------------

    def _panels(self) -> tuple[QRectF, QRectF | None]:
        w, h = float(self.width()), float(self.height())
        left, right = self._left, w - self.MARGIN_RIGHT
        top = self._legend_h + 16.0
        bottom_axis = 26.0
        if self.score_lines:
            legend_extra = SCORE_LEGEND_ROW * (self._score_legend_rows - 1)  # a legend on more rows
            usable = h - top - bottom_axis - 30.0 - legend_extra
            stage_h = usable * 0.62
            stage = QRectF(left, top, right - left, stage_h)
            score_top = stage.bottom() + 40.0 + legend_extra
            score = QRectF(left, score_top, right - left, h - bottom_axis - score_top)
            return stage, score
        return QRectF(left, top, right - left, h - top - bottom_axis - 22.0), None

    def _x(self, day: dt.date, rect: QRectF) -> float:
        assert self.first is not None
        assert self.last is not None
        return TimeScale(self.first, self.last, rect.left(), rect.right())(day)

    def _row_h(self, rect: QRectF) -> float:
        return (rect.height() - self.STRIP) / len(Stage)

    def _y(self, stage: Stage, rect: QRectF) -> float:
        row = self._row_h(rect)
        return rect.bottom() - self.STRIP - (stage.order + 0.5) * row

    # -- painting -----------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(style.BASE))
        self._hits = []
        nothing = self.timeline is None or not self.timeline.points
        if self.first is None or self.last is None or (nothing and not self.score_lines):
            p.setPen(QColor(style.MUTED))
            p.drawText(
                self.rect().adjusted(20, 20, -20, -20),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self.tr("No stage recorded for this focus yet. Record one with “Record stage…” (Ctrl+R)."),
            )
            p.end()
            return
        font = self._small_font(p, 0)
        self._left = 22.0 + max(p.fontMetrics().horizontalAdvance(words.stage(s)) for s in Stage)
        self._legend_h = self._draw_legend(p, draw=False)
        right = float(self.width()) - self.MARGIN_RIGHT
        rows = self._score_legend(p, self._left, right, 0.0, draw=False) if self.score_lines else 1
        self._score_legend_rows = rows
        stage_rect, score_rect = self._panels()
        del font
        self._draw_legend(p)
        self._draw_stage_axes(p, stage_rect)
        self._draw_pauses(p, stage_rect)
        if nothing:
            p.setPen(QColor(style.MUTED))
            p.drawText(
                stage_rect, Qt.AlignmentFlag.AlignCenter, self.tr("No stage recorded for this focus yet.")
            )
        self._draw_steps(p, stage_rect)
        self._draw_decisions(p, stage_rect)
        if score_rect is not None:
            self._draw_scores(p, score_rect)
        self._draw_dates(p, score_rect or stage_rect, stage_rect)
        p.end()

    def _small_font(self, p: QPainter, delta: float = -1.0, bold: bool = False) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() + delta))
        font.setBold(bold)
        p.setFont(font)
        return font

    def _draw_legend(self, p: QPainter, *, draw: bool = True) -> float:
        """Draw the legend (wrapping onto more rows when narrow); returns its height."""
        self._small_font(p)
        items: list[tuple[str, str]] = [
            ("step", words.legend("clinician's stage")),
            ("override", words.legend(words.OVERRIDE_LEGEND)),
            ("recycling", words.legend(words.RECYCLING_LEGEND)),
            ("pause", words.legend(words.PAUSED_LEGEND)),
            ("decision", words.legend(words.DECISION_LEGEND)),
        ]
        metrics = p.fontMetrics()
        start, right = 12.0, float(self.width() - self.MARGIN_RIGHT)
        x, mid = start, 8.0 + self.LEGEND_ROW / 2
        for kind, text in items:
            width = 24 + metrics.horizontalAdvance(text)
            if x > start and x + width > right:
                x, mid = start, mid + self.LEGEND_ROW
            if draw:
                if kind == "step":
                    p.setPen(QPen(STEP, 3))
                    p.drawLine(QPointF(x, mid), QPointF(x + 18, mid))
                elif kind == "override":
                    marks.diamond(p, QPointF(x + 9, mid), 5.5)
                elif kind == "recycling":
                    marks.curved_arrow(p, QPointF(x + 12, mid - 7), QPointF(x + 12, mid + 7), bulge=8)
                elif kind == "pause":
                    marks.hatch(p, QRectF(x, mid - 7, 18, 14))
                else:
                    marks.triangle(p, QPointF(x + 9, mid), 6)
                p.setPen(QColor(style.TEXT))
                p.drawText(QPointF(x + 24, mid + metrics.ascent() / 2 - 1), text)
            x += width + 18
        return mid + self.LEGEND_ROW / 2 - 8.0

    def _draw_stage_axes(self, p: QPainter, rect: QRectF) -> None:
        self._small_font(p, 0)
        metrics = p.fontMetrics()
        row = self._row_h(rect)
        for stage in Stage:
            y = self._y(stage, rect)
            p.setPen(QPen(GRID, 1))
            p.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
            p.setPen(QColor(style.TEXT))
            label = words.stage(stage)
            p.drawText(
                QRectF(4, y - row / 2, rect.left() - 14, row),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                metrics.elidedText(label, Qt.TextElideMode.ElideRight, int(rect.left() - 16)),
            )
        del metrics
        p.setPen(QPen(AXIS, 1))
        p.drawLine(rect.bottomLeft(), rect.bottomRight())
        p.drawLine(rect.bottomLeft(), rect.topLeft())

    def _draw_pauses(self, p: QPainter, rect: QRectF) -> None:
        for span in self.paused_spans:
            x0, x1 = self._x(span.start, rect), self._x(span.end, rect)
            box = QRectF(x0, rect.top(), max(4.0, x1 - x0), rect.height())
            marks.hatch(p, box)
            self._small_font(p, -1)
            metrics = p.fontMetrics()
            text = words.legend(words.NOT_STAGED_SPAN)
            tip = words.legend(words.PAUSED_LEGEND) + f"\n{format_date(span.start)} – {format_date(span.end)}"
            if span.reason:
                tip += "\n" + span.reason
            self._hits.append((box, tip))
            width = metrics.horizontalAdvance(text)
            label = QRectF(0, 0, width + 10, metrics.height() + 4)
            p.save()
            if box.width() >= width + 14:
                label.moveCenter(QPointF(box.center().x(), box.top() + 6 + label.height() / 2))
            else:  # a narrow span: the words run up the span
                p.translate(box.center().x(), box.top() + 8 + label.width() / 2)
                p.rotate(-90)
                label.moveCenter(QPointF(0, 0))
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(style.BASE))
            p.drawRoundedRect(label, 3, 3)
            p.setPen(QColor(style.TEXT))
            p.drawText(label, Qt.AlignmentFlag.AlignCenter, text)
            p.restore()

    def _draw_steps(self, p: QPainter, rect: QRectF) -> None:
        recycled_days = {m.day for m in self.recycling_markers}
        pen = QPen(STEP, 3)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        previous: Step | None = None
        for step in self.steps:
            x0, x1, y = self._x(step.start, rect), self._x(step.end, rect), self._y(step.stage, rect)
            p.setPen(pen)
            p.drawLine(QPointF(x0, y), QPointF(max(x1, x0 + 2), y))
            if previous is not None and previous.end == step.start and step.start not in recycled_days:
                p.setPen(QPen(STEP, 1.5))  # a move forward (or a change right after a step): a plain riser
                p.drawLine(QPointF(x0, self._y(previous.stage, rect)), QPointF(x0, y))
            previous = step
        for marker in self.recycling_markers:
            x = self._x(marker.day, rect)
            start = QPointF(x, self._y(marker.before, rect))
            end = QPointF(x, self._y(marker.after, rect))
            marks.curved_arrow(p, start, end, bulge=max(14.0, self._row_h(rect) * 0.5))
            self._hits.append(
                (
                    QRectF(x - 16, min(start.y(), end.y()), 32, abs(end.y() - start.y()) + 1),
                    f"{format_date(marker.day)}: "
                    + words.direction("backward")
                    + f" — {words.stage(marker.before)} → {words.stage(marker.after)}",
                )
            )
        overridden = {m.record_id for m in self.override_markers}
        for dot in self.dots:
            centre = QPointF(self._x(dot.day, rect), self._y(dot.stage, rect))
            self._hits.append((QRectF(centre.x() - 7, centre.y() - 7, 14, 14), dot.text))
        for pt in self._live_points():
            rec = pt.record
            if rec.stage is None:
                continue
            centre = QPointF(self._x(rec.effective, rect), self._y(rec.stage, rect))
            if rec.id in overridden:
                marks.diamond(p, centre, 6.5, faded=pt.superseded)
            else:
                p.setPen(QPen(STEP, 1.5))
                p.setBrush(QColor(style.BASE) if pt.superseded else STEP)
                p.drawEllipse(centre, 4.0, 4.0)
        p.setBrush(Qt.BrushStyle.NoBrush)

    def _live_points(self) -> list[TimelinePoint]:
        return list(self.timeline.points) if self.timeline is not None else []

    def _draw_decisions(self, p: QPainter, rect: QRectF) -> None:
        self._small_font(p, -2)
        metrics = p.fontMetrics()
        stacked: dict[dt.date, int] = {}
        for marker in self.decision_markers:
            x = self._x(marker.day, rect)
            level = stacked.get(marker.day, 0)
            stacked[marker.day] = level + 1
            centre = QPointF(x + level * 13, rect.bottom() - 9)
            marks.triangle(p, centre, 6)
            p.setPen(QColor(style.TEXT))
            label = str(marker.number)
            p.drawText(QPointF(centre.x() - metrics.horizontalAdvance(label) / 2, centre.y() - 8), label)
            d = marker.decision
            self._hits.append(
                (
                    QRectF(centre.x() - 7, centre.y() - 18, 14, 26),
                    f"{marker.number}. {words.decision(d.decision)}: {d.title} ({words.model(d.model)})",
                )
            )

    def _draw_scores(self, p: QPainter, rect: QRectF) -> None:
        first = self.score_lines[0]  # every line of a chart shares its axis, bands and reference lines
        y_of = LinearScale(first.low, first.high, rect.bottom(), rect.top())
        # Bands (a light grey ramp, named in their tooltips), axis, grid, ticks and reference lines.
        for span in band_spans(first.bands, y_of):
            if not span.visible:
                continue
            box = QRectF(rect.left(), span.high, rect.width(), span.low - span.high)
            p.fillRect(box, BAND_FILLS[min(span.index, len(BAND_FILLS) - 1)])
            self._hits.append((box, f"{first.instrument}: {span.label}"))
        self._small_font(p, -1)
        metrics = p.fontMetrics()
        steps = min(SCORE_TICKS, max(2, int(rect.height() // SCORE_TICK_SPACING)))
        for value in nice_ticks(first.low, first.high, steps):
            y = y_of(value)
            p.setPen(QPen(GRID, 1))
            p.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
            p.setPen(QColor(style.MUTED))
            text = tick_label(value)
            p.drawText(
                QPointF(rect.left() - 8 - metrics.horizontalAdvance(text), y + metrics.ascent() / 2 - 1), text
            )
        for ref in first.references:
            y = y_of(ref.value)
            p.setPen(QPen(QColor(style.TEXT), 1, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
            self._hits.append((QRectF(rect.left(), y - 3, rect.width(), 6), ref.label))
        p.setPen(QPen(AXIS, 1))
        p.drawLine(rect.bottomLeft(), rect.bottomRight())
        p.drawLine(rect.bottomLeft(), rect.topLeft())
        # Lines, each with its own colour, dash and marker shape; the title and legend go above.
        for n, series in enumerate(self.score_lines):
            colour = QColor(SERIES_COLOURS[n % len(SERIES_COLOURS)])
            shape = SERIES_SHAPES[n % len(SERIES_SHAPES)]
            pen = QPen(colour, 2, SERIES_DASHES[n % len(SERIES_DASHES)])
            pts = [QPointF(self._x(pt.day, rect), y_of(pt.value)) for pt in series.points]
            p.setPen(pen)
            for a, b in itertools.pairwise(pts):
                p.drawLine(a, b)
            for pt, centre in zip(series.points, pts, strict=True):
                marks.shape(p, shape, centre, colour)
                self._hits.append(
                    (
                        QRectF(centre.x() - 6, centre.y() - 6, 12, 12),
                        f"{series.instrument} {series.label}: {pt.value:g} ({format_date(pt.day)})",
                    )
                )
        top = rect.top() - 14 - SCORE_LEGEND_ROW * (self._score_legend_rows - 1)
        self._score_legend(p, rect.left(), rect.right(), top, draw=True)

    def _score_legend(self, p: QPainter, left: float, right: float, top: float, *, draw: bool) -> int:
        """The chart's title, then one entry per line (marker, dash, label), wrapping onto more rows from
        ``top`` downwards; returns the number of rows.  Every line keeps its legend entry: nothing relies
        on colour alone."""
        self._small_font(p, 0, bold=True)
        title = p.fontMetrics().elidedText(
            self.score_lines[0].instrument, Qt.TextElideMode.ElideRight, int(right - left)
        )
        if draw:
            p.setPen(QColor(style.TEXT))
            p.drawText(QPointF(left, top + 4), title)
        x = left + p.fontMetrics().horizontalAdvance(title) + 20
        self._small_font(p, -1)
        metrics = p.fontMetrics()
        row = 0
        for n, series in enumerate(self.score_lines):
            label = metrics.elidedText(series.label, Qt.TextElideMode.ElideRight, int(right - left - 40))
            width = 40 + metrics.horizontalAdvance(label)
            if x > left and x + width - 18 > right:
                x, row = left, row + 1
            if draw:
                y = top + row * SCORE_LEGEND_ROW
                colour = QColor(SERIES_COLOURS[n % len(SERIES_COLOURS)])
                marks.shape(p, SERIES_SHAPES[n % len(SERIES_SHAPES)], QPointF(x + 6, y), colour)
                p.setPen(QPen(colour, 2, SERIES_DASHES[n % len(SERIES_DASHES)]))
                p.drawLine(QPointF(x - 4, y), QPointF(x + 16, y))
                p.setPen(QColor(style.TEXT))
                p.drawText(QPointF(x + 22, y + metrics.ascent() / 2 - 1), label)
            x += width
        return row + 1

    def _draw_dates(self, p: QPainter, rect: QRectF, stage_rect: QRectF) -> None:
        assert self.first is not None
        assert self.last is not None
        self._small_font(p, -1)
        metrics = p.fontMetrics()
        for day, text in time_ticks(self.first, self.last, int(rect.width() // TIME_TICK_SPACING)):
            x = self._x(day, rect)
            p.setPen(QPen(GRID, 1, Qt.PenStyle.DotLine))
            p.drawLine(QPointF(x, stage_rect.top()), QPointF(x, rect.bottom()))
            p.setPen(QColor(style.MUTED))
            w = metrics.horizontalAdvance(text)
            left = min(max(x - w / 2, 2.0), self.width() - w - 4.0)
            p.drawText(QPointF(left, rect.bottom() + 6 + metrics.ascent()), text)
        if self.timeline is not None and self.timeline.points:
            x = self._x(self.timeline.until, stage_rect)
            p.setPen(QPen(AXIS, 1, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(x, stage_rect.top()), QPointF(x, stage_rect.bottom()))
            p.setPen(QColor(style.MUTED))
            label = (
                words.legend("today")
                if self.timeline.until == dt.date.today()
                else format_date(self.timeline.until)
            )
            p.drawText(
                QPointF(x - metrics.horizontalAdvance(label) - 4, stage_rect.top() + metrics.ascent()), label
            )

    # -- tooltips -----------------------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            pos = QPointF(event.pos())
            for box, text in reversed(self._hits):
                if box.contains(pos):
                    QToolTip.showText(event.globalPos(), text, self)
                    return True
            QToolTip.hideText()
            event.ignore()
            return True
        return super().event(event)
