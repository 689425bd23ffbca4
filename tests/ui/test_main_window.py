"""The client registry: search, filter, sort, create/edit/discharge, charts, audit log, locking."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from stagewise.core.clients import records as clients
from stagewise.ui.clients.chart_window import ChartWindow
from stagewise.ui.dialogs import Confirm
from stagewise.ui.main_window import MainWindow
from tests.ui.conftest import (
    CLINICIAN_PASSWORD,
    FakeTimer,
    MakeWindow,
    PracticeFile,
    shoot,
    sign_in,
    type_into,
)


def signed_in_window(qtbot: QtBot, make_window: MakeWindow, pf: PracticeFile, **kw: object) -> MainWindow:
    window = make_window(pf, **kw)
    window.start()
    sign_in(qtbot, window)
    return window


def family_names(window: MainWindow) -> list[str]:
    return [r.family_name for r in window.client_list.model.rows]


def test_search_narrows_the_list_as_you_type(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    window = signed_in_window(qtbot, make_window, practice_file)
    panel = window.client_list
    assert len(family_names(window)) == 5
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert panel.search_edit.hasFocus()
    qtbot.keyClicks(panel.search_edit, "smi")
    qtbot.waitUntil(
        lambda: not panel.filter_pending and sorted(family_names(window)) == ["Smith", "Smithers"]
    )
    qtbot.keyClicks(panel.search_edit, "thers")
    qtbot.waitUntil(lambda: not panel.filter_pending and family_names(window) == ["Smithers"])
    # Accent-insensitive, and by chart number too.
    panel.search_edit.clear()
    qtbot.keyClicks(panel.search_edit, "odegard")
    qtbot.waitUntil(lambda: not panel.filter_pending and family_names(window) == ["Ødegård"])
    panel.search_edit.clear()
    qtbot.keyClicks(panel.search_edit, "1002")
    qtbot.waitUntil(lambda: not panel.filter_pending and family_names(window) == ["Okafor"])
    panel.search_edit.clear()
    qtbot.keyClicks(panel.search_edit, "nobody")
    qtbot.waitUntil(lambda: not panel.filter_pending and family_names(window) == [])
    assert panel.empty_label.isVisible()
    assert "nobody" in panel.empty_label.text()


def test_columns_sort_by_database_query(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    window = signed_in_window(qtbot, make_window, practice_file)
    table = window.client_list.table
    assert family_names(window) == ["Nair", "Ødegård", "Okafor", "Smith", "Smithers"]  # accent-folded order
    table.sortByColumn(3, Qt.SortOrder.AscendingOrder)  # date of birth
    assert [r.chart_number for r in window.client_list.model.rows] == ["1005", "1003", "1001", "1002", "1004"]
    table.sortByColumn(0, Qt.SortOrder.DescendingOrder)  # chart number
    assert [r.chart_number for r in window.client_list.model.rows] == ["1005", "1004", "1003", "1002", "1001"]
    table.sortByColumn(5, Qt.SortOrder.AscendingOrder)  # next due: must not fail with nothing due
    assert len(window.client_list.model.rows) == 5


def test_create_client_by_keyboard(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    window = signed_in_window(qtbot, make_window, practice_file)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = window.client_dialog
    assert dialog is not None
    assert dialog.isVisible()
    qtbot.waitUntil(dialog.chart_edit.hasFocus)
    qtbot.keyClicks(dialog.chart_edit, "2001")
    qtbot.keyClick(dialog.chart_edit, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.given_edit, "Robin")
    qtbot.keyClick(dialog.given_edit, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.family_edit, "Ashworth")
    qtbot.keyClick(dialog.family_edit, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.dob_edit, "1979-04-12")
    assert "12 April 1979" in dialog.dob_hint.text()
    type_into(qtbot, dialog.focus_label_edit, "Smoking")
    assert dialog.focus_key_edit.text() == "smoking"
    qtbot.keyClick(dialog.focus_label_edit, Qt.Key.Key_Return)  # Enter in the focus field adds the focus
    type_into(qtbot, dialog.focus_label_edit, "Physical activity")
    qtbot.mouseClick(dialog.add_focus_button, Qt.MouseButton.LeftButton)
    assert [f.key for f in dialog.focuses()] == ["smoking", "physical-activity"]
    shoot(dialog, "client_dialog_new")
    with qtbot.waitSignal(dialog.saved, timeout=5_000) as saved:
        qtbot.keyClick(dialog.dob_edit, Qt.Key.Key_Return)  # Enter saves (the default button)
    info = saved.args[0]
    assert info.chart_number == "2001"
    assert [f.label for f in info.focuses] == ["Smoking", "Physical activity"]
    assert window.client_list.current_client_id() == info.id
    assert "Ashworth" in family_names(window)
    shoot(window, "main_window")


def test_duplicate_chart_number_shows_message_and_keeps_what_was_typed(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    window = signed_in_window(qtbot, make_window, practice_file)
    window.new_client()
    dialog = window.client_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    type_into(qtbot, dialog.chart_edit, "1001")  # Jo Smith's
    type_into(qtbot, dialog.given_edit, "Robin")
    type_into(qtbot, dialog.family_edit, "Ashworth")
    type_into(qtbot, dialog.dob_edit, "1979-04-12")
    type_into(qtbot, dialog.focus_label_edit, "Alcohol")
    qtbot.keyClick(dialog.focus_label_edit, Qt.Key.Key_Return)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert dialog.error_label.isVisible()
    assert dialog.error_label.text() == clients.chart_in_use_message("1001")
    assert (
        dialog.chart_edit.text(),
        dialog.given_edit.text(),
        dialog.family_edit.text(),
        dialog.dob_edit.text(),
    ) == (
        "1001",
        "Robin",
        "Ashworth",
        "1979-04-12",
    )
    assert [f.key for f in dialog.focuses()] == ["alcohol"]
    assert dialog.chart_edit.hasFocus()
    shoot(dialog, "client_dialog_duplicate")
    # Fix the one field and save: nothing else had to be typed again.
    dialog.chart_edit.clear()
    with qtbot.waitSignal(dialog.saved, timeout=5_000):
        qtbot.keyClicks(dialog.chart_edit, "2002")
        qtbot.keyClick(dialog.chart_edit, Qt.Key.Key_Return)
    assert len(family_names(window)) == 6


def test_bad_date_is_explained(qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile) -> None:
    window = signed_in_window(qtbot, make_window, practice_file)
    window.new_client()
    dialog = window.client_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    for edit, text in ((dialog.chart_edit, "3001"), (dialog.given_edit, "A"), (dialog.family_edit, "B")):
        type_into(qtbot, edit, text)
    type_into(qtbot, dialog.dob_edit, "2199-01-01")
    qtbot.keyClick(dialog.dob_edit, Qt.Key.Key_Return)
    assert dialog.isVisible()
    assert "future" in dialog.error_label.text()
    dialog.dob_edit.clear()
    type_into(qtbot, dialog.dob_edit, "12/31")
    qtbot.keyClick(dialog.dob_edit, Qt.Key.Key_Return)
    assert "not a date" in dialog.error_label.text()


def test_edit_client_and_focuses(qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile) -> None:
    window = signed_in_window(qtbot, make_window, practice_file)
    panel = window.client_list
    type_into(qtbot, panel.search_edit, "Okafor")
    qtbot.waitUntil(lambda: family_names(window) == ["Okafor"])
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    dialog = window.client_dialog
    assert dialog is not None
    assert dialog.client is not None
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    assert [f.key for f in dialog.focuses()] == ["alcohol"]
    dialog.focus_table.selectRow(0)
    qtbot.mouseClick(dialog.remove_focus_button, Qt.MouseButton.LeftButton)
    type_into(qtbot, dialog.focus_label_edit, "Depression")
    qtbot.keyClick(dialog.focus_label_edit, Qt.Key.Key_Return)
    dialog.given_edit.clear()
    type_into(qtbot, dialog.given_edit, "Adaeze")
    with qtbot.waitSignal(dialog.saved, timeout=5_000) as saved:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    info = saved.args[0]
    assert info.given_name == "Adaeze"
    assert [(f.key, f.active) for f in info.focuses] == [("alcohol", False), ("depression", True)]


def test_discharge_and_reactivate(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    asked: list[str] = []
    monkeypatch.setattr(
        Confirm, "ask", classmethod(lambda cls, parent, title, text, yes: asked.append(text) or True)
    )
    window = signed_in_window(qtbot, make_window, practice_file)
    panel = window.client_list
    panel.select_client(next(r.id for r in panel.model.rows if r.family_name == "Nair"))
    qtbot.mouseClick(panel.discharge_button, Qt.MouseButton.LeftButton)
    assert "Nair, Priya" in asked[0]
    assert "Nair" not in family_names(window)
    panel.status_combo.setCurrentIndex(1)  # discharged
    assert family_names(window) == ["Nair"]
    panel.table.selectRow(0)
    assert panel.discharge_button.text().replace("&", "") == "Reactivate…"
    qtbot.mouseClick(panel.discharge_button, Qt.MouseButton.LeftButton)
    assert family_names(window) == []
    panel.status_combo.setCurrentIndex(2)  # all
    assert len(family_names(window)) == 5
    panel.select_client(next(r.id for r in panel.model.rows if r.family_name == "Okafor"))
    qtbot.mouseClick(panel.discharge_button, Qt.MouseButton.LeftButton)
    shoot(window, "main_window_all_clients")


def test_enter_opens_one_chart_per_client(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    window = signed_in_window(qtbot, make_window, practice_file)
    panel = window.client_list
    type_into(qtbot, panel.search_edit, "smith")
    qtbot.waitUntil(lambda: not panel.filter_pending and len(family_names(window)) == 2)
    qtbot.keyClick(panel.search_edit, Qt.Key.Key_Down)
    assert panel.table.hasFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    assert len(window.chart_windows) == 1
    chart = next(iter(window.chart_windows.values()))
    assert isinstance(chart, ChartWindow)
    assert chart.name_label.text() == "Jo Smith"
    assert [chart.tabs.tabText(i).replace("&", "") for i in range(chart.tabs.count())] == [
        "Assessments",
        "Stage",
        "Notes",
        "Reports",
    ]
    assert chart.assessments_tab.placeholder.text()
    chart.resize(1366, 768)
    shoot(chart, "chart_window")
    # Opening again raises the same window.
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    assert len(window.chart_windows) == 1
    panel.table.doubleClicked.emit(panel.model.index(1, 1))  # a double-click on the second row
    assert len(window.chart_windows) == 2


def test_audit_log_is_admin_only_and_verifies(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    window = signed_in_window(qtbot, make_window, practice_file)
    assert window.audit_action.isEnabled()
    audit_window = window.show_audit_log()
    assert audit_window is not None
    events = audit_window.model.events
    assert events
    assert events[0].action == "sign_in"
    assert [e.id for e in events] == sorted((e.id for e in events), reverse=True)
    create_index = audit_window.action_combo.findData("create")
    audit_window.action_combo.setCurrentIndex(create_index)
    assert audit_window.model.events
    assert {e.action for e in audit_window.model.events} == {"create"}
    audit_window.action_combo.setCurrentIndex(0)
    with qtbot.waitSignal(audit_window.verify_button.clicked):
        qtbot.mouseClick(audit_window.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "intact" in audit_window.result_label.text(), timeout=10_000)
    audit_window.resize(1366, 768)
    shoot(audit_window, "audit_log")

    # A clinician without the admin role gets no audit log.
    window.lock()
    sign_in(qtbot, window, "casey", CLINICIAN_PASSWORD)
    assert not window.audit_action.isEnabled()
    assert window.show_audit_log() is None


def test_ctrl_l_locks_closes_database_and_clears_client_data(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    window = signed_in_window(qtbot, make_window, practice_file)
    practice = window.ctx.practice
    assert practice is not None
    window.open_chart(window.client_list.model.rows[0].id)
    chart = next(iter(window.chart_windows.values()))
    audit_window = window.show_audit_log()
    assert audit_window is not None
    type_into(qtbot, window.client_list.search_edit, "Smi")
    pool_before = practice.engine.pool
    seen: list[str] = []
    window.lock_manager.locking.connect(lambda: seen.append("locking"))
    window.lock_manager.clear.connect(lambda: seen.append("clear"))
    with qtbot.waitSignal(window.lock_manager.locked, timeout=5_000):
        qtbot.keyClick(window.client_list.table, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert seen == ["locking", "clear"]
    assert window.is_locked
    assert window.ctx.practice is None
    assert window.ctx.user is None
    assert practice.engine.pool is not pool_before  # disposed: every keyed connection closed
    assert pool_before.checkedout() == 0
    assert window.client_list.model.rowCount() == 0
    assert window.client_list.search_edit.text() == ""
    assert window.chart_windows == {}
    assert not chart.isVisible()
    assert chart.client is None
    assert window.audit_window is None
    assert not audit_window.isVisible()
    assert not window.lock_manager.armed
    # Nothing about clients is left in any visible window.
    for w in QApplication.topLevelWidgets():
        if w.isVisible():
            assert "Smith" not in w.windowTitle()
    shoot(window, "locked")
    sign_in(qtbot, window)
    assert window.client_list.model.rowCount() == 5


def test_idle_lock_fires_and_input_resets_it(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    timer = FakeTimer()
    window = signed_in_window(qtbot, make_window, practice_file, idle_ms=400, idle_timer=timer)
    manager = window.lock_manager
    assert manager.armed
    assert manager.idle_ms == 400
    # Input restarts the interval: keep typing and the timer keeps starting over.
    timer.advance(300)
    qtbot.keyClicks(window.client_list.search_edit, "s")
    assert manager.remaining_ms() == 400
    with qtbot.assertNotEmitted(manager.idle_timeout):
        timer.advance(399)
    assert not window.is_locked
    with qtbot.waitSignal(manager.locked, timeout=5_000):
        timer.advance(1)  # 400 ms without input
    assert window.is_locked
    assert window.ctx.practice is None
    assert window.client_list.model.rowCount() == 0


def test_idle_timer_restarts_on_input(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    timer = FakeTimer()
    window = signed_in_window(qtbot, make_window, practice_file, idle_ms=60_000, idle_timer=timer)
    manager = window.lock_manager
    timer.advance(59_000)
    qtbot.keyClick(window.client_list.search_edit, Qt.Key.Key_A)
    assert manager.remaining_ms() == 60_000
    timer.advance(59_000)
    qtbot.mouseClick(window.client_list.search_edit, Qt.MouseButton.LeftButton)
    assert manager.remaining_ms() == 60_000
    timer.advance(59_999)
    assert not window.is_locked


def test_tab_order_and_mnemonics(qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile) -> None:
    window = signed_in_window(qtbot, make_window, practice_file)
    panel = window.client_list
    panel.focus_search()
    qtbot.waitUntil(panel.search_edit.hasFocus)
    order = []
    for _ in range(6):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        order.append(QApplication.focusWidget())
    assert order == [
        panel.status_combo,
        panel.table,
        panel.open_button,
        panel.edit_button,
        panel.discharge_button,
        panel.new_button,
    ]
    # Alt+W jumps to the status filter (its label's mnemonic).
    qtbot.keyClick(panel.table, Qt.Key.Key_W, Qt.KeyboardModifier.AltModifier)
    assert panel.status_combo.hasFocus()


def test_integrity_check_runs_after_sign_in_and_warns(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from stagewise.core.storage import store

    monkeypatch.setattr(store, "integrity_problems", lambda engine: ["page 7: HMAC check failed"])
    window = make_window(practice_file, integrity_check=True)
    window.start()
    sign_in(qtbot, window)
    qtbot.waitUntil(lambda: bool(window.messages.shown), timeout=10_000)
    title, text = window.messages.shown[-1]
    assert "damaged" in title
    assert "page 7" in text


def test_clean_integrity_check_says_so(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    window = make_window(practice_file, integrity_check=True)
    window.start()
    sign_in(qtbot, window)
    qtbot.waitUntil(lambda: "no damage" in window.statusBar().currentMessage(), timeout=15_000)
    assert window.messages.shown == []


def test_ctrl_l_in_a_chart_window_locks_everything(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    window = signed_in_window(qtbot, make_window, practice_file)
    chart = window.open_chart(window.client_list.model.rows[0].id)
    assert chart is not None
    qtbot.waitUntil(lambda: QApplication.activeWindow() is chart)
    with qtbot.waitSignal(window.lock_manager.locked, timeout=5_000):
        qtbot.keyClick(chart.tabs, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.is_locked
    assert window.chart_windows == {}


def test_repeated_wrong_passwords_show_the_throttle_message(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    from stagewise.core import users

    window = make_window(practice_file)
    window.start()
    screen = window.sign_in
    for _ in range(users.LOCK_AFTER):
        screen.username_edit.clear()
        type_into(qtbot, screen.username_edit, "admin")
        type_into(qtbot, screen.password_edit, "wrong-password-123")
        with qtbot.waitSignal(window.busy_changed, check_params_cb=lambda busy: not busy, timeout=15_000):
            qtbot.keyClick(screen.password_edit, Qt.Key.Key_Return)
    assert "Too many wrong passwords" in screen.error_label.text()
    assert window.is_locked
    assert window.ctx.practice is None


def test_audit_log_pages_older_events(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from stagewise.ui.audit import audit_view

    monkeypatch.setattr(audit_view, "PAGE_SIZE", 4)
    window = signed_in_window(qtbot, make_window, practice_file)
    audit_window = window.show_audit_log()
    assert audit_window is not None
    first = [e.id for e in audit_window.model.events]
    assert len(first) == 4
    assert audit_window.more_button.isEnabled()
    qtbot.mouseClick(audit_window.more_button, Qt.MouseButton.LeftButton)
    ids = [e.id for e in audit_window.model.events]
    assert ids[:4] == first
    assert len(ids) == 8
    assert ids == sorted(ids, reverse=True)
    while audit_window.more_button.isEnabled():
        qtbot.mouseClick(audit_window.more_button, Qt.MouseButton.LeftButton)
    assert audit_window.model.events[-1].id == 1


def test_chart_tab_factories_fill_tabs_and_hear_about_locking(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    from PySide6.QtWidgets import QLabel

    events: list[str] = []

    def factory(chart: ChartWindow, ctx: object, runner: object) -> None:
        content = chart.notes_tab.mount(QLabel(f"notes for client {chart.client_id}"))
        chart.locking.connect(lambda: events.append(f"save {chart.client_id}"))
        assert content is chart.notes_tab.content

    window = signed_in_window(qtbot, make_window, practice_file)
    window.chart_tab_factories.append(factory)
    cid = window.client_list.model.rows[0].id
    chart = window.open_chart(cid)
    assert chart is not None
    assert not chart.notes_tab.placeholder.isVisible()
    window.lock()
    assert events == [f"save {cid}"]


def test_default_tabs_mount_the_assessments_screen(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    from stagewise.ui.clients.chart_tabs import install_default_tabs

    window = signed_in_window(qtbot, make_window, practice_file)
    install_default_tabs(window)
    chart = window.open_chart(window.client_list.model.rows[0].id)
    assert chart is not None
    assert chart.assessments_tab.content is not None
    assert chart.assessments_tab.content.objectName() == "assessments"
    chart.resize(1366, 768)
    shoot(chart, "chart_window_assessments")
    with qtbot.waitSignal(window.lock_manager.locked, timeout=5_000):
        window.lock()
    assert window.chart_windows == {}


def test_idle_minutes_come_from_practice_settings(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    from stagewise.core import settings
    from stagewise.core.storage import store

    with store.open_practice(practice_file.path, practice_file.key) as p, p.session_factory.begin() as s:
        settings.update_settings(s, actor="admin", idle_lock_minutes=3)
    window = signed_in_window(qtbot, make_window, practice_file, idle_ms=None)
    assert window.lock_manager.idle_ms == 3 * 60_000
    assert window.lock_manager.armed


def test_locking_answers_an_open_question_no_and_closes_it(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    from PySide6.QtCore import QTimer

    window = signed_in_window(qtbot, make_window, practice_file)
    # The idle lock fires while a confirmation naming a client is open.
    QTimer.singleShot(100, window.lock)
    answer = Confirm.ask(window, "Discharge client", "Discharge Nair, Priya?", "Discharge")
    assert answer is False
    assert window.is_locked
    assert QApplication.activeModalWidget() is None
