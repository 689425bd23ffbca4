"""Pieces shared by the notes screens: templates, form titles, highlight, style."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from stagewise.core.notes.search import snippet_spans
from stagewise.core.notes.templates import TemplateLibrary, default_templates, load_templates
from stagewise.ui.context import AppContext
from stagewise.ui.style import ACCENT, MUTED, resource

log = logging.getLogger(__name__)

# open(client_id, note_id): how a list or search result asks for a note to be shown.
Opener = Callable[[int, int], None]

HIGHLIGHT = "#fbe7a1"  # soft amber behind matched words: readable on white, distinct from the teal accent

_ICONS = resource("icons").as_posix()

SHEET = f"""
QDateEdit::drop-down {{ subcontrol-origin: padding; subcontrol-position: center right; width: 22px;
                        border: none; }}
QDateEdit::down-arrow {{ image: url("{_ICONS}/chevron-down.svg"); width: 12px; height: 12px; }}
QDateEdit {{ padding-right: 24px; }}
#noteBadge {{ border-radius: 9px; padding: 1px 9px; font-weight: 600; font-size: 12px; }}
#noteBadge[state="draft"] {{ background: #fdf1d8; color: #7a5200; }}
#noteBadge[state="awaiting"] {{ background: #e4ecf7; color: #2b4c7e; }}
#noteBadge[state="signed"] {{ background: #d3e7e5; color: #1d4446; }}
#noteTitle {{ font-size: 17px; font-weight: 600; color: #1f2933; }}
#noteRowTitle {{ font-weight: 600; color: #1f2933; }}
#noteMeta, #savedLabel, #fieldHelp {{ color: {MUTED}; }}
#fieldHelp {{ font-size: 12px; }}
#fieldLabel {{ font-weight: 600; color: #1f2933; }}
#fieldLabel[invalid="true"] {{ color: #b3261e; }}
QLineEdit[invalid="true"], QPlainTextEdit[invalid="true"] {{
    border: 1px solid #b3261e; background: #fdf3f2;
}}
#savedLabel[state="bad"] {{ color: #b3261e; }}
#notePaper {{ background: #ffffff; border: 1px solid #e1e4e8; border-radius: 8px; }}
#signatureBlock {{ background: #f3f7f7; border: 1px solid #d4e3e3; border-radius: 6px; }}
#addendumCard {{ background: #ffffff; border: 1px solid #e1e4e8; border-left: 3px solid {ACCENT};
                 border-radius: 6px; }}
#hashLabel {{ font-family: monospace; font-size: 11px; color: {MUTED}; }}
#viewFieldText {{ color: #1f2933; }}
#sectionTitle {{ font-weight: 600; color: #4a5560; }}
QListWidget#noteList, QListWidget#searchResults, QTreeWidget#todoTree {{
    background: #ffffff; border: 1px solid #e1e4e8; border-radius: 6px; outline: none;
}}
QListWidget#noteList::item, QListWidget#searchResults::item {{ border-bottom: 1px solid #eef0f2; }}
QListWidget#noteList::item:selected, QListWidget#searchResults::item:selected {{ background: #edf4f4; }}
QListWidget#historyList {{
    background: #ffffff; border: 1px solid #e1e4e8; border-radius: 6px; outline: none;
}}
QListWidget#historyList::item {{ padding: 6px 8px; border-bottom: 1px solid #eef0f2; color: #1f2933; }}
QListWidget#historyList::item:selected {{ background: #d4e6e7; color: #1f2933; }}
QTreeWidget#todoTree::item {{ padding: 4px 2px; }}
QTreeWidget#todoTree::item:selected {{ background: #d4e6e7; color: #1f2933; }}
"""


def templates_for(ctx: AppContext) -> TemplateLibrary:
    """Shipped templates plus the practice's own; the shipped ones alone if a practice file is broken."""
    try:
        return default_templates(ctx.paths)
    except Exception as exc:  # a malformed practice template must not stop anyone writing notes
        log.warning("practice note templates not loaded: %s", type(exc).__name__)
        return load_templates()


def template_title(library: TemplateLibrary, template_id: str) -> str:
    found = library.find(template_id)
    return found.title if found is not None else template_id.replace("_", " ").capitalize()


def form_titles(ctx: AppContext) -> dict[str, str] | None:
    """Instrument id → title for session summaries (None: the summary uses the ids)."""
    try:
        from stagewise.core.instruments import load_library, practice_forms_dir

        library = load_library((practice_forms_dir(ctx.paths),))
    except Exception as exc:
        log.warning("instrument titles not loaded: %s", type(exc).__name__)
        return None
    return {f.id: f.title for f in library.forms}


def snippet_html(snippet: str) -> str:
    """A search snippet as rich text: matches bold on a soft highlight, everything else escaped."""
    out = []
    for text, is_match in snippet_spans(snippet):
        piece = html.escape(re.sub(r"\s+", " ", text))
        if is_match:
            piece = f'<b style="background-color:{HIGHLIGHT}">{piece}</b>'
        out.append(piece)
    return "".join(out)


def repolish(widget: QWidget) -> None:
    """Re-apply the style sheet after a dynamic property changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    widget.update()


class ElidedLabel(QLabel):
    """One line of plain text that ends in … when it does not fit (list previews)."""

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.full_text = ""
        self.set_full_text(text)

    def set_full_text(self, text: str) -> None:
        self.full_text = " ".join(text.split())
        self._elide()

    def _elide(self) -> None:
        width = max(10, self.contentsRect().width())
        self.setText(self.fontMetrics().elidedText(self.full_text, Qt.TextElideMode.ElideRight, width))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()
