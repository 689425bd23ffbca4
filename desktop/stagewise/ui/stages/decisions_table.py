"""The intervention decisions of a focus as a table, numbered as on the timeline.

Fits its width (no horizontal scroll bar): the intervention and the reason take what is left and are cut
with an ellipsis; the full text, the stage the decision was made at and who made it are in each cell's
tooltip.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from stagewise.core.stages.records import DecisionInfo
from stagewise.ui.dates import format_date
from stagewise.ui.stages import words

COLUMNS = ("#", "Date", "Decision", "Intervention", "Reason")
STRETCH = (3, 4)  # intervention, reason


class DecisionsTable(QTableWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setObjectName("decisionsTable")
        self.setHorizontalHeaderLabels([self.tr(c) for c in COLUMNS])
        self.setAccessibleName(self.tr("Intervention decisions"))
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.horizontalHeader()
        for column in range(len(COLUMNS)):
            mode = (
                QHeaderView.ResizeMode.Stretch
                if column in STRETCH
                else QHeaderView.ResizeMode.ResizeToContents
            )
            header.setSectionResizeMode(column, mode)

    def show_decisions(self, decisions: Sequence[DecisionInfo]) -> None:
        self.setRowCount(len(decisions))
        for row, d in enumerate(decisions):
            title = d.title if d.model is None else f"{d.title} ({words.model(d.model)})"
            cells = (
                str(row + 1),
                format_date(d.decided_at.astimezone().date()),
                words.decision(d.decision),
                title,
                d.reason or "",
            )
            # The stage it was decided at and by whom: in every cell's tooltip (the row is narrow).
            context = (
                self.tr("Stage: %1 · by %2")
                .replace("%1", words.stage(d.stage) if d.stage is not None else "—")
                .replace("%2", d.by_name or "—")
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(f"{text}\n{context}" if text else context)
                if column == 0:
                    item.setData(Qt.ItemDataRole.UserRole, d.id)
                self.setItem(row, column, item)
