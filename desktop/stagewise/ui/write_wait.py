"""The non-blocking notice shown while a write waits for another Stagewise window or command.

The core tells :func:`stagewise.core.storage.rawdb.add_wait_listener` listeners when a writer starts and stops
waiting for the practice file's write lock; they are called on the waiting (worker) thread, so the notice
forwards them through a queued Qt signal to the UI thread and shows them in the status bar.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QStatusBar

from stagewise.core.storage import rawdb


class WriteWaitNotice(QObject):
    """Shows "Waiting for another Stagewise window or command…" in ``status_bar`` while a write waits."""

    changed = Signal(bool)

    def __init__(self, status_bar: QStatusBar, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._status_bar = status_bar
        self._waiting = 0
        self.changed.connect(self._show, Qt.ConnectionType.QueuedConnection)
        self._stop = rawdb.add_wait_listener(lambda _name, waiting: self.changed.emit(waiting))

    @property
    def text(self) -> str:
        return self.tr("Waiting for another Stagewise window or command…")

    def _show(self, waiting: bool) -> None:
        self._waiting = max(0, self._waiting + (1 if waiting else -1))
        if self._waiting:
            self._status_bar.showMessage(self.text)
        elif self._status_bar.currentMessage() == self.text:
            self._status_bar.clearMessage()

    def stop(self) -> None:
        """Stop listening (the window is closing)."""
        self._stop()
