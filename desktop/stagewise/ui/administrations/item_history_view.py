"""A client's answers to one instrument over time, item by item: which statements moved."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from stagewise.core.administrations import lifecycle as administrations
from stagewise.core.administrations.lifecycle import ItemHistory
from stagewise.core.instruments.loader import short_title
from stagewise.ui.administrations.common import value_text
from stagewise.ui.administrations.sheet import SHEET
from stagewise.ui.context import AppContext
from stagewise.ui.ops import perform
from stagewise.ui.practice import admin_labels

CHANGED = QColor("#fde9b8")  # the amber of the app's notices: "this answer moved since last time"


class ItemHistoryView(QWidget):
    """Rows are items (number and wording), columns are administrations; changed answers highlighted."""

    def __init__(
        self,
        ctx: AppContext,
        client_id: int,
        form_id: str,
        focus_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("itemHistory")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setStyleSheet(SHEET)
        self.history: ItemHistory = perform(
            ctx,
            lambda s: administrations.item_history(
                s, client_id=client_id, form_id=form_id, focus_id=focus_id
            ),
        )
        self.setWindowTitle(self.tr("Item history — %1").replace("%1", short_title(form_id)))
        self.resize(1100, 700)
        title = QLabel(self.tr("%1: answers over time").replace("%1", short_title(form_id)))
        title.setObjectName("formTitle")
        legend = QLabel(self.tr("Highlighted: the answer changed from the one before."))
        legend.setObjectName("muted")
        self.moved_only = QCheckBox(self.tr("Only statements that &moved"))
        self.moved_only.toggled.connect(self._filter)
        cols = self.history.columns
        self.table = QTableWidget(len(self.history.rows), 2 + len(cols))
        headers = [self.tr("No."), self.tr("Statement")] + [
            admin_labels.local_date(c.completed_at) for c in cols
        ]
        self.table.setHorizontalHeaderLabels(headers)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.setAlternatingRowColors(True)
        bold = QFont(self.font())
        bold.setBold(True)
        self.changed_cells: list[tuple[int, int]] = []
        for r, row in enumerate(self.history.rows):
            self.table.setItem(r, 0, QTableWidgetItem(row.item_id))
            self.table.setItem(r, 1, QTableWidgetItem(row.text))
            last = None
            for c, value in enumerate(row.values):
                cell = QTableWidgetItem("" if value is None else value_text(value))
                cell.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if value is not None and last is not None and value != last:
                    cell.setBackground(QBrush(CHANGED))
                    cell.setFont(bold)
                    cell.setToolTip(self.tr("was %1").replace("%1", value_text(last)))
                    self.changed_cells.append((r, 2 + c))
                if value is not None:
                    last = value
                self.table.setItem(r, 2 + c, cell)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.resizeRowsToContents()
        empty = QLabel(self.tr("No completed administrations of this instrument yet."))
        empty.setObjectName("muted")
        empty.setVisible(not cols)
        top = QHBoxLayout()
        top.addWidget(title, 1)
        top.addWidget(self.moved_only)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addLayout(top)
        layout.addWidget(legend)
        layout.addWidget(empty)
        layout.addWidget(self.table, 1)
        QShortcut(QKeySequence.StandardKey.Close, self).activated.connect(self.close)

    def _filter(self, moved_only: bool) -> None:
        for r, row in enumerate(self.history.rows):
            self.table.setRowHidden(r, moved_only and not row.moved)
