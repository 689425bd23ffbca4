"""Shown when something unexpected goes wrong.  Local only: it shows the details and sends nothing."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class CrashDialog(QDialog):
    def __init__(self, details: str, log_path: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("crashDialog")
        self.setWindowTitle(self.tr("Stagewise: something went wrong"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(720, 480)
        intro = QLabel(
            self.tr(
                "Stagewise hit an unexpected problem. What you saved before this is safe in the practice "
                "file. If it happens again, give the details below to whoever looks after your computer; "
                "nothing has been sent anywhere."
            )
        )
        intro.setWordWrap(True)
        self.log_label = QLabel(
            self.tr("The log is in: %s") % str(log_path)
            if log_path
            else self.tr("No log file is being written.")
        )
        self.log_label.setObjectName("muted")
        self.log_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.log_label.setWordWrap(True)
        self.details = QPlainTextEdit(details)
        self.details.setObjectName("crashDetails")
        self.details.setReadOnly(True)
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.copy_button = QPushButton(self.tr("&Copy details"))
        self.copy_button.clicked.connect(self.copy)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(12)
        layout.addWidget(intro)
        layout.addWidget(self.log_label)
        layout.addWidget(self.details, 1)
        layout.addWidget(buttons)
        self._log_path = log_path

    def copy(self) -> None:
        text = self.details.toPlainText()
        if self._log_path:
            text += f"\n\nLog: {self._log_path}"
        QGuiApplication.clipboard().setText(text)
        self.copy_button.setText(self.tr("Copied"))
