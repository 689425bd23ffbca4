"""The chart's Assessments tab: open risk alerts, questionnaires in progress (Resume), and every one given.

``AssessmentsTab(ctx, client_id, runner)`` goes into ``ChartWindow.assessments_tab``'s layout.  Windows it
opens (clinician form, hand-over, results, item history) are its children, so they go with the chart;
``save_and_close()`` (connected to ``LockManager.locking``) closes them while the database is still open,
leaving any questionnaire in progress to resume at the same item.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from stagewise.core.administrations import lifecycle as administrations, risk
from stagewise.core.administrations.lifecycle import AdministrationInfo
from stagewise.core.administrations.risk import RiskAlertInfo
from stagewise.core.changes import OpChanges, client_changed
from stagewise.core.clients import records as clients
from stagewise.core.enums import AdministrationMode, AdministrationStatus
from stagewise.core.errors import StagewiseError
from stagewise.core.instruments.loader import load_library, short_title
from stagewise.core.instruments.model import Form
from stagewise.ui.administrations.clinician_form import ClinicianForm
from stagewise.ui.administrations.common import user_id
from stagewise.ui.administrations.handover import HandoverWindow
from stagewise.ui.administrations.item_history_view import ItemHistoryView
from stagewise.ui.administrations.picker import StartDialog, load_choices
from stagewise.ui.administrations.prompts import VoidDialog
from stagewise.ui.administrations.results_view import ResultsView
from stagewise.ui.administrations.risk_prompt import AddressDialog, RiskPromptDialog, acknowledge
from stagewise.ui.administrations.sheet import SHEET
from stagewise.ui.context import AppContext
from stagewise.ui.ops import perform, run_op
from stagewise.ui.practice import admin_labels
from stagewise.ui.workers import OpRunner

log = logging.getLogger(__name__)


class AlertRow(QFrame):
    """One open risk alert, with the next step (acknowledge, then mark addressed)."""

    def __init__(self, alert: RiskAlertInfo) -> None:
        super().__init__()
        self.alert = alert
        self.setObjectName("alertRow")
        text = (
            f"{admin_labels.risk_flag(alert.flag)} — {short_title(alert.form_id)}, "
            + admin_labels.local_time(alert.raised_at)
        )
        if alert.acknowledged:
            when = admin_labels.local_time(alert.acknowledged_at)
            text += f"\nAcknowledged by {alert.acknowledged_by or '?'}, {when}: {alert.action_taken}"
        else:
            text += "\nNot yet acknowledged."
        self.label = QLabel(text)
        self.label.setObjectName("riskBanner")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.button = QPushButton("Mark addressed…" if alert.acknowledged else "Acknowledge…")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignVCenter)


def _form(form_id: str) -> Form | None:
    """The shipped instrument ``form_id`` (None for one no longer shipped: its results still list)."""
    try:
        return load_library().get(form_id)
    except StagewiseError:
        return None


class AssessmentsTab(QWidget):
    """Everything about questionnaires in one client's chart."""

    record_stage_requested = Signal(int, object, int)  # focus id, proposed Stage or None, administration id
    changed = Signal()  # something was started, completed or voided (the chart may refresh other tabs)

    COLUMNS = ("Date", "Instrument", "Focus", "How", "Status", "Result")

    def __init__(
        self, ctx: AppContext, client_id: int, runner: OpRunner | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("assessments")
        self.setStyleSheet(SHEET)
        self.ctx = ctx
        self.client_id = client_id
        self.runner = runner
        self.rows: list[AdministrationInfo] = []
        self.alerts: list[RiskAlertInfo] = []
        self.windows: list[QWidget] = []
        self.focus_labels: dict[int, str] = {}
        ctx.changes.changed.connect(self._heard)

        self.alert_box = QVBoxLayout()
        self.alert_box.setSpacing(6)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in self.COLUMNS])
        self.table.verticalHeader().setVisible(False)
        # Rows follow their content at the current column widths: a long band (BARC-10) wraps instead of
        # being cut off.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.doubleClicked.connect(lambda _i: self.open_selected())
        self.table.installEventFilter(self)
        self.empty = QLabel(self.tr("No questionnaires yet. Start one with Start… (Alt+T)."))
        self.empty.setObjectName("placeholder")

        self.start_button = QPushButton(self.tr("S&tart…"))
        self.start_button.setObjectName("primary")
        self.start_button.clicked.connect(lambda: self.start())
        self.resume_button = QPushButton(self.tr("Res&ume"))
        self.resume_button.clicked.connect(self.resume_selected)
        self.results_button = QPushButton(self.tr("Resu&lts"))
        self.results_button.clicked.connect(self.results_selected)
        self.history_button = QPushButton(self.tr("Item &history"))
        self.history_button.clicked.connect(self.item_history_selected)
        self.void_button = QPushButton(self.tr("&Void…"))
        self.void_button.clicked.connect(self.void_selected)
        self.in_progress_label = QLabel()
        self.in_progress_label.setObjectName("notice")
        self.in_progress_label.setWordWrap(True)
        self.message = QLabel()
        self.message.setObjectName("errorLabel")
        self.message.setWordWrap(True)
        self.message.setVisible(False)

        buttons = QHBoxLayout()
        for b in (self.start_button, self.resume_button, self.results_button, self.history_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.void_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(10)
        layout.addLayout(self.alert_box)
        layout.addLayout(buttons)
        layout.addWidget(self.in_progress_label)
        layout.addWidget(self.message)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        self.refresh()

    # -- loading ----------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read alerts and administrations again (one read transaction; small for one client)."""
        if self.ctx.practice is None:
            return
        info, open_now, done, self.alerts = perform(
            self.ctx,
            lambda s: (
                clients.get_client(s, self.client_id, actor=self.ctx.actor, record_view=False),
                administrations.in_progress(s, client_id=self.client_id),
                administrations.history(s, client_id=self.client_id, include_voided=True),
                risk.open_alerts(s, client_id=self.client_id),
            ),
        )
        self.focus_labels = {f.id: f.label for f in info.focuses}
        selected = self.selected
        self.rows = open_now + list(reversed(done))
        self._fill_alerts()
        self._fill_table()
        if selected is not None:
            self.select(selected.id)
        elif self.rows:
            self.table.selectRow(0)
        self._update_buttons()

    def _fill_alerts(self) -> None:
        while self.alert_box.count():
            item = self.alert_box.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        self.alert_rows: list[AlertRow] = []
        for alert in self.alerts:
            row = AlertRow(alert)
            row.button.clicked.connect(lambda _c=False, a=alert: self._alert_action(a))
            self.alert_box.addWidget(row)
            row.show()
            self.alert_rows.append(row)

    def _fill_table(self) -> None:
        self.table.setRowCount(len(self.rows))
        for r, a in enumerate(self.rows):
            if a.status == AdministrationStatus.IN_PROGRESS:
                count = admin_labels.answered(len(a.answers), len(a.item_ids))
                status = f"{admin_labels.status(a.status)} — {count}"
            else:
                status = admin_labels.status(a.status)
            result = "" if a.result is None else admin_labels.result_cell(_form(a.form_id), a.result)
            cells = [
                admin_labels.local_date(a.completed_at or a.started_at),
                short_title(a.form_id),
                self.focus_labels.get(a.focus_id, "—") if a.focus_id is not None else "—",
                admin_labels.mode(a.mode),
                status,
                result,
            ]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(r, c, item)
        unfinished = [a for a in self.rows if a.status == AdministrationStatus.IN_PROGRESS]
        self.in_progress_label.setText(
            self.tr("Not finished: %1. Every answer is saved: select one and press Resume (Alt+U).").replace(
                "%1",
                ", ".join(
                    f"{short_title(a.form_id)} ({admin_labels.answered(len(a.answers), len(a.item_ids))})"
                    for a in unfinished
                ),
            )
            if unfinished
            else ""
        )
        self.in_progress_label.setVisible(bool(unfinished))
        self.empty.setVisible(not self.rows)
        self.table.setVisible(bool(self.rows))

    # -- selection --------------------------------------------------------------------------------

    @property
    def selected(self) -> AdministrationInfo | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows or rows[0].row() >= len(self.rows):
            return None
        return self.rows[rows[0].row()]

    def select(self, administration_id: int) -> None:
        for r, a in enumerate(self.rows):
            if a.id == administration_id:
                self.table.selectRow(r)
                return

    def _update_buttons(self) -> None:
        a = self.selected
        open_ = a is not None and a.status == AdministrationStatus.IN_PROGRESS
        self.resume_button.setEnabled(open_)
        self.results_button.setEnabled(a is not None and a.result is not None)
        self.history_button.setEnabled(a is not None and a.status == AdministrationStatus.COMPLETE)
        self.void_button.setEnabled(a is not None and a.status != AdministrationStatus.VOIDED)
        self.resume_button.setDefault(open_)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.table
            and isinstance(event, QKeyEvent)
            and event.type() == QKeyEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self.open_selected()
            return True
        return super().eventFilter(watched, event)

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    # -- actions ----------------------------------------------------------------------------------

    def start(self, focus_id: int | None = None) -> QWidget | None:
        """Ask for focus, instrument and mode; start the administration and open its screen."""
        data = load_choices(self.ctx, self.client_id)
        choice = StartDialog.ask(self, data, focus_id)
        if choice is None:
            return None
        info = self._write(
            lambda s: administrations.start(
                s,
                client_id=self.client_id,
                focus_id=choice.focus_id,
                form_id=choice.form_id,
                mode=choice.mode,
                by_user_id=user_id(self.ctx),
                actor=self.ctx.actor,
            )
        )
        if info is None:
            return None
        log.info("administration %d started (%s mode)", info.id, choice.mode.value)
        self.show_message("")
        self.refresh()
        return self.open_administration(info.id, choice.mode)

    def open_administration(self, administration_id: int, mode: AdministrationMode) -> QWidget:
        window: ClinicianForm | HandoverWindow
        if mode == AdministrationMode.CLIENT:
            window = HandoverWindow(self.ctx, administration_id, parent=self)
            window.completed.connect(self._completed)
            window.left.connect(self._left_handover)
            self._track(window)
            window.showFullScreen()
        else:
            window = ClinicianForm(self.ctx, administration_id, parent=self)
            window.completed.connect(self._completed)
            window.voided.connect(lambda _i: self._changed())
            window.closed.connect(lambda _i: self._changed())
            self._track(window)
            window.show()
        window.activateWindow()
        return window

    def _track(self, window: QWidget) -> None:
        self.windows.append(window)
        window.destroyed.connect(
            lambda _o=None, w=window: self.windows.remove(w) if w in self.windows else None
        )

    def _write(self, fn: Any) -> Any:
        """Start or void through the one runner; the change is announced for this client's other screens."""
        return run_op(
            self.ctx,
            fn,
            on_error=self.show_message,
            parent=self,
            changes=client_changed(self.client_id, administrations=True),
        )

    def _changed(self) -> None:
        """A questionnaire window of this tab saved, completed or voided: say so to every screen."""
        if self.ctx.practice is not None:
            self.ctx.changes.announce(client_changed(self.client_id, administrations=True), self)
            self.refresh()
            self.changed.emit()

    def _heard(self, changes: OpChanges, source: object) -> None:
        """Another screen changed this client's details, questionnaires or stages: show it."""
        if source is not self and changes.touches_client(self.client_id) and self.ctx.practice is not None:
            self.refresh()

    def _completed(self, administration_id: int) -> None:
        self._changed()
        self.show_results(administration_id)

    def _left_handover(self, administration_id: int, reached_end: bool) -> None:
        self._changed()
        if reached_end:  # the client skipped something: the clinician reviews before completing
            self.open_administration(administration_id, AdministrationMode.CLINICIAN)

    def open_selected(self) -> None:
        a = self.selected
        if a is None:
            return
        if a.status == AdministrationStatus.IN_PROGRESS:
            self.resume_selected()
        elif a.result is not None:
            self.results_selected()

    def resume_selected(self) -> QWidget | None:
        a = self.selected
        if a is None or a.status != AdministrationStatus.IN_PROGRESS:
            return None
        for w in self.windows:
            if getattr(w, "administration_id", None) == a.id and isinstance(
                w, ClinicianForm | HandoverWindow
            ):
                w.activateWindow()
                return w
        return self.open_administration(a.id, a.mode)

    def show_results(self, administration_id: int) -> ResultsView:
        view = ResultsView(self.ctx, administration_id, parent=self)
        view.record_stage_requested.connect(self.record_stage_requested)
        self._track(view)
        view.show()
        view.activateWindow()
        return view

    def results_selected(self) -> ResultsView | None:
        a = self.selected
        if a is None or a.result is None:
            return None
        return self.show_results(a.id)

    def item_history_selected(self) -> ItemHistoryView | None:
        a = self.selected
        if a is None:
            return None
        view = ItemHistoryView(self.ctx, self.client_id, a.form_id, a.focus_id, parent=self)
        self._track(view)
        view.show()
        return view

    def void_selected(self) -> None:
        a = self.selected
        if a is None or a.status == AdministrationStatus.VOIDED:
            return
        reason = VoidDialog.ask(self)
        if reason is None:
            return
        for w in list(self.windows):
            if getattr(w, "administration_id", None) == a.id and isinstance(
                w, ClinicianForm | HandoverWindow
            ):
                w.save_and_close()
        if self._write(lambda s: administrations.void(s, a.id, reason, actor=self.ctx.actor)) is None:
            return
        self._changed()

    def _alert_action(self, alert: RiskAlertInfo) -> None:
        if not alert.acknowledged:
            prompt = risk.RiskPrompt(alert.id, alert.flag, alert.item_id, "", self._safety_text())
            action = RiskPromptDialog.ask(self, prompt)
            if action is None:
                return
            problem = acknowledge(self.ctx, alert.id, action)
        else:
            note = AddressDialog.ask(self)
            if note is None:
                return
            problem = None
            uid = user_id(self.ctx)
            if uid is None:
                problem = self.tr("Sign in again to close this alert.")
            else:
                problems: list[str] = []
                run_op(
                    self.ctx,
                    lambda s: risk.mark_addressed(s, alert.id, user_id=uid, actor=self.ctx.actor, note=note),
                    on_error=problems.append,
                    parent=self,
                    changes=client_changed(self.client_id, administrations=True),
                )
                problem = problems[0] if problems else None
        self.show_message(problem or "")
        self.refresh()

    def _safety_text(self) -> str:
        return str(perform(self.ctx, risk.safety_text))

    # -- locking ----------------------------------------------------------------------------------

    def save_and_close(self) -> None:
        """Locking (``LockManager.locking``): keep what is typed, close every questionnaire window."""
        for w in list(self.windows):
            if isinstance(w, ClinicianForm | HandoverWindow):
                w.save_and_close()
            else:
                w.close()
