"""Due this week: focuses overdue or due for reassessment, for the main window.

Two lists, each with its count: **Overdue** (most overdue first, with how long) and **Due this week**
(soonest first).  Enter or a double-click emits ``open_client(client_id)``.

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
from stagewise.ui.context import AppContext
from stagewise.ui.dates import format_date
from stagewise.ui.practice import admin_labels
from stagewise.ui.workers import OpRunner

if TYPE_CHECKING:  # the registry (SQLAlchemy) loads when the list is first filled, not at start-up
    from stagewise.core.administrations.due import DueEntry

log = logging.getLogger(__name__)

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex


class DueModel(QAbstractTableModel):
    HEADERS = ("Chart no.", "Client", "Focus", "Last assessed", "Due on", "When")
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


class _Section(QSortFilterProxyModel):
    """The overdue rows, or the rows not yet overdue."""

    def __init__(self, overdue: bool, parent: QWidget) -> None:
        super().__init__(parent)
        self.overdue = overdue
        self.setSortRole(SORT_ROLE)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        assert isinstance(model, DueModel)
        return model.rows[source_row].overdue == self.overdue


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
        self.overdue_heading = QLabel()
        self.overdue_heading.setObjectName("sectionTitle")
        self.due_heading = QLabel()
        self.due_heading.setObjectName("sectionTitle")
        # Most overdue first; then the rest of the week, soonest first.
        self.overdue_proxy, self.overdue_table = self._section(True, Qt.SortOrder.AscendingOrder)
        self.due_proxy, self.due_table = self._section(False, Qt.SortOrder.AscendingOrder)
        self.overdue_heading.setBuddy(self.overdue_table)
        self.due_heading.setBuddy(self.due_table)
        self.summary = QLabel()
        self.summary.setObjectName("muted")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.overdue_heading)
        layout.addWidget(self.overdue_table, 3)
        layout.addWidget(self.due_heading)
        layout.addWidget(self.due_table, 2)
        self._show_counts(0, 0)

    def _section(self, overdue: bool, order: Qt.SortOrder) -> tuple[_Section, QTableView]:
        proxy = _Section(overdue, self)
        proxy.setSourceModel(self.model)
        table = QTableView()
        table.setModel(proxy)
        table.setSortingEnabled(True)
        table.sortByColumn(4, order)  # due on: the most overdue (earliest) first
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.verticalHeader().setVisible(False)
        header = table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        table.doubleClicked.connect(self._activated)
        table.installEventFilter(self)
        table.setAccessibleName(self.tr("Overdue for reassessment") if overdue else self.tr("Due this week"))
        return proxy, table

    @property
    def table(self) -> QTableView:
        """The first list with rows in it (the overdue one when both are empty)."""
        if self.overdue_proxy.rowCount() == 0 and self.due_proxy.rowCount() > 0:
            return self.due_table
        return self.overdue_table

    def _show_counts(self, overdue: int, due: int) -> None:
        self.overdue_heading.setText(self.tr("&Overdue (%1)").replace("%1", str(overdue)))
        self.due_heading.setText(self.tr("Due this &week (%1)").replace("%1", str(due)))
        self.overdue_table.setVisible(overdue > 0)
        self.overdue_heading.setVisible(overdue > 0)
        self.due_table.setVisible(due > 0)
        self.due_heading.setVisible(due > 0)

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
        self._show_counts(overdue, len(rows) - overdue)
        self.summary.setText("" if rows else self.tr("Nothing is overdue or due this week."))
        self.summary.setVisible(not rows)

    def clear(self) -> None:
        """Empty the view; a read still running is dropped when it ends."""
        self._generation += 1
        self.model.set_rows([])
        self.summary.clear()
        self._show_counts(0, 0)

    def _activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_client.emit(int(index.model().data(index, Qt.ItemDataRole.UserRole)))

    def eventFilter(self, watched: Any, event: Any) -> bool:
        if (
            watched in (self.overdue_table, self.due_table)
            and isinstance(event, QKeyEvent)
            and event.type() == QKeyEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self._activated(watched.currentIndex())
            return True
        return super().eventFilter(watched, event)
