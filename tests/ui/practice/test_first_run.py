"""Test (g): first-run wizard → sign-in → create client → lock → unlock, by keyboard."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWizard
from pytestqt.qtbot import QtBot

from stagewise.core.paths import AppPaths
from stagewise.core.users import suggest_username
from stagewise.ui.context import AppContext
from stagewise.ui.main_window import MainWindow
from stagewise.ui.practice.wizard import FirstRunWizard, NewPractice, RecoveryKeyPrinter
from tests.ui.conftest import shoot, sign_in, type_into

PASSPHRASE = "Lighthouse-Copper-Fern-58"
PASSWORD = "Willow-Granite-Sparrow-24"


def active(qtbot: QtBot, widget: object) -> None:
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget, timeout=5_000)


def next_page(qtbot: QtBot, wizard: FirstRunWizard) -> None:
    """Enter, as a user would (the Next button is the default)."""
    before = wizard.currentId()
    qtbot.keyClick(QApplication.focusWidget() or wizard, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.currentId() != before, timeout=15_000)


@pytest.fixture
def wizard(qtbot: QtBot, styled_app: QApplication, tmp_path: Path) -> FirstRunWizard:
    w = FirstRunWizard(AppPaths.resolve(tmp_path / "home").default_practice)
    qtbot.addWidget(w)
    w.resize(760, 560)
    w.show()
    w.activateWindow()
    active(qtbot, w)
    return w


def test_first_run_to_signed_in_client_lock_and_unlock(
    qtbot: QtBot, wizard: FirstRunWizard, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    printed: list[str] = []
    monkeypatch.setattr(
        RecoveryKeyPrinter, "ask", classmethod(lambda cls, parent, name, key: printed.append(key) or True)
    )
    default = AppPaths.resolve(tmp_path / "home").default_practice
    page = wizard.practice_page
    assert page.path_edit.text() == str(default)  # the file location defaults to AppPaths
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    qtbot.keyClicks(page.name_edit, "Harbour Counselling")
    shoot(wizard, "wizard_1_practice")
    next_page(qtbot, wizard)

    # Passphrase, with live feedback from keys.passphrase_problem.
    pair = wizard.passphrase_page.pair
    qtbot.waitUntil(pair.first_edit.hasFocus)
    qtbot.keyClicks(pair.first_edit, "password")
    assert "Too weak" in pair.strength_label.text()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    pair.first_edit.clear()
    qtbot.keyClicks(pair.first_edit, PASSPHRASE)
    assert pair.strength_label.text() == "Strong enough."
    qtbot.keyClick(pair.first_edit, Qt.Key.Key_Tab)
    qtbot.keyClicks(pair.second_edit, PASSPHRASE[:-1])
    assert "different" in pair.match_label.text()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    qtbot.keyClicks(pair.second_edit, PASSPHRASE[-1])
    assert "match" in pair.match_label.text()
    shoot(wizard, "wizard_2_passphrase")
    next_page(qtbot, wizard)

    # First account: admin + clinician; the user name is suggested from the name.
    account = wizard.account_page
    qtbot.waitUntil(account.display_edit.hasFocus)
    qtbot.keyClicks(account.display_edit, "Alex Morgan")
    assert account.username_edit.text() == "amorgan"
    type_into(qtbot, account.pair.first_edit, PASSWORD)
    type_into(qtbot, account.pair.second_edit, PASSWORD)
    shoot(wizard, "wizard_3_account")
    next_page(qtbot, wizard)  # creates the practice off the UI thread, then moves on

    # The recovery key, shown once; finishing needs the "stored safely" tick.
    recovery = wizard.recovery_page
    assert wizard.currentPage() is recovery
    key_text = recovery.key_label.text()
    assert re.fullmatch(r"([A-Z2-7]{4}-){7}[A-Z2-7]{4}", key_text)
    finish = wizard.button(QWizard.WizardButton.FinishButton)
    assert not finish.isEnabled()
    qtbot.mouseClick(recovery.print_button, Qt.MouseButton.LeftButton)
    assert printed == [key_text]
    shoot(wizard, "wizard_4_recovery")
    recovery.stored_check.setFocus()
    qtbot.keyClick(recovery.stored_check, Qt.Key.Key_Space)
    assert finish.isEnabled()
    with qtbot.waitSignal(wizard.completed, timeout=5_000) as done:
        qtbot.mouseClick(finish, Qt.MouseButton.LeftButton)
    made: NewPractice = done.args[0]
    assert made.path == default
    assert default.exists()
    assert made.username == "amorgan"
    assert recovery.key_label.text() == ""  # the key leaves the screen with the wizard

    # Sign in to the new practice.
    ctx = AppContext(paths=AppPaths.resolve(tmp_path / "home"), practice_path=Path("unset"), no_dialogs=True)
    window = MainWindow(ctx, integrity_check=False, search_delay_ms=20)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    window.activateWindow()
    active(qtbot, window)
    window.adopt_new_practice(made)
    assert window.sign_in.username_edit.text() == "amorgan"
    sign_in(qtbot, window, "amorgan", PASSWORD)
    assert window.windowTitle().startswith("Harbour Counselling")
    assert window.ctx.user is not None
    assert window.ctx.user.is_admin
    assert window.ctx.user.is_clinician
    assert window.client_list.empty_label.isVisible()
    shoot(window, "main_window_empty")

    # Create a client by keyboard.
    qtbot.keyClick(window.client_list.search_edit, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = window.client_dialog
    assert dialog is not None
    active(qtbot, dialog)
    for edit, text in (
        (dialog.chart_edit, "A-17"),
        (dialog.given_edit, "Robin"),
        (dialog.family_edit, "Ashworth"),
        (dialog.dob_edit, "1979-04-12"),
    ):
        type_into(qtbot, edit, text)
    with qtbot.waitSignal(dialog.saved, timeout=5_000):
        qtbot.keyClick(dialog.dob_edit, Qt.Key.Key_Return)
    assert [r.chart_number for r in window.client_list.model.rows] == ["A-17"]

    # Lock (Ctrl+L): database closed, data gone; unlock with the password again.
    window.activateWindow()  # offscreen does not hand activation back when a dialog closes
    active(qtbot, window)
    practice = window.ctx.practice
    assert practice is not None
    with qtbot.waitSignal(window.lock_manager.locked, timeout=5_000):
        qtbot.keyClick(window.client_list.table, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.is_locked
    assert window.ctx.practice is None
    assert window.client_list.model.rowCount() == 0
    sign_in(qtbot, window, "amorgan", PASSWORD)
    assert [r.chart_number for r in window.client_list.model.rows] == ["A-17"]
    window.shutdown()


def test_existing_file_is_refused(qtbot: QtBot, wizard: FirstRunWizard, tmp_path: Path) -> None:
    taken = tmp_path / "taken.stagewise"
    taken.write_bytes(b"x")
    page = wizard.practice_page
    qtbot.keyClicks(page.name_edit, "Harbour")
    page.path_edit.setText(str(taken))
    assert "already exists" in page.problem_label.text()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()


def test_cancel_is_refused_once_the_practice_exists(wizard: FirstRunWizard) -> None:
    wizard.created = NewPractice(Path("x"), b"k" * 32, "P", "u", True)
    wizard.reject()
    assert wizard.isVisible()


def test_suggest_username() -> None:
    assert suggest_username("Alex Morgan") == "amorgan"
    assert suggest_username("Priya") == "priya"
    assert suggest_username("") == ""
    assert suggest_username("Dr. María Fernández") == "mfernandez"
    assert suggest_username("Seán O'Brien, LCSW") == "sobrien"
    assert suggest_username("Zoë Ødegård PhD") == "zodegard"


def test_browse_sets_the_practice_file(
    qtbot: QtBot, wizard: FirstRunWizard, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stagewise.ui.practice.wizard import PracticeFileChooser

    monkeypatch.setattr(
        PracticeFileChooser, "ask", classmethod(lambda cls, parent, current: str(tmp_path / "clinic"))
    )
    qtbot.mouseClick(wizard.practice_page.browse_button, Qt.MouseButton.LeftButton)
    assert wizard.practice_page.path_edit.text() == str(tmp_path / "clinic.stagewise")


def test_every_page_shows_its_step_and_its_whole_explanation(qtbot: QtBot, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QLabel

    wizard = FirstRunWizard(tmp_path / "p.stagewise")
    qtbot.addWidget(wizard)
    pages = [wizard.page(pid) for pid in wizard.pageIds()]
    assert [p.subTitle() for p in pages] == [f"Step {n} of 4" for n in range(1, 5)]
    intro = wizard.recovery_page.findChild(QLabel, "pageIntro")
    assert intro is not None
    assert intro.wordWrap()
    assert intro.text().endswith("keep it somewhere safe away from this computer.")
