"""The practice dashboard: where the practice's clients are, how long stages last, how the work is done.

Every figure comes from :func:`stagewise.core.stages.metrics.compute_metrics` (definitions in
``docs/metrics.md``),
computed off the UI thread.  The figures describe the practice's work, not any client: moving back a
stage is ordinary in recovery, so the recycling share is shown plainly, never as a failure.  "Export
CSV…" runs :func:`~stagewise.core.stages.metrics.export_metrics_csv` (the CLI's writer too), which
records an ``export`` audit event.

``DashboardWindow(ctx)`` is a top-level window; the main window opens it from a menu action.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QDate, QRectF, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QBrush, QCloseEvent, QColor, QKeySequence, QPainter, QPaintEvent, QPen, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from stagewise.core.enums import Stage
from stagewise.core.errors import StagewiseError
from stagewise.core.stages.metrics import PracticeMetrics, compute_metrics, export_metrics_csv, slowest_stage
from stagewise.ui import style
from stagewise.ui.context import AppContext
from stagewise.ui.dates import configure_date_edit, format_date
from stagewise.ui.ops import run_op
from stagewise.ui.stages import words
from stagewise.ui.stages.look import date_edit_sheet
from stagewise.ui.workers import OpRunner

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DashboardData:
    """One computation: the figures and the focus keys that have stage records."""

    metrics: PracticeMetrics
    focus_keys: tuple[str, ...]


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def days(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


class CsvFileDialog:
    """Where to save the CSV (tests monkeypatch ``ask``)."""

    @classmethod
    def ask(cls, parent: QWidget | None, suggested: str) -> Path | None:
        name, _filter = QFileDialog.getSaveFileName(
            parent, parent.tr("Export dashboard as CSV") if parent else "Export", suggested, "CSV (*.csv)"
        )
        return Path(name) if name else None


class StageBars(QWidget):
    """Horizontal bars: active courses per stage, and those not staged for now (hatched)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stageBars")
        self.counts: list[tuple[str, int, bool]] = []  # (label, count, hatched)
        self.setMinimumHeight(190)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(420, 220)

    def set_counts(self, counts: list[tuple[str, int, bool]]) -> None:
        self.counts = counts
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        if not self.counts:
            p.end()
            return
        metrics = p.fontMetrics()
        label_w = max(metrics.horizontalAdvance(c[0]) for c in self.counts) + 14
        top, gap = 6.0, 8.0
        row = min(38.0, (self.height() - top * 2) / len(self.counts))
        bar_h = max(10.0, row - gap)
        most = max(1, max(c[1] for c in self.counts))
        width = self.width() - label_w - 48
        for n, (label, count, hatched) in enumerate(self.counts):
            y = top + n * row
            p.setPen(QColor(style.TEXT))
            p.drawText(
                QRectF(0, y, label_w - 10, bar_h),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                label,
            )
            length = width * count / most
            box = QRectF(label_w, y, max(2.0, length), bar_h)
            if hatched:
                p.setPen(QPen(QColor("#8a939c"), 1, Qt.PenStyle.DashLine))
                p.setBrush(QBrush(QColor("#8a939c"), Qt.BrushStyle.BDiagPattern))
            else:
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(QColor(style.ACCENT))
            p.drawRoundedRect(box, 3, 3)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QColor(style.TEXT))
            p.drawText(
                QRectF(box.right() + 6, y, 42, bar_h),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                str(count),
            )
        p.end()


def _card(title: str) -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame()
    frame.setObjectName("card")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(14, 10, 14, 12)
    layout.setSpacing(6)
    heading = QLabel(title)
    heading.setObjectName("cardTitle")
    layout.addWidget(heading)
    return frame, layout


class Figure(QFrame):
    """One headline number with a sentence under it."""

    def __init__(self, title: str) -> None:
        super().__init__()
        self.setObjectName("card")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(2)
        self.title = QLabel(title)
        self.title.setObjectName("cardTitle")
        self.value = QLabel("—")
        self.value.setObjectName("figureValue")
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note = QLabel()
        self.note.setObjectName("muted")
        self.note.setWordWrap(True)
        layout.addWidget(self.title)
        layout.addWidget(self.value)
        layout.addWidget(self.note)
        layout.addStretch(1)

    def set(self, value: str, note: str = "") -> None:
        self.value.setText(value)
        self.note.setText(note)


class DashboardWindow(QWidget):
    """Practice figures for a period and (optionally) one focus."""

    ready = Signal()  # figures shown
    failed = Signal(str)
    exported = Signal(object)  # Path
    closed = Signal()

    def __init__(
        self,
        ctx: AppContext,
        *,
        runner: OpRunner | None = None,
        today: dt.date | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("dashboardWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.ctx = ctx
        # Without the main window's runner, a pool of its own: closing waits only for this window's work.
        self._own_pool = QThreadPool(self) if runner is None else None
        self.runner = runner or OpRunner(self, pool=self._own_pool)
        self.metrics: PracticeMetrics | None = None
        self.focus_keys: tuple[str, ...] = ()
        self._generation = 0
        today = today or dt.date.today()
        name = ctx.practice_name
        self.setWindowTitle(self.tr("Practice dashboard") + (f" — {name}" if name else ""))
        self.resize(1200, 760)

        self.from_edit = QDateEdit(_qdate(today - dt.timedelta(days=365)))
        self.to_edit = QDateEdit(_qdate(today))
        for edit in (self.from_edit, self.to_edit):
            configure_date_edit(edit)
            edit.dateChanged.connect(lambda _d: self.refresh())
        self.to_edit.setMaximumDate(_qdate(today))
        self.from_start = QCheckBox(self.tr("From the &first record"))
        self.from_start.toggled.connect(self._from_start_toggled)
        self.focus_combo = QComboBox()
        self.focus_combo.addItem(self.tr("All focuses (client-focus pairs)"), None)
        self.focus_combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.export_button = QPushButton(self.tr("E&xport CSV…"))
        self.export_button.clicked.connect(lambda: self.export_csv())
        self.export_button.setEnabled(False)
        self.status = QLabel()
        self.status.setObjectName("muted")
        self.period_label = QLabel()
        self.period_label.setObjectName("muted")
        self.message = QLabel()
        self.message.setObjectName("errorLabel")
        self.message.setWordWrap(True)
        self.message.setVisible(False)

        controls = QHBoxLayout()
        controls.setSpacing(8)
        for text, widget in ((self.tr("F&rom:"), self.from_edit), (self.tr("&To:"), self.to_edit)):
            label = QLabel(text)
            label.setBuddy(widget)
            controls.addWidget(label)
            controls.addWidget(widget)
        controls.addWidget(self.from_start)
        controls.addSpacing(16)
        focus_label = QLabel(self.tr("F&ocus:"))
        focus_label.setBuddy(self.focus_combo)
        controls.addWidget(focus_label)
        controls.addWidget(self.focus_combo)
        controls.addStretch(1)
        controls.addWidget(self.status)
        controls.addWidget(self.export_button)

        self.bars = StageBars()
        bars_card, bl = _card(self.tr("Active clients by current stage"))
        bl.addWidget(self.bars, 1)
        self.bars_note = QLabel()
        self.bars_note.setObjectName("muted")
        self.bars_note.setWordWrap(True)
        bl.addWidget(self.bars_note)

        self.time_table = QTableWidget(len(Stage), 4)
        self.time_table.setObjectName("timeInStage")
        self.time_table.setHorizontalHeaderLabels(
            [self.tr("Stage"), self.tr("Stays"), self.tr("Median days"), self.tr("Mean days")]
        )
        self.time_table.verticalHeader().setVisible(False)
        self.time_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.time_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.time_table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.time_table.setAlternatingRowColors(True)
        header = self.time_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        time_card, tl = _card(self.tr("Time in stage (days, within the period)"))
        tl.addWidget(self.time_table, 1)

        self.advancement = Figure(self.tr("Advancement rate"))
        self.recycling = Figure(self.tr("Recycling share"))
        self.stalled = Figure(self.tr("Stalled"))
        self.slowest = Figure(self.tr("Slowest stage"))
        self.on_time = Figure(self.tr("Reassessments on time"))
        self.overrides = Figure(self.tr("Overrides of the proposed stage"))
        self.overrides.value.setObjectName("figureSmall")
        self.overrides.value.setWordWrap(True)

        figures = QGridLayout()
        figures.setSpacing(10)
        for n, fig in enumerate(
            (self.advancement, self.recycling, self.stalled, self.slowest, self.on_time, self.overrides)
        ):
            figures.addWidget(fig, n // 3, n % 3)

        top = QHBoxLayout()
        top.setSpacing(10)
        top.addWidget(bars_card, 1)
        top.addWidget(time_card, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 14)
        layout.setSpacing(10)
        heading = QHBoxLayout()
        title = QLabel(self.tr("Practice dashboard"))
        title.setObjectName("dashTitle")
        heading.addWidget(title)
        heading.addSpacing(12)
        heading.addWidget(self.period_label, 1)
        layout.addLayout(heading)
        layout.addLayout(controls)
        layout.addWidget(self.message)
        layout.addLayout(top, 5)
        layout.addLayout(figures, 4)
        foot = QLabel(
            self.tr(
                "Figures describe the practice's work, not any client. Moving back a stage is ordinary in "
                "recovery; no figure is a discharge gate. A stage lasts from its record to the next record "
                "for that client and focus (or the period's end). Advancement: forward stage changes out of "
                "all stage changes. Recycling: clients with a move back out of clients whose stage could "
                "change. Stalled: still in the same stage for longer than the stalled limit."
            )
        )
        foot.setObjectName("muted")
        foot.setWordWrap(True)
        layout.addWidget(foot)
        self.setStyleSheet(
            date_edit_sheet() + "#dashTitle { font-size: 18px; font-weight: 600; }"
            "#cardTitle { font-weight: 600; color: #4a5560; }"
            "#figureValue { font-size: 24px; font-weight: 600; color: #1f2933; }"
            "#figureSmall { font-size: 14px; color: #1f2933; }"
        )
        close = QShortcut(QKeySequence.StandardKey.Close, self)
        close.activated.connect(self.close)
        self.refresh()

    # -- computing ----------------------------------------------------------------------------------

    def period(self) -> tuple[dt.date | None, dt.date]:
        end = _pydate(self.to_edit.date())
        start = None if self.from_start.isChecked() else _pydate(self.from_edit.date())
        return start, end

    def focus_key(self) -> str | None:
        data = self.focus_combo.currentData()
        return None if data is None else str(data)

    def _from_start_toggled(self, on: bool) -> None:
        self.from_edit.setEnabled(not on)
        self.refresh()

    def refresh(self) -> None:
        """Recompute the figures off the UI thread (the latest request wins)."""
        practice = self.ctx.practice
        if practice is None:
            return
        start, end = self.period()
        if start is not None and start > end:
            self._show_error(
                self.tr("The period starts after it ends: choose a “from” date on or before the “to” date.")
            )
            return
        focus = self.focus_key()
        factory = practice.session_factory
        self._generation += 1
        generation = self._generation

        def work() -> DashboardData:
            from stagewise.core.settings import load_settings
            from stagewise.core.stages.metric_records import load_metric_records

            with factory() as s:
                settings = load_settings(s)
                records = load_metric_records(s, until=end)
            figures = compute_metrics(
                records,
                period_start=start,
                period_end=end,
                focus=focus,
                stalled_days=settings.stalled_days,
                reassessment_days=settings.reassessment_days,
            )
            return DashboardData(figures, tuple(sorted({r.focus_key for r in records})))

        self.status.setText(self.tr("Computing…"))
        self.export_button.setEnabled(False)
        self.runner.run(
            work,
            on_done=lambda data: self._done(generation, data),
            on_failed=lambda exc: self._failed(generation, exc),
            name="dashboard",
        )

    def _done(self, generation: int, data: DashboardData) -> None:
        if generation != self._generation:
            return
        self.status.clear()
        self.message.setVisible(False)
        self._set_focus_keys(data.focus_keys)
        self.show_metrics(data.metrics)
        self.export_button.setEnabled(True)
        self.ready.emit()

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        if not isinstance(exc, StagewiseError):
            raise exc
        self._show_error(str(exc))

    def _show_error(self, text: str) -> None:
        self.status.clear()
        self.message.setText(text)
        self.message.setVisible(True)
        self.export_button.setEnabled(False)
        self.failed.emit(text)

    def _set_focus_keys(self, keys: tuple[str, ...]) -> None:
        if keys == self.focus_keys:
            return
        self.focus_keys = keys
        keep = self.focus_key()
        self.focus_combo.blockSignals(True)
        while self.focus_combo.count() > 1:
            self.focus_combo.removeItem(1)
        for key in keys:
            self.focus_combo.addItem(key, key)
        index = self.focus_combo.findData(keep) if keep is not None else 0
        self.focus_combo.setCurrentIndex(max(0, index))
        self.focus_combo.blockSignals(False)

    # -- showing ------------------------------------------------------------------------------------

    def show_metrics(self, m: PracticeMetrics) -> None:
        self.metrics = m
        since = self.tr("the first record") if m.period_start is None else format_date(m.period_start)
        self.period_label.setText(
            self.tr("From %1 to %2 · %3")
            .replace("%1", since)
            .replace("%2", format_date(m.period_end))
            .replace("%3", m.focus or self.tr("all focuses, counting client-focus pairs"))
        )
        counts = [(words.stage(s), m.distribution[s], False) for s in Stage]
        counts.append((words.stage(None), m.paused, True))
        self.bars.set_counts(counts)
        active = sum(m.distribution.values())
        self.bars_note.setText(
            self.tr("%1 active, staged; %2 not staged for now (counted apart, never as a stage).")
            .replace("%1", str(active))
            .replace("%2", str(m.paused))
        )
        for row, s in enumerate(Stage):
            t = m.time_in_stage[s]
            for col, text in enumerate((words.stage(s), str(t.stays), days(t.median), days(t.mean))):
                item = QTableWidgetItem(text)
                if col:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.time_table.setItem(row, col, item)
        self.advancement.set(
            percent(m.advancement_rate),
            self.tr("%1 of %2 moves were forward")
            .replace("%1", str(m.forward_moves))
            .replace("%2", str(m.moves))
            if m.moves
            else self.tr("No moves between stages in the period"),
        )
        self.recycling.set(
            percent(m.recycling_share),
            self.tr("%1 of %2 courses moved back at least once — ordinary in recovery")
            .replace("%1", str(m.courses_recycled))
            .replace("%2", str(m.courses_with_pairs))
            if m.courses_with_pairs
            else self.tr("No course had two staged records in the period"),
        )
        self.stalled.set(
            str(m.stalled),
            self.tr("active, same stage for more than %1 days").replace("%1", str(m.stalled_days)),
        )
        # Maintenance is left out: staying there is the goal, not a bottleneck.
        slowest = slowest_stage(m.time_in_stage, frozenset({Stage.MAINTENANCE}))
        self.slowest.set(
            words.stage(slowest) if slowest is not None else "—",
            self.tr("highest median time in stage, before maintenance"),
        )
        f = m.fidelity
        self.on_time.set(
            percent(f.on_time_share),
            self.tr("%1 of %2 reassessments due in the period were done on time")
            .replace("%1", str(f.reassessments_on_time))
            .replace("%2", str(f.reassessments_due)),
        )
        if f.overrides:
            lines = [
                f"{name}: {percent(r.rate)} ({r.overrides} of {r.with_proposal})"
                for name, r in sorted(f.overrides.items())
            ]
            self.overrides.set(
                "\n".join(lines), self.tr("per clinician, among records with a proposed stage")
            )
        else:
            self.overrides.set("—", self.tr("No record in the period had a proposed stage"))

    # -- export -------------------------------------------------------------------------------------

    def export_csv(self) -> Path | None:
        """Ask where, write the CSV, and audit the export (one transaction)."""
        m, practice = self.metrics, self.ctx.practice
        if m is None or practice is None:
            return None
        start, end = m.period_start, m.period_end
        suggested = (
            f"stagewise-metrics-{'start' if start is None else start.isoformat()}-{end.isoformat()}.csv"
        )
        path = CsvFileDialog.ask(self, suggested)
        if path is None:
            return None
        actor = self.ctx.actor
        done = run_op(
            self.ctx,
            lambda s: export_metrics_csv(s, m, path, actor=actor),
            on_error=self._show_error,
            parent=self,
        )
        if done is None:
            return None
        log.info("dashboard exported as CSV")
        self.status.setText(self.tr("Saved %1").replace("%1", path.name))
        self.exported.emit(path)
        return path

    def closeEvent(self, event: QCloseEvent) -> None:
        self._generation += 1  # results still on their way are dropped
        if self._own_pool is not None:
            self._own_pool.waitForDone(10_000)
        self.closed.emit()
        super().closeEvent(event)


def _qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(day: QDate) -> dt.date:
    return dt.date(day.year(), day.month(), day.day())
