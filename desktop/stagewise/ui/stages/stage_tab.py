"""The chart's Stage tab: for each focus the clinician's stage, its timeline and stage-matched suggestions.

``StageTab(ctx, client_id)`` goes into ``ChartWindow.stage_tab``'s layout.  ``record_stage(focus_id,
proposed, administration_id)`` opens the record dialog (connect the Assessments tab's
``record_stage_requested`` to it).  Every write is one user action in one transaction; widgets only see
the core's frozen values (``data.FocusView``).  Moving back a stage is recorded like any other stage:
no warning, and the timeline shows it as recycling.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from stagewise.core.administrations import lifecycle as administrations
from stagewise.core.changes import OpChanges, client_changed
from stagewise.core.clients import records as clients
from stagewise.core.clients.records import FocusInfo
from stagewise.core.enums import DecisionKind, Stage
from stagewise.core.errors import StagewiseError
from stagewise.core.instruments.loader import short_title
from stagewise.core.stages import records as stages
from stagewise.core.stages.focus_view import FocusView, load_focus_view
from stagewise.core.stages.interventions import (
    InterventionEntry,
    InterventionLibrary,
    InterventionModel,
    load_interventions,
)
from stagewise.core.stages.records import DecisionInfo, StageRecordInfo
from stagewise.ui.context import AppContext
from stagewise.ui.dates import format_date, local
from stagewise.ui.ops import run_op
from stagewise.ui.stages import words
from stagewise.ui.stages.decisions_table import DecisionsTable
from stagewise.ui.stages.record_dialog import RecordChoice, RecordStageDialog
from stagewise.ui.stages.suggestions_panel import DeclineDialog, OwnInterventionDialog, SuggestionsPanel
from stagewise.ui.stages.timeline_chart import TimelineChart

log = logging.getLogger(__name__)


class StageTab(QWidget):
    """Stage, timeline and suggestions for one client's focuses."""

    changed = Signal()  # a stage or a decision was recorded

    def __init__(
        self,
        ctx: AppContext,
        client_id: int,
        *,
        library: InterventionLibrary | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("stageTabContent")
        self.ctx = ctx
        self.client_id = client_id
        self._library = library
        self.focuses: tuple[FocusInfo, ...] = ()
        self.view: FocusView | None = None
        self.models: frozenset[InterventionModel] = frozenset(InterventionModel)
        self.record_dialog: RecordStageDialog | None = None
        ctx.changes.changed.connect(self._heard)

        self.focus_combo = QComboBox()
        self.focus_combo.setObjectName("focusCombo")
        self.focus_combo.currentIndexChanged.connect(lambda _i: self.show_focus())
        focus_label = QLabel(self.tr("&Focus:"))
        focus_label.setBuddy(self.focus_combo)
        self.stage_label = QLabel()
        self.stage_label.setObjectName("currentStage")
        self.stage_label.setTextFormat(Qt.TextFormat.PlainText)
        self.detail_label = QLabel()
        self.detail_label.setObjectName("muted")
        self.detail_label.setWordWrap(True)
        self.detail_label.setTextFormat(Qt.TextFormat.PlainText)
        self.record_button = QPushButton(self.tr("&Record stage…"))
        self.record_button.setObjectName("primary")
        self.record_button.setToolTip(self.tr("Record the stage for this focus (Ctrl+R)"))
        self.record_button.clicked.connect(lambda: self.record_stage(self.current_focus_id()))
        shortcut = QShortcut(QKeySequence("Ctrl+R"), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(lambda: self.record_stage(self.current_focus_id()))
        self.message = QLabel()
        self.message.setObjectName("errorLabel")
        self.message.setWordWrap(True)
        self.message.setVisible(False)

        self.chart = TimelineChart()
        self.score_combo = QComboBox()
        self.score_combo.setObjectName("scoreCombo")
        # Chart titles can be long ("Contemplation Ladder (0–10, 10 = taking action)"): never let one widen
        # the tab; the open list shows them in full.
        self.score_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.score_combo.setMinimumContentsLength(14)
        self.score_combo.currentIndexChanged.connect(self._score_changed)
        score_label = QLabel(self.tr("&Scores below:"))
        score_label.setBuddy(self.score_combo)
        self.decisions_table = DecisionsTable()
        self.decisions_table.setMaximumHeight(150)
        self.decisions_empty = QLabel(self.tr("No intervention decisions for this focus yet."))
        self.decisions_empty.setObjectName("muted")
        self.panel = SuggestionsPanel()
        self.panel.models_changed.connect(self._models_changed)
        self.panel.accept_requested.connect(self.accept_suggestion)
        self.panel.decline_requested.connect(self.decline_suggestion)
        self.panel.add_requested.connect(self.add_own)

        head = QFrame()
        head.setObjectName("card")
        h = QHBoxLayout(head)
        h.setContentsMargins(14, 10, 14, 10)
        h.setSpacing(12)
        h.addWidget(focus_label)
        h.addWidget(self.focus_combo)
        texts = QVBoxLayout()
        texts.setSpacing(2)
        texts.addWidget(self.stage_label)
        texts.addWidget(self.detail_label)
        h.addSpacing(8)
        h.addLayout(texts, 1)
        h.addWidget(self.record_button, 0, Qt.AlignmentFlag.AlignVCenter)

        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.setSpacing(6)
        chart_frame = QFrame()
        chart_frame.setObjectName("card")
        cf = QVBoxLayout(chart_frame)
        cf.setContentsMargins(8, 8, 8, 8)
        cf.addWidget(self.chart, 1)
        score_row = QHBoxLayout()
        title = QLabel(self.tr("Stage over time"))
        title.setObjectName("sectionTitle")
        score_row.addWidget(title)
        score_row.addStretch(1)
        score_row.addWidget(score_label)
        score_row.addWidget(self.score_combo)
        lv.addLayout(score_row)
        lv.addWidget(chart_frame, 1)
        decisions_title = QLabel(self.tr("Intervention decisions (numbered as on the timeline)"))
        decisions_title.setObjectName("sectionTitle")
        lv.addWidget(decisions_title)
        lv.addWidget(self.decisions_empty)
        lv.addWidget(self.decisions_table)

        right = QFrame()
        right.setObjectName("card")
        rv = QVBoxLayout(right)
        rv.setContentsMargins(12, 10, 12, 10)
        rv.addWidget(self.panel)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        right.setMinimumWidth(390)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(10)
        layout.addWidget(head)
        layout.addWidget(self.message)
        layout.addWidget(self.splitter, 1)
        self.setStyleSheet(
            "#currentStage { font-size: 16px; font-weight: 600; }"
            "#sectionTitle { font-weight: 600; color: #4a5560; }"
        )
        self.refresh()

    # -- plumbing -----------------------------------------------------------------------------------

    @property
    def library(self) -> InterventionLibrary:
        if self._library is None:
            self._library = load_interventions(paths=self.ctx.paths)
        return self._library

    def _read(self, fn: Callable[[Session], Any]) -> Any | None:
        """A read through the one runner; a ``StagewiseError`` becomes a sentence above the chart."""
        return run_op(self.ctx, fn, on_error=self.show_message, on_success=self._clear_message, parent=self)

    def _write(self, fn: Callable[[Session], Any]) -> Any | None:
        """A stage action through the one runner; the change is announced for this client's other screens."""
        return run_op(
            self.ctx,
            fn,
            on_error=self.show_message,
            on_success=self._clear_message,
            parent=self,
            changes=client_changed(self.client_id, stages=True),
        )

    def _clear_message(self, _value: object = None) -> None:
        self.show_message("")

    def _heard(self, changes: OpChanges, source: object) -> None:
        """Another screen changed this client's focuses, questionnaires or stages: show it."""
        if source is not self and changes.touches_client(self.client_id) and self.ctx.practice is not None:
            self.refresh()

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    @property
    def can_write(self) -> bool:
        return self.ctx.user is not None and self.ctx.practice is not None

    def current_focus_id(self) -> int | None:
        data = self.focus_combo.currentData()
        return int(data) if data is not None else None

    def focus(self, focus_id: int) -> FocusInfo | None:
        return next((f for f in self.focuses if f.id == focus_id), None)

    # -- reading ------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read the client's focuses and the shown focus."""
        info = self._read(lambda s: clients.get_client(s, self.client_id, actor=None, record_view=False))
        if info is None:
            return
        keep = self.current_focus_id()
        self.focuses = info.active_focuses
        self.focus_combo.blockSignals(True)
        self.focus_combo.clear()
        for f in self.focuses:
            self.focus_combo.addItem(f.label, f.id)
        index = self.focus_combo.findData(keep) if keep is not None else 0
        self.focus_combo.setCurrentIndex(max(0, index))
        self.focus_combo.blockSignals(False)
        self.show_focus()

    def select_focus(self, focus_id: int) -> None:
        index = self.focus_combo.findData(focus_id)
        if index >= 0 and index != self.focus_combo.currentIndex():
            self.focus_combo.setCurrentIndex(index)

    def show_focus(self) -> None:
        focus = self.focus(self.current_focus_id() or -1)
        self.record_button.setEnabled(focus is not None and self.can_write)
        if focus is None:
            self.view = None
            self.stage_label.setText(self.tr("No focus yet"))
            self.detail_label.setText(
                self.tr("Add a focus (the behaviour a stage refers to) with Edit client, Ctrl+E.")
            )
            self.chart.set_data(None)
            self._show_decisions(())
            return
        try:
            library = self.library
        except StagewiseError as exc:
            self.show_message(str(exc))
            library = InterventionLibrary(())
        models = self.models
        view = self._read(lambda s: load_focus_view(s, library, focus, models=models))
        if view is None:
            return
        self.view = view
        self._show_stage(view)
        instrument = self.score_combo.currentData()
        self.score_combo.blockSignals(True)
        self.score_combo.clear()
        for key, title in view.charts:
            self.score_combo.addItem(title, key)
        if not view.charts:
            self.score_combo.addItem(self.tr("(no questionnaire for this focus)"), None)
        index = self.score_combo.findData(instrument)
        if index < 0:
            index = self.score_combo.findData("urica-32")
        self.score_combo.setCurrentIndex(max(0, index))
        self.score_combo.blockSignals(False)
        self.score_combo.setEnabled(bool(view.charts))
        self.chart.set_data(
            view.timeline, view.decisions, view.scores, instrument=self.score_combo.currentData()
        )
        self._show_decisions(view.decisions)
        self.panel.set_suggestions(view.suggestions, view.decisions)

    def _show_stage(self, view: FocusView) -> None:
        current = view.current
        if current is None:
            self.stage_label.setText(self.tr("Not staged yet"))
            detail = self.tr("No stage recorded for %1.").replace("%1", view.focus.label)
        else:
            self.stage_label.setText(words.stage(current.stage))
            self.stage_label.setToolTip(
                self.tr("The client sees: “%1”").replace("%1", view.client_wording)
                if view.client_wording
                else ""
            )
            since = self._since(view)
            detail = self.tr("Since %1").replace("%1", format_date(since)) if since else ""
            if current.stage is None:
                detail += " · " + self.tr("reassessment reminders are paused")
            elif current.proposed is not None and current.proposed != current.stage:
                detail += " · " + self.tr("proposed by the questionnaire: %1").replace(
                    "%1", words.stage(current.proposed)
                )
            elif current.proposed is not None:
                detail += " · " + self.tr("as proposed by the questionnaire")
            else:
                detail += " · " + words.basis(current.basis)
            if current.direction in ("forward", "backward"):
                detail += " · " + words.direction(current.direction)
            if current.reason:
                detail += " · " + self.tr("reason: %1").replace("%1", current.reason)
        if view.latest_proposal is not None:
            _adm, stage = view.latest_proposal
            detail += "\n" + self.tr(
                "A newer questionnaire proposes %1: use Record stage… to decide."
            ).replace("%1", words.stage(stage))
        self.detail_label.setText(detail)

    @staticmethod
    def _since(view: FocusView) -> Any:
        segments = view.timeline.segments
        return segments[-1].start if segments else (view.current.effective if view.current else None)

    def _show_decisions(self, decisions: tuple[DecisionInfo, ...] | list[DecisionInfo]) -> None:
        self.decisions_table.show_decisions(decisions)
        self.decisions_empty.setVisible(not decisions)
        self.decisions_table.setVisible(bool(decisions))

    def _score_changed(self, _index: int) -> None:
        self.chart.set_instrument(self.score_combo.currentData())

    def _models_changed(self, models: frozenset[InterventionModel]) -> None:
        self.models = frozenset(models)
        self.show_focus()

    # -- recording a stage --------------------------------------------------------------------------

    def record_stage(
        self, focus_id: int | None, proposed: Stage | None = None, administration_id: int | None = None
    ) -> RecordStageDialog | None:
        """Open the record dialog for a focus (from the button, or from a questionnaire's results)."""
        if focus_id is None or not self.can_write:
            return None
        self.select_focus(focus_id)
        focus = self.focus(focus_id)
        if focus is None:
            self.show_message(self.tr("That focus was removed; add it again before recording a stage."))
            return None
        view = self.view if self.view is not None and self.view.focus.id == focus_id else None
        if proposed is None and administration_id is None and view is not None and view.latest_proposal:
            administration_id, proposed = view.latest_proposal
        source = ""
        if administration_id is not None:
            adm = self._read(lambda s: administrations.get(s, administration_id))
            if adm is not None:
                source = short_title(adm.form_id)
                if adm.completed_at is not None:
                    source += ", " + format_date(local(adm.completed_at).date())
        current = view.current.stage if view is not None and view.current is not None else None
        if self.record_dialog is not None:
            self.record_dialog.close()
        dialog = RecordStageDialog(
            focus_id,
            focus.label,
            proposed=proposed,
            administration_id=administration_id,
            source=source,
            current=current,
            parent=self,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.submitted.connect(lambda choice, d=dialog: self._save_record(d, choice))
        dialog.finished.connect(lambda _r, d=dialog: self._dialog_gone(d))
        self.record_dialog = dialog
        dialog.open()
        return dialog

    def _dialog_gone(self, dialog: RecordStageDialog) -> None:
        if self.record_dialog is dialog:
            self.record_dialog = None

    def save_record(self, choice: RecordChoice) -> StageRecordInfo | None:
        """Store a stage record (one transaction); None and a message when the core refuses it."""
        user = self.ctx.user
        actor = self.ctx.actor
        return self._write(
            lambda s: stages.record_stage(
                s,
                focus_id=choice.focus_id,
                stage=choice.stage,
                proposed=choice.proposed,
                reason=choice.reason,
                effective=choice.effective,
                administration_id=choice.administration_id,
                by_user_id=None if user is None else user.id,
                actor=actor,
            )
        )

    def _save_record(self, dialog: RecordStageDialog, choice: RecordChoice) -> None:
        info = self.save_record(choice)
        if info is None:
            dialog.show_error(self.message.text())
            self.show_message("")
            return
        log.info("stage record %s saved for focus %s", info.id, info.focus_id)
        dialog.accept()
        self.show_focus()
        self.changed.emit()

    # -- intervention decisions ---------------------------------------------------------------------

    def _decide(
        self,
        entry: InterventionEntry | None,
        kind: DecisionKind,
        *,
        reason: str | None = None,
        title: str | None = None,
        model: InterventionModel | None = None,
    ) -> DecisionInfo | None:
        focus_id = self.current_focus_id()
        if focus_id is None or not self.can_write:
            return None
        user = self.ctx.user
        actor = self.ctx.actor
        info = self._write(
            lambda s: stages.decide_intervention(
                s,
                focus_id=focus_id,
                intervention=entry,
                decision=kind,
                reason=reason,
                custom_title=title,
                model=model,
                by_user_id=None if user is None else user.id,
                actor=actor,
            )
        )
        if info is not None:
            self.show_focus()
            self.changed.emit()
        return info

    def accept_suggestion(self, entry: InterventionEntry) -> DecisionInfo | None:
        return self._decide(entry, DecisionKind.ACCEPTED)

    def decline_suggestion(self, entry: InterventionEntry) -> DecisionInfo | None:
        reason = DeclineDialog.ask(self, entry.title)
        if reason is None:
            return None
        return self._decide(entry, DecisionKind.DECLINED, reason=reason or None)

    def add_own(self) -> DecisionInfo | None:
        own = OwnInterventionDialog.ask(self)
        if own is None:
            return None
        return self._decide(None, DecisionKind.ADDED, reason=own.reason, title=own.title, model=own.model)
