"""The main window's practice-wide windows: the audit log, dashboard, note search, notes to finish,
recovered drafts, practice report, blank forms, settings, users, licences and About.

:class:`PracticeWindows` is a mixin of :class:`stagewise.ui.main_window.MainWindow` (it is no window of
its own).  Each window it opens shows practice data, so it is kept where the main window can close it when
the app locks: ``audit_window``, ``recovery_dialog`` and, by name, ``tool_windows`` (see ``_tool``).

It expects the window to provide the attributes and methods declared in the class body: the session
state ``ctx``, the ``ops`` runner, ``messages``, the ``lock_manager`` (and ``_idle_fixed``: the idle time
was given on the command line), the ``workspace`` and its ``backup_status`` footer, ``is_signed_in``/
``is_locked``, ``open_chart`` (notes open in their client's chart), ``refresh_due`` and ``_update_title``.

Nothing heavy is imported here: every window's module (SQLAlchemy, reportlab, pypdfium2…) loads inside
the method that opens it (start-up time, issue #8).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDialog, QMainWindow, QWidget

    from stagewise.ui.audit.audit_view import AuditWindow
    from stagewise.ui.clients.chart_window import ChartWindow
    from stagewise.ui.context import AppContext
    from stagewise.ui.dialogs import Messages
    from stagewise.ui.lock import LockManager
    from stagewise.ui.practice.backup_status import BackupStatus
    from stagewise.ui.workers import OpRunner
    from stagewise.ui.workspace import Workspace

    _Window = QMainWindow  # type-checking only: at run time the mixin derives from object
else:
    _Window = object


class PracticeWindows(_Window):
    """Practice-wide windows of the main window (a mixin; see the module docstring)."""

    # Provided by the main window.
    ctx: AppContext
    ops: OpRunner
    messages: Messages
    lock_manager: LockManager
    _idle_fixed: bool
    workspace: Workspace
    backup_status: BackupStatus
    audit_window: AuditWindow | None
    tool_windows: dict[str, QWidget]
    recovery_dialog: QDialog | None

    if TYPE_CHECKING:

        @property
        def is_signed_in(self) -> bool: ...

        @property
        def is_locked(self) -> bool: ...

        def open_chart(self, client_id: int) -> ChartWindow | None: ...

        def refresh_due(self) -> None: ...

        def _update_title(self) -> None: ...

    # -- admin ------------------------------------------------------------------------------------

    def show_audit_log(self) -> AuditWindow | None:
        user, practice = self.ctx.user, self.ctx.practice
        if user is None or practice is None or not user.is_admin:
            return None
        if self.audit_window is None:
            from stagewise.ui.audit.audit_view import AuditWindow

            self.audit_window = AuditWindow(
                practice.session_factory, practice_name=self.ctx.practice_name, parent=self
            )
            self.audit_window.closed.connect(self._audit_closed)
        self.audit_window.show()
        self.audit_window.raise_()
        self.audit_window.activateWindow()
        return self.audit_window

    def _audit_closed(self) -> None:
        self.audit_window = None

    # -- practice-wide windows --------------------------------------------------------------------

    def _tool(self, name: str, make: Callable[[], QWidget], *, signed_in: bool = True) -> QWidget | None:
        """Show the practice-wide window ``name`` (made by ``make`` the first time); it closes on lock.

        Each such window has a ``closed`` signal.
        """
        if signed_in and (not self.is_signed_in or self.is_locked):
            return None
        window = self.tool_windows.get(name)
        if window is None:
            window = make()
            self.tool_windows[name] = window
            window.closed.connect(lambda n=name, w=window: self._tool_closed(n, w))  # type: ignore[attr-defined]
        window.show()
        window.raise_()
        window.activateWindow()
        return window

    def _tool_closed(self, name: str, window: QWidget) -> None:
        if self.tool_windows.get(name) is window:
            del self.tool_windows[name]

    def show_dashboard(self) -> QWidget | None:
        from stagewise.ui.stages.dashboard import DashboardWindow

        return self._tool("dashboard", lambda: DashboardWindow(self.ctx, runner=self.ops, parent=self))

    def open_note(self, client_id: int, note_id: int) -> None:
        """Open a note in its client's chart (search, to-do and recovered drafts open notes this way)."""
        chart = self.open_chart(client_id)
        if chart is None or chart.notes is None:
            return
        chart.tabs.setCurrentWidget(chart.notes_tab)
        chart.notes.open_note(note_id)

    def show_note_search(self) -> QWidget | None:
        from stagewise.ui.notes.search import SearchWindow

        return self._tool("search", lambda: SearchWindow(self.ctx, opener=self.open_note, parent=self))

    def show_todo(self) -> QWidget | None:
        from stagewise.ui.notes.todo_view import TodoView

        return self._tool("todo", lambda: TodoView(self.ctx, opener=self.open_note, parent=self))

    def offer_recovered_drafts(self) -> QDialog | None:
        """After sign-in: the user's unsigned drafts, if any, offered to open (non-modal)."""
        if not self.is_signed_in or self.ctx.technical:
            return None
        from stagewise.ui.notes.recovery import offer_recovered_drafts

        dialog = offer_recovered_drafts(self.ctx, self, self.open_note)
        if dialog is not None:
            dialog.finished.connect(lambda _r, d=dialog: self._recovery_done(d))
        self.recovery_dialog = dialog
        return dialog

    def _recovery_done(self, dialog: QDialog) -> None:
        if self.recovery_dialog is dialog:
            self.recovery_dialog = None

    def show_practice_report(self) -> QWidget | None:
        from stagewise.ui.reports.reports_tab import PracticeReportWindow

        return self._tool("practice report", lambda: PracticeReportWindow(self.ctx, self.ops, parent=self))

    def show_blank_forms(self) -> QWidget | None:
        from stagewise.ui.reports.reports_tab import BlankFormWindow

        return self._tool("blank forms", lambda: BlankFormWindow(self.ctx, self.ops, parent=self))

    def show_settings(self) -> QWidget | None:
        if self.ctx.user is None or not self.ctx.user.is_admin:
            return None
        from stagewise.ui.practice.settings_dialog import SettingsWindow

        def make() -> QWidget:
            window = SettingsWindow(self.ctx, parent=self)
            window.saved.connect(self._settings_saved)
            return window

        return self._tool("settings", make)

    def _settings_saved(self, prefs: Any) -> None:
        self.ctx.practice_name = prefs.practice_name
        self.ctx.idle_lock_minutes = prefs.idle_lock_minutes
        if not self._idle_fixed:
            self.lock_manager.set_idle_minutes(prefs.idle_lock_minutes)
        self.workspace.practice_label.setText(prefs.practice_name)
        self._update_title()
        self.backup_status.refresh()
        self.refresh_due()

    def show_users(self) -> QWidget | None:
        if self.ctx.user is None or not self.ctx.user.is_admin:
            return None
        from stagewise.ui.practice.users_dialog import UsersWindow

        return self._tool("users", lambda: UsersWindow(self.ctx, parent=self))

    def show_licences(self) -> QWidget | None:
        from stagewise.ui.instruments.licences import LicenceWindow

        return self._tool("licences", lambda: LicenceWindow(self.ctx.paths, parent=self), signed_in=False)

    def _about(self) -> None:
        from stagewise import __version__

        self.messages.info(
            self,
            self.tr("About Stagewise"),
            self.tr(
                "Stagewise %s\nStage-of-change questionnaires, interventions and notes, "
                "in one encrypted file."
            )
            % __version__,
        )
