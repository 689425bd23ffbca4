"""The main window's backup line: automatic backup at the first unlock of the day, warning, drill."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from stagewise.core import settings
from stagewise.core.models import MaintenanceLog
from stagewise.core.storage import backup, backup_schedule, store
from stagewise.ui.dialogs import Messages
from stagewise.ui.practice.backup_status import BackupStatus, describe_time
from stagewise.ui.workers import OpRunner

TZ = dt.timezone(dt.timedelta(hours=2))
MORNING = dt.datetime(2026, 3, 10, 8, 15, tzinfo=TZ)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(MORNING)


@pytest.fixture
def widget(qtbot: QtBot, clock: Clock) -> Iterator[BackupStatus]:
    ops = OpRunner()
    w = BackupStatus(ops, messages=Messages(no_dialogs=True), clock=clock)
    qtbot.addWidget(w)
    yield w
    ops.wait()


def _set_destination(practice: store.Practice, folder: Path, **more: object) -> None:
    with practice.session_factory.begin() as s:
        settings.update_settings(s, actor="admin", backup_destinations=[str(folder)], **more)


def test_first_unlock_of_the_day_backs_up_off_the_ui_thread(
    practice: store.Practice,
    widget: BackupStatus,
    qtbot: QtBot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dest = tmp_path / "usb"
    _set_destination(practice, dest)
    threads: list[threading.Thread] = []
    real = backup_schedule.run_scheduled_backup

    def spy(*args: object, **kwargs: object) -> list[backup_schedule.BackupOutcome]:
        threads.append(threading.current_thread())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(backup_schedule, "run_scheduled_backup", spy)
    widget.attach(practice, "admin")
    assert not widget.banner.isHidden()  # never backed up: the banner says so
    assert "never" in widget.label.text()
    with qtbot.waitSignal(widget.backup_finished, timeout=30000) as blocker:
        assert widget.on_unlocked()
        assert widget.busy
        assert not widget.progress.isHidden()
        assert not widget.back_up_action.isEnabled()
    (outcome,) = blocker.args[0]
    assert outcome.ok
    assert outcome.file is not None
    assert threads
    assert threads[0] is not threading.main_thread()
    # A verified backup with its key file, named after the injected time (in UTC).
    assert outcome.file == dest / "stagewise-backup-20260310T061500Z.stagewise"
    backup.verify_backup_file(outcome.file, practice.key)
    assert (dest / "stagewise-backup-20260310T061500Z.stagewise.keys").is_file()
    # The status updated: the banner is gone and the line names today's backup.
    assert widget.banner.isHidden()
    assert not widget.busy
    assert widget.progress.isHidden()
    assert widget.back_up_action.isEnabled()
    assert "Last backup: today" in widget.label.text()
    # The second unlock the same day does not back up again.
    clock.now = MORNING + dt.timedelta(hours=3)
    assert not widget.on_unlocked()


def test_no_destination_no_automatic_backup(practice: store.Practice, widget: BackupStatus) -> None:
    widget.attach(practice, "admin")
    assert not widget.on_unlocked()
    assert "no backup folder set" in widget.label.text()
    assert not widget.back_up_now()
    assert widget.messages.shown[-1][0] == "No backup folder"


def test_warning_when_the_last_success_is_older_than_n_days(
    practice: store.Practice, widget: BackupStatus, clock: Clock, tmp_path: Path
) -> None:
    _set_destination(practice, tmp_path / "usb", backup_warn_days=5, backup_schedule="off")
    with practice.session_factory.begin() as s:
        s.add(MaintenanceLog(kind="backup", ok=True, target="x", at=MORNING - dt.timedelta(days=4)))
        s.add(MaintenanceLog(kind="backup", ok=False, target="x", at=MORNING - dt.timedelta(days=1)))
    widget.attach(practice, "admin")
    assert widget.banner.isHidden()  # 4 days < 5
    assert "4 days ago" in widget.label.text()
    assert not widget.on_unlocked()  # schedule "off"
    clock.now = MORNING + dt.timedelta(days=1, hours=1)
    widget.refresh()
    assert not widget.banner.isHidden()
    assert "5 days ago" in widget.banner_label.text()


def test_back_up_now_then_restore_drill(
    practice: store.Practice, widget: BackupStatus, qtbot: QtBot, tmp_path: Path
) -> None:
    _set_destination(practice, tmp_path / "usb")
    widget.attach(practice, "admin")
    with qtbot.waitSignal(widget.drill_finished, timeout=10000) as none:
        assert not widget.run_drill()
    assert none.args == [None]
    assert widget.messages.shown[-1][0] == "No backup to test"
    with qtbot.waitSignal(widget.backup_finished, timeout=30000):
        widget.back_up_action.trigger()
    with qtbot.waitSignal(widget.drill_finished, timeout=30000) as blocker:
        widget.drill_action.trigger()
    report = blocker.args[0]
    assert report.ok, report.problems
    assert widget.messages.shown[-1][0] == "Restore drill passed"
    assert "Last successful drill: today" in widget.messages.shown[-1][1]
    assert "complete and readable" in widget.messages.shown[-1][1]
    assert " rows)" not in widget.messages.shown[-1][1]
    assert "It took" not in widget.messages.shown[-1][1]
    assert "last restore drill: today" in widget.label.text()


def test_a_failing_destination_is_reported(
    practice: store.Practice, widget: BackupStatus, qtbot: QtBot, tmp_path: Path
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    _set_destination(practice, blocked)
    widget.attach(practice, "admin")
    with qtbot.waitSignal(widget.backup_finished, timeout=30000) as blocker:
        widget.back_up_now()
    assert not blocker.args[0][0].ok
    assert widget.messages.shown[-1][0] == "Backup failed"
    assert not widget.banner.isHidden()


def test_detach_forgets_the_practice(practice: store.Practice, widget: BackupStatus) -> None:
    widget.attach(practice, "admin")
    widget.detach()
    assert not widget.back_up_action.isEnabled()
    assert widget.banner.isHidden()
    assert not widget.on_unlocked()


def test_describe_time() -> None:
    assert describe_time(None, MORNING) == "never"
    assert describe_time(MORNING - dt.timedelta(hours=1), MORNING) == "today 07:15"
    assert describe_time(MORNING - dt.timedelta(days=1), MORNING) == "yesterday 08:15"
    assert describe_time(MORNING - dt.timedelta(days=3), MORNING) == "3 days ago (7 Mar 2026)"


def test_locking_during_a_backup_closes_the_practice_when_it_ends(
    practice: store.Practice,
    widget: BackupStatus,
    qtbot: QtBot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _set_destination(practice, tmp_path / "usb")
    closed: list[object] = []
    monkeypatch.setattr(store.Practice, "close", lambda self: closed.append(self))
    widget.attach(practice, "admin")
    with qtbot.waitSignal(widget.backup_finished, timeout=30000) as blocker:
        assert widget.back_up_now()
        widget.detach(close=True)
        assert closed == []  # not while the backup runs on it
    assert blocker.args[0][0].ok
    assert closed == [practice]
    widget.attach(practice, "admin")
    widget.detach(close=True)  # nothing running: closed at once
    assert closed == [practice, practice]
