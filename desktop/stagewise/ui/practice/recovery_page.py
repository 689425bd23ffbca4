"""The first-run wizard's last page: the recovery key, shown once, printed on a sheet of its own."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase, QTextDocument
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

log = logging.getLogger(__name__)


class RecoveryPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle(self.tr("Your recovery key"))
        self.setSubTitle(
            self.tr(
                "If the passphrase is ever forgotten, this key is the only way into the practice file. "
                "It is shown only now: print it or write it down, and keep it somewhere safe away from "
                "this computer."
            )
        )
        self.key_label = QLabel()
        self.key_label.setObjectName("recoveryKey")
        self.key_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.key_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSizeF(16)
        mono.setWeight(QFont.Weight.DemiBold)
        self.key_label.setFont(mono)
        self.print_button = QPushButton(self.tr("&Print…"))
        self.print_button.setObjectName("printButton")
        self.print_button.clicked.connect(self._print)
        self.keyring_label = QLabel()
        self.keyring_label.setObjectName("muted")
        self.keyring_label.setWordWrap(True)
        self.stored_check = QCheckBox(self.tr("I have &stored the recovery key safely"))
        self.stored_check.setObjectName("storedCheck")
        self.stored_check.toggled.connect(self.completeChanged)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.print_button)
        layout = QVBoxLayout(self)
        layout.setSpacing(14)
        layout.addWidget(self.key_label)
        layout.addLayout(row)
        layout.addWidget(self.keyring_label)
        layout.addSpacing(12)
        layout.addWidget(self.stored_check)
        layout.addStretch(1)

    def initializePage(self) -> None:
        wizard = self.wizard()  # the FirstRunWizard (not imported here: it imports this page)
        created = getattr(wizard, "created", None)
        recovery = getattr(wizard, "recovery_key", "")
        self.key_label.setText(recovery)
        self.key_label.setAccessibleName(self.tr("Recovery key"))
        if created is not None and not created.keyring_saved:
            self.keyring_label.setText(
                self.tr(
                    "This computer's keyring is not available, so the practice passphrase will be asked "
                    "for each time Stagewise starts."
                )
            )
        self.stored_check.setFocus()

    def _print(self) -> None:
        practice_page = getattr(self.wizard(), "practice_page", None)
        if practice_page is not None:
            RecoveryKeyPrinter.ask(self, practice_page.practice_name, self.key_label.text())

    def isComplete(self) -> bool:
        return self.stored_check.isChecked()


class RecoveryKeyPrinter:
    """Print the recovery key on paper (the seam tests replace)."""

    @classmethod
    def ask(cls, parent: QWidget, practice_name: str, recovery_key: str) -> bool:
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        printer = QPrinter()
        dialog = QPrintDialog(printer, parent)
        if dialog.exec() != QPrintDialog.DialogCode.Accepted:
            return False
        doc = QTextDocument()
        doc.setHtml(recovery_sheet_html(practice_name, recovery_key))
        doc.print_(printer)
        return True


def recovery_sheet_html(practice_name: str, recovery_key: str) -> str:
    from html import escape

    return (
        f"<h2>Stagewise recovery key</h2><p>Practice: <b>{escape(practice_name)}</b></p>"
        f"<p style='font-family: monospace; font-size: 20pt'>{escape(recovery_key)}</p>"
        "<p>This key opens the practice file if the passphrase is forgotten. "
        "Keep it locked away, apart from the computer.</p>"
    )
