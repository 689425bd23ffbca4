"""Practice settings (administrators): general, clinical and backup settings, validated by the core.

Saving is one core operation, ``settings.save_settings``: it checks every value (each problem shows under
its own field) and, when all pass, stores the changes and audits them in one transaction.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from stagewise.core.enums import Stage
from stagewise.core.errors import StagewiseError
from stagewise.core.settings import BACKUP_SCHEDULES, URICA_STAGE_RULES, PracticeSettings
from stagewise.ui import labels
from stagewise.ui.context import AppContext

log = logging.getLogger(__name__)

URICA_RULE_LABELS = {
    "nearest_group_mean": "Nearest cluster profile (ATTC group means) — recommended",
    "habits_lab_cutoffs": "HABITS Lab readiness cut-offs — approximate, not verified",
}
SCHEDULE_LABELS = {
    "daily": "Daily, at the first unlock of the day",
    "weekly": "Weekly",
    "off": "Off (back up by hand)",
}
assert set(URICA_RULE_LABELS) == set(URICA_STAGE_RULES)
assert set(SCHEDULE_LABELS) == set(BACKUP_SCHEDULES)


class FolderDialog:
    @classmethod
    def ask(cls, parent: QWidget | None) -> str | None:
        return QFileDialog.getExistingDirectory(parent, "Choose a backup folder") or None


def _spin(maximum: int = 99_999) -> QSpinBox:
    # Wide on purpose: the core's limits decide, and say so under the field.
    spin = QSpinBox()
    spin.setRange(0, maximum)
    spin.setMaximumWidth(120)
    return spin


def _scrolling(page: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(page)
    return area


class SettingsWindow(QWidget):
    """The practice settings; ``saved(PracticeSettings)`` after a successful save."""

    saved = Signal(object)
    closed = Signal()

    def __init__(self, ctx: AppContext, *, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("settingsWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(self.tr("Practice settings"))
        self.ctx = ctx
        self.errors: dict[str, QLabel] = {}
        self.rows: dict[str, QWidget] = {}
        self.prefs = self._load()

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(_scrolling(self._general()), self.tr("&General"))
        self.tabs.addTab(_scrolling(self._clinical()), self.tr("&Clinical"))
        self.tabs.addTab(_scrolling(self._backups()), self.tr("&Backups"))
        self.message = QLabel()
        self.message.setObjectName("errorLabel")
        self.message.setWordWrap(True)
        self.message.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("primary")
        self.buttons.accepted.connect(lambda: self.save())
        self.buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        QShortcut(QKeySequence.StandardKey.Close, self).activated.connect(self.close)
        self.resize(860, 720)
        self.show_settings(self.prefs)

    # -- building ---------------------------------------------------------------------------------

    def _load(self) -> PracticeSettings:
        from stagewise.core import settings

        practice = self.ctx.practice
        if practice is None:
            return PracticeSettings()
        with practice.session_factory() as s:
            return settings.load_settings(s)

    def _row(self, form: QFormLayout, key: str, text: str, widget: QWidget, hint: str = "") -> None:
        label = QLabel(text)
        label.setBuddy(widget)
        error = QLabel()
        error.setObjectName("errorLabel")
        error.setWordWrap(True)
        error.hide()
        box = QWidget()
        v = QVBoxLayout(box)
        v.setContentsMargins(0, 0, 0, 0)
        v.setSpacing(2)
        v.addWidget(widget)
        if hint:
            note = QLabel(hint)
            note.setObjectName("muted")
            note.setWordWrap(True)
            v.addWidget(note)
        v.addWidget(error)
        form.addRow(label, box)
        self.errors[key] = error
        self.rows[key] = widget

    def _page(self) -> tuple[QWidget, QFormLayout]:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(16, 16, 16, 16)
        form.setVerticalSpacing(10)
        return page, form

    def _general(self) -> QWidget:
        page, form = self._page()
        self.name_edit = QLineEdit()
        self.idle_spin = _spin(9999)
        self.idle_spin.setSuffix(self.tr(" min"))
        self.reassess_spin = _spin()
        self.reassess_spin.setSuffix(self.tr(" days"))
        self.stalled_spin = _spin()
        self.stalled_spin.setSuffix(self.tr(" days"))
        self._row(form, "practice_name", self.tr("Practice &name:"), self.name_edit)
        self._row(
            form,
            "idle_lock_minutes",
            self.tr("&Lock after:"),
            self.idle_spin,
            self.tr("Minutes without use before Stagewise locks itself."),
        )
        self._row(
            form,
            "reassessment_days",
            self.tr("&Reassess every:"),
            self.reassess_spin,
            self.tr("Default interval before a focus is due again (each focus may have its own)."),
        )
        self._row(
            form,
            "stalled_days",
            self.tr("S&talled after:"),
            self.stalled_spin,
            self.tr("Days in the same stage before the dashboard counts a client as stalled."),
        )
        return page

    def _clinical(self) -> QWidget:
        page, form = self._page()
        self.safety_edit = QPlainTextEdit()
        self.safety_edit.setTabChangesFocus(True)
        self.safety_edit.setMinimumHeight(130)
        self._row(
            form,
            "safety_text",
            self.tr("&Safety text:"),
            self.safety_edit,
            self.tr("Shown when a client endorses a risk item. Name your protocol and local numbers."),
        )
        labels_box = QWidget()
        grid = QFormLayout(labels_box)
        grid.setContentsMargins(0, 0, 0, 0)
        self.stage_edits: dict[Stage, QLineEdit] = {}
        for stage in Stage:
            edit = QLineEdit()
            self.stage_edits[stage] = edit
            grid.addRow(labels.stage(stage) + ":", edit)
        self._row(
            form,
            "client_stage_labels",
            self.tr("Client-&facing stage words:"),
            labels_box,
            self.tr("What clients see instead of the clinical stage names."),
        )
        self.rule_combo = QComboBox()
        for rule in URICA_STAGE_RULES:
            self.rule_combo.addItem(self.tr(URICA_RULE_LABELS[rule]), rule)
        self._row(
            form,
            "urica_stage_rule",
            self.tr("&URICA stage rule:"),
            self.rule_combo,
            self.tr("The HABITS Lab cut-offs were not verified against their source; use them with care."),
        )
        self.favourites = QListWidget()
        self.favourites.setMinimumHeight(150)
        self.favourites.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.favourites.setTextElideMode(Qt.TextElideMode.ElideRight)
        from stagewise.core.instruments import load_library, practice_forms_dir

        for f in load_library((practice_forms_dir(self.ctx.paths),)).forms:
            item = QListWidgetItem(f"{f.short_title} — {f.title}")
            item.setData(Qt.ItemDataRole.UserRole, f.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.favourites.addItem(item)
        self._row(
            form,
            "favourite_forms",
            self.tr("F&avourite questionnaires:"),
            self.favourites,
            self.tr("Listed first when starting a questionnaire."),
        )
        return page

    def _backups(self) -> QWidget:
        page, form = self._page()
        self.folder_list = QListWidget()
        self.folder_list.setMinimumHeight(80)
        self.add_folder_button = QPushButton(self.tr("A&dd folder…"))
        self.add_folder_button.clicked.connect(lambda: self.add_folder())
        self.remove_folder_button = QPushButton(self.tr("Re&move"))
        self.remove_folder_button.clicked.connect(self.remove_folder)
        folders = QWidget()
        fv = QVBoxLayout(folders)
        fv.setContentsMargins(0, 0, 0, 0)
        fv.addWidget(self.folder_list)
        row = QHBoxLayout()
        row.addWidget(self.add_folder_button)
        row.addWidget(self.remove_folder_button)
        row.addStretch(1)
        fv.addLayout(row)
        self._row(
            form,
            "backup_destinations",
            self.tr("Backup &folders:"),
            folders,
            self.tr("An external drive or a synced folder; each backup goes to every folder listed."),
        )
        self.schedule_combo = QComboBox()
        for value in BACKUP_SCHEDULES:
            self.schedule_combo.addItem(self.tr(SCHEDULE_LABELS[value]), value)
        self._row(form, "backup_schedule", self.tr("Sc&hedule:"), self.schedule_combo)
        self.keep_daily = _spin()
        self.keep_weekly = _spin()
        self.keep_monthly = _spin()
        self._row(form, "backup_keep_daily", self.tr("Keep &daily:"), self.keep_daily)
        self._row(form, "backup_keep_weekly", self.tr("Keep &weekly:"), self.keep_weekly)
        self._row(form, "backup_keep_monthly", self.tr("Keep m&onthly:"), self.keep_monthly)
        self.warn_spin = _spin()
        self.warn_spin.setSuffix(self.tr(" days"))
        self._row(
            form,
            "backup_warn_days",
            self.tr("&Warn after:"),
            self.warn_spin,
            self.tr("Show a warning when no backup has succeeded for this many days."),
        )
        return page

    # -- values -----------------------------------------------------------------------------------

    def show_settings(self, p: PracticeSettings) -> None:
        self.name_edit.setText(p.practice_name)
        self.idle_spin.setValue(p.idle_lock_minutes)
        self.reassess_spin.setValue(p.reassessment_days)
        self.stalled_spin.setValue(p.stalled_days)
        self.safety_edit.setPlainText(p.safety_text)
        for stage, edit in self.stage_edits.items():
            edit.setText(p.client_stage_label(stage))
        self.rule_combo.setCurrentIndex(max(0, self.rule_combo.findData(p.urica_stage_rule)))
        favourites = set(p.favourite_forms)
        for i in range(self.favourites.count()):
            item = self.favourites.item(i)
            on = item.data(Qt.ItemDataRole.UserRole) in favourites
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        self.folder_list.clear()
        self.folder_list.addItems(list(p.backup_destinations))
        self.schedule_combo.setCurrentIndex(max(0, self.schedule_combo.findData(p.backup_schedule)))
        self.keep_daily.setValue(p.backup_keep_daily)
        self.keep_weekly.setValue(p.backup_keep_weekly)
        self.keep_monthly.setValue(p.backup_keep_monthly)
        self.warn_spin.setValue(p.backup_warn_days)

    def values(self) -> dict[str, Any]:
        """Every setting as on screen (the core validates them)."""
        favourites = [
            str(self.favourites.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(self.favourites.count())
            if self.favourites.item(i).checkState() == Qt.CheckState.Checked
        ]
        return {
            "practice_name": self.name_edit.text(),
            "idle_lock_minutes": self.idle_spin.value(),
            "reassessment_days": self.reassess_spin.value(),
            "stalled_days": self.stalled_spin.value(),
            "safety_text": self.safety_edit.toPlainText(),
            "client_stage_labels": {s.value: e.text() for s, e in self.stage_edits.items()},
            "urica_stage_rule": self.rule_combo.currentData(),
            "favourite_forms": favourites,
            "backup_destinations": [self.folder_list.item(i).text() for i in range(self.folder_list.count())],
            "backup_schedule": self.schedule_combo.currentData(),
            "backup_keep_daily": self.keep_daily.value(),
            "backup_keep_weekly": self.keep_weekly.value(),
            "backup_keep_monthly": self.keep_monthly.value(),
            "backup_warn_days": self.warn_spin.value(),
        }

    def add_folder(self) -> None:
        folder = FolderDialog.ask(self)
        if folder and not self.folder_list.findItems(folder, Qt.MatchFlag.MatchExactly):
            self.folder_list.addItem(folder)

    def remove_folder(self) -> None:
        row = self.folder_list.currentRow()
        if row >= 0:
            self.folder_list.takeItem(row)

    # -- saving -----------------------------------------------------------------------------------

    def _show_errors(self, problems: dict[str, str]) -> None:
        for key, label in self.errors.items():
            text = problems.get(key, "")
            label.setText(text)
            label.setVisible(bool(text))
        if problems:
            first = next(k for k in self.errors if k in problems)
            widget = self.rows[first]
            for i in range(self.tabs.count()):
                page = self.tabs.widget(i)
                if page is not None and page.isAncestorOf(widget):
                    self.tabs.setCurrentIndex(i)
            widget.setFocus()

    def save(self) -> PracticeSettings | None:
        """Check every value and store the changes: one core operation (``settings.save_settings``)."""
        from stagewise.core import settings
        from stagewise.ui.ops import perform

        actor = self.ctx.actor
        if self.ctx.practice is None or actor is None:
            return None
        values = self.values()
        problems: dict[str, str] = {}
        try:
            prefs = perform(
                self.ctx, lambda s: settings.save_settings(s, actor=actor, values=values), source=self
            )
        except settings.InvalidSettingsError as exc:
            problems, prefs = exc.problems, None  # rolled back: nothing stored, nothing audited
        except StagewiseError as exc:
            from stagewise.ui.ops import error_text

            self.message.setText(error_text(exc))
            self.message.show()
            return None
        self._show_errors(problems)
        self.message.setVisible(bool(problems))
        self.message.setText(
            self.tr("Nothing was saved: correct the fields marked in red.") if problems else ""
        )
        if problems or prefs is None:
            return None
        log.info("practice settings saved")
        self.prefs = prefs
        self.saved.emit(prefs)
        self.close()
        return prefs

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closed.emit()
        super().closeEvent(event)
