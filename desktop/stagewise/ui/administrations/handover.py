"""Client hand-over mode: full screen, one question at a time, large answer buttons, nothing else.

The window is built only from ``administrations.screen()``'s display model: no name, no chart number, no
scores, no other record.  Leaving needs the clinician's password (checked with ``users.authenticate`` in
its own transaction); the idle lock still applies (``save_and_close``), and the chart's Resume re-opens at
the same question.  A flagged answer shows a neutral "please hand the screen to your clinician" page;
only then does the clinician's risk prompt appear.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from stagewise.core import users
from stagewise.core.administrations import lifecycle as administrations, risk
from stagewise.core.administrations.lifecycle import (
    AdministrationScreen,
    ItemView,
)
from stagewise.core.errors import AuthenticationError, StagewiseError
from stagewise.ui.administrations.common import KeyBuffer, Number, value_text
from stagewise.ui.administrations.prompts import PasswordDialog
from stagewise.ui.administrations.risk_prompt import prompt_clinician
from stagewise.ui.administrations.sheet import HANDOVER_SHEET
from stagewise.ui.context import AppContext
from stagewise.ui.ops import perform

log = logging.getLogger(__name__)


def _label(text: str, name: str, *, center: bool = False) -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    if center:
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return label


def _button(text: str, name: str = "navButton") -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(name)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the window takes every key
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    return button


class HandoverWindow(QWidget):
    """The questionnaire as the client sees it.  ``completed(id)`` or ``left(id, reached_end)``."""

    completed = Signal(int)
    left = Signal(int, bool)

    def __init__(self, ctx: AppContext, administration_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("handover")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setStyleSheet(HANDOVER_SHEET)
        self.setWindowTitle(self.tr("Questionnaire"))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.ctx = ctx
        self.administration_id = administration_id
        self._may_close = False
        self._pending_risk: tuple[risk.RiskPrompt, ...] = ()
        self.display: AdministrationScreen = perform(
            ctx, lambda s: administrations.screen(s, administration_id)
        )
        self.items: list[ItemView] = list(self.display.items)
        self.answers: dict[str, Number] = {i.id: i.answer for i in self.items if i.answer is not None}
        self.index = 0
        self.keys = KeyBuffer(self)
        self.keys.committed.connect(self._key_answer)
        self.keys.rejected.connect(self._key_rejected)

        self.stack = QStackedWidget()
        self.intro_page = self._intro_page()
        self.item_page = self._item_page()
        self.end_page = self._message_page(
            self.tr("Thank you — please hand the screen back."),
            self.tr("Your answers have been saved."),
            end=True,
        )
        self.handback_page = self._message_page(
            self.tr("Please hand the screen to your clinician."),
            self.tr("They will continue from here."),
            end=False,
        )
        for page in (self.intro_page, self.item_page, self.end_page, self.handback_page):
            self.stack.addWidget(page)

        self.leave_button = _button(self.tr("Clinician"), "quietButton")
        self.leave_button.setToolTip(self.tr("Return to the clinician's view (password needed)"))
        self.leave_button.clicked.connect(self.request_leave)
        self.message = _label("", "handoverMessage", center=True)
        top = QHBoxLayout()
        top.addStretch(1)
        top.addWidget(self.leave_button)

        card = QFrame()
        card.setObjectName("handoverCard")
        card.setMaximumWidth(1180)  # short lines read easily, even on a wide screen
        c = QVBoxLayout(card)
        c.setContentsMargins(56, 40, 56, 40)
        c.addWidget(self.stack)
        center = QHBoxLayout()
        center.addStretch(1)
        center.addWidget(card, 12)
        center.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 12, 24, 24)
        layout.addLayout(top)
        layout.addStretch(1)
        layout.addLayout(center, 20)
        layout.addWidget(self.message)
        layout.addStretch(1)

        resume = self.display.resume_at
        if self.answers and resume is not None:
            self.show_item(self._index_of(resume))
        else:
            self.stack.setCurrentWidget(self.intro_page)

    # -- pages ------------------------------------------------------------------------------------

    def _intro_page(self) -> QWidget:
        page = QWidget()
        v = QVBoxLayout(page)
        v.setSpacing(24)
        v.addWidget(_label(self.tr("Before you start"), "handoverTitle"))
        v.addWidget(_label(self.display.client_instructions, "handoverSmall"))
        v.addWidget(
            _label(
                self.tr(
                    "Choose the answer that fits best by touching it or typing its number. "
                    "You can go back to change an answer."
                ),
                "handoverSmall",
            )
        )
        v.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        self.start_button = _button(self.tr("Start  →"))
        self.start_button.setProperty("default", True)
        self.start_button.setObjectName("navButton")
        self.start_button.clicked.connect(lambda: self.show_item(0))
        row.addWidget(self.start_button)
        v.addLayout(row)
        return page

    def _item_page(self) -> QWidget:
        page = QWidget()
        v = QVBoxLayout(page)
        v.setSpacing(18)
        self.count_label = _label("", "handoverCount")
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setMaximum(max(1, len(self.items)))
        self.progress.setFixedHeight(8)
        self.item_text = _label("", "handoverText")
        self.item_text.setMinimumHeight(80)
        self.options_box = QVBoxLayout()
        self.options_box.setSpacing(10)
        self.option_group = QButtonGroup(self)
        self.option_buttons: dict[Number, QPushButton] = {}
        self.back_button = _button(self.tr("←  Back"))
        self.back_button.clicked.connect(self.back)
        self.next_button = _button(self.tr("Next  →"))
        self.next_button.clicked.connect(self.next)
        nav = QHBoxLayout()
        nav.addWidget(self.back_button)
        nav.addStretch(1)
        nav.addWidget(self.next_button)
        v.addWidget(self.count_label)
        v.addWidget(self.progress)
        v.addSpacing(8)
        v.addWidget(self.item_text)
        v.addLayout(self.options_box)
        v.addStretch(1)
        v.addLayout(nav)
        return page

    def _message_page(self, title: str, text: str, *, end: bool) -> QWidget:
        page = QWidget()
        v = QVBoxLayout(page)
        v.addStretch(1)
        v.addWidget(_label(title, "handoverTitle", center=True))
        v.addSpacing(12)
        v.addWidget(_label(text, "handoverSmall", center=True))
        v.addStretch(1)
        if end:
            row = QHBoxLayout()
            self.end_back_button = _button(self.tr("←  Back"))
            self.end_back_button.clicked.connect(self.back)
            row.addWidget(self.end_back_button)
            row.addStretch(1)
            v.addLayout(row)
        else:
            row = QHBoxLayout()
            row.addStretch(1)
            self.clinician_continue = _button(self.tr("Clinician: continue"), "quietButton")
            self.clinician_continue.clicked.connect(self._clinician_takes_over)
            row.addWidget(self.clinician_continue)
            row.addStretch(1)
            v.addLayout(row)
        return page

    # -- showing ----------------------------------------------------------------------------------

    def _index_of(self, item_id: str) -> int:
        return next((i for i, it in enumerate(self.items) if it.id == item_id), 0)

    @property
    def current_item(self) -> ItemView | None:
        return self.items[self.index] if self.stack.currentWidget() is self.item_page and self.items else None

    @property
    def page(self) -> str:
        names = {
            self.intro_page: "intro",
            self.item_page: "item",
            self.end_page: "end",
            self.handback_page: "handback",
        }
        current = self.stack.currentWidget()
        return names.get(current, "") if current is not None else ""

    def show_item(self, index: int, *, remember: bool = True) -> None:
        self.keys.clear()
        self.message.clear()
        self.index = min(max(index, 0), len(self.items) - 1)
        item = self.items[self.index]
        self.count_label.setText(
            self.tr("Question %1 of %2")
            .replace("%1", str(self.index + 1))
            .replace("%2", str(len(self.items)))
        )
        self.item_text.setText(item.text)
        for button in self.option_buttons.values():
            self.option_group.removeButton(button)
            self.options_box.removeWidget(button)
            button.hide()  # until the event loop deletes it, it must not paint over the new ones
            button.deleteLater()
        self.option_buttons = {}
        for option in item.options:
            button = _button(f"{value_text(option.value)}    {option.label}", "bigOption")
            button.setCheckable(True)
            button.setChecked(self.answers.get(item.id) == option.value)
            button.clicked.connect(lambda _c=False, v=option.value: self.choose(v))
            self.option_group.addButton(button)
            self.options_box.addWidget(button)
            button.show()  # now, not when the event loop gets round to it
            self.option_buttons[option.value] = button
        self.keys.set_values([o.value for o in item.options])
        self.progress.setValue(len(self.answers))
        self.back_button.setEnabled(self.index > 0)
        self.stack.setCurrentWidget(self.item_page)
        self.setFocus()
        if remember:
            self._remember(item.id)

    def _remember(self, item_id: str) -> None:
        try:
            perform(self.ctx, lambda s: administrations.set_current_item(s, self.administration_id, item_id))
        except StagewiseError:
            log.warning("could not record the current item of administration %d", self.administration_id)

    def show_end(self) -> None:
        self.keys.clear()
        self.message.clear()
        self.stack.setCurrentWidget(self.end_page)
        self.setFocus()

    # -- answering and moving ---------------------------------------------------------------------

    def choose(self, value: Number) -> None:
        """Save the answer to the question on screen now, then move on."""
        item = self.current_item
        if item is None:
            return
        try:
            saved = perform(
                self.ctx,
                lambda s: administrations.answer(
                    s, self.administration_id, item.id, value, actor=self.ctx.actor
                ),
            )
        except StagewiseError:
            log.warning("answer not saved for administration %d", self.administration_id)
            self.message.setText(self.tr("That answer could not be saved. Please choose again."))
            return
        self.answers[item.id] = value if saved.value is None else saved.value
        for v, button in self.option_buttons.items():
            button.setChecked(v == value)
        self.progress.setValue(len(self.answers))
        if saved.risk:
            # The client sees a neutral page; the clinician sees the prompt after taking the screen.
            self._pending_risk = saved.risk
            self.keys.clear()
            self.stack.setCurrentWidget(self.handback_page)
            self.setFocus()
            return
        self._advance(saved.next_item)

    def _advance(self, next_unanswered: str | None) -> None:
        if self.index + 1 < len(self.items):
            self.show_item(self.index + 1)
        elif next_unanswered is None:
            self.show_end()
        else:
            self.show_item(self._index_of(next_unanswered))

    def _clinician_takes_over(self) -> None:
        # The safety prompt is for the clinician: the client cannot open it by pressing Enter.
        if not self.clinician_confirmed():
            return
        prompts, self._pending_risk = self._pending_risk, ()
        prompt_clinician(self, self.ctx, prompts)
        following = next((it.id for it in self.items[self.index + 1 :] if it.id not in self.answers), None)
        self._advance(following)

    def next(self) -> None:
        if self.page == "intro":
            self.show_item(0)
        elif self.page == "item":
            if self.index + 1 < len(self.items):
                self.show_item(self.index + 1)
            else:
                self.show_end()

    def back(self) -> None:
        if self.page == "end":
            self.show_item(len(self.items) - 1)
        elif self.page == "item" and self.index > 0:
            self.show_item(self.index - 1)

    def _key_answer(self, value: Number) -> None:
        self.choose(value)

    def _key_rejected(self, typed: str) -> None:
        item = self.current_item
        if item is None:
            return
        values = [value_text(o.value) for o in item.options]
        self.message.setText(
            self.tr("Please choose one of the answers shown (%1).").replace("%1", ", ".join(values))
        )

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        page = self.page
        if page == "handback":
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._clinician_takes_over()
            return
        if key == Qt.Key.Key_Escape:
            self.request_leave()
        elif page == "item" and KeyBuffer.accepts(event.text()):
            self.keys.feed(event.text())
        elif page == "item" and key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self._step(-1 if key == Qt.Key.Key_Up else 1)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Right, Qt.Key.Key_PageDown):
            if self.keys.pending:
                self.keys.flush()
            else:
                self.next()
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Backspace, Qt.Key.Key_PageUp):
            self.back()
        else:
            super().keyPressEvent(event)

    def _step(self, delta: int) -> None:
        """↑/↓ change the chosen answer without moving on (the client then presses Enter)."""
        item = self.current_item
        if item is None:
            return
        values = [o.value for o in item.options]
        current = self.answers.get(item.id)
        index = values.index(current) + delta if current in values else (0 if delta > 0 else len(values) - 1)
        value = values[min(max(index, 0), len(values) - 1)]
        try:
            saved = perform(
                self.ctx,
                lambda s: administrations.answer(
                    s, self.administration_id, item.id, value, actor=self.ctx.actor
                ),
            )
        except StagewiseError:
            return
        self.answers[item.id] = value
        for v, button in self.option_buttons.items():
            button.setChecked(v == value)
        self.progress.setValue(len(self.answers))
        if saved.risk:
            self._pending_risk = saved.risk
            self.stack.setCurrentWidget(self.handback_page)

    # -- leaving ----------------------------------------------------------------------------------

    def clinician_confirmed(self) -> bool:
        """Ask for the signed-in clinician's password and check it (in its own transaction)."""
        user = self.ctx.user
        if user is None:
            return False
        password = PasswordDialog.ask(self, user.username)
        self.setFocus()
        if password is None:
            return False
        try:
            perform(self.ctx, lambda s: users.authenticate(s, user.username, password))
        except AuthenticationError as exc:
            self.message.setText(str(exc))
            return False
        self.message.clear()
        return True

    def request_leave(self) -> bool:
        """Ask for the clinician's password; True when the window closed."""
        if not self.clinician_confirmed():
            return False
        reached_end = self.page == "end"
        if reached_end and all(i.id in self.answers or i.optional for i in self.items):
            try:
                perform(
                    self.ctx,
                    lambda s: administrations.complete(s, self.administration_id, actor=self.ctx.actor),
                )
            except StagewiseError as exc:
                self.message.setText(str(exc))
                return False
            self._may_close = True
            self.close()
            self.completed.emit(self.administration_id)
            return True
        self._may_close = True
        self.close()
        self.left.emit(self.administration_id, reached_end)
        return True

    def save_and_close(self) -> None:
        """Locking: everything is saved already; remember the question on screen and close."""
        self.keys.flush()
        self._may_close = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._may_close:
            event.ignore()
            QTimer.singleShot(0, self.request_leave)
            return
        super().closeEvent(event)
