"""Smaller pieces: the lock manager, background ops, labels, the crash dialog, the list model at scale."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot
from sqlalchemy import insert

from stagewise.core.audit import trail as audit
from stagewise.core.errors import ConflictError
from stagewise.core.models import Client, ClientStatus, Role, Stage
from stagewise.core.text import name_key
from stagewise.ui import labels
from stagewise.ui.app import ExceptHook
from stagewise.ui.clients.client_dialog import focus_key_for, parse_date
from stagewise.ui.clients.client_list import PAGE_SIZE, ClientListPanel, ListQuery
from stagewise.ui.lock import LockManager
from stagewise.ui.workers import OpRunner
from tests.ui.conftest import FakeTimer


def test_lock_manager_fires_only_when_armed(qtbot: QtBot, qapp: QApplication) -> None:
    timer = FakeTimer()
    manager = LockManager(idle_ms=50, timer=timer)
    manager.install(qapp)
    try:
        with qtbot.assertNotEmitted(manager.idle_timeout):
            timer.advance(10_000)  # not armed (locked already): no timeout
        manager.arm()
        assert manager.remaining_ms() == 50
        with qtbot.assertNotEmitted(manager.idle_timeout):
            timer.advance(49)
        with qtbot.waitSignal(manager.idle_timeout, timeout=1_000):
            timer.advance(1)
        manager.arm()
        manager.disarm()
        assert manager.remaining_ms() == -1
        with qtbot.assertNotEmitted(manager.idle_timeout):
            timer.advance(10_000)  # disarmed (signed out): no timeout
    finally:
        manager.uninstall()


def test_lock_manager_times_with_a_precise_single_shot_qtimer(qtbot: QtBot, qapp: QApplication) -> None:
    # The real timer, once (every other idle test moves a fake clock): a short interval, no input.
    manager = LockManager(idle_ms=20)
    timer = manager.findChild(QTimer)
    assert timer is not None
    assert timer.isSingleShot()
    assert timer.timerType() == Qt.TimerType.PreciseTimer
    manager.arm()
    with qtbot.waitSignal(manager.idle_timeout, timeout=2_000):
        pass
    assert manager.remaining_ms() == -1  # single shot: it fired once and stopped


def test_any_key_restarts_the_idle_timer(qtbot: QtBot, qapp: QApplication) -> None:
    edit = QLineEdit()
    qtbot.addWidget(edit)
    edit.show()
    timer = FakeTimer()
    manager = LockManager(idle_ms=300, timer=timer)
    manager.install(qapp)
    try:
        manager.arm()
        fired: list[int] = []
        manager.idle_timeout.connect(lambda: fired.append(timer.now))
        # Type for five times the idle interval, a key every 250 ms: each key starts the interval over.
        for _ in range(6):
            timer.advance(250)
            qtbot.keyClick(edit, Qt.Key.Key_A)
            assert manager.remaining_ms() == 300
        assert fired == []
        assert edit.text() == "aaaaaa"  # the keys reached the field: real input events
        timer.advance(299)
        assert fired == []
        timer.advance(1)
        assert fired == [1_800]  # 300 ms after the last key
    finally:
        manager.uninstall()


def test_op_runs_off_the_ui_thread_and_reports_back(qtbot: QtBot, qapp: QApplication) -> None:
    runner = OpRunner()
    results: list[object] = []
    threads: list[threading.Thread] = []

    def work() -> int:
        threads.append(threading.current_thread())
        return 42

    runner.run(work, on_done=lambda r: results.append((r, threading.current_thread())))
    qtbot.waitUntil(lambda: bool(results), timeout=5_000)
    assert results[0] == (42, threading.main_thread())
    assert threads[0] is not threading.main_thread()
    assert not runner.busy


def test_op_failure_reaches_the_ui_thread(qtbot: QtBot, qapp: QApplication) -> None:
    runner = OpRunner()
    failures: list[BaseException] = []

    def work() -> None:
        raise ConflictError("Chart number 1 is already in use by another client; choose another.")

    runner.run(work, on_failed=failures.append)
    qtbot.waitUntil(lambda: bool(failures), timeout=5_000)
    assert isinstance(failures[0], ConflictError)


def test_every_enum_and_action_has_words(qapp: QApplication) -> None:
    for role in Role:
        assert labels.role(role)
        assert labels.role(role) != role.value
    for status in ClientStatus:
        assert labels.client_status(status) != status.value
    for stage in Stage:
        assert labels.stage(stage) != stage.value
    assert labels.stage(None) == "Not staged for now"
    assert labels.instrument_stage(None) == "No stage"  # a questionnaire without staging is not a pause
    for action in audit.ACTIONS:
        assert labels.has_audit_action_label(action), (
            f"give the audit action {action!r} words in ui/labels.py"
        )
    assert labels.roles(frozenset({Role.CLINICIAN, Role.ADMIN})) == "Administrator, Clinician"


def test_date_and_focus_key_parsing() -> None:
    assert parse_date("1985-03-07") == dt.date(1985, 3, 7)
    assert parse_date("1985/3/7") == dt.date(1985, 3, 7)
    assert parse_date("07/03/1985") is None  # ambiguous order: not guessed
    assert parse_date("1985-02-30") is None
    assert focus_key_for("Physical activity") == "physical-activity"
    assert focus_key_for("Café & Bar") == "cafe-bar"


def test_crash_dialog_shows_traceback_and_log_path_and_copies(
    qtbot: QtBot, styled_app: QApplication, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log_path = tmp_path / "stagewise.log"
    hook = ExceptHook(log_path, no_dialogs=False)
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        with caplog.at_level(logging.CRITICAL):
            hook(type(exc), exc, exc.__traceback__)
    assert "unexpected error" in caplog.text
    dialog = hook.dialogs[0]
    qtbot.addWidget(dialog)
    assert "RuntimeError: boom" in dialog.details.toPlainText()
    assert str(log_path) in dialog.log_label.text()
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert "RuntimeError: boom" in QApplication.clipboard().text()
    dialog.resize(720, 480)
    from tests.ui.conftest import shoot

    shoot(dialog, "crash_dialog")


def test_client_list_pages_5000_clients(qtbot: QtBot, styled_app: QApplication, practice) -> None:  # type: ignore[no-untyped-def]
    rows = [
        {
            "chart_number": f"C{i:05d}",
            "given_name": f"Given{i}",
            "family_name": f"Family{i % 997}",
            "given_name_key": name_key(f"Given{i}"),
            "family_name_key": name_key(f"Family{i % 997}"),
            "date_of_birth": dt.date(1950 + i % 50, 1 + i % 12, 1 + i % 28),
            "status": "active" if i % 10 else "discharged",
        }
        for i in range(5000)
    ]
    with practice.session_factory.begin() as s:
        s.execute(insert(Client), rows)

    from stagewise.core.clients import records as clients

    def fetch(q: ListQuery, limit: int, offset: int) -> list[object]:
        with practice.session_factory() as s:
            return list(
                clients.list_clients(
                    s,
                    query=q.query,
                    status=q.status,
                    sort=q.sort,
                    descending=q.descending,
                    limit=limit,
                    offset=offset,
                )
            )

    panel = ClientListPanel(search_delay_ms=0)
    qtbot.addWidget(panel)
    panel.resize(1200, 700)
    panel.show()
    # How fast the first page and a filter come is measured by tests/benchmarks/run.py
    # (startup_to_list_s, client_filter_ms), not asserted here.
    panel.set_fetcher(fetch)
    model = panel.model
    assert model.rowCount() == PAGE_SIZE  # a page, not 4,500 rows
    assert model.canFetchMore(QModelIndex())
    panel.table.scrollToBottom()  # the view asks for more as it scrolls
    qtbot.waitUntil(lambda: model.rowCount() > PAGE_SIZE, timeout=5_000)
    qtbot.keyClicks(panel.search_edit, "family12")
    qtbot.waitUntil(lambda: not panel.filter_pending, timeout=5_000)
    assert model.rowCount() > 0
    assert all(r.family_name.startswith("Family12") for r in model.rows)


def test_sql_parameters_never_reach_the_log_or_crash_dialog() -> None:
    from stagewise.ui.app import redact

    text = (
        "sqlalchemy.exc.IntegrityError: (sqlite3.IntegrityError) UNIQUE constraint failed\n"
        "[SQL: INSERT INTO client (chart_number, given_name) VALUES (?, ?)]\n"
        "[parameters: ('1001', 'Robin')]\n(Background on this error at: https://sqlalche.me/e/20/gkpj)"
    )
    cleaned = redact(text)
    assert "Robin" not in cleaned
    assert "UNIQUE constraint failed" in cleaned


def test_a_confirmation_defaults_to_cancel_unless_the_step_is_expected(qtbot: QtBot) -> None:
    from stagewise.ui.dialogs import Confirm

    careful = Confirm.build(None, "Discharge client", "Discharge?", "Discharge")
    qtbot.addWidget(careful)
    assert careful.defaultButton() is not careful.property("yes_button")
    assert careful.defaultButton().text() == "Cancel"
    expected = Confirm.build(None, "Sign note", "Sign?", "Sign", default_yes=True)
    qtbot.addWidget(expected)
    assert expected.defaultButton() is expected.property("yes_button")
    assert expected.defaultButton().text() == "Sign"
