"""What a signed-in user sees in the main window: the practice header and the client list."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from stagewise.ui.client_list import ClientListPanel


class Workspace(QWidget):
    """What a signed-in user sees: a header and the client list."""

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
        body = QVBoxLayout()
        body.setContentsMargins(24, 18, 24, 18)
        body.addWidget(self.clients)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(header)
        layout.addLayout(body, 1)
