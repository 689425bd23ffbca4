"""The "Record stage" dialog: the clinician's stage for one focus, with the instrument's proposal beside it.

The instrument proposes, the clinician decides.  Choosing a stage other than the proposal, or "not
staged for now", needs a reason: until one is typed the OK button stays disabled and a hint says why.
Moving back a stage is ordinary and gets no warning.  Keys: 1–5 pick a stage, 0 "not staged for now",
Ctrl+Enter records.

Non-blocking: the Stage tab ``open()``s it and listens to ``submitted(RecordChoice)``; it then calls
``accept()`` when the record is stored or ``show_error(text)`` when the core refused it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from PySide6.QtCore import QDate, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from stagewise.core.enums import Stage
from stagewise.core.stages.records import MAX_REASON
from stagewise.ui.dates import configure_date_edit
from stagewise.ui.stages import words
from stagewise.ui.stages.look import date_edit_sheet

NOT_STAGED_ID = 0  # the button id (and key) of "not staged for now"; stages are 1–5 in order


@dataclass(frozen=True, slots=True)
class RecordChoice:
    """What the clinician chose in the dialog."""

    focus_id: int
    stage: Stage | None  # None = not staged for now
    proposed: Stage | None
    reason: str | None
    effective: dt.date
    administration_id: int | None


def stage_for_id(button_id: int) -> Stage | None:
    return None if button_id == NOT_STAGED_ID else list(Stage)[button_id - 1]


def id_for_stage(stage: Stage | None) -> int:
    return NOT_STAGED_ID if stage is None else Stage(stage).order + 1


def reason_needed(stage: Stage | None, proposed: Stage | None) -> bool:
    """The core's rule: a reason for "not staged", and for a stage that differs from a proposal."""
    return stage is None or (proposed is not None and stage != proposed)


class RecordStageDialog(QDialog):
    """Pick the stage (or "not staged for now"), a reason when needed, and the effective date."""

    submitted = Signal(object)  # RecordChoice

    def __init__(
        self,
        focus_id: int,
        focus_label: str,
        *,
        proposed: Stage | None = None,
        administration_id: int | None = None,
        source: str = "",
        current: Stage | None = None,
        today: dt.date | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("recordStageDialog")
        self.setWindowTitle(self.tr("Record stage — %1").replace("%1", focus_label))
        self.focus_id = focus_id
        self.proposed = None if proposed is None else Stage(proposed)
        self.administration_id = administration_id
        today = today or dt.date.today()

        intro = QLabel(
            self.tr(
                "The stage of change for <b>%1</b> — a snapshot for this behaviour, "
                "not a label for the person."
            ).replace("%1", focus_label.replace("&", "&amp;").replace("<", "&lt;"))
        )
        intro.setWordWrap(True)
        self.proposal_label = QLabel()
        self.proposal_label.setObjectName("proposal")
        self.proposal_label.setWordWrap(True)
        if self.proposed is not None:
            where = f" ({source})" if source else ""
            self.proposal_label.setText(
                self.tr("Proposed by the questionnaire%1: %2")
                .replace("%1", where)
                .replace("%2", words.stage(self.proposed))
            )
        else:
            self.proposal_label.setText(self.tr("No questionnaire proposal: record your clinical judgement."))
            self.proposal_label.setObjectName("muted")

        self.group = QButtonGroup(self)
        self.buttons: dict[int, QRadioButton] = {}
        choices = QVBoxLayout()
        choices.setSpacing(4)
        for n, stage in enumerate(Stage, start=1):
            text = f"&{n}  {words.stage(stage)}"
            if stage == self.proposed:
                text += "  " + self.tr("(proposed)")
            if stage == current:
                text += "  " + self.tr("(current)")
            self._add_choice(n, text, choices)
        self._add_choice(NOT_STAGED_ID, "&0  " + words.stage(None), choices)
        pause_note = QLabel(
            self.tr("Crisis, detoxification or a very short stay: reassessment reminders pause.")
        )
        pause_note.setObjectName("muted")
        pause_note.setContentsMargins(24, 0, 0, 0)
        choices.addWidget(pause_note)

        self.reason_edit = QPlainTextEdit()
        self.reason_edit.setObjectName("reasonEdit")
        self.reason_edit.setTabChangesFocus(True)
        self.reason_edit.setPlaceholderText(self.tr("Why this stage (kept with the record)"))
        self.reason_edit.setFixedHeight(72)
        self.reason_edit.textChanged.connect(self._update)
        self.hint = QLabel()
        self.hint.setObjectName("reasonHint")
        keep = self.hint.sizePolicy()
        keep.setRetainSizeWhenHidden(True)  # the dialog does not jump when the hint comes and goes
        self.hint.setSizePolicy(keep)
        self.date_edit = QDateEdit(QDate(today.year, today.month, today.day))
        self.date_edit.setObjectName("effectiveDate")
        self.date_edit.setCalendarPopup(True)
        configure_date_edit(self.date_edit)
        self.date_edit.setMaximumDate(QDate(today.year, today.month, today.day))
        self.error = QLabel()
        self.error.setObjectName("errorLabel")
        self.error.setWordWrap(True)
        self.error.setVisible(False)

        self.box = QDialogButtonBox()
        self.ok_button = QPushButton(self.tr("Record stage"))
        self.ok_button.setObjectName("primary")
        self.ok_button.setDefault(True)
        self.box.addButton(self.ok_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.box.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.box.accepted.connect(self.submit)
        self.box.rejected.connect(self.reject)
        self.reason_edit.installEventFilter(self)  # Ctrl+Enter records from the reason field too

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        reason_box = QVBoxLayout()
        reason_box.setSpacing(4)
        reason_box.addWidget(self.reason_edit)
        reason_box.addWidget(self.hint)
        reason_label = QLabel(self.tr("&Reason:"))
        reason_label.setBuddy(self.reason_edit)
        form.addRow(reason_label, reason_box)
        date_label = QLabel(self.tr("&Effective from:"))
        date_label.setBuddy(self.date_edit)
        form.addRow(date_label, self.date_edit)

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(intro)
        layout.addWidget(self.proposal_label)
        layout.addLayout(choices)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.box)
        self.setStyleSheet(
            date_edit_sheet() + "#proposal { font-weight: 600; color: #234f52; }"
            "#reasonHint { color: #5b4a1f; background: #fbf6e9; border: 1px solid #eadfbf;"
            " border-radius: 5px; padding: 5px 8px; }"
        )
        self.setMinimumWidth(560)

        initial = self.proposed if self.proposed is not None else current
        if initial is not None:
            self.select(initial)
        else:
            self.buttons[1].setFocus()
            self._update()

    def _add_choice(self, button_id: int, text: str, layout: QVBoxLayout) -> None:
        button = QRadioButton(text)
        button.setObjectName(f"stageChoice{button_id}")
        self.group.addButton(button, button_id)
        self.buttons[button_id] = button
        button.toggled.connect(lambda _on: self._update())
        layout.addWidget(button)

    # -- state -------------------------------------------------------------------------------------

    @property
    def chosen_id(self) -> int | None:
        checked = self.group.checkedId()
        return None if checked == -1 else checked

    @property
    def stage(self) -> Stage | None:
        checked = self.chosen_id
        return None if checked is None else stage_for_id(checked)

    @property
    def reason(self) -> str:
        return self.reason_edit.toPlainText().strip()

    @property
    def needs_reason(self) -> bool:
        checked = self.chosen_id
        return checked is not None and reason_needed(stage_for_id(checked), self.proposed)

    @property
    def can_submit(self) -> bool:
        return self.chosen_id is not None and (not self.needs_reason or bool(self.reason))

    def select(self, stage: Stage | None) -> None:
        """Check the button for ``stage`` (None = not staged for now) and give it the focus."""
        button = self.buttons[id_for_stage(stage)]
        button.setChecked(True)
        button.setFocus()
        self._update()

    def _update(self) -> None:
        checked = self.chosen_id
        stage = None if checked is None else stage_for_id(checked)
        if checked is None:
            hint = self.tr("Choose a stage (keys 1–5), or 0 for not staged for now.")
        elif self.needs_reason and not self.reason:
            if stage is None:
                hint = self.tr("Add a reason for pausing staging for now.")
            else:
                hint = self.tr("Add a reason: your stage differs from the proposal.")
        else:
            hint = ""
        if len(self.reason) > MAX_REASON:
            hint = self.tr("Keep the reason under %1 characters.").replace("%1", str(MAX_REASON))
        self.hint.setText(hint)
        self.hint.setVisible(bool(hint))
        self.ok_button.setEnabled(self.can_submit and len(self.reason) <= MAX_REASON)

    @staticmethod
    def _is_ctrl_enter(event: QKeyEvent) -> bool:
        return event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and bool(
            event.modifiers() & Qt.KeyboardModifier.ControlModifier
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.reason_edit
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and self._is_ctrl_enter(event)
        ):
            self.submit()
            return True
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self._is_ctrl_enter(event):
            self.submit()
            return
        text = event.text()
        if (
            len(text) == 1
            and text in "012345"
            and not event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            button = self.buttons[int(text)]
            button.setChecked(True)
            button.setFocus()
            return
        super().keyPressEvent(event)

    # -- result ------------------------------------------------------------------------------------

    def choice(self) -> RecordChoice | None:
        if not self.ok_button.isEnabled():
            return None
        day = self.date_edit.date()
        return RecordChoice(
            focus_id=self.focus_id,
            stage=self.stage,
            proposed=self.proposed,
            reason=self.reason or None,
            effective=dt.date(day.year(), day.month(), day.day()),
            administration_id=self.administration_id,
        )

    def submit(self) -> None:
        choice = self.choice()
        if choice is None:
            if self.needs_reason:
                self.reason_edit.setFocus()
            return
        self.error.setVisible(False)
        self.submitted.emit(choice)

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(True)
