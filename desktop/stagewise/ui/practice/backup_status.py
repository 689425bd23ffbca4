"""Automatic backups in the main window: last success, a warning banner, "Back up now", "Restore drill".

:class:`BackupStatus` is a small widget (put it above the client list or in the status bar) and its
controller in one:

* :meth:`attach` after the practice opens (sign-in); :meth:`detach` when the app locks.
* :meth:`on_unlocked` on every unlock: on the first unlock of the day (the practice's ``backup_schedule``,
  see :func:`stagewise.core.storage.backup_schedule.backup_due`) with a destination configured, a verified
  backup
  is written to every destination **off the UI thread** (:class:`stagewise.ui.workers.OpRunner`) while a
  busy bar shows; old backups are rotated by the practice's keep-daily/weekly/monthly settings.
* The banner shows when no backup has succeeded for ``backup_warn_days`` days (or ever).
* ``back_up_action`` runs the same backup on demand; ``drill_action`` restores the newest backup into a
  temporary folder, verifies and compares it (:func:`stagewise.core.storage.backup.drill`), then shows the
  :class:`~stagewise.core.storage.backup.DrillReport` and when the last successful drill ran.

Every database call that may take long runs on the worker; the status itself is two indexed queries.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from stagewise.ui.dates import format_date, format_time
from stagewise.ui.dialogs import Messages
from stagewise.ui.workers import OpRunner

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]


def local_now() -> dt.datetime:
    """Now, aware, in this computer's time zone (the day boundary of "first unlock of the day")."""
    return dt.datetime.now().astimezone()


@dataclass(frozen=True)
class Status:
    """What the widget shows (read on the UI thread: two small queries and the settings)."""

    last_backup: dt.datetime | None
    last_drill: dt.datetime | None
    destinations: tuple[Path, ...]
    settings: Any  # backup_schedule.BackupSettings
    warning: str | None


def read_status(practice: Any, now: dt.datetime) -> Status:
    from stagewise.core import settings
    from stagewise.core.storage import backup_schedule

    with practice.session_factory() as s:
        prefs = settings.load_settings(s)
        last = backup_schedule.last_success(s)
        drill = backup_schedule.last_success(s, "drill")
    policy = prefs.backup_settings()
    warning = backup_schedule.backup_warning(last, now, policy.warn_after_days)
    return Status(last, drill, prefs.backup_folders, policy, None if warning is None else warning.message)


def describe_time(at: dt.datetime | None, now: dt.datetime) -> str:
    """``today 09:30``, ``yesterday 17:02``, ``3 days ago (5 Jan 2026)`` or ``never`` (locale times)."""
    if at is None:
        return "never"
    local = at.astimezone(now.tzinfo)
    days = (now.date() - local.date()).days
    if days <= 0:
        return f"today {format_time(local)}"
    if days == 1:
        return f"yesterday {format_time(local)}"
    return f"{days} days ago ({format_date(local.date())})"


class BackupStatus(QWidget):
    """The backup line, the warning banner, a busy bar and the two actions."""

    backup_finished = Signal(object)  # list[BackupOutcome]
    backup_failed = Signal(object)  # BaseException
    drill_finished = Signal(object)  # DrillReport, or None when there was no backup to drill
    status_changed = Signal()

    def __init__(
        self,
        ops: OpRunner | None = None,
        *,
        messages: Messages | None = None,
        clock: Clock = local_now,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("backupStatus")
        self.ops = ops or OpRunner(self)
        self.messages = messages or Messages()
        self.clock = clock
        self.practice: Any = None
        self.actor: str | None = None
        self.status: Status | None = None
        self.running: str | None = None  # "backup" or "drill" while a worker runs
        self.last_outcomes: list[Any] = []
        self.last_drill_report: Any = None
        self._auto_tried: dt.date | None = None
        self._pending_close: Any = None

        self.banner = QFrame()
        self.banner.setObjectName("backupWarning")
        self.banner.setFrameShape(QFrame.Shape.StyledPanel)
        self.banner_label = QLabel()
        self.banner_label.setWordWrap(True)
        self.banner_button = QPushButton(self.tr("Back up now"))
        row = QHBoxLayout(self.banner)
        row.setContentsMargins(8, 4, 8, 4)
        row.addWidget(self.banner_label, 1)
        row.addWidget(self.banner_button)
        self.banner.hide()

        self.label = QLabel()
        self.label.setObjectName("backupStatusLine")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: the backup API reports no steps
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(False)
        self.progress.hide()
        line = QHBoxLayout()
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.label, 1)
        line.addWidget(self.progress)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(4)
        outer.addWidget(self.banner)
        outer.addLayout(line)

        self.back_up_action = QAction(self.tr("Back up now"), self)
        self.back_up_action.setStatusTip(self.tr("Write a verified backup to every backup folder"))
        self.back_up_action.triggered.connect(lambda: self.back_up_now())
        self.drill_action = QAction(self.tr("Restore drill…"), self)
        self.drill_action.setStatusTip(
            self.tr("Restore the newest backup into a temporary folder and check it opens and verifies")
        )
        self.drill_action.triggered.connect(lambda: self.run_drill())
        self.banner_button.clicked.connect(lambda: self.back_up_now())
        self._update_actions()

    # -- practice lifecycle ------------------------------------------------------------------------

    def attach(self, practice: Any, actor: str | None) -> None:
        """The practice is open and ``actor`` signed in."""
        self.practice = practice
        self.actor = actor
        self.refresh()

    def detach(self, *, close: bool = False) -> None:
        """The app locks: forget the practice.

        Args:
            close: also close the practice — at once, or, if a backup or drill is running on it, as soon
                as that finishes (so a lock never pulls the database from under a running backup).
        """
        if close and self.practice is not None:
            if self.running is not None:
                self._pending_close = self.practice
            else:
                self.practice.close()
        self.practice = None
        self.actor = None
        self.status = None
        self.banner.hide()
        self.label.clear()
        self._update_actions()

    @property
    def busy(self) -> bool:
        return self.running is not None

    def _finished(self) -> None:
        self.running = None
        if self._pending_close is not None:
            practice, self._pending_close = self._pending_close, None
            practice.close()

    def refresh(self) -> None:
        """Re-read the last backup and drill and update the line and the banner."""
        if self.practice is None:
            return
        now = self.clock()
        self.status = read_status(self.practice, now)
        self._show_status(now)
        self.status_changed.emit()

    def _show_status(self, now: dt.datetime) -> None:
        st = self.status
        if st is None:
            return
        if self.running == "backup":
            self.label.setText(self.tr("Backing up to %n folder(s)…", "", len(st.destinations)))
        elif self.running == "drill":
            self.label.setText(self.tr("Restore drill running…"))
        else:
            text = self.tr("Last backup: %1 · last restore drill: %2").replace(
                "%1", describe_time(st.last_backup, now)
            )
            text = text.replace("%2", describe_time(st.last_drill, now))
            if not st.destinations:
                text += self.tr(" · no backup folder set (Practice settings)")
            self.label.setText(text)
        self.banner.setVisible(st.warning is not None)
        self.banner_label.setText(st.warning or "")
        self.progress.setVisible(self.running is not None)
        self._update_actions()

    def _update_actions(self) -> None:
        ready = self.practice is not None and self.running is None
        self.back_up_action.setEnabled(ready)
        self.drill_action.setEnabled(ready)
        self.banner_button.setEnabled(ready)

    # -- automatic backup --------------------------------------------------------------------------

    def on_unlocked(self) -> bool:
        """Call after each sign-in/unlock; starts the day's automatic backup if one is due.

        Returns:
            Whether a backup was started.
        """
        from stagewise.core.storage import backup_schedule

        if self.practice is None:
            return False
        self.refresh()
        st = self.status
        now = self.clock()
        if st is None or not st.destinations or self.running is not None or self._auto_tried == now.date():
            return False
        if not backup_schedule.backup_due(st.last_backup, now, st.settings.schedule):
            return False
        self._auto_tried = now.date()  # one automatic attempt a day; "Back up now" is always there
        log.info("automatic backup due; starting it")
        self._start_backup(actor=None)
        return True

    def back_up_now(self) -> bool:
        """Back up to every configured folder now (the action and the banner button)."""
        if self.practice is None or self.running is not None:
            return False
        self.refresh()
        if self.status is None or not self.status.destinations:
            self.messages.info(
                self,
                self.tr("No backup folder"),
                self.tr(
                    "No backup folder is set. Choose one (an external drive or a synced folder) in "
                    "Practice settings, then back up."
                ),
            )
            return False
        self._start_backup(actor=self.actor)
        return True

    def _start_backup(self, *, actor: str | None) -> None:
        from stagewise.core.storage import backup_schedule

        assert self.status is not None
        practice, folders, policy = self.practice, self.status.destinations, self.status.settings
        now = self.clock()

        def work() -> list[backup_schedule.BackupOutcome]:
            return backup_schedule.run_scheduled_backup(practice, folders, now, policy, actor=actor)

        self.running = "backup"
        self._show_status(now)
        self.ops.run(work, on_done=self._backup_done, on_failed=self._backup_error, name="backup")

    def _backup_done(self, outcomes: Sequence[Any]) -> None:
        self._finished()
        self.last_outcomes = list(outcomes)
        failed = [o for o in outcomes if not o.ok]
        if failed:
            lines = "\n".join(f"• {o.destination}: {o.message}" for o in failed)
            self.messages.error(
                self,
                self.tr("Backup failed"),
                self.tr("The backup could not be written to %n folder(s):", "", len(failed)) + "\n" + lines,
            )
        self.refresh()
        self.backup_finished.emit(list(outcomes))

    def _backup_error(self, exc: BaseException) -> None:
        self._finished()
        log.warning("backup did not run: %s", type(exc).__name__)
        self.messages.error(self, self.tr("Backup failed"), str(exc))
        self.refresh()
        self.backup_failed.emit(exc)

    # -- restore drill -----------------------------------------------------------------------------

    def newest_backup(self) -> Path | None:
        from stagewise.core.storage import backup_schedule

        if self.status is None:
            return None
        found: dict[Path, dt.datetime] = {}
        for folder in self.status.destinations:
            found.update(backup_schedule.backups_in(folder))
        return max(found, key=lambda p: found[p]) if found else None

    def run_drill(self, backup_path: Path | None = None) -> bool:
        """Restore-test ``backup_path`` (default: the newest backup in the folders) off the UI thread."""
        from stagewise.core.storage import backup

        if self.practice is None or self.running is not None:
            return False
        self.refresh()
        target = backup_path or self.newest_backup()
        if target is None:
            self.messages.info(
                self,
                self.tr("No backup to test"),
                self.tr("There is no backup in the backup folders yet. Back up first, then run the drill."),
            )
            self.drill_finished.emit(None)
            return False
        practice = self.practice

        def work() -> backup.DrillReport:
            return backup.drill(practice, target)

        self.running = "drill"
        self._show_status(self.clock())
        self.ops.run(work, on_done=self._drill_done, on_failed=self._drill_error, name="drill")
        return True

    def _drill_done(self, report: Any) -> None:
        self._finished()
        self.last_drill_report = report
        self.refresh()
        st = self.status
        when = describe_time(st.last_drill if st else None, self.clock())
        detail = report.message
        if report.ok:
            counts = report.backup_counts
            detail = (
                self.tr(
                    "The backup %1 was restored into a temporary folder, opened and checked: it is "
                    "complete and readable. It holds %2 clients and %3 notes."
                )
                .replace("%1", report.backup.name)
                .replace("%2", str(counts.get("client", 0)))
                .replace("%3", str(counts.get("note", 0)))
            )
            detail += "\n\n" + self.tr("Last successful drill: %1.").replace("%1", when)
            self.messages.info(self, self.tr("Restore drill passed"), detail)
        else:
            extra = "\n".join(f"• {p}" for p in report.problems[1:6])
            detail += ("\n" + extra if extra else "") + "\n\n"
            detail += self.tr("Last successful drill: %1.").replace("%1", when)
            self.messages.error(self, self.tr("Restore drill failed"), detail)
        self.drill_finished.emit(report)

    def _drill_error(self, exc: BaseException) -> None:
        self._finished()
        self.messages.error(self, self.tr("Restore drill failed"), str(exc))
        self.refresh()
        self.drill_finished.emit(None)
