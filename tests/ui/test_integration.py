"""The shell mounts the other screens: chart tabs, Due this week, dashboard, backups, notes windows."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from stagewise.core import users
from stagewise.core.clients import records as clients
from stagewise.core.models import Stage
from stagewise.core.notes import drafts as notes
from stagewise.core.paths import AppPaths
from stagewise.core.storage import store
from stagewise.ui.administrations.assessments_tab import AssessmentsTab
from stagewise.ui.clients.chart_tabs import install_default_tabs
from stagewise.ui.context import AppContext
from stagewise.ui.main_window import MainWindow
from stagewise.ui.notes.notes_tab import NotesTab
from stagewise.ui.practice.wizard import FirstRunWizard
from stagewise.ui.reports.reports_tab import ReportsTab
from stagewise.ui.stages.stage_tab import StageTab
from tests.ui.conftest import MakeWindow, PracticeFile, shoot, sign_in


def signed_in(qtbot: QtBot, make_window: MakeWindow, pf: PracticeFile) -> MainWindow:
    window = make_window(pf)
    install_default_tabs(window)
    window.start()
    sign_in(qtbot, window)
    return window


def chart_id(window: MainWindow, chart: str) -> int:
    assert window.ctx.practice is not None
    with window.ctx.practice.session_factory() as s:
        info = clients.get_by_chart_number(s, chart)
    assert info is not None
    return info.id


def test_chart_mounts_every_tab_and_record_stage_opens_the_stage_tab(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    window = signed_in(qtbot, make_window, practice_file)
    chart = window.open_chart(chart_id(window, "1001"))
    assert chart is not None
    assert isinstance(chart.assessments, AssessmentsTab)
    assert isinstance(chart.stage, StageTab)
    assert isinstance(chart.notes, NotesTab)
    assert isinstance(chart.reports, ReportsTab)
    assert chart.stage_tab.content is chart.stage
    assert chart.client is not None
    focus = chart.client.focuses[0]
    chart.assessments.record_stage_requested.emit(focus.id, Stage.PREPARATION, 0)
    assert chart.tabs.currentWidget() is chart.stage_tab
    dialog = chart.stage.record_dialog
    assert dialog is not None
    assert dialog.isVisible()
    dialog.reject()


def test_due_this_week_fills_after_sign_in_opens_charts_and_clears_on_lock(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    window = signed_in(qtbot, make_window, practice_file)
    due = window.due_view
    assert window.workspace.views.indexOf(due) == 1
    # Never-assessed focuses are due from the day they were added: all five clients.
    qtbot.waitUntil(lambda: due.model.rowCount() == 5, timeout=10_000)
    window.workspace.views.setCurrentWidget(due)
    shoot(window, "main-window-due")
    due.table.setFocus()
    due.table.selectRow(0)
    qtbot.keyClick(due.table, Qt.Key.Key_Return)
    assert len(window.chart_windows) == 1
    window.lock()
    assert due.model.rowCount() == 0
    assert window.workspace.views.currentWidget() is window.client_list
    assert not window.chart_windows


def test_dashboard_needs_a_sign_in_and_closes_on_lock(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    window = make_window(practice_file)
    assert not window.dashboard_action.isEnabled()
    assert window.show_dashboard() is None
    window.start()
    sign_in(qtbot, window)
    assert window.dashboard_action.isEnabled()
    window.dashboard_action.trigger()
    dashboard = window.tool_windows["dashboard"]
    qtbot.waitUntil(dashboard.isVisible)
    window.lock()
    assert "dashboard" not in window.tool_windows
    assert not window.dashboard_action.isEnabled()


def test_backup_status_attaches_on_sign_in_and_closes_the_practice_on_lock(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    window = signed_in(qtbot, make_window, practice_file)
    practice_menu = window.menuBar().actions()[0].menu()
    assert window.back_up_action in practice_menu.actions()
    assert window.drill_action in practice_menu.actions()
    status = window.backup_status
    assert status.practice is window.ctx.practice
    assert "no backup folder set" in status.label.text()
    assert window.back_up_action.isEnabled()
    window.lock()
    assert status.practice is None
    assert window.ctx.practice is None
    assert not window.back_up_action.isEnabled()


def test_technical_mode_does_not_attach_backups(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    window = make_window(practice_file)
    practice = store.open_practice(practice_file.path, practice_file.key)
    window.open_technical(practice, practice_file.name)
    assert window.backup_status.practice is None
    window.lock()
    assert window.ctx.practice is None


def test_note_search_todo_and_recovered_drafts(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    # A draft left unsigned (the app was closed mid-note) is offered after the next sign-in.
    practice = store.open_practice(practice_file.path, practice_file.key)
    with practice.session_factory.begin() as s:
        admin = users.get_by_username(s, "admin")
        client = clients.get_by_chart_number(s, "1002")
        assert admin is not None
        assert client is not None
        note_id = notes.create_draft(
            s,
            client_id=client.id,
            template_id="soap",
            author_id=admin.id,
            actor="admin",
            fields={"subjective": "Feeling steadier this week"},
        ).id
    practice.close()
    window = signed_in(qtbot, make_window, practice_file)
    assert window.recovery_dialog is not None
    window.recovery_dialog.reject()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)

    qtbot.keyClick(
        window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    search = window.tool_windows["search"]
    qtbot.waitUntil(search.isVisible)
    window.todo_action.trigger()
    assert "todo" in window.tool_windows

    # Opening a note from search or to-do opens its chart at the Notes tab.
    window.open_note(client.id, note_id)
    chart = window.chart_windows[client.id]
    assert chart.tabs.currentWidget() is chart.notes_tab
    assert chart.notes is not None
    assert chart.notes.editor is not None
    window.lock()
    assert not window.tool_windows
    assert QApplication.activeModalWidget() is None


def test_wizard_demo_opens_a_separate_demo_practice(
    qtbot: QtBot, styled_app: QApplication, tmp_path: Path
) -> None:
    from stagewise.core.demo import DEMO_PASSWORD

    paths = AppPaths.resolve(tmp_path / "home").ensure()
    wizard = FirstRunWizard(paths.default_practice, demo_path=paths.demo_practice)
    qtbot.addWidget(wizard)
    wizard.resize(760, 560)
    wizard.show()
    assert wizard.practice_page.demo_button.isVisible()
    shoot(wizard, "wizard-demo-option")
    with qtbot.waitSignal(wizard.completed, timeout=180_000) as made_signal:
        wizard.practice_page.demo_button.click()
        assert wizard.practice_page.demo_progress.isVisible()  # busy while the worker generates
        assert not wizard.practice_page.demo_button.isEnabled()
    made = made_signal.args[0]
    assert made.path == paths.demo_practice
    assert not paths.default_practice.exists()  # the real practice is not made
    ctx = AppContext(paths=paths, practice_path=paths.default_practice, no_dialogs=True)
    window = MainWindow(ctx, idle_ms=600_000, integrity_check=False)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    window.adopt_new_practice(made)
    assert window.is_demo
    assert "DEMO" in window.windowTitle()
    assert DEMO_PASSWORD in window.statusBar().currentMessage()
    sign_in(qtbot, window, made.username, DEMO_PASSWORD)
    assert window.windowTitle().count("DEMO") == 1
    assert window.client_list.model.rowCount() > 0
    shoot(window, "main-window-demo")
    window.shutdown()
