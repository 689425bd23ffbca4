"""Small dialogs of the questionnaire screens, each behind an ``ask()`` seam tests replace."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)


class TextDialog(QDialog):
    """A question with a text answer; OK stays disabled until the answer is given (when required)."""

    def __init__(
        self,
        parent: QWidget | None,
        title: str,
        text: str,
        *,
        ok_text: str,
        required: bool = True,
        multi_line: bool = True,
        password: bool = False,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(460)
        self.required = required
        label = QLabel(text)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        self.edit: QPlainTextEdit | QLineEdit
        if multi_line:
            self.edit = QPlainTextEdit()
            self.edit.setTabChangesFocus(True)
            self.edit.setFixedHeight(96)
            self.edit.textChanged.connect(self._update)
        else:
            self.edit = QLineEdit()
            if password:
                self.edit.setEchoMode(QLineEdit.EchoMode.Password)
            self.edit.textChanged.connect(self._update)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(label)
        layout.addWidget(self.edit)
        layout.addWidget(self.buttons)
        self._update()

    def value(self) -> str:
        return self.edit.toPlainText() if isinstance(self.edit, QPlainTextEdit) else self.edit.text()

    def _update(self) -> None:
        self.ok.setEnabled(not self.required or bool(self.value().strip()))


class VoidDialog:
    @classmethod
    def ask(cls, parent: QWidget | None) -> str | None:
        """The reason for voiding, or None (cancelled)."""
        dialog = TextDialog(
            parent,
            parent.tr("Void questionnaire") if parent else "Void questionnaire",
            "Voiding keeps the questionnaire and its answers in the record but leaves it out of scores, "
            "trends and due dates. Why is it being voided? (required)",
            ok_text="Void",
        )
        return dialog.value().strip() if dialog.exec() == QDialog.DialogCode.Accepted else None


class PasswordDialog:
    @classmethod
    def ask(cls, parent: QWidget | None, username: str) -> str | None:
        """The clinician's password (to leave hand-over mode), or None."""
        dialog = TextDialog(
            parent,
            "Clinician password",
            f"To return to the clinician's view, enter the password for {username}.",
            ok_text="Continue",
            multi_line=False,
            password=True,
        )
        return dialog.value() if dialog.exec() == QDialog.DialogCode.Accepted else None
