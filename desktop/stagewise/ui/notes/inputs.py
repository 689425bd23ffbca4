"""The input widget for each kind of note-template field, and reading its text back."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import (
    QLineEdit,
    QPlainTextEdit,
)

from stagewise.core.notes.templates import FieldKind, TemplateField

log = logging.getLogger(__name__)

AUTOSAVE_MS = 2000  # a pause in typing this long saves
MAX_WAIT_MS = 4500  # typing without a pause is saved at least this often (the promise is ≤ 5 s)

Input = QLineEdit | QPlainTextEdit


def _make_input(field: TemplateField) -> Input:
    if field.kind in (FieldKind.TEXT, FieldKind.DATE):
        line = QLineEdit()
        line.setPlaceholderText(field.placeholder or ("YYYY-MM-DD" if field.kind is FieldKind.DATE else ""))
        if field.kind is FieldKind.DATE:
            line.setMaximumWidth(180)
        return line
    edit = QPlainTextEdit()
    edit.setTabChangesFocus(True)  # Tab moves to the next field: keyboard first
    edit.setPlaceholderText(field.placeholder or ("One per line" if field.kind is FieldKind.LIST else ""))
    edit.setMinimumHeight(96 if field.kind is FieldKind.MULTILINE else 80)
    return edit


def _value(widget: Input) -> str:
    return widget.text() if isinstance(widget, QLineEdit) else widget.toPlainText()
