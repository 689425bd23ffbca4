"""The notes' own dialogs, each behind a seam tests replace: the addendum prompt and the draft history."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from stagewise.core.notes.drafts import DraftVersion
from stagewise.ui.notes import labels as note_labels
from stagewise.ui.notes.common import SHEET


class AddendumDialog(QDialog):
    """Asks for the text of an addendum; ``ask()`` returns it, or None when cancelled."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("addendumDialog")
        self.setWindowTitle(self.tr("Add an addendum"))
        self.setStyleSheet(SHEET)
        self.resize(560, 340)
        intro = QLabel(
            self.tr(
                "An addendum corrects or adds to a signed note. It is signed with your name when you add "
                "it and kept with the note, which itself does not change."
            )
        )
        intro.setWordWrap(True)
        intro.setObjectName("noteMeta")
        self.edit = QPlainTextEdit()
        self.edit.setObjectName("addendumText")
        self.edit.setTabChangesFocus(True)
        self.edit.setPlaceholderText(self.tr("What to add or correct, and why…"))
        self.buttons = QDialogButtonBox()
        self.ok_button = self.buttons.addButton(
            self.tr("Add and sign"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.ok_button.setObjectName("primary")
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button.setEnabled(False)
        self.edit.textChanged.connect(lambda: self.ok_button.setEnabled(bool(self.text())))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        send = QShortcut(QKeySequence("Ctrl+Return"), self)
        send.activated.connect(lambda: self.accept() if self.text() else None)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(10)
        layout.addWidget(intro)
        layout.addWidget(self.edit, 1)
        hint = QLabel(self.tr("Ctrl+Enter adds it."))
        hint.setObjectName("fieldHelp")
        layout.addWidget(hint)
        layout.addWidget(self.buttons)
        self.edit.setFocus()

    def text(self) -> str:
        return self.edit.toPlainText().strip()

    @classmethod
    def ask(cls, parent: QWidget | None) -> str | None:
        dialog = cls(parent)
        try:
            if dialog.exec() == QDialog.DialogCode.Accepted and dialog.text():
                return dialog.text()
            return None
        finally:
            dialog.deleteLater()


class DraftHistoryDialog(QDialog):
    """A draft's saved versions, newest first; selecting one shows its text and what it changed."""

    def __init__(
        self, versions: list[DraftVersion], labels: dict[str, str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("draftHistory")
        self.setWindowTitle(self.tr("Draft history"))
        self.setStyleSheet(SHEET)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(820, 520)
        self.versions = list(reversed(versions))
        self.labels = labels
        self.list = QListWidget()
        self.list.setObjectName("historyList")
        for v in self.versions:
            changed = [labels.get(f, f) for f in v.changed_fields]
            item = QListWidgetItem(
                f"{note_labels.local_time(v.saved_at)}\n{note_labels.changed_fields(changed)}"
            )
            self.list.addItem(item)
        self.view = QTextBrowser()
        self.view.setObjectName("historyText")
        self.list.currentRowChanged.connect(self._show)
        intro = QLabel(
            self.tr("A version is kept about once a minute while you write. Newest first.")
            if self.versions
            else self.tr("No versions yet: a version is kept about once a minute while you write.")
        )
        intro.setObjectName("noteMeta")
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.list, 2)
        row.addWidget(self.view, 5)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.addWidget(intro)
        layout.addLayout(row, 1)
        layout.addWidget(close)
        if self.versions:
            self.list.setCurrentRow(0)

    def _show(self, row: int) -> None:
        if not 0 <= row < len(self.versions):
            self.view.clear()
            return
        version = self.versions[row]
        parts = []
        for field_id, value in version.fields.items():
            label = html.escape(self.labels.get(field_id, field_id))
            mark = (
                f' <span style="color:#7a5200; font-weight:normal">({html.escape(self.tr("changed"))})</span>'
                if field_id in version.changed_fields
                else ""
            )
            text = html.escape(value).replace("\n", "<br>") or "—"
            parts.append(f"<p><b>{label}</b>{mark}<br>{text}</p>")
        self.view.setHtml("".join(parts))
