"""A signed note, read-only: its fields, who signed it and when, its fingerprint, and its addenda in order.

``NoteView`` shows a ``NoteInfo``; the editor switches to it once a note is signed (a signed note never
changes; corrections are addenda, listed under it oldest first).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from stagewise.core.enums import NoteStatus
from stagewise.core.notes.drafts import AddendumInfo, NoteInfo
from stagewise.core.notes.templates import Template
from stagewise.ui.notes import labels as note_labels
from stagewise.ui.notes.common import SHEET


def _text(text: str, name: str = "viewFieldText") -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(
        Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
    )
    return label


class SignatureBlock(QFrame):
    """Signer, time, co-signature and the content hash of a signed note."""

    def __init__(self, note: NoteInfo) -> None:
        super().__init__()
        self.setObjectName("signatureBlock")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(3)
        self.signed_label = _text(note_labels.signed_line(note.signed_by_name, note.signed_at), "fieldLabel")
        layout.addWidget(self.signed_label)
        if note.status is NoteStatus.AWAITING_COSIGN:
            layout.addWidget(_text(note_labels.awaiting_line(), "noteMeta"))
        elif note.cosigned_by_name:
            layout.addWidget(_text(note_labels.cosigned_line(note.cosigned_by_name, note.cosigned_at)))
        self.hash_label = _text(note_labels.hash_line(note.hash), "hashLabel")
        layout.addWidget(self.hash_label)


class AddendumCard(QFrame):
    def __init__(self, addendum: AddendumInfo) -> None:
        super().__init__()
        self.setObjectName("addendumCard")
        self.addendum = addendum
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(4)
        layout.addWidget(
            _text(note_labels.addendum_heading(addendum.author_name, addendum.signed_at), "fieldLabel")
        )
        self.text_label = _text(addendum.text)
        layout.addWidget(self.text_label)
        layout.addWidget(_text(note_labels.hash_line(addendum.hash), "hashLabel"))


class NoteView(QScrollArea):
    """The whole signed note on one scrollable sheet of paper."""

    def __init__(self, note: NoteInfo, template: Template | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noteView")
        self.setStyleSheet(SHEET)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.template = template
        self.note = note
        self.field_labels: dict[str, QLabel] = {}
        self.addendum_cards: list[AddendumCard] = []
        self.set_note(note)

    def set_note(self, note: NoteInfo) -> None:
        self.note = note
        self.field_labels = {}
        self.addendum_cards = []
        page = QWidget()
        page.setObjectName("noteViewPage")
        outer = QVBoxLayout(page)
        outer.setContentsMargins(0, 0, 8, 8)
        outer.setSpacing(12)
        paper = QFrame()
        paper.setObjectName("notePaper")
        body = QVBoxLayout(paper)
        body.setContentsMargins(20, 16, 20, 16)
        body.setSpacing(4)
        labels = {f.id: f.label for f in self.template.fields} if self.template else {}
        for i, (field_id, value) in enumerate(note.fields.items()):
            if i:
                body.addSpacing(10)
            body.addWidget(_text(labels.get(field_id, field_id.replace("_", " ").capitalize()), "fieldLabel"))
            shown = _text(value if value.strip() else "—")
            self.field_labels[field_id] = shown
            body.addWidget(shown)
        body.addSpacing(12)
        self.signature = SignatureBlock(note)
        body.addWidget(self.signature)
        outer.addWidget(paper)
        if note.addenda:
            heading = QLabel(self.tr("Addenda (%n, oldest first)").replace("%n", str(len(note.addenda))))
            heading.setObjectName("sectionTitle")
            outer.addWidget(heading)
            for addendum in note.addenda:
                card = AddendumCard(addendum)
                self.addendum_cards.append(card)
                outer.addWidget(card)
        outer.addStretch(1)
        old = self.takeWidget()
        if old is not None:
            old.deleteLater()
        self.setWidget(page)
