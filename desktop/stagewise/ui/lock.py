"""Idle and manual locking.

``LockManager`` watches every keyboard and mouse event in the application (an application-wide event
filter); when none arrives for ``idle_ms`` it asks to lock.  Locking is a fixed sequence so that no
client data outlives it:

1. ``locking`` — windows save drafts while the database is still open (a hook for later issues);
2. ``clear`` — windows drop every client record they hold (models emptied, chart windows closed);
3. the practice connection is closed by the owner (``MainWindow``), then ``locked`` is emitted.

The idle interval is timed by a single-shot, precise ``QTimer``.  Tests hand in a timer on a clock they
move themselves (:class:`IdleTimer`), so the idle lock is tested without waiting in real time.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)

DEFAULT_IDLE_MINUTES = 10

_INPUT_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.KeyRelease,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonRelease,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TabletPress,
        QEvent.Type.Shortcut,
    }
)


class IdleTimer(Protocol):
    """What :class:`LockManager` uses of its timer: a single-shot ``QTimer`` (the default) or a fake."""

    @property
    def timeout(self) -> Any: ...  # the signal emitted when the interval has run out

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def isActive(self) -> bool: ...

    def interval(self) -> int: ...

    def setInterval(self, msec: int) -> None: ...

    def remainingTime(self) -> int: ...


def idle_qtimer(parent: QObject) -> QTimer:
    """The production idle timer: single-shot and precise."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    # Precise: a coarse timer may fire up to 5 % late and reports a rounded remaining time.
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    return timer


class LockManager(QObject):
    """Emits ``idle_timeout`` after ``idle_ms`` without input, while armed (signed in).

    ``timer`` replaces the single-shot ``QTimer`` (:func:`idle_qtimer`); it must restart its interval on
    ``start()`` and emit ``timeout`` once when the interval has run out.
    """

    idle_timeout = Signal()
    locking = Signal()  # before the database closes: save drafts now
    clear = Signal()  # drop every client record held in memory
    locked = Signal()  # the database is closed; the sign-in screen is showing
    unlocked = Signal()

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        idle_ms: int = DEFAULT_IDLE_MINUTES * 60_000,
        timer: IdleTimer | None = None,
    ) -> None:
        super().__init__(parent)
        self._timer: IdleTimer = timer if timer is not None else idle_qtimer(self)
        self._timer.timeout.connect(self._on_timeout)
        self.set_idle_ms(idle_ms)
        self._armed = False
        self._installed: QApplication | None = None

    # -- configuration ----------------------------------------------------------------------------

    @property
    def idle_ms(self) -> int:
        return self._timer.interval()

    def set_idle_ms(self, idle_ms: int) -> None:
        self._timer.setInterval(max(1, int(idle_ms)))
        if self._timer.isActive():
            self._timer.start()

    def set_idle_minutes(self, minutes: int | float) -> None:
        self.set_idle_ms(int(minutes * 60_000))

    def install(self, app: QApplication | None = None) -> None:
        """Watch every input event of ``app`` (the running application by default)."""
        app = app or QApplication.instance()  # type: ignore[assignment]
        if app is not None and self._installed is None:
            app.installEventFilter(self)
            self._installed = app

    def uninstall(self) -> None:
        if self._installed is not None:
            self._installed.removeEventFilter(self)
            self._installed = None

    # -- state ------------------------------------------------------------------------------------

    @property
    def armed(self) -> bool:
        """True while signed in: the idle timer runs."""
        return self._armed

    def arm(self) -> None:
        self._armed = True
        self._timer.start()

    def disarm(self) -> None:
        self._armed = False
        self._timer.stop()

    def poke(self) -> None:
        """Input happened: start the idle interval again."""
        if self._armed:
            self._timer.start()

    def remaining_ms(self) -> int:
        return self._timer.remainingTime() if self._timer.isActive() else -1

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._armed and event.type() in _INPUT_EVENTS:
            self._timer.start()
        return False

    def _on_timeout(self) -> None:
        if self._armed:
            log.info("idle for %d ms: locking", self.idle_ms)
            self.idle_timeout.emit()
