"""The client list: a table model that pages rows from the database, and the panel around it.

Search, status filter and sorting are database queries (``clients.list_clients`` on indexed columns), and
rows arrive a page at a time through ``fetchMore``, so the list stays fast with thousands of clients and
never holds a widget per row.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from stagewise.core.enums import ClientStatus
from stagewise.ui import labels
from stagewise.ui.dates import format_date

log = logging.getLogger(__name__)

PAGE_SIZE = 200
SEARCH_DELAY_MS = 150

_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, slots=True)
class ListQuery:
    query: str = ""
    status: ClientStatus | None = ClientStatus.ACTIVE
    sort: str = "family_name"
    descending: bool = False


# fetch(query, limit, offset) -> rows (``clients.ClientRow``)
Fetcher = Callable[[ListQuery, int, int], list[Any]]


class ClientTableModel(QAbstractTableModel):
    COLUMNS = (
        ("chart_number", "Chart no."),
        ("family_name", "Family name"),
        ("given_name", "Given name"),
        ("date_of_birth", "Date of birth"),
        ("status", "Status"),
        ("next_due", "Next due"),
    )

    loaded = Signal()  # rows (re)loaded from the database

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Any] = []
        self._fetcher: Fetcher | None = None
        self._query = ListQuery()
        self._more = False
        self._muted = QBrush(QColor("#7a828a"))
        self._overdue = QBrush(QColor("#b3261e"))

    # -- data source ------------------------------------------------------------------------------

    def set_fetcher(self, fetcher: Fetcher | None, *, first_page: list[Any] | None = None) -> None:
        """Read rows through ``fetcher`` from now on; ``first_page`` is its first page for the current
        query when that has already been read (the start-up screen), so it is not read twice."""
        self._fetcher = fetcher
        self.reload(first_page=first_page)

    @property
    def list_query(self) -> ListQuery:
        return self._query

    def set_query(self, query: ListQuery) -> None:
        if query != self._query:
            self._query = query
            self.reload()

    def reload(self, *, first_page: list[Any] | None = None) -> None:
        self.beginResetModel()
        self._rows = []
        self._more = False
        if self._fetcher is not None:
            page = first_page if first_page is not None else self._fetcher(self._query, PAGE_SIZE, 0)
            self._rows = list(page)
            self._more = len(page) == PAGE_SIZE
        self.endResetModel()
        self.loaded.emit()

    def clear(self) -> None:
        """Forget every row and the data source (locking)."""
        self.beginResetModel()
        self._rows = []
        self._fetcher = None
        self._more = False
        self._query = ListQuery()
        self.endResetModel()
        self.loaded.emit()

    @property
    def has_source(self) -> bool:
        return self._fetcher is not None

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._more and self._fetcher is not None

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or self._fetcher is None or not self._more:
            return
        page = self._fetcher(self._query, PAGE_SIZE, len(self._rows))
        self._more = len(page) == PAGE_SIZE
        if page:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(page) - 1)
            self._rows.extend(page)
            self.endInsertRows()

    # -- Qt model ---------------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.tr(self.COLUMNS[section][1])
        return None

    def row_at(self, row: int) -> Any | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, client_id: int) -> int:
        for i, r in enumerate(self._rows):
            if r.id == client_id:
                return i
        return -1

    @property
    def rows(self) -> list[Any]:
        return list(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = self._rows[index.row()]
        key = self.COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "date_of_birth":
                return format_date(r.date_of_birth)
            if key == "status":
                return labels.client_status(r.status)
            if key == "next_due":
                if r.next_due is None:
                    return ""
                if r.next_due == dt.date.today():
                    return self.tr("Today")
                return (
                    self.tr("Overdue · %s") % format_date(r.next_due)
                    if r.overdue
                    else format_date(r.next_due)
                )
            return getattr(r, key)
        if role == Qt.ItemDataRole.ForegroundRole:
            if key == "next_due" and r.overdue:
                return self._overdue
            if r.status != ClientStatus.ACTIVE:
                return self._muted
        if role == Qt.ItemDataRole.UserRole:
            return r.id
        if role == Qt.ItemDataRole.AccessibleTextRole and key == "family_name":
            return r.display_name
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = self.COLUMNS[column][0]
        descending = order == Qt.SortOrder.DescendingOrder
        q = self._query
        self.set_query(ListQuery(q.query, q.status, key, descending))


class _ClientTable(QTableView):
    """Enter opens the current client (on every platform, whatever the style)."""

    open_current = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.open_current.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class _SearchEdit(QLineEdit):
    """Down arrow moves into the list; Enter opens the highlighted client."""

    down = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Down:
            self.down.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class ClientListPanel(QWidget):
    """Search box, status filter, the table and the actions on the selected client."""

    open_requested = Signal(int)
    new_requested = Signal()
    edit_requested = Signal(int)
    discharge_requested = Signal(int)
    reactivate_requested = Signal(int)
    selection_changed = Signal()

    def __init__(self, parent: QWidget | None = None, *, search_delay_ms: int = SEARCH_DELAY_MS) -> None:
        super().__init__(parent)
        self.model = ClientTableModel(self)

        self.search_edit = _SearchEdit()
        self.search_edit.setObjectName("searchEdit")
        self.search_edit.setPlaceholderText(self.tr("Search by name or chart number  (Ctrl+F)"))
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setAccessibleName(self.tr("Search clients"))
        self.status_combo = QComboBox()
        self.status_combo.setObjectName("statusCombo")
        self.status_combo.addItem(self.tr("Active"), ClientStatus.ACTIVE.value)
        self.status_combo.addItem(self.tr("Discharged"), ClientStatus.DISCHARGED.value)
        self.status_combo.addItem(self.tr("All clients"), "")
        self.status_combo.setAccessibleName(self.tr("Show"))
        show_label = QLabel(self.tr("Sho&w"))
        show_label.setBuddy(self.status_combo)
        self.count_label = QLabel()
        self.count_label.setObjectName("muted")

        self.table = _ClientTable()
        self.table.setObjectName("clientTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(30)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for col, width in enumerate((110, 200, 180, 130, 110)):
            self.table.setColumnWidth(col, width)
        header.setSortIndicator(1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.setAccessibleName(self.tr("Clients"))
        self.table.setTabKeyNavigation(False)

        self.new_button = QPushButton(self.tr("&New client…"))
        self.new_button.setObjectName("primary")
        self.open_button = QPushButton(self.tr("&Open"))
        self.edit_button = QPushButton(self.tr("&Edit…"))
        self.discharge_button = QPushButton(self.tr("&Discharge…"))
        self.new_button.clicked.connect(self.new_requested)
        self.open_button.clicked.connect(self._open_current)
        self.edit_button.clicked.connect(self._edit_current)
        self.discharge_button.clicked.connect(self._discharge_or_reactivate)

        self.empty_label = QLabel()
        self.empty_label.setObjectName("emptyLabel")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)

        top = QHBoxLayout()
        top.setSpacing(10)
        top.addWidget(self.search_edit, 1)
        top.addWidget(show_label)
        top.addWidget(self.status_combo)
        actions = QHBoxLayout()
        actions.setSpacing(8)
        actions.addWidget(self.count_label)
        actions.addStretch(1)
        for b in (self.open_button, self.edit_button, self.discharge_button, self.new_button):
            actions.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_label)
        layout.addLayout(actions)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(search_delay_ms)
        self._search_timer.timeout.connect(self._apply_filter)
        self.search_edit.textChanged.connect(self._search_timer.start)
        self.search_edit.returnPressed.connect(self._search_enter)
        self.search_edit.down.connect(self._focus_table)
        self.status_combo.currentIndexChanged.connect(self._apply_filter)
        self.table.open_current.connect(self._open_current)
        self.table.doubleClicked.connect(self._open_index)
        self.model.loaded.connect(self._after_load)
        self.model.rowsInserted.connect(self._update_count)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)

        self.setTabOrder(self.search_edit, self.status_combo)
        self.setTabOrder(self.status_combo, self.table)
        self.setTabOrder(self.table, self.open_button)
        self.setTabOrder(self.open_button, self.edit_button)
        self.setTabOrder(self.edit_button, self.discharge_button)
        self.setTabOrder(self.discharge_button, self.new_button)
        self._update_buttons()

    # -- data -------------------------------------------------------------------------------------

    def set_fetcher(self, fetcher: Fetcher | None, *, first_page: list[Any] | None = None) -> None:
        self.model.set_fetcher(fetcher, first_page=first_page)

    def refresh(self, select_id: int | None = None) -> None:
        keep = select_id if select_id is not None else self.current_client_id()
        self.model.reload()
        if keep is not None:
            self.select_client(keep)

    def clear(self) -> None:
        """Drop every row and what was typed (locking)."""
        self._search_timer.stop()
        self.search_edit.blockSignals(True)
        self.search_edit.clear()
        self.search_edit.blockSignals(False)
        self.status_combo.blockSignals(True)
        self.status_combo.setCurrentIndex(0)
        self.status_combo.blockSignals(False)
        self.model.clear()

    def _list_query(self) -> ListQuery:
        q = self.model.list_query
        data = self.status_combo.currentData()
        status = ClientStatus(data) if data else None
        return ListQuery(self.search_edit.text().strip(), status, q.sort, q.descending)

    def _apply_filter(self) -> None:
        self._search_timer.stop()
        self.model.set_query(self._list_query())

    @property
    def filter_pending(self) -> bool:
        return self._search_timer.isActive()

    def _after_load(self) -> None:
        self._update_count()
        if self.model.rowCount() and not self.table.currentIndex().isValid():
            self.table.selectRow(0)
        self._update_buttons()

    def _update_count(self) -> None:
        n = self.model.rowCount()
        more = "+" if self.model.canFetchMore() else ""
        self.count_label.setText(
            self.tr("1 client") if n == 1 and not more else self.tr("%s clients") % f"{n}{more}"
        )
        has_source = self.model.has_source
        if n == 0 and has_source:
            if self.search_edit.text().strip():
                self.empty_label.setText(self.tr("No client matches “%s”.") % self.search_edit.text().strip())
            elif self.status_combo.currentData() == ClientStatus.DISCHARGED.value:
                self.empty_label.setText(self.tr("No discharged clients."))
            else:
                self.empty_label.setText(self.tr("No clients here yet. Add one with New client (Ctrl+N)."))
        self.empty_label.setVisible(n == 0 and has_source)

    # -- selection --------------------------------------------------------------------------------

    def current_row(self) -> Any | None:
        index = self.table.currentIndex()
        if not index.isValid() or not self.table.selectionModel().isRowSelected(index.row(), QModelIndex()):
            return None
        return self.model.row_at(index.row())

    def current_client_id(self) -> int | None:
        row = self.current_row()
        return None if row is None else int(row.id)

    def select_client(self, client_id: int) -> bool:
        row = self.model.row_of(client_id)
        if row < 0:
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    def _selection_changed(self) -> None:
        self._update_buttons()
        self.selection_changed.emit()

    def _update_buttons(self) -> None:
        row = self.current_row()
        has = row is not None
        for b in (self.open_button, self.edit_button, self.discharge_button):
            b.setEnabled(has)
        if row is not None and row.status == ClientStatus.DISCHARGED:
            self.discharge_button.setText(self.tr("&Reactivate…"))
        else:
            self.discharge_button.setText(self.tr("&Discharge…"))

    # -- actions ----------------------------------------------------------------------------------

    def focus_search(self) -> None:
        self.search_edit.setFocus()
        self.search_edit.selectAll()

    def _focus_table(self) -> None:
        self.table.setFocus()
        if not self.table.currentIndex().isValid() and self.model.rowCount():
            self.table.selectRow(0)

    def _search_enter(self) -> None:
        if self._search_timer.isActive():
            self._apply_filter()
        self._open_current()

    def _open_current(self) -> None:
        cid = self.current_client_id()
        if cid is not None:
            self.open_requested.emit(cid)

    def _open_index(self, index: QModelIndex) -> None:
        row = self.model.row_at(index.row()) if index.isValid() else None
        if row is not None:
            self.open_requested.emit(int(row.id))

    def _edit_current(self) -> None:
        cid = self.current_client_id()
        if cid is not None:
            self.edit_requested.emit(cid)

    def _discharge_or_reactivate(self) -> None:
        row = self.current_row()
        if row is None:
            return
        if row.status == ClientStatus.DISCHARGED:
            self.reactivate_requested.emit(int(row.id))
        else:
            self.discharge_requested.emit(int(row.id))
