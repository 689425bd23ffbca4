"""Start locked, unlock with the passphrase, sign in, lock again."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.conftest import ADMIN_PASSWORD, PASSPHRASE, PracticeTemplate
from tests.ui.conftest import MakeWindow, PracticeFile, shoot, sign_in, type_into


def test_starts_locked_and_signs_in_with_key_from_keyring(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    window = make_window(practice_file, with_key=False)
    assert window.is_locked
    assert window.ctx.practice is None
    with qtbot.waitSignal(window.key_ready, timeout=10_000):
        window.start()
    assert not window.sign_in.on_key_step  # the keyring (in-memory in tests) held the key
    shoot(window, "signin_user")
    sign_in(qtbot, window)
    assert not window.is_locked
    assert window.ctx.user is not None
    assert window.ctx.user.username == "admin"
    assert window.client_list.model.rowCount() == 5
    assert "Harbour Counselling" in window.windowTitle()


def test_passphrase_step_when_key_not_in_keyring(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile, memory_keyring: object
) -> None:
    memory_keyring.items.clear()  # type: ignore[attr-defined]
    window = make_window(practice_file, with_key=False)
    window.start()
    screen = window.sign_in
    qtbot.waitUntil(lambda: screen.on_key_step and screen.secret_edit.isEnabled(), timeout=10_000)
    shoot(window, "signin_passphrase")
    # A wrong passphrase: a clear message, still on the passphrase step, nothing opened.
    type_into(qtbot, screen.secret_edit, "Not-The-Right-One-99")
    qtbot.keyClick(screen.secret_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.error_label.isVisible() and screen.secret_edit.isEnabled(), timeout=10_000)
    assert "passphrase is not correct" in screen.error_label.text()
    assert screen.on_key_step
    assert window.ctx.key is None
    screen.secret_edit.clear()
    with qtbot.waitSignal(window.key_ready, timeout=10_000):
        qtbot.keyClicks(screen.secret_edit, PASSPHRASE)
        qtbot.keyClick(screen.secret_edit, Qt.Key.Key_Return)
    assert not screen.on_key_step
    sign_in(qtbot, window)
    assert window.client_list.model.rowCount() == 5


def test_recovery_key_link(
    qtbot: QtBot,
    make_window: MakeWindow,
    practice_path,
    memory_keyring: object,
    qapp,
    practice_template: PracticeTemplate,
) -> None:  # type: ignore[no-untyped-def]
    created = practice_template.created_copy(practice_path)
    created.practice.close()
    memory_keyring.items.clear()  # type: ignore[attr-defined]
    pf = PracticeFile(practice_path, created.practice.key, "Harbour Counselling")
    window = make_window(pf, with_key=False)
    window.start()
    screen = window.sign_in
    qtbot.waitUntil(lambda: screen.on_key_step and screen.secret_edit.isEnabled(), timeout=10_000)
    screen.recovery_link.linkActivated.emit("recovery")
    assert screen.recovery_mode
    assert screen.secret_edit.echoMode() == screen.secret_edit.EchoMode.Normal
    shoot(window, "signin_recovery")
    with qtbot.waitSignal(window.key_ready, timeout=10_000):
        type_into(qtbot, screen.secret_edit, created.recovery_key.lower())
        qtbot.keyClick(screen.secret_edit, Qt.Key.Key_Return)
    assert window.ctx.key == created.practice.key


def test_wrong_password_shows_message_and_stays_locked(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    window = make_window(practice_file)
    window.start()
    screen = window.sign_in
    qtbot.waitUntil(lambda: not screen.on_key_step, timeout=5_000)
    type_into(qtbot, screen.username_edit, "admin")
    type_into(qtbot, screen.password_edit, "wrong-password-123")
    with qtbot.waitSignal(window.busy_changed, check_params_cb=lambda busy: not busy, timeout=15_000):
        qtbot.keyClick(screen.password_edit, Qt.Key.Key_Return)
    assert screen.error_label.isVisible()
    assert "User name or password is not correct." in screen.error_label.text()
    assert window.is_locked
    assert window.ctx.practice is None
    assert window.ctx.user is None
    assert screen.password_edit.text() == ""  # the wrong password does not linger
    assert screen.username_edit.text() == "admin"  # what was typed otherwise stays
    assert window.client_list.model.rowCount() == 0
    shoot(window, "signin_wrong_password")
    # And the right one still works afterwards.
    sign_in(qtbot, window, "admin", ADMIN_PASSWORD)
    assert not window.is_locked
