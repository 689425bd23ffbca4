"""A client's chart: one window per client, with tabs that later issues fill in.

Stable attribute names for those issues: ``tabs``, ``assessments_tab``, ``stage_tab``, ``notes_tab``,
``reports_tab`` (each a ``ChartTab``: a ``QWidget`` with a ``QVBoxLayout``; ``ChartTab.mount(widget)`` puts
the real content in place of the placeholder).  A window's ``locking`` signal fires before the database
closes (save drafts there); ``MainWindow.chart_tab_factories`` fill the tabs when a chart opens.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QTabWidget, QVBoxLayout, QWidget

from stagewise.core.enums import ClientStatus
from stagewise.ui import labels
from stagewise.ui.dates import format_date


def age_on(born: dt.date, today: dt.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class ChartTab(QWidget):
    """A tab with a layout and, until its issue lands, a sentence saying what will be there."""

    def __init__(self, object_name: str, text: str) -> None:
        super().__init__()
        self.setObjectName(object_name)
        self.placeholder = QLabel(text)
        self.placeholder.setObjectName("placeholder")
        self.placeholder.setWordWrap(True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.addStretch(1)
        layout.addWidget(self.placeholder)
        layout.addStretch(2)
        self.content: QWidget | None = None

    def mount(self, widget: QWidget) -> QWidget:
        """Replace the placeholder with ``widget`` (the tab's real content)."""
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        while layout.count():
            item = layout.takeAt(0)
            child = item.widget() if item is not None else None
            if child is not None:
                child.hide()
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(widget)
        self.content = widget
        return widget


class ChartWindow(QWidget):
    """The chart of one client; ``closed(client_id)`` when it goes away."""

    closed = Signal(int)
    edit_requested = Signal(int)
    locking = Signal()  # the app is about to lock: save drafts now, the database is still open
    client_changed = Signal(object)  # the ClientInfo shown changed (an edit, a discharge)

    def __init__(self, client: Any, *, practice_name: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("chartWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.client_id: int = client.id
        self.client: Any | None = client
        self._practice_name = practice_name
        # The mounted tab contents (``chart_tabs``); None while a tab still shows its placeholder.
        self.assessments: Any = None
        self.stage: Any = None
        self.notes: Any = None
        self.reports: Any = None
        self.resize(1000, 680)

        self.name_label = QLabel()
        self.name_label.setObjectName("chartName")
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.facts_label = QLabel()
        self.facts_label.setObjectName("muted")
        self.status_badge = QLabel()
        self.status_badge.setObjectName("badge")
        self.focus_row = QHBoxLayout()
        self.focus_row.setSpacing(6)

        header = QFrame()
        header.setObjectName("chartHeader")
        h = QVBoxLayout(header)
        h.setContentsMargins(24, 18, 24, 14)
        h.setSpacing(6)
        top = QHBoxLayout()
        top.addWidget(self.name_label)
        top.addSpacing(10)
        top.addWidget(self.status_badge)
        top.addStretch(1)
        h.addLayout(top)
        h.addWidget(self.facts_label)
        h.addLayout(self.focus_row)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("chartTabs")
        self.tabs.setDocumentMode(True)
        self.assessments_tab = ChartTab(
            "assessmentsTab",
            self.tr(
                "Assessments will be here: give a questionnaire in the session or hand the screen to the "
                "client, see scores and the stage each one suggests."
            ),
        )
        self.stage_tab = ChartTab(
            "stageTab",
            self.tr(
                "The stage of change for each focus will be here, with its history and the interventions "
                "that fit it."
            ),
        )
        self.notes_tab = ChartTab(
            "notesTab", self.tr("Clinical notes will be here: drafts, signed notes and addenda.")
        )
        self.reports_tab = ChartTab(
            "reportsTab", self.tr("Progress reports will be here, ready to print or save as PDF.")
        )
        self.tabs.addTab(self.assessments_tab, self.tr("&Assessments"))
        self.tabs.addTab(self.stage_tab, self.tr("&Stage"))
        self.tabs.addTab(self.notes_tab, self.tr("&Notes"))
        self.tabs.addTab(self.reports_tab, self.tr("&Reports"))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(header)
        layout.addWidget(self.tabs, 1)

        close = QShortcut(QKeySequence.StandardKey.Close, self)
        close.activated.connect(self.close)
        edit = QShortcut(QKeySequence("Ctrl+E"), self)
        edit.activated.connect(lambda: self.edit_requested.emit(self.client_id))
        self.set_client(client)

    def set_client(self, client: Any, *, today: dt.date | None = None) -> None:
        """Show ``client`` (a ``ClientInfo``); called again after an edit."""
        self.client = client
        today = today or dt.date.today()
        self.name_label.setText(f"{client.given_name} {client.family_name}")
        self.facts_label.setText(
            self.tr("Chart %(chart)s  ·  born %(dob)s (%(age)s)")
            .replace("%(chart)s", client.chart_number)
            .replace("%(dob)s", format_date(client.date_of_birth))
            .replace("%(age)s", str(age_on(client.date_of_birth, today)))
        )
        self.status_badge.setText(labels.client_status(client.status))
        self.status_badge.setProperty("state", "muted" if client.status != ClientStatus.ACTIVE else "ok")
        self.status_badge.style().unpolish(self.status_badge)
        self.status_badge.style().polish(self.status_badge)
        while self.focus_row.count():
            item = self.focus_row.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        active = [f for f in client.focuses if f.active]
        caption = QLabel(
            self.tr("Focuses:") if active else self.tr("No focus yet (add one with Edit, Ctrl+E).")
        )
        caption.setObjectName("muted")
        self.focus_row.addWidget(caption)
        for f in active:
            chip = QLabel(f.label)
            chip.setObjectName("chip")
            chip.setToolTip(f.key)
            self.focus_row.addWidget(chip)
        self.focus_row.addStretch(1)
        title = f"{client.family_name}, {client.given_name} ({client.chart_number})"
        self.setWindowTitle(f"{title} — {self._practice_name}" if self._practice_name else title)
        self.client_changed.emit(client)

    def clear(self) -> None:
        """Forget the client (locking) before the window closes."""
        self.client = None
        self.name_label.clear()
        self.facts_label.clear()
        self.setWindowTitle("Stagewise")

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closed.emit(self.client_id)
        super().closeEvent(event)
