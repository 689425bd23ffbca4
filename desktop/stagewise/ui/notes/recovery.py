"""After sign-in: offer the user's unsigned drafts ("You have 2 unsigned drafts"), each with Open.

``offer_recovered_drafts(ctx, parent, opener)`` shows a small non-modal ``RecoveryDialog`` when the user
has drafts (a crash, a lock or a busy day may have left them) and returns it, else returns None.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from stagewise.core.notes import drafts as notes
from stagewise.core.notes.drafts import NoteSummary
from stagewise.core.notes.templates import TemplateLibrary
from stagewise.ui.context import AppContext
from stagewise.ui.notes import labels as note_labels
from stagewise.ui.notes.common import SHEET, ElidedLabel, Opener, template_title, templates_for
from stagewise.ui.ops import perform

log = logging.getLogger(__name__)

MAX_SHOWN = 8  # more than this: the to-do view lists them all


class RecoveryDialog(QDialog):
    def __init__(
        self,
        drafts: list[NoteSummary],
        opener: Opener,
        templates: TemplateLibrary,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("draftRecovery")
        self.setStyleSheet(SHEET)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(self.tr("Unsigned drafts"))
        self.drafts = drafts
        self.opener = opener
        self.open_buttons: list[QPushButton] = []
        heading = QLabel(note_labels.unsigned_drafts(len(drafts)))
        heading.setObjectName("noteTitle")
        intro = QLabel(self.tr("They were kept as you left them. Open one to finish and sign it."))
        intro.setObjectName("noteMeta")
        intro.setWordWrap(True)
        rows = QWidget()
        rv = QVBoxLayout(rows)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.setSpacing(6)
        for d in drafts[:MAX_SHOWN]:
            frame = QFrame()
            frame.setObjectName("notePaper")
            h = QHBoxLayout(frame)
            h.setContentsMargins(12, 8, 12, 8)
            title = QLabel(
                f"{self.tr('Chart')} {d.chart_number} · {template_title(templates, d.template_id)}"
            )
            title.setObjectName("noteRowTitle")
            meta = ElidedLabel(
                self.tr("last edited %1").replace("%1", note_labels.local_time(d.updated_at))
                + (f" · {d.preview}" if d.preview else "")
            )
            meta.setObjectName("noteMeta")
            text = QVBoxLayout()
            text.setSpacing(2)
            text.addWidget(title)
            text.addWidget(meta)
            button = QPushButton(self.tr("Open"))
            button.clicked.connect(lambda _c=False, c=d.client_id, n=d.id: self._open(c, n))
            self.open_buttons.append(button)
            h.addLayout(text, 1)
            h.addWidget(button, 0, Qt.AlignmentFlag.AlignVCenter)
            rv.addWidget(frame)
        if len(drafts) > MAX_SHOWN:
            more = QLabel(
                self.tr("…and %n more in Notes to finish.").replace("%n", str(len(drafts) - MAX_SHOWN))
            )
            more.setObjectName("noteMeta")
            rv.addWidget(more)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(rows)
        buttons = QDialogButtonBox()
        later = buttons.addButton(self.tr("Later"), QDialogButtonBox.ButtonRole.RejectRole)
        later.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 18, 22, 16)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)
        self.resize(600, min(460, 170 + 66 * min(len(drafts), MAX_SHOWN)))
        if self.open_buttons:
            self.open_buttons[0].setDefault(True)
            self.open_buttons[0].setFocus()

    def _open(self, client_id: int, note_id: int) -> None:
        self.accept()
        self.opener(client_id, note_id)


def offer_recovered_drafts(
    ctx: AppContext, parent: QWidget | None, opener: Opener, *, templates: TemplateLibrary | None = None
) -> RecoveryDialog | None:
    """Show the user's unsigned drafts, if any (non-modal).  Call once after signing in."""
    user = ctx.user
    if user is None or ctx.practice is None:
        return None
    drafts = perform(ctx, lambda s: notes.recoverable_drafts(s, user.id))
    if not drafts:
        return None
    log.info("offering %d unsigned draft(s)", len(drafts))
    dialog = RecoveryDialog(
        drafts, opener, templates if templates is not None else templates_for(ctx), parent
    )
    dialog.open()
    return dialog
