"""Small message and confirmation dialogs, each behind a seam tests can replace.

``Messages`` shows non-modal message boxes (or only logs them with ``--no-dialogs``); ``Confirm.ask`` is
the single blocking question (tests monkeypatch it).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

log = logging.getLogger(__name__)


class Messages:
    """Where user-facing messages go; one per main window.  ``shown`` keeps the last few for tests."""

    def __init__(self, *, no_dialogs: bool = False) -> None:
        self.no_dialogs = no_dialogs
        self.shown: list[tuple[str, str]] = []
        self._boxes: list[QMessageBox] = []

    def _show(
        self, parent: QWidget | None, icon: QMessageBox.Icon, title: str, text: str
    ) -> QMessageBox | None:
        self.shown.append((title, text))
        del self.shown[:-20]
        if self.no_dialogs:
            log.info("message (not shown, --no-dialogs): %s", title)
            return None
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.finished.connect(lambda _r, b=box: self._boxes.remove(b) if b in self._boxes else None)
        self._boxes.append(box)
        box.show()
        return box

    def error(self, parent: QWidget | None, title: str, text: str) -> QMessageBox | None:
        return self._show(parent, QMessageBox.Icon.Warning, title, text)

    def info(self, parent: QWidget | None, title: str, text: str) -> QMessageBox | None:
        return self._show(parent, QMessageBox.Icon.Information, title, text)

    def close_all(self) -> None:
        for box in list(self._boxes):
            box.close()
        self._boxes.clear()


class Confirm:
    """A yes/no question."""

    @classmethod
    def ask(
        cls, parent: QWidget | None, title: str, text: str, yes_text: str, *, default_yes: bool = False
    ) -> bool:
        """Ask; Enter answers Cancel unless ``default_yes`` (for the expected next step, e.g. signing a
        note the clinician has just asked to sign)."""
        box = cls.build(parent, title, text, yes_text, default_yes=default_yes)
        box.exec()
        return box.clickedButton() is box.property("yes_button")

    @classmethod
    def build(
        cls, parent: QWidget | None, title: str, text: str, yes_text: str, *, default_yes: bool = False
    ) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
        yes = box.addButton(yes_text, QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(yes if default_yes else cancel)
        box.setProperty("yes_button", yes)
        return box
