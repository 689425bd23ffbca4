"""While a write waits for another Stagewise window or command, the status bar says so (non-blocking)."""

from __future__ import annotations

import threading

from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot

from stagewise.core.storage import rawdb
from stagewise.ui.write_wait import WriteWaitNotice


def test_the_status_bar_shows_a_wait_reported_from_a_worker_thread(qtbot: QtBot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    notice = WriteWaitNotice(window.statusBar(), window)
    try:
        worker = threading.Thread(target=rawdb._tell, args=("practice.stagewise", True))
        worker.start()
        worker.join()
        qtbot.waitUntil(lambda: window.statusBar().currentMessage() == notice.text)
        assert "Waiting for another Stagewise window or command" in notice.text
        rawdb._tell("practice.stagewise", False)
        qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "")
    finally:
        notice.stop()
    rawdb._tell("practice.stagewise", True)  # no longer listening: nothing shows
    qtbot.wait(50)
    assert window.statusBar().currentMessage() == ""
