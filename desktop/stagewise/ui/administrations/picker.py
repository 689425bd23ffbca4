"""Start a questionnaire: which focus, which instrument (favourites and recent ones first), which mode."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QRadioButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from stagewise.core.administrations import lifecycle as administrations
from stagewise.core.clients import records as clients
from stagewise.core.clients.records import FocusInfo
from stagewise.core.enums import AdministrationMode
from stagewise.core.instruments.loader import load_library
from stagewise.core.instruments.model import Form
from stagewise.core.settings import load_settings
from stagewise.ui.administrations.common import user_id
from stagewise.ui.administrations.sheet import SHEET
from stagewise.ui.context import AppContext
from stagewise.ui.ops import perform
from stagewise.ui.practice import admin_labels


@dataclass(frozen=True, slots=True)
class PickerData:
    focuses: tuple[FocusInfo, ...]
    forms: tuple[Form, ...]
    favourites: frozenset[str]
    recent: frozenset[str]


@dataclass(frozen=True, slots=True)
class StartChoice:
    focus_id: int | None
    form_id: str
    mode: AdministrationMode


def load_choices(ctx: AppContext, client_id: int) -> PickerData:
    """The client's active focuses and the instruments in picker order (one read)."""
    library = load_library()
    uid = user_id(ctx)

    def read(s: Session) -> PickerData:
        info = clients.get_client(s, client_id, actor=ctx.actor, record_view=False)
        favourites = load_settings(s).favourite_forms
        recent = administrations.recent_forms(s, user_id=uid) if uid is not None else []
        forms = (
            administrations.ordered_form_choices(s, user_id=uid, library=library, favourites=favourites)
            if uid is not None
            else list(library.forms)
        )
        return PickerData(info.active_focuses, tuple(forms), frozenset(favourites), frozenset(recent))

    data: PickerData = perform(ctx, read)
    return data


def behaviour_words(focus: FocusInfo | None) -> str | None:
    """What fills "[the behaviour]" (the same rule as ``administrations.behaviour_phrase``)."""
    if focus is None:
        return None
    return (focus.behaviour_phrase or "").strip() or focus.label.strip().lower()


class StartDialog(QDialog):
    """Focus, instrument and mode; Enter starts."""

    def __init__(self, parent: QWidget | None, data: PickerData, focus_id: int | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Start a questionnaire"))
        self.setMinimumSize(560, 520)
        self.setStyleSheet(SHEET)
        self.data = data
        self.focus_combo = QComboBox()
        for focus in data.focuses:
            self.focus_combo.addItem(focus.label, focus.id)
        self.focus_combo.addItem(self.tr("No focus"), None)
        if focus_id is not None:
            index = self.focus_combo.findData(focus_id)
            if index >= 0:
                self.focus_combo.setCurrentIndex(index)
        self.preview = QLabel()
        self.preview.setObjectName("muted")
        self.preview.setWordWrap(True)
        self.form_list = QListWidget()
        self.form_list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.form_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for instrument in data.forms:
            marks = []
            if instrument.id in data.favourites:
                marks.append(self.tr("favourite"))
            if instrument.id in data.recent:
                marks.append(self.tr("recent"))
            text = f"{instrument.short_title} — {instrument.title}"
            item = QListWidgetItem(("★  " if instrument.id in data.favourites else "") + text)
            if instrument.caveats():
                marks.append(self.tr("⚠ not fully verified"))
            if marks:
                item.setToolTip(", ".join(marks))
                item.setText(item.text() + f"   ({', '.join(marks)})")
            item.setData(Qt.ItemDataRole.UserRole, instrument.id)
            self.form_list.addItem(item)
        # What is unverified about the selected instrument, in the file's own specific words.
        self.caveats = QLabel()
        self.caveats.setObjectName("notice")
        self.caveats.setWordWrap(True)
        self.caveats.setTextFormat(Qt.TextFormat.PlainText)
        self.caveats.setAccessibleName(self.tr("What is not verified"))
        self.caveats.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.form_list.setCurrentRow(0)
        self.clinician_mode = QRadioButton(self.tr("I will enter the answers (clinician mode)"))
        self.client_mode = QRadioButton(
            self.tr("Hand the screen to the client (full screen, one question at a time)")
        )
        self.clinician_mode.setChecked(True)
        modes = QButtonGroup(self)
        modes.addButton(self.clinician_mode)
        modes.addButton(self.client_mode)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.start_button = buttons.addButton(self.tr("Start"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.start_button.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.form_list.itemDoubleClicked.connect(lambda _i: self.accept())

        rows = QFormLayout()
        rows.addRow(self.tr("&Focus:"), self.focus_combo)
        rows.addRow("", self.preview)
        layout = QVBoxLayout(self)
        layout.addLayout(rows)
        heading = QLabel(self.tr("&Instrument (favourites and your recent ones first):"))
        heading.setBuddy(self.form_list)
        layout.addWidget(heading)
        layout.addWidget(self.form_list, 1)
        layout.addWidget(self.caveats)
        layout.addWidget(self.clinician_mode)
        layout.addWidget(self.client_mode)
        layout.addWidget(buttons)
        self.focus_combo.currentIndexChanged.connect(self._update_preview)
        self.form_list.currentRowChanged.connect(lambda _row: self._update_preview())
        self._update_preview()
        self.form_list.currentRowChanged.connect(self._update_caveats)
        self._update_caveats(self.form_list.currentRow())
        self.form_list.setFocus()

    def _focus(self) -> FocusInfo | None:
        fid = self.focus_combo.currentData()
        return next((f for f in self.data.focuses if f.id == fid), None)

    def selected_form(self) -> Form | None:
        item = self.form_list.currentItem()
        form_id = None if item is None else item.data(Qt.ItemDataRole.UserRole)
        return next((f for f in self.data.forms if f.id == form_id), None)

    def _update_preview(self) -> None:
        form = self.selected_form()
        client_level = form is not None and form.client_level
        # A measure about the client as a whole (PHQ-9, GAD-7) needs no focus: one history per client.
        self.focus_combo.setEnabled(not client_level)
        if client_level:
            assert form is not None
            self.preview.setText(
                self.tr("%1 is about the client as a whole, not one focus: no focus is needed.").replace(
                    "%1", form.short_title
                )
            )
            return
        words = behaviour_words(self._focus())
        self.preview.setText(
            self.tr("Items will say “%1”.").replace("%1", words)
            if words
            else self.tr("Items will use the instrument's own wording.")
        )

    def _update_caveats(self, row: int) -> None:
        form = self.data.forms[row] if 0 <= row < len(self.data.forms) else None
        lines = (
            admin_labels.caveat_lines(form.short_title, form.citation_short, form.caveats()) if form else []
        )
        self.caveats.setText("\n".join(lines))
        self.caveats.setVisible(bool(lines))

    def choice(self) -> StartChoice | None:
        item = self.form_list.currentItem()
        if item is None:
            return None
        mode = AdministrationMode.CLIENT if self.client_mode.isChecked() else AdministrationMode.CLINICIAN
        form = self.selected_form()
        focus_id = None if form is not None and form.client_level else self.focus_combo.currentData()
        return StartChoice(focus_id, item.data(Qt.ItemDataRole.UserRole), mode)

    @classmethod
    def ask(cls, parent: QWidget | None, data: PickerData, focus_id: int | None = None) -> StartChoice | None:
        dialog = cls(parent, data, focus_id)
        return dialog.choice() if dialog.exec() == QDialog.DialogCode.Accepted else None


def forms_in_order(data: PickerData) -> Sequence[str]:
    return [f.id for f in data.forms]
