"""The main window's client actions: new, edit, discharge and reactivate a client.

:class:`ClientActions` is a mixin of :class:`stagewise.ui.main_window.MainWindow` (it is no window of its
own).  It holds the slots behind the Clients menu and the client list's buttons, the client dialog's save
callbacks, ``_run`` (an operation through the one runner, ``ui/ops.py``), which opening a chart uses too,
and ``_client_changes``, which refreshes the list and open charts whenever an operation changed a client.

It expects the window to provide the attributes and methods declared in the class body: the session
state ``ctx``, ``messages``, the ``client_list`` panel, the open ``chart_windows``, the ``client_dialog``
slot (one client dialog at a time; the window rejects it on lock) and ``is_signed_in``/``is_locked``.

Nothing heavy is imported here: the core and the client dialog (SQLAlchemy, pydantic) load inside the
methods, when first used (start-up time, issue #8).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from stagewise.ui.dialogs import Confirm

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMainWindow

    from stagewise.core.changes import OpChanges
    from stagewise.core.clients.edits import ClientForm
    from stagewise.ui.clients.chart_window import ChartWindow
    from stagewise.ui.clients.client_dialog import ClientDialog
    from stagewise.ui.clients.client_list import ClientListPanel
    from stagewise.ui.context import AppContext
    from stagewise.ui.dialogs import Messages

    _Window = QMainWindow  # type-checking only: at run time the mixin derives from object
else:
    _Window = object

log = logging.getLogger(__name__)


class ClientActions(_Window):
    """Client actions of the main window (a mixin; see the module docstring)."""

    # Provided by the main window.
    ctx: AppContext
    messages: Messages
    client_list: ClientListPanel
    chart_windows: dict[int, ChartWindow]
    client_dialog: ClientDialog | None

    if TYPE_CHECKING:

        @property
        def is_signed_in(self) -> bool: ...

        @property
        def is_locked(self) -> bool: ...

    # -- the selected client (Clients menu) -------------------------------------------------------

    def _edit_selected(self) -> None:
        cid = self.client_list.current_client_id()
        if cid is not None:
            self.edit_client(cid)

    def _discharge_selected(self) -> None:
        cid = self.client_list.current_client_id()
        if cid is not None:
            self.discharge_client(cid)

    def _reactivate_selected(self) -> None:
        cid = self.client_list.current_client_id()
        if cid is not None:
            self.reactivate_client(cid)

    # -- one action, one operation ---------------------------------------------------------------

    def _run(self, title: str, fn: Any) -> Any | None:
        """Run ``fn(session)`` through the one runner (``ui/ops.py``); errors become one message."""
        if self.ctx.practice is None or self.ctx.user is None:
            return None
        from stagewise.ui.ops import run_op

        return run_op(self.ctx, fn, parent=self, title=title)

    def _client_changes(self, changes: OpChanges, _source: object = None) -> None:
        """Refresh the client list and the open charts whose client changed (``ctx.changes``)."""
        if not changes.clients or self.ctx.practice is None or not self.is_signed_in:
            return
        self.client_list.refresh()
        ids = changes.client_ids or frozenset(self.chart_windows)
        touched = [cid for cid in ids if cid in self.chart_windows]
        if not touched:
            return
        from stagewise.core.clients import records as clients

        with self.ctx.practice.session_factory() as s:  # a read: the chart header, no audit view
            fresh = {cid: clients.get_client(s, cid, actor=None, record_view=False) for cid in touched}
        for cid, info in fresh.items():
            self.chart_windows[cid].set_client(info)

    # -- clients ----------------------------------------------------------------------------------

    def new_client(self) -> None:
        if not self.is_signed_in or self.is_locked:
            return
        if self.client_dialog is not None and self.client_dialog.isVisible():
            self.client_dialog.activateWindow()
            return
        from stagewise.ui.clients.client_dialog import ClientDialog

        dialog = ClientDialog(self._save_new_client, parent=self)
        dialog.saved.connect(self._client_saved)
        dialog.finished.connect(lambda _r: self._dialog_done(dialog))
        self.client_dialog = dialog
        dialog.open()

    def _dialog_done(self, dialog: ClientDialog) -> None:
        if self.client_dialog is dialog:
            self.client_dialog = None
        dialog.deleteLater()

    def _save_new_client(self, form: ClientForm) -> Any:
        user = self.ctx.user
        assert user is not None
        from stagewise.core.clients.edits import create_client_from
        from stagewise.ui.ops import perform

        return perform(self.ctx, lambda s: create_client_from(s, form, user=user), source=self)

    def edit_client(self, client_id: int) -> None:
        if not self.is_signed_in or self.is_locked:
            return
        if self.client_dialog is not None and self.client_dialog.isVisible():
            self.client_dialog.activateWindow()
            return
        from stagewise.core.clients import records as clients

        info = self._run(
            self.tr("Edit client"), lambda s: clients.get_client(s, client_id, actor=None, record_view=False)
        )
        if info is None:
            return
        parent = self.chart_windows.get(client_id) or self
        from stagewise.ui.clients.client_dialog import ClientDialog

        dialog = ClientDialog(lambda form: self._save_edit(info, form), client=info, parent=parent)
        dialog.saved.connect(self._client_saved)
        dialog.finished.connect(lambda _r: self._dialog_done(dialog))
        self.client_dialog = dialog
        dialog.open()

    def _save_edit(self, original: Any, form: ClientForm) -> Any:
        actor = self.ctx.actor
        assert actor is not None
        from stagewise.core.clients.edits import edit_client
        from stagewise.ui.ops import perform

        return perform(self.ctx, lambda s: edit_client(s, original.id, form, actor=actor), source=self)

    def _client_saved(self, info: Any) -> None:
        """The list and the chart refreshed themselves (``_client_changes``); make the client visible."""
        log.info("client %s saved", info.id)
        if not self.client_list.select_client(info.id):
            # Saved, but the current search or filter hides it: show everyone so it can be seen.
            self.client_list.search_edit.clear()
            self.client_list.status_combo.setCurrentIndex(2)
            self.client_list.refresh(select_id=info.id)
        self.client_list.table.setFocus()

    def discharge_client(self, client_id: int) -> None:
        self._change_status(client_id, discharge=True)

    def reactivate_client(self, client_id: int) -> None:
        self._change_status(client_id, discharge=False)

    def _change_status(self, client_id: int, *, discharge: bool) -> None:
        if not self.is_signed_in:
            return
        row = next((r for r in self.client_list.model.rows if r.id == client_id), None)
        who = row.display_name if row is not None else self.tr("this client")
        if discharge:
            ok = Confirm.ask(
                self,
                self.tr("Discharge client"),
                self.tr(
                    "Discharge %s? Their records stay, and reassessment reminders stop. "
                    "You can reactivate them later."
                )
                % who,
                self.tr("Discharge"),
            )
        else:
            ok = Confirm.ask(
                self,
                self.tr("Reactivate client"),
                self.tr("Make %s active again?") % who,
                self.tr("Reactivate"),
            )
        if not ok:
            return
        from stagewise.core.clients.edits import set_discharged

        actor = self.ctx.actor
        self._run(
            self.tr("Change status"),
            lambda s: set_discharged(s, client_id, discharged=discharge, actor=actor),
        )
