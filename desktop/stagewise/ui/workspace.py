"""What a signed-in user sees in the main window: the practice header, the views and the backup line."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from stagewise.ui.clients.client_list import ClientListPanel


class Workspace(QWidget):
    """A header, then the views ("Clients" first; the main window adds "Due this week"), then a footer."""

    def __init__(self, parent: QWidget | None = None, *, search_delay_ms: int = 150) -> None:
        super().__init__(parent)
        self.setObjectName("workspace")
        self.practice_label = QLabel()
        self.practice_label.setObjectName("practiceTitle")
        self.user_label = QLabel()
        self.user_label.setObjectName("muted")
        self.lock_button = QPushButton(self.tr("Lock"))
        self.lock_button.setObjectName("lockButton")
        self.lock_button.setToolTip(self.tr("Lock now (Ctrl+L)"))
        header = QFrame()
        header.setObjectName("appHeader")
        h = QHBoxLayout(header)
        h.setContentsMargins(24, 14, 24, 14)
        h.addWidget(self.practice_label)
        h.addStretch(1)
        h.addWidget(self.user_label)
        h.addSpacing(12)
        h.addWidget(self.lock_button)
        self.clients = ClientListPanel(search_delay_ms=search_delay_ms)
        self.views = QTabWidget()
        self.views.setObjectName("workspaceViews")
        self.views.setDocumentMode(True)
        self.views.addTab(self.clients, self.tr("C&lients"))
        self.footer = QVBoxLayout()
        self.footer.setContentsMargins(0, 0, 0, 0)
        body = QVBoxLayout()
        body.setContentsMargins(24, 12, 24, 12)
        body.setSpacing(8)
        body.addWidget(self.views, 1)
        body.addLayout(self.footer)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(header)
        layout.addLayout(body, 1)

    def add_view(self, widget: QWidget, title: str) -> None:
        """Another view beside the client list (e.g. "Due this week")."""
        self.views.addTab(widget, title)

    def add_footer(self, widget: QWidget) -> None:
        """A line under the views (the backup status)."""
        self.footer.addWidget(widget)

    def show_clients(self) -> None:
        self.views.setCurrentWidget(self.clients)
