"""Clinician mode: every item on one compact, scrollable page, answered from the keyboard.

Number keys give the printed response value ("4" = Agree on the URICA; "1" then "0" for 10 on a 0–10
scale), ←/→ step through the scale, Enter/Tab/↓ move on, Shift+Tab/↑ go back.  Every answer is saved as it
is given, in its own tiny transaction (``administrations.answer``); closing the window leaves the
administration in progress, to resume at the same item.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QFocusEvent, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from stagewise.core.administrations import lifecycle as administrations
from stagewise.core.administrations.lifecycle import (
    AdministrationScreen,
    ItemView,
)
from stagewise.core.errors import StagewiseError
from stagewise.ui.administrations.common import (
    KeyBuffer,
    Number,
    key_hint,
    rejected_message,
    repolish,
    value_text,
)
from stagewise.ui.administrations.prompts import VoidDialog
from stagewise.ui.administrations.risk_prompt import prompt_clinician
from stagewise.ui.administrations.sheet import SHEET
from stagewise.ui.context import AppContext
from stagewise.ui.dialogs import Confirm
from stagewise.ui.ops import perform
from stagewise.ui.practice import admin_labels

log = logging.getLogger(__name__)

SHORT_WORDING = 90  # a scale whose labels add up to more than this shows numbers on its buttons


class ItemRow(QFrame):
    """One item: number, wording, the scale as small buttons.  Focusable; keys go to its KeyBuffer."""

    answer_given = Signal(str, object)  # item id, value
    rejected = Signal(str, str)  # item id, what was typed
    move_requested = Signal(int)  # -1 / +1
    entered = Signal(str)  # item id (focus arrived)

    def __init__(self, item: ItemView, total: int) -> None:
        super().__init__()
        self.setObjectName("itemRow")
        self.item = item
        self.answer: Number | None = item.answer
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.keys = KeyBuffer(self)
        self.keys.set_values([o.value for o in item.options])
        self.keys.committed.connect(lambda v: self.answer_given.emit(self.item.id, v))
        self.keys.rejected.connect(lambda t: self.rejected.emit(self.item.id, t))
        self.keys.pending_changed.connect(self._show_pending)

        self.number = QLabel(str(item.number))
        self.number.setObjectName("itemNumber")
        self.number.setFixedWidth(34)
        self.number.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.number.setContentsMargins(0, 1, 0, 0)
        self.text = QLabel(item.text)
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setMinimumWidth(260)
        self.chosen = QLabel()
        self.chosen.setContentsMargins(44, 0, 0, 0)
        self.chosen.setObjectName("muted")
        self.chosen.setWordWrap(True)
        # Many options (a 0–10 ruler) or long wording (the ladder): numbers on the buttons, meanings below.
        wording = sum(len(o.label) for o in item.options)
        self.long_labels = len(item.options) > 6 or wording > SHORT_WORDING
        anchors = [o for o in item.options if o.label.strip() and o.label.strip() != value_text(o.value)]
        self.anchors = QLabel(
            "  ·  ".join(f"{value_text(o.value)} = {o.label}" for o in anchors) if self.long_labels else ""
        )
        self.anchors.setObjectName("muted")
        self.anchors.setWordWrap(True)
        self.anchors.setContentsMargins(44, 0, 0, 0)
        self.anchors.setVisible(bool(self.anchors.text()))
        words = QVBoxLayout()
        words.setSpacing(2)
        words.addStretch(1)
        line = QHBoxLayout()
        line.setSpacing(10)
        line.addWidget(self.number, 0, Qt.AlignmentFlag.AlignTop)
        line.addWidget(self.text, 1)
        words.addLayout(line)
        words.addWidget(self.anchors)
        words.addWidget(self.chosen)
        words.addStretch(1)

        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.buttons: dict[Number, QPushButton] = {}
        options = QHBoxLayout()
        options.setSpacing(4)
        for option in item.options:
            shown = value_text(option.value)
            button = QPushButton(shown if self.long_labels else f"{shown}  {option.label}")
            button.setObjectName("option")
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes item to item, not button to button
            button.setToolTip(f"{shown}: {option.label}")
            button.clicked.connect(lambda _c=False, v=option.value: self._clicked(v))
            self.group.addButton(button)
            self.buttons[option.value] = button
            options.addWidget(button)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 7, 10, 7)
        layout.setSpacing(10)
        layout.addLayout(words, 1)
        layout.addLayout(options)
        self.set_answer(item.answer)

    @property
    def values(self) -> list[Number]:
        return [o.value for o in self.item.options]

    def set_answer(self, value: Number | None) -> None:
        self.answer = value
        for v, button in self.buttons.items():
            button.setChecked(v == value)
        label = next((o.label for o in self.item.options if o.value == value), "")
        meaningful = value is not None and label.strip() not in ("", value_text(value))
        shown = (
            f"{value_text(value)}: {label}" if value is not None and meaningful and self.long_labels else ""
        )
        self.chosen.setText(shown)
        self.chosen.setVisible(bool(self.chosen.text()))
        if value is not None:
            self.set_state("answered")

    def set_state(self, state: str) -> None:
        repolish(self, "state", state)

    def _show_pending(self, typed: str) -> None:
        if typed:
            self.chosen.setText(f"{typed}…")
            self.chosen.setVisible(True)
        else:
            self.set_answer(self.answer)

    def _clicked(self, value: Number) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self.answer_given.emit(self.item.id, value)

    def step(self, delta: int) -> None:
        values = self.values
        if self.answer in values:
            index = min(max(values.index(self.answer) + delta, 0), len(values) - 1)
        else:
            index = 0 if delta > 0 else len(values) - 1
        if values[index] != self.answer:
            self.answer_given.emit(self.item.id, values[index])

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        text = event.text()
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if KeyBuffer.accepts(text) and mods in (
            Qt.KeyboardModifier.NoModifier,
            Qt.KeyboardModifier.ShiftModifier,
        ):
            self.keys.feed(text)
        elif (key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not mods) or key == Qt.Key.Key_Down:
            self.keys.flush()
            self.move_requested.emit(1)
        elif key == Qt.Key.Key_Up:
            self.keys.flush()
            self.move_requested.emit(-1)
        elif key == Qt.Key.Key_Right:
            self.keys.clear()
            self.step(1)
        elif key == Qt.Key.Key_Left:
            self.keys.clear()
            self.step(-1)
        else:
            super().keyPressEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.entered.emit(self.item.id)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self.keys.flush()  # "1" typed on a 0–10 scale and Tab pressed: the 1 is the answer
        super().focusOutEvent(event)


class ClinicianForm(QWidget):
    """A questionnaire in clinician mode.  ``completed(id)``, ``voided(id)``, ``closed(id)``."""

    completed = Signal(int)
    voided = Signal(int)
    closed = Signal(int)

    def __init__(self, ctx: AppContext, administration_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("clinicianForm")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setStyleSheet(SHEET)
        self.ctx = ctx
        self.administration_id = administration_id
        self._recorded_item: str | None = None
        self._furthest = -1
        self._finished = False
        self._all_missing = False  # after "Complete" found gaps: highlight every unanswered item
        screen_and_info = perform(
            ctx,
            lambda s: (
                administrations.screen(s, administration_id),
                administrations.get(s, administration_id),
            ),
        )
        self.display: AdministrationScreen = screen_and_info[0]
        info = screen_and_info[1]
        self.behaviour = info.behaviour_text
        self.setWindowTitle(self.display.title)
        self.resize(1180, 760)

        title = QLabel(self.display.title)
        title.setObjectName("formTitle")
        title.setWordWrap(True)
        about = QLabel(
            self.tr("About: %1").replace("%1", self.behaviour) if self.behaviour else self.tr("No focus")
        )
        about.setObjectName("muted")
        read = QLabel(self.tr("Read to the client: ") + self.display.client_instructions)
        read.setWordWrap(True)
        read.setObjectName("instructions")
        read.setTextFormat(Qt.TextFormat.PlainText)
        # The instrument's specific unverified facts (clinician mode only; hand-over mode never shows them).
        self.caveats = QLabel(
            "\n".join(
                admin_labels.caveat_lines(
                    self.display.short_title, self.display.citation_short, self.display.clinician_caveats
                )
            )
        )
        self.caveats.setObjectName("notice")
        self.caveats.setWordWrap(True)
        self.caveats.setTextFormat(Qt.TextFormat.PlainText)
        self.caveats.setVisible(bool(self.display.clinician_caveats))
        self.notes = QLabel(self.display.clinician_instructions)
        self.notes.setWordWrap(True)
        self.notes.setObjectName("muted")
        self.notes.setVisible(False)
        notes_button = QPushButton(self.tr("Notes for the clinician"))
        notes_button.setCheckable(True)
        notes_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        notes_button.toggled.connect(self.notes.setVisible)
        self.completeness = QLabel()
        self.completeness.setObjectName("completeness")
        self.hint = QLabel()
        self.hint.setObjectName("muted")
        self.hint.setWordWrap(True)
        self.message = QLabel()
        self.message.setObjectName("errorLabel")
        self.message.setWordWrap(True)
        self.message.setVisible(False)
        self.message.setAccessibleName(self.tr("Message"))

        header = QFrame()
        header.setObjectName("formHeader")
        h = QVBoxLayout(header)
        h.setContentsMargins(20, 14, 20, 12)
        h.setSpacing(6)
        top = QHBoxLayout()
        top.addWidget(title, 1)
        top.addWidget(notes_button)
        h.addLayout(top)
        h.addWidget(about)
        h.addWidget(read)
        h.addWidget(self.caveats)
        h.addWidget(self.notes)
        status = QHBoxLayout()
        status.addWidget(self.completeness)
        status.addSpacing(16)
        status.addWidget(self.hint, 1)
        h.addLayout(status)
        h.addWidget(self.message)

        self.rows: list[ItemRow] = []
        body = QWidget()
        body.setObjectName("itemList")
        b = QVBoxLayout(body)
        b.setContentsMargins(14, 10, 14, 10)
        b.setSpacing(3)
        total = len(self.display.items)
        for item in self.display.items:
            row = ItemRow(item, total)
            row.answer_given.connect(self.save_answer)
            row.rejected.connect(self._rejected)
            row.move_requested.connect(lambda d, r=row: self._move(r, d))
            row.entered.connect(self._entered)
            self.rows.append(row)
            b.addWidget(row)
        b.addStretch(1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setWidget(body)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.void_button = QPushButton(self.tr("Void…"))
        self.void_button.clicked.connect(self.void)
        self.close_button = QPushButton(self.tr("Close (keep in progress)"))
        self.close_button.setToolTip(self.tr("Every answer is already saved; resume from the chart."))
        self.close_button.clicked.connect(self.close)
        self.complete_button = QPushButton(self.tr("Complete and score"))
        self.complete_button.setObjectName("primary")
        self.complete_button.setToolTip(self.tr("Ctrl+Enter"))
        self.complete_button.setAutoDefault(True)  # Enter on it completes
        self.complete_button.clicked.connect(self.complete)
        footer = QFrame()
        footer.setObjectName("formFooter")
        f = QHBoxLayout(footer)
        f.setContentsMargins(20, 10, 20, 10)
        f.addWidget(self.void_button)
        f.addStretch(1)
        f.addWidget(self.close_button)
        f.addWidget(self.complete_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(header)
        layout.addWidget(self.scroll_area, 1)
        layout.addWidget(footer)

        if self.rows:  # Tab from the last item goes to "Complete", not to "Void…"
            QWidget.setTabOrder(self.rows[-1], self.complete_button)
            QWidget.setTabOrder(self.complete_button, self.close_button)
            QWidget.setTabOrder(self.close_button, self.void_button)
        for seq in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(seq), self).activated.connect(self.complete)
        QShortcut(QKeySequence.StandardKey.Close, self).activated.connect(self.close)
        self._update_completeness()
        start = self.row_for(self.display.resume_at) if self.display.resume_at else None
        (start or (self.rows[0] if self.rows else self.complete_button)).setFocus()

    # -- looking up -------------------------------------------------------------------------------

    def row_for(self, item_id: str | None) -> ItemRow | None:
        return next((r for r in self.rows if r.item.id == item_id), None)

    @property
    def current_row(self) -> ItemRow | None:
        return next((r for r in self.rows if r.hasFocus()), None)

    @property
    def answered(self) -> int:
        return sum(1 for r in self.rows if r.answer is not None)

    # -- answering --------------------------------------------------------------------------------

    def save_answer(self, item_id: str, value: Number) -> None:
        """Save one answer now, in its own transaction (never lose an answer)."""
        row = self.row_for(item_id)
        if row is None or self._finished:
            return
        try:
            saved = perform(
                self.ctx,
                lambda s: administrations.answer(
                    s, self.administration_id, item_id, value, actor=self.ctx.actor
                ),
            )
        except StagewiseError as exc:
            self.show_message(str(exc))
            return
        self._recorded_item = saved.next_item or item_id
        self.message.setVisible(False)
        row.set_answer(saved.value)
        self._update_completeness()
        if saved.risk:
            prompt_clinician(self, self.ctx, saved.risk)
            row.setFocus()

    def _rejected(self, item_id: str, typed: str) -> None:
        row = self.row_for(item_id)
        if row is not None:
            self.show_message(rejected_message(typed, row.item.number, row.values))

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(True)

    def _move(self, row: ItemRow, delta: int) -> None:
        index = self.rows.index(row) + delta
        if 0 <= index < len(self.rows):
            self.rows[index].setFocus(Qt.FocusReason.TabFocusReason)
        elif index >= len(self.rows):
            self.complete_button.setFocus(Qt.FocusReason.TabFocusReason)

    def _entered(self, item_id: str) -> None:
        row = self.row_for(item_id)
        if row is None:
            return
        self.scroll_area.ensureWidgetVisible(row, 0, 60)
        index = self.rows.index(row)
        self._furthest = max(self._furthest, index)
        self._update_highlights()
        self.hint.setText(
            self.tr(
                "Item %1: %2 · ←/→ change · Enter or Tab: next · ↑/Shift+Tab: back · Ctrl+Enter: complete"
            )
            .replace("%1", str(row.item.number))
            .replace("%2", key_hint(row.values))
        )
        if item_id != self._recorded_item and not self._finished:
            # Remember where the clinician is, so that a resume re-opens here.
            try:
                perform(
                    self.ctx, lambda s: administrations.set_current_item(s, self.administration_id, item_id)
                )
                self._recorded_item = item_id
            except StagewiseError as exc:
                self.show_message(str(exc))

    def _update_highlights(self, *, all_items: bool = False) -> None:
        self._all_missing = self._all_missing or all_items
        all_items = self._all_missing
        for i, row in enumerate(self.rows):
            if row.answer is not None:
                row.set_state("answered")
            elif (all_items or i < self._furthest) and not row.item.optional:
                row.set_state("unanswered")
            else:
                row.set_state("")

    def _update_completeness(self) -> None:
        self.completeness.setText(admin_labels.answered(self.answered, len(self.rows)))
        self._update_highlights()

    # -- finishing --------------------------------------------------------------------------------

    def flush(self) -> None:
        for row in self.rows:
            row.keys.flush()

    def complete(self) -> None:
        self.flush()
        missing = [r for r in self.rows if r.answer is None and not r.item.optional]
        if missing:
            self._update_highlights(all_items=True)
            numbers = ", ".join(str(r.item.number) for r in missing[:12]) + ("…" if len(missing) > 12 else "")
            if not Confirm.ask(
                self,
                self.tr("Some items are unanswered"),
                self.tr(
                    "%1 item(s) have no answer (%2). Scores that need them will be left blank. "
                    "Complete anyway?"
                )
                .replace("%1", str(len(missing)))
                .replace("%2", numbers),
                self.tr("Complete anyway"),
            ):
                missing[0].setFocus()
                return
        try:
            perform(
                self.ctx, lambda s: administrations.complete(s, self.administration_id, actor=self.ctx.actor)
            )
        except StagewiseError as exc:
            self.show_message(str(exc))
            return
        log.info("administration %d completed (clinician mode)", self.administration_id)
        self._finished = True
        self.completed.emit(self.administration_id)
        self.close()

    def void(self) -> None:
        self.flush()
        reason = VoidDialog.ask(self)
        if reason is None:
            return
        try:
            perform(
                self.ctx,
                lambda s: administrations.void(s, self.administration_id, reason, actor=self.ctx.actor),
            )
        except StagewiseError as exc:
            self.show_message(str(exc))
            return
        self._finished = True
        self.voided.emit(self.administration_id)
        self.close()

    def save_and_close(self) -> None:
        """Locking: take what is typed, keep the administration in progress, close."""
        if not self._finished:
            self.flush()
        self._finished = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._finished and self.ctx.practice is not None:
            self.flush()
        self._finished = True
        self.closed.emit(self.administration_id)
        super().closeEvent(event)
