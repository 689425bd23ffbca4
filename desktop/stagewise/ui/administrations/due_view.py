"""Due this week: focuses due (or overdue) for reassessment, for the main window.

Shows chart numbers, not names (the main window may be in view of others); Enter or a double-click
emits ``open_client(client_id)``.

With a runner, :meth:`DueView.refresh` reads off the UI thread.  :meth:`DueView.clear` (the app locks)
drops every read still running: its result, or its failure, is ignored when it arrives.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from stagewise.core.errors import StagewiseError
from stagewise.ui.clients.client_list import format_date
from stagewise.ui.context import AppContext
from stagewise.ui.practice import admin_labels
from stagewise.ui.workers import OpRunner

if TYPE_CHECKING:  # the registry (SQLAlchemy) loads when the list is first filled, not at start-up
    from stagewise.core.administrations.due import DueEntry

log = logging.getLogger(__name__)

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex


class DueModel(QAbstractTableModel):
    HEADERS = ("Chart no.", "Client", "Focus", "Last assessed", "Due on", "Overdue")
    OVERDUE_COLUMN = 5

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[DueEntry] = []

    def set_rows(self, rows: list[DueEntry]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.tr(self.HEADERS[section])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        e = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                e.chart_number,
                f"{e.family_name}, {e.given_name}",
                e.focus_label,
                format_date(e.last_assessed) if e.last_assessed else self.tr("Never (baseline)"),
                format_date(e.due_on),
                admin_labels.overdue(e.overdue_days),
            )[col]
        if role == SORT_ROLE:
            return (
                e.chart_number,
                (e.family_name.casefold(), e.given_name.casefold()),
                e.focus_label.casefold(),
                (e.last_assessed or dt.date.min).toordinal(),
                e.due_on.toordinal(),
                e.overdue_days,
            )[col]
        if role == Qt.ItemDataRole.ForegroundRole and col == self.OVERDUE_COLUMN and e.overdue:
            return QBrush(QColor("#b3261e"))
        if role == Qt.ItemDataRole.UserRole:
            return e.client_id
        return None


class DueView(QWidget):
    """A sortable table of what is due within ``within_days`` (7: this week)."""

    open_client = Signal(int)

    def __init__(
        self,
        ctx: AppContext,
        runner: OpRunner | None = None,
        *,
        within_days: int = 7,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("dueView")
        self.ctx = ctx
        self.runner = runner
        self.within_days = within_days
        # Incremented by clear() and by each read: a read started before either reports to a past
        # generation and is dropped (only the newest read may fill the view).
        self._generation = 0
        self.model = DueModel()
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(4, Qt.SortOrder.AscendingOrder)  # due on
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(self._activated)
        self.table.installEventFilter(self)
        self.summary = QLabel()
        self.summary.setObjectName("muted")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)

    def refresh(self, today: dt.date | None = None) -> None:
        """Reload, off the UI thread when a runner is given (a read ending after :meth:`clear` is dropped)."""
        practice = self.ctx.practice
        if practice is None:
            self.clear()
            return
        day = today or dt.date.today()
        within = self.within_days

        from stagewise.core.administrations import due as registry

        def work() -> list[DueEntry]:
            with practice.session_factory() as s:
                return registry.due_list(s, today=day, within_days=within)

        if self.runner is None:
            self.show_rows(work())
            return
        self._generation += 1
        generation = self._generation

        def done(rows: list[DueEntry]) -> None:
            if generation == self._generation:
                self.show_rows(rows)

        def failed(exc: BaseException) -> None:
            # After a lock the practice is closed under the read: that failure is expected, and dropped.
            if generation == self._generation and not isinstance(exc, StagewiseError):
                raise exc
            log.info("due list not read: %s", type(exc).__name__)

        self.runner.run(work, on_done=done, on_failed=failed, name="due list")

    def show_rows(self, rows: list[DueEntry]) -> None:
        self.model.set_rows(rows)
        overdue = sum(1 for r in rows if r.overdue)
        self.summary.setText(
            self.tr("%1 due this week, %2 overdue").replace("%1", str(len(rows))).replace("%2", str(overdue))
            if rows
            else self.tr("Nothing is due this week.")
        )

    def clear(self) -> None:
        """Empty the view; a read still running is dropped when it ends."""
        self._generation += 1
        self.model.set_rows([])
        self.summary.clear()

    def _activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_client.emit(int(self.proxy.data(index, Qt.ItemDataRole.UserRole)))

    def eventFilter(self, watched: Any, event: Any) -> bool:
        if (
            watched is self.table
            and isinstance(event, QKeyEvent)
            and event.type() == QKeyEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self._activated(self.table.currentIndex())
            return True
        return super().eventFilter(watched, event)
