"""Results of one administration, for the clinician: scores with bands and norms, last time's values, the
instrument's stage with its rule in words, and every instrument's stage for the focus side by side.

Never shown in hand-over mode.  "Record stage…" only asks for the stage screen
(``record_stage_requested(focus_id, proposed_stage, administration_id)``); the decision is made there.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from stagewise.core.administrations import lifecycle as administrations
from stagewise.core.administrations.lifecycle import AdministrationInfo
from stagewise.core.instruments.loader import short_title
from stagewise.core.instruments.model import Form
from stagewise.core.instruments.scoring import UNVERIFIED_MESSAGE, Result
from stagewise.core.instruments.staging import StageComparison
from stagewise.ui import labels
from stagewise.ui.administrations.sheet import SHEET
from stagewise.ui.context import AppContext
from stagewise.ui.ops import perform
from stagewise.ui.practice import admin_labels


@dataclass(frozen=True, slots=True)
class ResultsData:
    info: AdministrationInfo
    form: Form
    previous: AdministrationInfo | None
    comparison: StageComparison | None


def load(ctx: AppContext, administration_id: int) -> ResultsData:
    """Everything the screen shows, read in one transaction."""

    def read(s: Session) -> ResultsData:
        info = administrations.get(s, administration_id)
        form = administrations.form_for(s, administration_id)
        prev = administrations.previous(s, administration_id)
        comparison = administrations.stage_comparison(s, info.focus_id) if info.focus_id is not None else None
        return ResultsData(info, form, prev, comparison)

    data: ResultsData = perform(ctx, read)
    return data


def score_labels(form: Form) -> dict[str, str]:
    """Score name → the instrument's own label, in the instrument's order."""
    names = {s.name: s.label for s in form.scores}
    names.update({d.name: d.label for d in form.derived})
    names.update({n.output: n.label for n in form.norms})
    return names


def _label(text: str, name: str = "", *, wrap: bool = True) -> QLabel:
    label = QLabel(text)
    if name:
        label.setObjectName(name)
    label.setWordWrap(wrap)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _fit_height(table: QTableWidget) -> None:
    table.resizeRowsToContents()
    height = table.horizontalHeader().sizeHint().height() + 4
    height += sum(table.rowHeight(r) for r in range(table.rowCount()))
    table.setFixedHeight(height)


class ResultsView(QWidget):
    """One administration's results (a window of its own, opened from the chart)."""

    record_stage_requested = Signal(int, object, int)  # focus id, proposed Stage or None, administration id

    def __init__(self, ctx: AppContext, administration_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("resultsView")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setStyleSheet(SHEET)
        self.ctx = ctx
        self.administration_id = administration_id
        self.data = load(ctx, administration_id)
        info, form = self.data.info, self.data.form
        result = info.result
        self.setWindowTitle(self.tr("Results — %1").replace("%1", form.short_title))
        self.resize(1000, 720)

        body = QWidget()
        body.setObjectName("itemList")
        v = QVBoxLayout(body)
        v.setContentsMargins(24, 18, 24, 18)
        v.setSpacing(12)
        v.addWidget(_label(form.title, "formTitle"))
        facts = [
            admin_labels.status(info.status),
            admin_labels.local_time(info.completed_at or info.started_at),
            admin_labels.mode(info.mode),
        ]
        if info.behaviour_text:
            facts.append(self.tr("about %1").replace("%1", info.behaviour_text))
        if info.by_name:
            facts.append(self.tr("by %1").replace("%1", info.by_name))
        v.addWidget(_label("  ·  ".join(facts), "muted"))

        self.unverified_notice = _label(
            self.tr(
                "Scoring rule not verified against the manual: treat the bands and the stage as provisional."
            ),
            "notice",
        )
        if info.void_reason:
            v.addWidget(
                _label(
                    self.tr("Voided %1: %2")
                    .replace("%1", admin_labels.local_date(info.voided_at))
                    .replace("%2", info.void_reason),
                    "notice",
                )
            )
        self.unverified_notice.setVisible(bool(result and result.unverified) or form.scoring_unverified)
        v.addWidget(self.unverified_notice)

        self.score_table = _table(
            [
                self.tr("Score"),
                self.tr("Value"),
                self.tr("Band / norm"),
                self.tr("Last time"),
                self.tr("Change"),
            ]
        )
        self.stage_line = _label("", "stageLine")
        self.stage_rule = _label("", "muted")
        self.record_button = QPushButton(self.tr("Record stage…"))
        self.record_button.setObjectName("primary")
        self.record_button.setToolTip(self.tr("Record the stage for this focus (Ctrl+R)"))
        self.record_button.clicked.connect(self.request_record_stage)
        QShortcut(QKeySequence("Ctrl+R"), self).activated.connect(self.request_record_stage)
        self.record_button.setEnabled(info.focus_id is not None and result is not None)
        self.messages = _label("", "")
        self.compare_table = _table([self.tr("Instrument"), self.tr("Stage"), self.tr("How it was reached")])
        self.disagree = _label("", "disagree", wrap=False)

        if result is None:
            v.addWidget(
                _label(self.tr("Not scored yet: complete the questionnaire to see results."), "muted")
            )
        else:
            if not result.complete:
                v.addWidget(
                    _label(
                        self.tr(
                            "Incomplete: item(s) %1 unanswered; scores that need them are blank."
                        ).replace("%1", ", ".join(result.missing)),
                        "notice",
                    )
                )
            v.addSpacing(4)
            v.addWidget(_label(self.tr("Scores"), "sectionTitle"))
            self._fill_scores(result)
            self.score_table.setColumnHidden(2, not result.bands)
            self.score_table.horizontalHeader().setStretchLastSection(False)
            self.score_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
            v.addWidget(self.score_table)
            for norm in form.norms:
                v.addWidget(_label(f"{norm.label}: {norm.population} ({norm.source}).", "muted"))
            v.addSpacing(6)
            v.addWidget(_label(self.tr("Stage suggested by this instrument"), "sectionTitle"))
            self.stage_line.setText(labels.instrument_stage(result.stage))
            self.stage_rule.setText(result.stage_rule)
            stage_row = QHBoxLayout()
            words = QVBoxLayout()
            words.addWidget(self.stage_line)
            words.addWidget(self.stage_rule)
            stage_row.addLayout(words, 1)
            stage_row.addWidget(self.record_button, 0, Qt.AlignmentFlag.AlignTop)
            v.addLayout(stage_row)
            shown = [m for m in result.messages if not m.startswith(UNVERIFIED_MESSAGE)]
            if shown:
                v.addWidget(_label(self.tr("Messages"), "sectionTitle"))
                self.messages.setText("\n".join(f"•  {m}" for m in shown))
                v.addWidget(self.messages)
        if self.data.comparison is not None and self.data.comparison.rows:
            head = QHBoxLayout()
            head.addWidget(
                _label(
                    self.tr("Every instrument for this focus (latest of each)"), "sectionTitle", wrap=False
                )
            )
            head.addSpacing(10)
            head.addWidget(self.disagree)
            head.addStretch(1)
            v.addSpacing(6)
            v.addLayout(head)
            self._fill_comparison(self.data.comparison)
            v.addWidget(self.compare_table)
        v.addStretch(1)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        scroll.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body.setMaximumWidth(1240)  # tables stay readable on a wide screen
        close = QPushButton(self.tr("Close"))
        close.clicked.connect(self.close)
        footer = QFrame()
        footer.setObjectName("formFooter")
        f = QHBoxLayout(footer)
        f.setContentsMargins(24, 10, 24, 10)
        f.addStretch(1)
        f.addWidget(close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(scroll, 1)
        layout.addWidget(footer)
        QShortcut(QKeySequence.StandardKey.Close, self).activated.connect(self.close)

    def _fill_scores(self, result: Result) -> None:
        names = score_labels(self.data.form)
        prev = self.data.previous.result if self.data.previous else None
        prev_when = admin_labels.local_date(self.data.previous.completed_at) if self.data.previous else ""
        order = [n for n in names if n in result.scores] + [n for n in result.scores if n not in names]
        self.score_table.setRowCount(len(order))
        for row, name in enumerate(order):
            value = result.scores.get(name)
            before = prev.scores.get(name) if prev else None
            change = ""
            if value is not None and before is not None and value != before:
                change = ("+" if value > before else "−") + admin_labels.number(abs(value - before))
            cells = [
                names.get(name, name),
                admin_labels.number(value),
                result.bands.get(name, ""),
                f"{admin_labels.number(before)}  ({prev_when})" if prev else self.tr("—"),
                change,
            ]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col in (1, 3, 4):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.score_table.setItem(row, col, item)
        _fit_height(self.score_table)

    def _fill_comparison(self, comparison: StageComparison) -> None:
        self.compare_table.setRowCount(len(comparison.rows))
        for row, stage_row in enumerate(comparison.rows):
            stage = labels.instrument_stage(stage_row.stage)
            if not stage_row.complete:
                stage += self.tr(" (incomplete)")
            cells = [short_title(stage_row.form_id), stage, stage_row.stage_rule]
            for col, text in enumerate(cells):
                self.compare_table.setItem(row, col, QTableWidgetItem(text))
        self.compare_table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.compare_table.setWordWrap(True)
        _fit_height(self.compare_table)
        if comparison.disagreement:
            self.disagree.setText(
                self.tr("⚠ Instruments disagree: %1").replace(
                    "%1", " / ".join(labels.stage(s) for s in comparison.stages)
                )
            )
        self.disagree.setVisible(comparison.disagreement)

    def request_record_stage(self) -> None:
        info = self.data.info
        if info.focus_id is None or info.result is None:
            return
        self.record_stage_requested.emit(info.focus_id, info.result.stage, info.id)
