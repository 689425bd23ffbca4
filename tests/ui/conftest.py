"""Fixtures for the Qt tests: a practice with an account and a few clients, and a main window on it."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from stagewise.core import users
from stagewise.core.clients import records as clients
from stagewise.core.models import Role
from stagewise.core.paths import AppPaths
from stagewise.core.storage import store
from stagewise.ui import style
from stagewise.ui.context import AppContext
from stagewise.ui.lock import LockManager
from stagewise.ui.main_window import MainWindow
from tests.conftest import ADMIN_PASSWORD, PracticeTemplate

# The offscreen platform warns whenever a shown top-level window's size constraints change (a layout
# growing when a message appears); it is not a problem in the app.  (Also requested in pyproject.)
OFFSCREEN_NOISE = r"This plugin does not support (propagateSizeHints\(\)|raise\(\)|grabbing the keyboard)"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


SHOTS = Path(os.environ.get("STAGEWISE_SHOTS", "/tmp/shots"))
CLINICIAN_PASSWORD = "Amber-Meadow-Kettle-31"


@dataclass
class PracticeFile:
    path: Path
    key: bytes
    name: str


def seed_clients(practice: store.Practice, rows: list[tuple[str, str, str, dt.date]]) -> None:
    with practice.session_factory.begin() as s:
        for chart, given, family, born in rows:
            clients.create_client(
                s,
                chart_number=chart,
                given_name=given,
                family_name=family,
                date_of_birth=born,
                focuses=(clients.FocusInput("alcohol", "Alcohol"),),
                actor="admin",
            )


SAMPLE_CLIENTS = [
    ("1001", "Jo", "Smith", dt.date(1985, 3, 7)),
    ("1002", "Ana", "Okafor", dt.date(1990, 11, 21)),
    ("1003", "Zoë", "Ødegård", dt.date(1972, 6, 2)),
    ("1004", "Sam", "Smithers", dt.date(2001, 1, 15)),
    ("1005", "Priya", "Nair", dt.date(1968, 9, 30)),
]


@pytest.fixture(scope="session")
def practice_file_template(
    practice_template: PracticeTemplate, tmp_path_factory: pytest.TempPathFactory
) -> PracticeTemplate:
    """The practice every ``practice_file`` copies, built once per session."""
    folder = tmp_path_factory.mktemp("practice-file")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STAGEWISE_HOME", str(folder / "stagewise-home"))
        template = practice_template.derive(folder / "practice.stagewise")
        with store.open_practice(template.path, template.key) as p:
            with p.session_factory.begin() as s:
                users.create_user(
                    s,
                    username="admin",
                    display_name="Alex Morgan",
                    password=ADMIN_PASSWORD,
                    roles=(Role.ADMIN, Role.CLINICIAN),
                    actor=None,
                )
                users.create_user(
                    s,
                    username="casey",
                    display_name="Casey Lee",
                    password=CLINICIAN_PASSWORD,
                    roles=(Role.CLINICIAN,),
                    actor="admin",
                )
            seed_clients(p, SAMPLE_CLIENTS)
    return template


@pytest.fixture
def practice_file(practice_path: Path, practice_file_template: PracticeTemplate) -> PracticeFile:
    """A closed practice with an admin (``admin``), a clinician (``casey``) and five active clients.

    A copy of :func:`practice_file_template`; its key is in the (test's) keyring, as after creation.
    """
    practice_file_template.copy_to(practice_path)
    return PracticeFile(practice_path, practice_file_template.key, practice_file_template.name)


@pytest.fixture(scope="session")
def styled_app(qapp: QApplication) -> QApplication:
    """The application with Stagewise's style, applied once per session (as ``app.main`` does once).

    Applying it re-polishes every live widget, which took seconds per test late in the session; a style
    once applied stays for the rest of the session either way.
    """
    style.apply(qapp)
    return qapp


class FakeTimer(QObject):
    """A single-shot timer on a clock the test moves with :meth:`advance`: the idle lock without waiting.

    It has the part of ``QTimer``'s interface that ``LockManager`` uses (``stagewise.ui.lock.IdleTimer``):
    ``start`` restarts the interval from the current fake time; ``timeout`` is emitted once, synchronously,
    by the ``advance`` that reaches the end of the interval.
    """

    timeout = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.now = 0  # fake milliseconds since the timer was made
        self._interval = 0
        self._due: int | None = None

    def setInterval(self, msec: int) -> None:
        self._interval = int(msec)

    def interval(self) -> int:
        return self._interval

    def start(self) -> None:
        self._due = self.now + self._interval

    def stop(self) -> None:
        self._due = None

    def isActive(self) -> bool:
        return self._due is not None

    def remainingTime(self) -> int:
        return -1 if self._due is None else max(0, self._due - self.now)

    def advance(self, msec: int) -> None:
        """Let ``msec`` fake milliseconds pass (without input, unless the test sends some)."""
        self.now += msec
        if self._due is not None and self.now >= self._due:
            self._due = None
            self.timeout.emit()


MakeWindow = Callable[..., MainWindow]


@pytest.fixture
def make_window(qtbot: QtBot, styled_app: QApplication, tmp_path: Path) -> Iterator[MakeWindow]:
    made: list[MainWindow] = []

    def make(
        pf: PracticeFile,
        *,
        with_key: bool = True,
        idle_ms: int | None = 600_000,
        idle_timer: FakeTimer | None = None,
        integrity_check: bool = False,
    ) -> MainWindow:
        """A shown main window on ``pf``; with ``idle_timer`` its idle lock runs on that fake clock."""
        ctx = AppContext(
            paths=AppPaths.resolve(tmp_path / "home"),
            practice_path=pf.path,
            no_dialogs=True,
            key=pf.key if with_key else None,
        )
        lock_manager = None
        if idle_timer is not None:
            assert idle_ms is not None, "a fake idle timer needs a fixed idle_ms"
            lock_manager = LockManager(idle_ms=idle_ms, timer=idle_timer)
        window = MainWindow(
            ctx,
            lock_manager=lock_manager,
            idle_ms=idle_ms,
            search_delay_ms=20,
            integrity_check=integrity_check,
        )
        qtbot.addWidget(window)
        window.resize(1366, 768)
        window.show()
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5_000)
        made.append(window)
        return window

    yield make
    for window in made:
        window.shutdown()


def type_into(qtbot: QtBot, widget: QWidget, text: str) -> None:
    widget.setFocus()
    qtbot.keyClicks(widget, text)


def sign_in(
    qtbot: QtBot, window: MainWindow, username: str = "admin", password: str = ADMIN_PASSWORD
) -> None:
    """Type a user name and password as a user would, press Enter and wait until the list shows."""
    screen = window.sign_in
    qtbot.waitUntil(lambda: not screen.on_key_step and screen.username_edit.isEnabled(), timeout=10_000)
    screen.username_edit.clear()
    type_into(qtbot, screen.username_edit, username)
    qtbot.keyClick(screen.username_edit, Qt.Key.Key_Return)  # Enter moves on to the password
    with qtbot.waitSignal(window.signed_in, timeout=15_000):
        type_into(qtbot, screen.password_edit, password)
        qtbot.keyClick(screen.password_edit, Qt.Key.Key_Return)


def shoot(widget: QWidget, name: str) -> Path:
    """Save a screenshot for a person to look at (in ``$STAGEWISE_SHOTS``, default ``/tmp/shots``)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    widget.grab().save(str(path))
    return path
