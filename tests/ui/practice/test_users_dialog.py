"""Users: add with strength feedback, change roles and co-signature, deactivate; the last admin stays."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from stagewise.core import users
from stagewise.core.models import Role
from stagewise.ui.dialogs import Confirm
from stagewise.ui.main_window import MainWindow
from stagewise.ui.practice.users_dialog import UsersWindow
from tests.ui.conftest import MakeWindow, PracticeFile, shoot, sign_in


def open_users(qtbot: QtBot, make_window: MakeWindow, pf: PracticeFile) -> tuple[MainWindow, UsersWindow]:
    window = make_window(pf)
    window.start()
    sign_in(qtbot, window)
    window.users_action.trigger()
    dialog = window.tool_windows["users"]
    assert isinstance(dialog, UsersWindow)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    return window, dialog


def account(window: MainWindow, username: str) -> users.UserInfo:
    assert window.ctx.practice is not None
    with window.ctx.practice.session_factory() as s:
        info = users.get_by_username(s, username)
    assert info is not None
    return info


def test_add_a_user_by_keyboard_with_strength_feedback(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    window, dialog = open_users(qtbot, make_window, practice_file)
    assert [u.username for u in dialog.users] == ["admin", "casey"]
    dialog.username_edit.setFocus()
    qtbot.keyClicks(dialog.username_edit, "robin")
    qtbot.keyClick(dialog.username_edit, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.display_edit, "Robin Hart")
    qtbot.keyClicks(dialog.password.first_edit, "robin2024")
    assert "Too weak" in dialog.password.strength_label.text()
    assert not dialog.add_button.isEnabled()
    dialog.password.first_edit.clear()
    qtbot.keyClicks(dialog.password.first_edit, "Otter-Lantern-Basil-7")
    assert dialog.password.strength_label.text() == "Strong enough."
    qtbot.keyClicks(dialog.password.second_edit, "Otter-Lantern-Basil-7")
    assert dialog.add_button.isEnabled()
    shoot(dialog, "users-dialog")
    qtbot.keyClick(dialog.add_button, Qt.Key.Key_Space)
    robin = account(window, "robin")
    assert robin.roles == frozenset({Role.CLINICIAN})
    assert dialog.selected_id() == robin.id
    assert dialog.password.value == ""  # the password does not stay on screen


def test_roles_cosignature_and_deactivation(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    window, dialog = open_users(qtbot, make_window, practice_file)
    dialog.select_user("casey")
    dialog.edit_roles[Role.SUPERVISOR].setChecked(True)
    dialog.cosign_check.setChecked(True)
    dialog.apply_button.click()
    casey = account(window, "casey")
    assert casey.roles == frozenset({Role.CLINICIAN, Role.SUPERVISOR})
    assert casey.requires_cosign
    answers = iter([False, True])
    monkeypatch.setattr(Confirm, "ask", classmethod(lambda cls, *a: next(answers)))
    dialog.active_button.click()  # "no": nothing changes
    assert account(window, "casey").active
    dialog.active_button.click()
    assert not account(window, "casey").active
    assert dialog.active_button.text() == "&Reactivate"
    # The last administrator cannot remove their own admin role: a sentence, not a traceback.
    dialog.select_user("admin")
    dialog.edit_roles[Role.ADMIN].setChecked(False)
    assert dialog.apply_changes() is None
    assert dialog.message.isVisible()
    assert dialog.message.text()
    assert Role.ADMIN in account(window, "admin").roles
