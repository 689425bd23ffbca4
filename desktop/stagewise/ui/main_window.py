"""The main window: the locked sign-in screen, or the client registry once someone has signed in.

It owns the session state (``AppContext``), the ``LockManager`` and every window that shows client data
(chart windows, the audit log, the practice-wide windows), so that locking can close them all and then
close the database.

This module holds the window itself: its actions and menus, unlocking and signing in, locking, the client
list and due list, and chart windows.  Two mixins hold the rest:

* :mod:`stagewise.ui.clients.client_actions` — new, edit, discharge and reactivate a client;
* :mod:`stagewise.ui.practice.practice_windows` — the audit log, dashboard, note search, settings, users…
  windows.

Start-up time (issue #8): importing this module (and the mixins) must not import SQLAlchemy, pydantic,
reportlab, pypdfium2 or alembic, nor the chart, dialog, audit, dashboard, report or notes windows; they
are imported inside the methods that first need them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QMainWindow,
    QStackedWidget,
    QWidget,
)
from shiboken6 import Shiboken

from stagewise.core.errors import AuthenticationError, StagewiseError, WrongKeyError
from stagewise.ui import labels
from stagewise.ui.administrations.due_view import DueView
from stagewise.ui.clients.client_actions import ClientActions
from stagewise.ui.clients.client_list import ListQuery
from stagewise.ui.context import AppContext
from stagewise.ui.dialogs import Messages
from stagewise.ui.lock import LockManager
from stagewise.ui.practice.backup_status import BackupStatus
from stagewise.ui.practice.practice_windows import PracticeWindows
from stagewise.ui.signin import SignInScreen
from stagewise.ui.unlock_flow import UnlockFlow
from stagewise.ui.workers import OpRunner
from stagewise.ui.workspace import Workspace
from stagewise.ui.write_wait import WriteWaitNotice

if TYPE_CHECKING:  # loaded on first use: the main window must show before SQLAlchemy is imported
    from stagewise.ui.audit.audit_view import AuditWindow
    from stagewise.ui.clients.chart_window import ChartWindow
    from stagewise.ui.clients.client_dialog import ClientDialog

log = logging.getLogger(__name__)


class MainWindow(UnlockFlow, ClientActions, PracticeWindows, QMainWindow):
    signed_in = Signal()  # a user signed in and the client list shows
    key_ready = Signal()  # the practice key is at hand; the user sign-in step shows
    busy_changed = Signal(bool)

    def __init__(
        self,
        ctx: AppContext,
        *,
        lock_manager: LockManager | None = None,
        idle_ms: int | None = None,
        messages: Messages | None = None,
        search_delay_ms: int = 150,
        integrity_check: bool = True,
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.ctx = ctx
        self.messages = messages or Messages(no_dialogs=ctx.no_dialogs)
        ctx.messages = self.messages  # where ui/ops.py shows an operation's error
        self.ops = OpRunner(self)
        self.lock_manager = lock_manager or LockManager(self, idle_ms=idle_ms or 10 * 60_000)
        self._idle_fixed = idle_ms is not None
        self._integrity_check = integrity_check
        self._integrity_done = False
        self._prewarmed = False
        self.chart_windows: dict[int, ChartWindow] = {}
        # Later issues fill a chart's tabs: each factory gets (chart window, context, op runner) when a
        # chart opens and mounts its widget, e.g. ``chart.assessments_tab.mount(AssessmentsTab(...))``.
        self.chart_tab_factories: list[Callable[[ChartWindow, AppContext, OpRunner], None]] = []
        self.audit_window: AuditWindow | None = None
        # Practice-wide windows that show client data (dashboard, note search, to-do, reports…), by name;
        # each is closed when the app locks.
        self.tool_windows: dict[str, QWidget] = {}
        self.recovery_dialog: QDialog | None = None
        self.client_dialog: ClientDialog | None = None
        self._last_username = ""
        self.busy = False

        self.sign_in = SignInScreen()
        self.workspace = Workspace(search_delay_ms=search_delay_ms)
        self.client_list = self.workspace.clients
        # Filled by refresh_due; a read that finishes after a lock (which clears the view) is dropped.
        self.due_view = DueView(ctx, self.ops)
        self.workspace.add_view(self.due_view, self.tr("&Due this week"))
        self.backup_status = BackupStatus(self.ops, messages=self.messages, parent=self)
        self.workspace.add_footer(self.backup_status)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.sign_in)
        self.stack.addWidget(self.workspace)
        self.setCentralWidget(self.stack)
        self.resize(1180, 720)
        self.setMinimumSize(900, 560)

        self._build_actions()
        self.sign_in.unlock_requested.connect(self._unlock_requested)
        self.sign_in.sign_in_requested.connect(self._sign_in_requested)
        self.workspace.lock_button.clicked.connect(lambda: self.lock())
        self.client_list.open_requested.connect(self.open_chart)
        self.client_list.new_requested.connect(self.new_client)
        self.client_list.edit_requested.connect(self.edit_client)
        self.client_list.discharge_requested.connect(self.discharge_client)
        self.client_list.reactivate_requested.connect(self.reactivate_client)
        self.client_list.selection_changed.connect(self._update_actions)
        self.due_view.open_client.connect(self.open_chart)
        self.ctx.changes.changed.connect(self._client_changes)
        self.workspace.views.currentChanged.connect(self._view_changed)
        self.lock_manager.idle_timeout.connect(lambda: self.lock())
        self.lock_manager.install()
        self.write_wait = WriteWaitNotice(self.statusBar(), self)  # writes waiting for another writer
        self._show_locked()

    # -- actions and menus ------------------------------------------------------------------------

    def _action(
        self, text: str, slot: Any, shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.lock_action = self._action(self.tr("&Lock"), lambda: self.lock(), "Ctrl+L")
        self.lock_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.quit_action = self._action(self.tr("&Quit"), self.close, QKeySequence.StandardKey.Quit)
        self.new_action = self._action(self.tr("&New client…"), self.new_client, QKeySequence.StandardKey.New)
        self.open_action = self._action(self.tr("&Open chart"), self._open_selected)
        self.edit_action = self._action(self.tr("&Edit client…"), self._edit_selected, "Ctrl+E")
        self.discharge_action = self._action(self.tr("&Discharge…"), self._discharge_selected)
        self.reactivate_action = self._action(self.tr("&Reactivate…"), self._reactivate_selected)
        self.find_action = self._action(self.tr("&Find client"), self.client_list.focus_search)
        self.find_action.setShortcut(QKeySequence.StandardKey.Find)
        self.audit_action = self._action(self.tr("&Audit log…"), self.show_audit_log)
        self.about_action = self._action(self.tr("&About Stagewise"), self._about)
        self.dashboard_action = self._action(self.tr("Practice &dashboard…"), self.show_dashboard)
        self.practice_report_action = self._action(self.tr("Practice &report…"), self.show_practice_report)
        self.blank_form_action = self._action(self.tr("Print &blank form…"), self.show_blank_forms)
        self.search_notes_action = self._action(
            self.tr("&Search notes…"), self.show_note_search, "Ctrl+Shift+F"
        )
        self.todo_action = self._action(self.tr("Notes to &finish…"), self.show_todo)
        self.settings_action = self._action(self.tr("Practice se&ttings…"), self.show_settings)
        self.users_action = self._action(self.tr("&Users…"), self.show_users)
        self.licences_action = self._action(self.tr("Questionnaire &licences…"), self.show_licences)
        self.back_up_action = self.backup_status.back_up_action
        self.drill_action = self.backup_status.drill_action

        bar = self.menuBar()
        practice = bar.addMenu(self.tr("&Practice"))
        for a in (self.dashboard_action, self.practice_report_action, self.blank_form_action):
            practice.addAction(a)
        practice.addSeparator()
        practice.addAction(self.back_up_action)
        practice.addAction(self.drill_action)
        practice.addSeparator()
        for a in (self.settings_action, self.users_action, self.audit_action):
            practice.addAction(a)
        practice.addSeparator()
        practice.addAction(self.lock_action)
        practice.addAction(self.quit_action)
        clients = bar.addMenu(self.tr("&Clients"))
        for a in (self.new_action, self.open_action, self.edit_action, self.find_action):
            clients.addAction(a)
        clients.addSeparator()
        clients.addAction(self.discharge_action)
        clients.addAction(self.reactivate_action)
        self.notes_menu = bar.addMenu(self.tr("&Notes"))
        self.notes_menu.addAction(self.search_notes_action)
        self.notes_menu.addAction(self.todo_action)
        help_menu = bar.addMenu(self.tr("&Help"))
        help_menu.addAction(self.licences_action)
        help_menu.addAction(self.about_action)

    @property
    def is_signed_in(self) -> bool:
        return self.ctx.user is not None and self.ctx.practice is not None

    @property
    def is_clinical(self) -> bool:
        """Signed in as a clinician or supervisor: charts, notes, results and reports are offered."""
        return self.is_signed_in and self.ctx.user is not None and self.ctx.user.is_clinical

    @property
    def is_locked(self) -> bool:
        return self.stack.currentWidget() is self.sign_in

    def _update_actions(self) -> None:
        open_ = self.ctx.practice is not None and not self.is_locked
        writer = self.is_signed_in
        row = self.client_list.current_row()
        for a in (self.new_action,):
            a.setEnabled(writer)
        clinical = self.is_clinical
        self.open_action.setEnabled(clinical and row is not None)
        self.open_action.setVisible(self.ctx.user is None or self.ctx.user.is_clinical)
        self.edit_action.setEnabled(writer and row is not None)
        self.discharge_action.setEnabled(writer and row is not None and row.status == "active")
        self.reactivate_action.setEnabled(writer and row is not None and row.status == "discharged")
        self.find_action.setEnabled(open_)
        self.lock_action.setEnabled(open_)
        admin = writer and self.ctx.user is not None and self.ctx.user.is_admin
        for a in (self.audit_action, self.settings_action, self.users_action):
            a.setEnabled(admin)
            a.setVisible(self.ctx.user is None or self.ctx.user.is_admin)
        # Clinical content is not offered to an administrator-only account (the core refuses it too).
        for a in (
            self.dashboard_action,
            self.practice_report_action,
            self.search_notes_action,
            self.todo_action,
        ):
            a.setEnabled(clinical)
            a.setVisible(self.ctx.user is None or self.ctx.user.is_clinical)
        self.blank_form_action.setEnabled(writer)
        self.client_list.new_button.setEnabled(writer)
        offered = self.ctx.user is None or self.ctx.user.is_clinical
        self.client_list.open_button.setVisible(offered)
        self.notes_menu.menuAction().setVisible(offered)

    @property
    def is_demo(self) -> bool:
        return self.ctx.practice_path == self.ctx.paths.demo_practice

    def _update_title(self) -> None:
        name = self.ctx.practice_name
        demo = self.tr(" (DEMO)") if self.is_demo else ""
        if self.is_locked:
            self.setWindowTitle(self.tr("Stagewise — locked") + demo)
            return
        if (name or "").upper().startswith("DEMO"):
            demo = ""  # a demo practice is named "DEMO …": say it once (a renamed demo still says it)
        self.setWindowTitle(f"{name}{demo} — Stagewise" if name else f"Stagewise{demo}")

    # -- unlocking and signing in -----------------------------------------------------------------

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self.busy = busy
        self.sign_in.set_busy(busy, text)
        self.busy_changed.emit(busy)

    def _show_demo_hint(self) -> None:
        """A demo practice says so, with its documented password, on the locked screen."""
        if not self.is_demo:
            return
        from stagewise.core.demo import DEMO_PASSWORD

        self.statusBar().showMessage(
            self.tr("DEMO practice: every record is invented. The demo users' password is %s") % DEMO_PASSWORD
        )

    def _sign_in_requested(self, username: str, password: str) -> None:
        key = self.ctx.key
        if key is None:
            self.sign_in.show_key_step()
            return
        path = self.ctx.practice_path

        def work() -> Any:
            from stagewise.core import users
            from stagewise.core.storage import store

            practice = store.open_practice(path, key)  # the practice is not the context's until signed in
            try:
                with practice.session_factory.begin() as s:
                    done = users.sign_in(s, username, password)
            except BaseException:
                practice.close()
                raise
            return practice, done.value.user, done.value.settings

        self._last_username = username
        self._set_busy(True, self.tr("Signing in…"))
        self.ops.run(work, on_done=self._signed_in, on_failed=self._sign_in_failed, name="sign-in")

    def _sign_in_failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        if isinstance(exc, WrongKeyError):
            self.ctx.key = None
            self.sign_in.show_key_step(str(exc))
        elif isinstance(exc, AuthenticationError):
            log.info("sign-in refused")
            self.sign_in.show_user_step(message=str(exc))
        elif isinstance(exc, StagewiseError):
            self.sign_in.show_user_step(message=str(exc))
        else:
            raise exc

    def _signed_in(self, result: tuple[Any, Any, Any]) -> None:
        practice, user, prefs = result
        self._set_busy(False)
        self.sign_in.clear_secrets()
        self.ctx.practice = practice
        self.ctx.user = user
        self.ctx.practice_name = prefs.practice_name
        self.ctx.idle_lock_minutes = prefs.idle_lock_minutes
        if not self._idle_fixed:
            self.lock_manager.set_idle_minutes(prefs.idle_lock_minutes)
        log.info("user %s signed in", user.id)
        self.workspace.user_label.setText(
            self.tr("%(name)s · %(roles)s")
            .replace("%(name)s", user.display_name)
            .replace("%(roles)s", labels.roles(user.roles))
        )
        self._show_workspace()
        self.lock_manager.arm()
        self.lock_manager.unlocked.emit()
        if not self.is_demo:  # invented records need no backups (and no "never backed up" banner)
            self.backup_status.attach(practice, user.username)
            self.backup_status.on_unlocked()
        self.refresh_due()
        self.signed_in.emit()
        self._start_integrity_check()
        self.offer_recovered_drafts()

    def adopt_new_practice(self, made: Any) -> None:
        """After the first-run wizard: the new practice's key is at hand; ask its first user to sign in."""
        self.ctx.practice_path = made.path
        self.ctx.key = made.key
        self.ctx.practice_name = made.practice_name
        self._last_username = made.username
        self.start()

    def open_technical(self, practice: Any, practice_name: str) -> None:
        """Show the client list of an open practice without a user (the ``--smoke-test`` check only)."""
        self.ctx.practice = practice
        self.ctx.technical = True
        self.ctx.practice_name = practice_name
        self.workspace.user_label.setText(self.tr("Technical check (read-only)"))
        self._show_workspace()

    def open_first_screen(self, first: Any) -> None:
        """Show the client list read before the ORM loaded (``core.first_screen``; technical check only).

        Later pages and searches read through the same plain connection until :meth:`open_technical`
        hands over the full practice.
        """
        conn = first.connection

        def fetch(q: ListQuery, limit: int, offset: int) -> list[Any]:
            return _list_page(conn, q, limit, offset)

        self.ctx.technical = True
        self.ctx.practice_name = first.practice_name
        self.workspace.user_label.setText(self.tr("Technical check (read-only)"))
        self._show_workspace(fetch, first_page=first.first_page)

    def _show_workspace(self, fetch: Any = None, *, first_page: list[Any] | None = None) -> None:
        if self.is_demo:
            self.statusBar().showMessage(self.tr("DEMO practice: every record is invented."))
        self.workspace.practice_label.setText(self.ctx.practice_name)
        self.stack.setCurrentWidget(self.workspace)
        self.client_list.set_fetcher(fetch or self._fetch_clients, first_page=first_page)
        self.client_list.focus_search()
        self._update_title()
        self._update_actions()

    def _show_locked(self) -> None:
        self.stack.setCurrentWidget(self.sign_in)
        self.sign_in.set_practice(self.ctx.practice_name, self.ctx.practice_path.name)
        self._update_title()
        self._update_actions()
        self._show_demo_hint()

    def _start_integrity_check(self) -> None:
        practice = self.ctx.practice
        if practice is None or self._integrity_done or not self._integrity_check:
            return
        self._integrity_done = True
        engine = practice.engine

        def work() -> list[str]:
            from stagewise.core.storage import store

            return store.integrity_problems(engine)

        self.ops.run(work, on_done=self._integrity_result, on_failed=self._integrity_failed, name="integrity")

    def _integrity_result(self, problems: list[str]) -> None:
        if not problems:
            log.info("integrity check passed")
            self.statusBar().showMessage(self.tr("Practice file checked: no damage found."), 8000)
            return
        log.warning("integrity check found %d problem(s)", len(problems))
        self.messages.error(
            self,
            self.tr("The practice file may be damaged"),
            self.tr(
                "The check of the practice file found a problem (%s). Keep working only if you must, make a "
                "backup, and restore the latest good backup soon (stagewise restore)."
            )
            % problems[0],
        )

    def _integrity_failed(self, exc: BaseException) -> None:
        # The practice was locked (closed) while the check ran; it runs again next time.
        log.info("integrity check did not finish: %s", type(exc).__name__)
        self._integrity_done = False

    # -- locking ----------------------------------------------------------------------------------

    def lock(self, *, reason: str = "lock") -> None:
        """Close every window with client data, close the database and show the sign-in screen.

        ``reason`` is the audit action: ``lock`` (Ctrl+L, idle) or ``sign_out`` (quitting).
        """
        if self.ctx.practice is None and self.is_locked:
            return
        log.info("locking")
        # Drafts are saved here, while the database is still open.
        self.lock_manager.locking.emit()
        for chart in list(self.chart_windows.values()):
            chart.locking.emit()
        for tool in list(self.tool_windows.values()):
            save_now = getattr(tool, "save_now", None)
            if save_now is not None:
                save_now()
        self._clear_client_data()
        practice, user = self.ctx.practice, self.ctx.user
        if practice is not None and user is not None:
            try:
                from stagewise.core.users import sign_out
                from stagewise.ui.ops import perform

                perform(self.ctx, lambda s: sign_out(s, user, reason=reason))
            except Exception:
                log.exception("could not record the lock event")
        if practice is not None:
            if self.backup_status.practice is practice:
                self.backup_status.detach(close=True)  # waits for a running backup before closing
            else:
                practice.close()
        self.ctx.practice = None
        self.ctx.user = None
        self.ctx.technical = False
        self.lock_manager.disarm()
        self.workspace.user_label.clear()
        self._show_locked()
        if self.ctx.key is not None:
            self.sign_in.show_user_step(self._last_username)
        else:
            self.sign_in.show_key_step()
        self.lock_manager.locked.emit()

    def _clear_client_data(self) -> None:
        self.lock_manager.clear.emit()
        # A question still open (e.g. "Discharge <name>?") may name a client: answer it "no" and close it.
        for _ in range(10):
            modal = QApplication.activeModalWidget()
            if modal is None or modal is self:
                break
            if isinstance(modal, QDialog):
                modal.reject()
            modal.close()
        dialog, self.client_dialog = self.client_dialog, None
        if dialog is not None:
            dialog.reject()  # what was typed goes with it: it may name a client
            dialog.deleteLater()
        for window in list(self.chart_windows.values()):
            window.clear()
            window.close()
        self.chart_windows.clear()
        if self.audit_window is not None:
            self.audit_window.close()
            self.audit_window = None
        recovery, self.recovery_dialog = self.recovery_dialog, None
        if recovery is not None and Shiboken.isValid(recovery):
            recovery.reject()
        for tool in list(self.tool_windows.values()):
            tool.close()
        self.tool_windows.clear()
        self.due_view.clear()
        self.workspace.show_clients()
        from stagewise.ui.reports.pdf_preview import clear_private_copies

        clear_private_copies(self.ctx.paths)
        self.messages.close_all()
        self.client_list.clear()
        self.statusBar().clearMessage()

    # -- client list ------------------------------------------------------------------------------

    def refresh_due(self) -> None:
        """Read what is due this week off the UI thread and show it.

        The due view drops a read that finishes after it was cleared (the app locked meanwhile).
        """
        if self.ctx.practice is None or not self.is_signed_in:
            return
        self.due_view.refresh()

    def _view_changed(self, _index: int) -> None:
        # Questionnaires given since sign-in change what is due: read it again whenever it is shown.
        if self.workspace.views.currentWidget() is self.due_view and self.is_signed_in:
            self.refresh_due()

    def _fetch_clients(self, q: ListQuery, limit: int, offset: int) -> list[Any]:
        practice = self.ctx.practice
        if practice is None:
            return []
        with practice.session_factory() as s:
            return _list_page(s, q, limit, offset)

    def _open_selected(self) -> None:
        cid = self.client_list.current_client_id()
        if cid is not None:
            self.open_chart(cid)

    # -- charts -----------------------------------------------------------------------------------

    def open_chart(self, client_id: int) -> ChartWindow | None:
        if not self.is_signed_in or self.is_locked:
            return None
        if not self.is_clinical:
            from stagewise.core.users import CLINICAL_ONLY

            self.messages.info(self, self.tr("Open chart"), CLINICAL_ONLY)
            return None
        window = self.chart_windows.get(client_id)
        if window is not None:
            window.show()
            window.raise_()
            window.activateWindow()
            return window
        from stagewise.core.clients import records as clients

        actor = self.ctx.actor
        info = self._run(self.tr("Open chart"), lambda s: clients.get_client(s, client_id, actor=actor))
        if info is None:
            return None
        from stagewise.ui.clients.chart_window import ChartWindow

        window = ChartWindow(info, practice_name=self.ctx.practice_name, parent=self)
        for factory in self.chart_tab_factories:
            factory(window, self.ctx, self.ops)
        window.closed.connect(self._chart_closed)
        window.edit_requested.connect(self.edit_client)
        self.chart_windows[client_id] = window
        window.show()
        window.activateWindow()
        return window

    def _chart_closed(self, client_id: int) -> None:
        self.chart_windows.pop(client_id, None)

    # -- shutdown ---------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Close client windows and the database (quitting)."""
        if self.ctx.practice is not None:
            self.lock(reason="sign_out")
        self.ops.wait(30000)
        self.lock_manager.uninstall()
        self.write_wait.stop()
        self.ctx.key = None

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
        app = QApplication.instance()
        if app is not None:
            for w in QApplication.topLevelWidgets():
                charts_and_audit = (*self.chart_windows.values(), self.audit_window)
                if w in charts_and_audit or w in self.tool_windows.values():
                    w.close()


def _list_page(db: Any, q: ListQuery, limit: int, offset: int) -> list[Any]:
    """One page of the client list for ``q``, through a session or a plain connection."""
    from stagewise.core.clients.listing import list_clients

    return list_clients(
        db, query=q.query, status=q.status, sort=q.sort, descending=q.descending, limit=limit, offset=offset
    )
