"""The idle lock in the real main window: a hand-over in progress is saved, closed, and resumes after unlock.

Uses the app's own integration: ``chart_tabs.install_default_tabs`` mounts the tab and connects the chart's
``locking`` signal to ``AssessmentsTab.save_and_close``.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from stagewise.core.administrations import lifecycle as administrations
from stagewise.core.models import AdministrationMode, AdministrationStatus
from stagewise.ui.administrations import picker
from stagewise.ui.administrations.assessments_tab import AssessmentsTab
from stagewise.ui.administrations.handover import HandoverWindow
from stagewise.ui.clients.chart_tabs import install_default_tabs
from stagewise.ui.main_window import MainWindow
from tests.ui.conftest import FakeTimer, MakeWindow, PracticeFile, sign_in


def open_tab(window: MainWindow, chart_number: str) -> AssessmentsTab:
    row = next(r for r in window.client_list.model.rows if r.chart_number == chart_number)
    chart = window.open_chart(row.id)
    assert chart is not None
    tab = chart.assessments_tab.content
    assert isinstance(tab, AssessmentsTab)
    return tab


def test_idle_lock_saves_a_handover_and_resume_reopens_it_at_the_same_item(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    timer = FakeTimer()
    window = make_window(practice_file, idle_ms=600_000, idle_timer=timer)
    install_default_tabs(window)  # what app.main() does: the chart mounts AssessmentsTab
    window.start()
    sign_in(qtbot, window)
    tab = open_tab(window, "1001")
    focus_id = next(iter(tab.focus_labels))
    monkeypatch.setattr(
        picker.StartDialog,
        "ask",
        classmethod(lambda cls, *a, **k: picker.StartChoice(focus_id, "urica-32", AdministrationMode.CLIENT)),
    )
    hand = tab.start()
    assert isinstance(hand, HandoverWindow)
    adm_id = hand.administration_id
    qtbot.keyClick(hand, Qt.Key.Key_Return)
    for ch in "245":
        qtbot.keyClicks(hand, ch)
    assert hand.current_item is not None
    assert hand.current_item.id == "4"

    with qtbot.waitSignal(window.lock_manager.locked, timeout=5_000):
        timer.advance(600_000)  # ten minutes without input: the idle lock comes, even over the hand-over
    assert window.ctx.practice is None
    assert window.chart_windows == {}

    sign_in(qtbot, window)
    tab = open_tab(window, "1001")
    assert tab.rows[0].id == adm_id
    assert tab.rows[0].status == AdministrationStatus.IN_PROGRESS
    assert tab.resume_button.isEnabled()
    again = tab.resume_selected()
    assert isinstance(again, HandoverWindow)
    assert again.current_item is not None
    assert again.current_item.id == "4"
    assert again.answers == {"1": 2, "2": 4, "3": 5}
    assert administrations.resume_point(tab.rows[0]) == "4"
    again.save_and_close()
