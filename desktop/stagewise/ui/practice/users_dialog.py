"""User accounts (administrators): list, add (with password strength feedback), roles, co-signature,
deactivate.  Every change is one audited transaction in ``stagewise.core.users``; refusals (the last
administrator, a weak password, a taken user name) are shown as sentences, never tracebacks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
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

from stagewise.core.enums import Role
from stagewise.ui import labels
from stagewise.ui.context import AppContext
from stagewise.ui.dialogs import Confirm
from stagewise.ui.practice.wizard import SecretPair

log = logging.getLogger(__name__)


def _role_checks() -> dict[Role, QCheckBox]:
    return {r: QCheckBox(labels.role(r)) for r in Role}


def _row_of(checks: dict[Role, QCheckBox]) -> QHBoxLayout:
    row = QHBoxLayout()
    for box in checks.values():
        row.addWidget(box)
    row.addStretch(1)
    return row


class UsersWindow(QWidget):
    """The practice's accounts; ``changed`` after each stored change."""

    changed = Signal()
    closed = Signal()

    COLUMNS = ("User name", "Name", "Roles", "Status", "Co-signature")

    def __init__(self, ctx: AppContext, *, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("usersWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(self.tr("Users"))
        self.ctx = ctx
        self.users: list[Any] = []

        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in self.COLUMNS])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selected)
        self.message = QLabel()
        self.message.setObjectName("errorLabel")
        self.message.setWordWrap(True)
        self.message.hide()
        self.notice = QLabel()
        self.notice.setObjectName("muted")

        # The selected user.
        self.edit_box = QGroupBox(self.tr("Selected user"))
        self.edit_roles = _role_checks()
        self.cosign_check = QCheckBox(self.tr("Notes need a &co-signature (e.g. a trainee)"))
        self.apply_button = QPushButton(self.tr("&Apply changes"))
        self.apply_button.clicked.connect(lambda: self.apply_changes())
        self.active_button = QPushButton(self.tr("&Deactivate…"))
        self.active_button.clicked.connect(lambda: self.toggle_active())
        ev = QVBoxLayout(self.edit_box)
        ev.addLayout(_row_of(self.edit_roles))
        ev.addWidget(self.cosign_check)
        er = QHBoxLayout()
        er.addWidget(self.apply_button)
        er.addStretch(1)
        er.addWidget(self.active_button)
        ev.addLayout(er)

        # A new user.
        self.add_box = QGroupBox(self.tr("Add a user"))
        self.username_edit = QLineEdit()
        self.username_edit.setPlaceholderText(self.tr("e.g. jmorgan"))
        self.display_edit = QLineEdit()
        self.new_roles = _role_checks()
        self.new_roles[Role.CLINICIAN].setChecked(True)
        self.password = SecretPair(
            self.tr("&Password"), self.tr("Con&firm password"), "password", self._password_context
        )
        self.add_button = QPushButton(self.tr("Add &user"))
        self.add_button.setObjectName("primary")
        self.add_button.clicked.connect(lambda: self.add_user())
        form = QFormLayout(self.add_box)
        user_label = QLabel(self.tr("User &name:"))
        user_label.setBuddy(self.username_edit)
        name_label = QLabel(self.tr("Full na&me:"))
        name_label.setBuddy(self.display_edit)
        form.addRow(user_label, self.username_edit)
        form.addRow(name_label, self.display_edit)
        form.addRow(self.tr("Roles:"), _row_of(self.new_roles))
        self.password.add_rows(form)
        form.addRow("", self.add_button)
        for w in (self.username_edit, self.display_edit):
            w.textChanged.connect(self._update_buttons)
        for box in self.new_roles.values():
            box.toggled.connect(self._update_buttons)
        self.password.changed.connect(self._update_buttons)

        right = QVBoxLayout()
        right.addWidget(self.edit_box)
        right.addWidget(self.add_box)
        right.addStretch(1)
        body = QHBoxLayout()
        body.addWidget(self.table, 3)
        body.addLayout(right, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addLayout(body, 1)
        layout.addWidget(self.notice)
        layout.addWidget(self.message)
        QShortcut(QKeySequence.StandardKey.Close, self).activated.connect(self.close)
        self.resize(1200, 580)
        self.password.refresh()
        self.refresh()

    def _password_context(self) -> tuple[str, ...]:
        return (self.username_edit.text(), self.display_edit.text(), self.ctx.practice_name)

    # -- reading ----------------------------------------------------------------------------------

    def refresh(self, select_id: int | None = None) -> None:
        from stagewise.core import users

        practice = self.ctx.practice
        if practice is None:
            return
        keep = select_id if select_id is not None else self.selected_id()
        with practice.session_factory() as s:
            self.users = users.list_users(s)
        self.table.setRowCount(len(self.users))
        for row, u in enumerate(self.users):
            values = (
                u.username,
                u.display_name,
                labels.roles(u.roles),
                self.tr("Active") if u.active else self.tr("Deactivated"),
                self.tr("Required") if u.requires_cosign else "",
            )
            for col, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, u.id)
                self.table.setItem(row, col, item)
        index = next((i for i, u in enumerate(self.users) if u.id == keep), 0 if self.users else -1)
        if index >= 0:
            self.table.selectRow(index)
        self._selected()

    def selected_id(self) -> int | None:
        row = self.table.currentRow()
        if row < 0 or row >= len(self.users):
            return None
        return int(self.users[row].id)

    def selected(self) -> Any | None:
        uid = self.selected_id()
        return next((u for u in self.users if u.id == uid), None)

    def select_user(self, username: str) -> None:
        for i, u in enumerate(self.users):
            if u.username == username:
                self.table.selectRow(i)

    def _selected(self) -> None:
        u = self.selected()
        self.edit_box.setEnabled(u is not None)
        if u is not None:
            self.edit_box.setTitle(self.tr("Selected user: %1").replace("%1", u.username))
            for role, box in self.edit_roles.items():
                box.setChecked(role in u.roles)
            self.cosign_check.setChecked(u.requires_cosign)
            self.active_button.setText(self.tr("&Deactivate…") if u.active else self.tr("&Reactivate"))
        self._update_buttons()

    def _update_buttons(self) -> None:
        chosen = any(b.isChecked() for b in self.new_roles.values())
        self.add_button.setEnabled(
            bool(self.username_edit.text().strip())
            and bool(self.display_edit.text().strip())
            and chosen
            and self.password.acceptable()
        )

    # -- changes ----------------------------------------------------------------------------------

    def _run(self, fn: Callable[[Any], Any]) -> Any | None:
        """An account change through the one runner (``ui/ops.py``); a refusal shows above the list."""
        if self.ctx.actor is None:
            return None
        from stagewise.core.changes import OpChanges
        from stagewise.ui.ops import run_op

        return run_op(
            self.ctx,
            fn,
            on_error=self._refused,
            on_success=self._accepted,
            parent=self,
            changes=OpChanges(users=True, audit=True),
        )

    def _refused(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def _accepted(self, _value: object) -> None:
        self.message.hide()
        self.changed.emit()

    def apply_changes(self) -> Any | None:
        """Store the selected user's roles and co-signature requirement."""
        from stagewise.core import users

        u = self.selected()
        if u is None:
            return None
        roles = [r for r, b in self.edit_roles.items() if b.isChecked()]
        cosign = self.cosign_check.isChecked()
        actor = self.ctx.actor

        def change(s: Any) -> Any:
            users.set_roles(s, u.id, roles, actor=actor)
            return users.set_requires_cosign(s, u.id, cosign, actor=actor)

        info = self._run(change)
        if info is not None:
            self.notice.setText(self.tr("Saved the changes to %1.").replace("%1", u.username))
            self.refresh(u.id)
        return info

    def toggle_active(self) -> Any | None:
        """Deactivate (after asking) or reactivate the selected user."""
        from stagewise.core import users

        u = self.selected()
        if u is None:
            return None
        if u.active and not Confirm.ask(
            self,
            self.tr("Deactivate user"),
            self.tr("Deactivate %1? They can no longer sign in; their notes and records stay.").replace(
                "%1", u.display_name
            ),
            self.tr("Deactivate"),
        ):
            return None
        actor = self.ctx.actor
        info = self._run(lambda s: users.set_active(s, u.id, not u.active, actor=actor))
        if info is not None:
            self.refresh(u.id)
        return info

    def add_user(self) -> Any | None:
        """Create the account typed in "Add a user"."""
        from stagewise.core import users

        if not self.add_button.isEnabled():
            return None
        username = self.username_edit.text().strip()
        display = self.display_edit.text().strip()
        roles = [r for r, b in self.new_roles.items() if b.isChecked()]
        password = self.password.value
        actor = self.ctx.actor
        info = self._run(
            lambda s: users.create_user(
                s, username=username, display_name=display, password=password, roles=roles, actor=actor
            )
        )
        if info is None:
            return None
        log.info("user %s added", info.id)
        self.username_edit.clear()
        self.display_edit.clear()
        self.password.clear()
        self.notice.setText(
            self.tr("Added %1. Give them their password in person.").replace("%1", info.username)
        )
        self.refresh(info.id)
        return info

    def closeEvent(self, event: QCloseEvent) -> None:
        self.password.clear()
        self.closed.emit()
        super().closeEvent(event)
