"""The administrator's audit log viewer: newest events first, paged, filtered by action, chain check."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from stagewise.core import users
from stagewise.core.audit import trail as audit
from stagewise.ui import labels
from stagewise.ui.dates import format_datetime
from stagewise.ui.workers import OpRunner

log = logging.getLogger(__name__)

PAGE_SIZE = 200
_Index = QModelIndex | QPersistentModelIndex


def local_time(at: str) -> str:
    """``2026-01-05T09:30:00.000Z`` → the local date and time with seconds, in the computer's locale."""
    try:
        value = dt.datetime.fromisoformat(at.replace("Z", "+00:00")).astimezone()
    except ValueError:
        return at
    return format_datetime(value, seconds=True)


def format_details(details: dict[str, Any]) -> str:
    """``{"fields": ["status"], "status": "active"}`` → ``fields: status · status: active``."""

    def value(v: Any) -> str:
        if isinstance(v, list | tuple):
            return ", ".join(value(x) for x in v)
        if isinstance(v, dict):
            return json.dumps(v, sort_keys=True, ensure_ascii=False)
        return str(v)

    return " · ".join(f"{k}: {value(v)}" for k, v in sorted(details.items()))


class AuditTableModel(QAbstractTableModel):
    COLUMNS = ("When", "Who", "Action", "Record", "Id", "Details")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.events: list[Any] = []
        # user name -> the person (``users.person_label``); names not in it (the command line) show as stored
        self.people: dict[str, str] = {}

    def set_events(self, events: list[Any]) -> None:
        self.beginResetModel()
        self.events = list(events)
        self.endResetModel()

    def append(self, events: list[Any]) -> None:
        if not events:
            return
        self.beginInsertRows(QModelIndex(), len(self.events), len(self.events) + len(events) - 1)
        self.events.extend(events)
        self.endInsertRows()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.events)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.tr(self.COLUMNS[section])
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        e = self.events[index.row()]
        col = index.column()
        if col == 0:
            return local_time(e.at) if role == Qt.ItemDataRole.DisplayRole else f"{e.at} (UTC) · event {e.id}"
        if col == 1:
            if not e.username:
                return self.tr("(system)")
            person = self.people.get(e.username, e.username)
            return person if role == Qt.ItemDataRole.DisplayRole else f"{person} · {e.username}"
        if col == 2:
            return labels.audit_action(e.action)
        if col == 3:
            return labels.audit_entity(e.entity)
        if col == 4:
            return e.entity_id or ""
        if col == 5:
            return format_details(e.details)
        return None


class AuditWindow(QWidget):
    """Reads through ``session_factory``; the owner closes it before the practice closes."""

    closed = Signal()

    def __init__(
        self, session_factory: Any, *, practice_name: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("auditWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(
            self.tr("Audit log — %s") % practice_name if practice_name else self.tr("Audit log")
        )
        self.resize(1000, 640)
        self._session_factory = session_factory
        self.ops = OpRunner(self)
        self._exhausted = False

        self.model = AuditTableModel(self)
        self.table = QTableView()
        self.table.setObjectName("auditTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(28)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for col, width in enumerate((190, 120, 150, 110, 110)):
            self.table.setColumnWidth(col, width)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)

        self.action_combo = QComboBox()
        self.action_combo.setObjectName("actionCombo")
        self.action_combo.addItem(self.tr("All actions"), None)
        for action in sorted(audit.ACTIONS, key=labels.audit_action):
            self.action_combo.addItem(labels.audit_action(action), action)
        self.action_combo.currentIndexChanged.connect(self.reload)
        show = QLabel(self.tr("Sho&w"))
        show.setBuddy(self.action_combo)
        self.more_button = QPushButton(self.tr("&Load older"))
        self.more_button.clicked.connect(self.load_more)
        self.verify_button = QPushButton(self.tr("&Verify chain"))
        self.verify_button.setObjectName("verifyButton")
        self.verify_button.clicked.connect(self.verify)
        self.result_label = QLabel()
        self.result_label.setObjectName("feedback")
        self.result_label.setWordWrap(True)
        self.count_label = QLabel()
        self.count_label.setObjectName("muted")

        top = QHBoxLayout()
        top.addWidget(show)
        top.addWidget(self.action_combo)
        top.addStretch(1)
        top.addWidget(self.verify_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label)
        bottom.addWidget(self.result_label, 1)
        bottom.addWidget(self.more_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(10)
        intro = QLabel(
            self.tr(
                "Every sign-in, chart view and change is recorded here. Entries cannot be edited or deleted; "
                "“Verify chain” checks that none has been tampered with."
            )
        )
        intro.setObjectName("muted")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        close = QShortcut(QKeySequence.StandardKey.Close, self)
        close.activated.connect(self.close)
        self.reload()

    @property
    def action(self) -> str | None:
        return self.action_combo.currentData()

    def _fetch(self, before_id: int | None) -> list[Any]:
        with self._session_factory() as s:
            self.model.people = users.people_by_username(s)
            return audit.recent(s, limit=PAGE_SIZE, before_id=before_id, action=self.action)

    def reload(self) -> None:
        events = self._fetch(None)
        self._exhausted = len(events) < PAGE_SIZE
        self.model.set_events(events)
        self._update()

    def load_more(self) -> None:
        if self._exhausted or not self.model.events:
            return
        events = self._fetch(self.model.events[-1].id)
        self._exhausted = len(events) < PAGE_SIZE
        self.model.append(events)
        self._update()

    def _update(self) -> None:
        self.more_button.setEnabled(not self._exhausted)
        n = self.model.rowCount()
        self.count_label.setText(self.tr("1 event shown") if n == 1 else self.tr("%d events shown") % n)

    def verify(self) -> None:
        self.verify_button.setEnabled(False)
        self.result_label.setProperty("state", "")
        self.result_label.setText(self.tr("Checking every event…"))
        factory = self._session_factory

        def work() -> audit.ChainReport:
            with factory() as s:
                return audit.verify_chain(s)

        self.ops.run(work, on_done=self._verified, on_failed=self._verify_failed, name="verify-chain")

    def _verified(self, report: audit.ChainReport) -> None:
        self.verify_button.setEnabled(True)
        if report.ok:
            text = self.tr("The audit chain is intact: all %d events verify.") % report.events
        else:
            text = (
                self.tr("The audit chain is broken at event %(id)s: %(reason)s.")
                .replace("%(id)s", str(report.first_broken_id))
                .replace("%(reason)s", str(report.reason))
            )
        self._show_result(text, report.ok)

    def _verify_failed(self, exc: BaseException) -> None:
        self.verify_button.setEnabled(True)
        log.error("audit chain verification failed", exc_info=exc)
        self._show_result(self.tr("The check could not run: %s") % exc, False)

    def _show_result(self, text: str, ok: bool) -> None:
        self.result_label.setText(text)
        self.result_label.setProperty("state", "ok" if ok else "bad")
        self.result_label.style().unpolish(self.result_label)
        self.result_label.style().polish(self.result_label)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.model.set_events([])
        self.closed.emit()
        super().closeEvent(event)
