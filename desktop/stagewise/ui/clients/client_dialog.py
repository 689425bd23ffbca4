"""New / edit client dialog: chart number, names, date of birth and the client's focuses.

Non-modal to the business flow (``open()``, not ``exec()``): the owner passes a ``save`` callable that
runs one transaction and returns the saved ``ClientInfo`` or raises a ``StagewiseError``.  On an error the
dialog stays open with everything typed still there and says what to fix; on success it emits ``saved``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from stagewise.core.clients.edits import ClientForm, FocusDraft
from stagewise.core.errors import StagewiseError

log = logging.getLogger(__name__)

COMMON_FOCUSES = (
    "Alcohol",
    "Smoking",
    "Cannabis",
    "Other drugs",
    "Gambling",
    "Depression",
    "Anxiety",
    "Physical activity",
    "Eating",
    "Sleep",
    "Medication",
    "Anger",
)


def focus_key_for(label: str) -> str:
    """``Physical activity`` → ``physical-activity`` (the focus id stored with records)."""
    import unicodedata

    plain = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:64]


def parse_date(text: str) -> dt.date | None:
    """``1985-03-07`` (also ``1985 3 7`` or ``1985/03/07``); None if it is not a date."""
    parts = re.findall(r"\d+", text)
    if len(parts) != 3 or len(parts[0]) != 4:
        return None
    try:
        return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None


class ClientDialog(QDialog):
    saved = Signal(object)  # ClientInfo

    def __init__(
        self,
        save: Callable[[ClientForm], Any],
        *,
        client: Any | None = None,
        suggested_chart_number: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("clientDialog")
        self._save = save
        self.client = client
        self._removed: list[int] = []
        editing = client is not None
        c: Any = client
        self.setWindowTitle(self.tr("Edit client") if editing else self.tr("New client"))
        self.setMinimumWidth(640)

        self.chart_edit = QLineEdit(c.chart_number if editing else suggested_chart_number)
        self.chart_edit.setObjectName("chartNumberEdit")
        self.given_edit = QLineEdit(c.given_name if editing else "")
        self.given_edit.setObjectName("givenNameEdit")
        self.family_edit = QLineEdit(c.family_name if editing else "")
        self.family_edit.setObjectName("familyNameEdit")
        self.dob_edit = QLineEdit(c.date_of_birth.isoformat() if editing else "")
        self.dob_edit.setObjectName("dateOfBirthEdit")
        self.dob_edit.setPlaceholderText(self.tr("YYYY-MM-DD"))
        self.dob_hint = QLabel()
        self.dob_hint.setObjectName("feedback")
        self.dob_edit.textChanged.connect(self._dob_changed)

        details = QFormLayout()
        details.setVerticalSpacing(10)
        details.setHorizontalSpacing(14)
        for text, edit in (
            (self.tr("C&hart number"), self.chart_edit),
            (self.tr("&Given name"), self.given_edit),
            (self.tr("&Family name"), self.family_edit),
            (self.tr("Date of &birth"), self.dob_edit),
        ):
            label = QLabel(text)
            label.setBuddy(edit)
            edit.setAccessibleName(text.replace("&", ""))
            details.addRow(label, edit)
        details.addRow("", self.dob_hint)

        # Focuses -------------------------------------------------------------------------------------------
        self.focus_table = QTableWidget(0, 2)
        self.focus_table.setObjectName("focusTable")
        self.focus_table.setHorizontalHeaderLabels([self.tr("Focus"), self.tr("Id")])
        self.focus_table.verticalHeader().hide()
        self.focus_table.horizontalHeader().setDefaultAlignment(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        )
        self.focus_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.focus_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.focus_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.focus_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.focus_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.focus_table.setShowGrid(False)
        self.focus_table.setMinimumHeight(110)
        self.focus_table.setTabKeyNavigation(False)
        self.focus_table.setAccessibleName(self.tr("Focuses"))
        self.focus_label_edit = QLineEdit()
        self.focus_label_edit.setObjectName("focusLabelEdit")
        self.focus_label_edit.setPlaceholderText(self.tr("e.g. Alcohol"))
        self.focus_label_edit.setAccessibleName(self.tr("New focus"))
        self.focus_label_edit.setMinimumWidth(170)
        self.completer = completer = QCompleter(list(COMMON_FOCUSES), self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        # Inline: the suggestion is typed ahead in the field (Enter takes it); no popup steals focus.
        completer.setCompletionMode(QCompleter.CompletionMode.InlineCompletion)
        self.focus_label_edit.setCompleter(completer)
        self.focus_key_edit = QLineEdit()
        self.focus_key_edit.setObjectName("focusKeyEdit")
        self.focus_key_edit.setPlaceholderText(self.tr("alcohol"))
        self.focus_key_edit.setAccessibleName(self.tr("Focus id"))
        self.focus_key_edit.setMaximumWidth(150)
        self._key_touched = False
        self.focus_key_edit.textEdited.connect(self._key_edited)
        self.focus_label_edit.textChanged.connect(self._focus_label_changed)
        # Enter in the new-focus fields adds the focus (and must not also save the dialog).
        self.focus_label_edit.installEventFilter(self)
        self.focus_key_edit.installEventFilter(self)
        self.add_focus_button = QPushButton(self.tr("&Add focus"))
        self.add_focus_button.setObjectName("addFocusButton")
        self.add_focus_button.setAutoDefault(False)
        self.add_focus_button.clicked.connect(self.add_focus_from_fields)
        self.remove_focus_button = QPushButton(self.tr("&Remove focus"))
        self.remove_focus_button.setObjectName("removeFocusButton")
        self.remove_focus_button.setAutoDefault(False)
        self.remove_focus_button.clicked.connect(self.remove_selected_focus)
        self.focus_table.itemSelectionChanged.connect(self._focus_selection)

        focus_group = QGroupBox(self.tr("Focuses"))
        hint = QLabel(self.tr("What the work is about (a stage of change always refers to one focus)."))
        hint.setObjectName("muted")
        hint.setWordWrap(True)
        add_row = QHBoxLayout()
        new_label = QLabel(self.tr("Ne&w focus"))
        new_label.setBuddy(self.focus_label_edit)
        add_row.addWidget(new_label)
        add_row.addWidget(self.focus_label_edit, 1)
        add_row.addWidget(self.focus_key_edit)
        add_row.addWidget(self.add_focus_button)
        table_row = QHBoxLayout()
        table_row.addWidget(self.focus_table, 1)
        side = QVBoxLayout()
        side.addWidget(self.remove_focus_button)
        side.addStretch(1)
        table_row.addLayout(side)
        fg = QVBoxLayout(focus_group)
        fg.setSpacing(8)
        fg.addWidget(hint)
        fg.addLayout(table_row)
        fg.addLayout(add_row)

        self.error_label = QLabel()
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        self.error_label.hide()

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("primary")
        self.save_button.setDefault(True)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(14)
        layout.addLayout(details)
        layout.addWidget(focus_group, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

        if editing:
            for f in c.focuses:
                if f.active:
                    self._append_focus(FocusDraft(f.key, f.label, f.id))
        self.setTabOrder(self.chart_edit, self.given_edit)
        self.setTabOrder(self.given_edit, self.family_edit)
        self.setTabOrder(self.family_edit, self.dob_edit)
        self.setTabOrder(self.dob_edit, self.focus_table)
        self.setTabOrder(self.focus_table, self.remove_focus_button)
        self.setTabOrder(self.remove_focus_button, self.focus_label_edit)
        self.setTabOrder(self.focus_label_edit, self.focus_key_edit)
        self.setTabOrder(self.focus_key_edit, self.add_focus_button)
        self._focus_selection()
        self._dob_changed()
        (self.given_edit if editing or suggested_chart_number else self.chart_edit).setFocus()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched in (self.focus_label_edit, self.focus_key_edit)
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self.add_focus_from_fields()
            return True
        return super().eventFilter(watched, event)

    # -- focuses ----------------------------------------------------------------------------------

    def _key_edited(self) -> None:
        self._key_touched = bool(self.focus_key_edit.text())

    def _focus_label_changed(self, text: str) -> None:
        if not self._key_touched:
            self.focus_key_edit.setText(focus_key_for(text))

    def _append_focus(self, draft: FocusDraft) -> None:
        row = self.focus_table.rowCount()
        self.focus_table.insertRow(row)
        label = QTableWidgetItem(draft.label)
        label.setData(Qt.ItemDataRole.UserRole, draft)
        self.focus_table.setItem(row, 0, label)
        self.focus_table.setItem(row, 1, QTableWidgetItem(draft.key))

    def focuses(self) -> tuple[FocusDraft, ...]:
        out = []
        for row in range(self.focus_table.rowCount()):
            item = self.focus_table.item(row, 0)
            if item is not None:
                out.append(item.data(Qt.ItemDataRole.UserRole))
        return tuple(out)

    def add_focus_from_fields(self) -> bool:
        label = " ".join(self.focus_label_edit.text().split())
        key = self.focus_key_edit.text().strip() or focus_key_for(label)
        if not label:
            self.show_error(self.tr("Type what the focus is about, e.g. Alcohol."))
            self.focus_label_edit.setFocus()
            return False
        from stagewise.core.clients.records import focus_key_problem

        problem = focus_key_problem(key)
        if problem:
            self.show_error(self.tr("The focus id %s.") % problem)
            self.focus_key_edit.setFocus()
            return False
        if any(f.key == key for f in self.focuses()):
            self.show_error(self.tr("This client already has the focus “%s”.") % key)
            self.focus_key_edit.setFocus()
            return False
        # Adding back a focus removed in this dialog keeps its id (and its history).
        previous = None
        if self.client is not None:
            previous = next((f for f in self.client.focuses if f.key == key and f.id in self._removed), None)
        if previous is not None:
            self._removed.remove(previous.id)
            self._append_focus(FocusDraft(key, label, previous.id))
        else:
            self._append_focus(FocusDraft(key, label))
        self.focus_label_edit.clear()
        self.focus_key_edit.clear()
        self._key_touched = False
        self.show_error("")
        self.focus_label_edit.setFocus()
        return True

    def remove_selected_focus(self) -> None:
        rows = self.focus_table.selectionModel().selectedRows()
        if not rows:
            return
        row = rows[0].row()
        item = self.focus_table.item(row, 0)
        if item is None:
            return
        draft: FocusDraft = item.data(Qt.ItemDataRole.UserRole)
        if draft.id is not None:
            self._removed.append(draft.id)
        self.focus_table.removeRow(row)
        self._focus_selection()

    def _focus_selection(self) -> None:
        self.remove_focus_button.setEnabled(bool(self.focus_table.selectionModel().selectedRows()))

    # -- saving -----------------------------------------------------------------------------------

    def _dob_changed(self) -> None:
        text = self.dob_edit.text().strip()
        date = parse_date(text) if text else None
        if not text:
            self.dob_hint.setText(self.tr("Year-month-day, e.g. 1985-03-07"))
        elif date is None:
            self.dob_hint.setText(self.tr("Not a date yet: year-month-day, e.g. 1985-03-07"))
        else:
            self.dob_hint.setText(f"{date.day} {date:%B %Y}")

    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.setVisible(bool(message))

    def form(self) -> ClientForm | None:
        """What was typed, or None (with the problem shown) if it cannot be saved yet."""
        checks = (
            (self.chart_edit, self.tr("Type a chart number.")),
            (self.given_edit, self.tr("Type the client's given name.")),
            (self.family_edit, self.tr("Type the client's family name.")),
            (self.dob_edit, self.tr("Type the date of birth (year-month-day).")),
        )
        for edit, message in checks:
            if not edit.text().strip():
                self.show_error(message)
                edit.setFocus()
                return None
        date = parse_date(self.dob_edit.text())
        if date is None:
            self.show_error(
                self.tr("The date of birth is not a date; type it as year-month-day, e.g. 1985-03-07.")
            )
            self.dob_edit.setFocus()
            return None
        if self.focus_label_edit.text().strip() and not self.add_focus_from_fields():
            return None
        return ClientForm(
            chart_number=self.chart_edit.text().strip(),
            given_name=self.given_edit.text(),
            family_name=self.family_edit.text(),
            date_of_birth=date,
            focuses=self.focuses(),
            removed_focus_ids=tuple(self._removed),
        )

    def submit(self) -> None:
        values = self.form()
        if values is None:
            return
        try:
            info = self._save(values)
        except StagewiseError as exc:
            self.show_error(str(exc))
            text = str(exc).lower()
            if "chart number" in text:
                self.chart_edit.setFocus()
                self.chart_edit.selectAll()
            elif "date of birth" in text:
                self.dob_edit.setFocus()
            elif "given name" in text:
                self.given_edit.setFocus()
            elif "family name" in text:
                self.family_edit.setFocus()
            self.save_button.setDefault(True)  # focus left a clicked Save button: keep Enter saving
            return
        self.show_error("")
        self.saved.emit(info)
        self.accept()
