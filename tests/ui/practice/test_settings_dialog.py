"""Practice settings: administrators only, core validation shown under each field, saved and audited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from stagewise.core import settings
from stagewise.core.models import AuditEvent
from stagewise.ui.main_window import MainWindow
from stagewise.ui.practice.settings_dialog import FolderDialog, SettingsWindow
from tests.ui.conftest import CLINICIAN_PASSWORD, MakeWindow, PracticeFile, shoot, sign_in


def open_settings(
    qtbot: QtBot, make_window: MakeWindow, pf: PracticeFile
) -> tuple[MainWindow, SettingsWindow]:
    window = make_window(pf)
    window.start()
    sign_in(qtbot, window)
    assert window.settings_action.isEnabled()
    window.settings_action.trigger()
    dialog = window.tool_windows["settings"]
    assert isinstance(dialog, SettingsWindow)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    return window, dialog


def stored(window: MainWindow) -> settings.PracticeSettings:
    assert window.ctx.practice is not None
    with window.ctx.practice.session_factory() as s:
        return settings.load_settings(s)


def settings_events(window: MainWindow) -> list[AuditEvent]:
    assert window.ctx.practice is not None
    with window.ctx.practice.session_factory() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.entity == "settings")))


def test_only_administrators_see_settings(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    window = make_window(practice_file)
    window.start()
    sign_in(qtbot, window, "casey", CLINICIAN_PASSWORD)
    assert not window.settings_action.isVisible()
    assert not window.users_action.isEnabled()
    assert window.show_settings() is None


def test_refused_values_show_under_their_fields_and_nothing_is_saved(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    window, dialog = open_settings(qtbot, make_window, practice_file)
    dialog.idle_spin.setValue(0)
    dialog.name_edit.clear()
    monkeypatch.setattr(FolderDialog, "ask", classmethod(lambda cls, parent: "relative/backups"))
    dialog.add_folder_button.click()
    assert dialog.save() is None
    assert dialog.errors["idle_lock_minutes"].text() == "Must be between 1 and 240."
    assert dialog.errors["practice_name"].text() == "Must not be empty."
    assert "full folder paths" in dialog.errors["backup_destinations"].text()
    assert not dialog.errors["stalled_days"].isVisible()
    assert dialog.tabs.currentIndex() == 0  # the first problem's page is shown
    assert dialog.name_edit.hasFocus()
    assert stored(window).idle_lock_minutes == 10
    assert settings_events(window) == []
    shoot(dialog, "settings-dialog-errors")


def test_saving_by_keyboard_updates_the_practice_and_is_audited(
    qtbot: QtBot,
    make_window: MakeWindow,
    practice_file: PracticeFile,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window, dialog = open_settings(qtbot, make_window, practice_file)
    rules = [dialog.rule_combo.itemData(i) for i in range(dialog.rule_combo.count())]
    assert rules == list(settings.URICA_STAGE_RULES)
    assert "approximate, not verified" in dialog.rule_combo.itemText(1)
    dialog.name_edit.setFocus()
    dialog.name_edit.selectAll()
    qtbot.keyClicks(dialog.name_edit, "Harbour Counselling North")
    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Tab)
    assert dialog.idle_spin.hasFocus()
    dialog.idle_spin.selectAll()
    qtbot.keyClicks(dialog.idle_spin, "5")
    dialog.rule_combo.setCurrentIndex(1)
    dialog.stage_edits[next(iter(dialog.stage_edits))].setText("Not thinking about it yet")
    dialog.favourites.item(0).setCheckState(Qt.CheckState.Checked)
    folder = tmp_path / "usb"
    monkeypatch.setattr(FolderDialog, "ask", classmethod(lambda cls, parent: str(folder)))
    dialog.add_folder_button.click()
    dialog.tabs.setCurrentIndex(1)
    shoot(dialog, "settings-dialog")
    with qtbot.waitSignal(dialog.saved):
        qtbot.keyClick(dialog.save_button, Qt.Key.Key_Space)
    prefs = stored(window)
    assert prefs.practice_name == "Harbour Counselling North"
    assert prefs.idle_lock_minutes == 5
    assert prefs.urica_stage_rule == "habits_lab_cutoffs"
    assert prefs.backup_destinations == (str(folder),)
    assert len(prefs.favourite_forms) == 1
    assert window.windowTitle().startswith("Harbour Counselling North")
    (event,) = settings_events(window)
    assert event.action == "update"
    assert set(json.loads(event.details)["keys"]) >= {
        "practice_name",
        "idle_lock_minutes",
        "urica_stage_rule",
    }
    assert "settings" not in window.tool_windows  # closed after saving
