"""The chart's Notes tab: the client's notes newest first, a search box, New note, and the open note.

``NotesTab(ctx, client_id)`` goes into ``ChartWindow.notes_tab``'s layout.  The open note's editor saves
when the tab's window closes and on ``save_now()`` (connect it to ``LockManager.locking``).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from stagewise.core.errors import StagewiseError
from stagewise.core.notes import drafts as notes
from stagewise.core.notes.drafts import NoteSummary
from stagewise.core.notes.templates import TemplateLibrary
from stagewise.ui.context import AppContext
from stagewise.ui.notes import labels as note_labels
from stagewise.ui.notes.common import SHEET, ElidedLabel, repolish, template_title, templates_for
from stagewise.ui.notes.editor import AUTOSAVE_MS, NoteEditor
from stagewise.ui.notes.search import SearchPanel
from stagewise.ui.ops import perform

log = logging.getLogger(__name__)


class NoteRow(QWidget):
    """One line of the list: date and type, status badge, author, and the start of the text."""

    def __init__(self, summary: NoteSummary, title: str) -> None:
        super().__init__()
        self.summary = summary
        # The title gives way (… at its end), never the badge: a long title once squeezed it away.
        self.title = ElidedLabel(f"{note_labels.local_date(summary.written_at)} · {title}")
        self.title.setObjectName("noteRowTitle")
        self.badge = QLabel(note_labels.status(summary.status))
        self.badge.setObjectName("noteBadge")
        self.badge.setProperty("state", note_labels.status_state(summary.status))
        self.badge.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        repolish(self.badge)
        self.meta = QLabel(summary.author_name)
        self.meta.setObjectName("noteMeta")
        self.preview = ElidedLabel(summary.preview or self.tr("(empty)"))
        self.preview.setObjectName("noteMeta")
        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(self.title, 1)
        top.addWidget(self.badge)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 7, 10, 7)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.meta)
        layout.addWidget(self.preview)


class NotesTab(QWidget):
    """Everything about one client's notes."""

    changed = Signal()  # a note was created, signed, amended or discarded

    def __init__(
        self,
        ctx: AppContext,
        client_id: int,
        *,
        templates: TemplateLibrary | None = None,
        autosave_ms: int = AUTOSAVE_MS,
        search_delay_ms: int = 250,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("notes")
        self.setStyleSheet(SHEET)
        self.ctx = ctx
        self.client_id = client_id
        self.templates = templates if templates is not None else templates_for(ctx)
        self.autosave_ms = autosave_ms
        self.rows: list[NoteSummary] = []
        self.editor: NoteEditor | None = None
        self._watched: QWidget | None = None

        self.new_button = QPushButton(self.tr("Ne&w note"))
        self.new_button.setObjectName("primary")
        self.new_menu = QMenu(self.new_button)
        for t in self.templates:
            action = self.new_menu.addAction(t.title)
            action.setData(t.id)
            action.setToolTip(t.description)
            action.triggered.connect(lambda _c=False, tid=t.id: self.new_note(tid))
        self.new_button.setMenu(self.new_menu)

        self.search = SearchPanel(
            ctx, client_id=client_id, templates=self.templates, delay_ms=search_delay_ms
        )
        self.search.query_edit.setPlaceholderText(self.tr("Search this client's notes (Ctrl+F)"))
        self.search.open_requested.connect(lambda _c, nid: self.open_note(nid))
        self.search.active_changed.connect(self._search_active)

        self.list = QListWidget()
        self.list.setObjectName("noteList")
        self.list.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.itemActivated.connect(lambda item: self.open_note(int(item.data(Qt.ItemDataRole.UserRole))))
        self.list.installEventFilter(self)
        self.empty = QLabel(self.tr("No notes yet. Start one with New note (Alt+W)."))
        self.empty.setObjectName("placeholder")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.left_stack = QStackedWidget()
        self.left_stack.addWidget(self.list)
        self.left_stack.addWidget(self.empty)
        self.left_stack.addWidget(self.search.results_box)

        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 8, 0)
        lv.setSpacing(8)
        head = QHBoxLayout()
        heading = QLabel(self.tr("Notes"))
        heading.setObjectName("sectionTitle")
        head.addWidget(heading)
        head.addStretch(1)
        head.addWidget(self.new_button)
        lv.addLayout(head)
        lv.addWidget(self.search.query_edit)
        lv.addWidget(self.left_stack, 1)

        self.placeholder = QLabel(
            self.tr("Open a note from the list (Enter), or start one with New note (Alt+W).")
        )
        self.placeholder.setObjectName("placeholder")
        self.placeholder.setWordWrap(True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.right = QStackedWidget()
        self.right.setObjectName("noteArea")
        self.right.addWidget(self.placeholder)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([330, 670])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 12, 12)
        layout.addWidget(self.splitter)

        find = QShortcut(QKeySequence.StandardKey.Find, self)
        find.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.activated.connect(self.search.focus)
        new = QShortcut(QKeySequence.StandardKey.New, self)
        new.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        new.activated.connect(self.new_button.showMenu)
        self.refresh()

    # -- list -----------------------------------------------------------------------------------------

    def refresh(self, select_id: int | None = None) -> None:
        if self.ctx.practice is None:
            return
        self.rows = perform(self.ctx, lambda s: notes.list_notes(s, client_id=self.client_id))
        current = select_id if select_id is not None else self.current_note_id()
        self.list.clear()
        for row in self.rows:
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, row.id)
            widget = NoteRow(row, template_title(self.templates, row.template_id))
            item.setSizeHint(widget.sizeHint())
            self.list.addItem(item)
            self.list.setItemWidget(item, widget)
            if row.id == current:
                self.list.setCurrentItem(item)
        self._search_active(self.search.active)

    def current_note_id(self) -> int | None:
        item = self.list.currentItem()
        return int(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def _search_active(self, active: bool) -> None:
        if active:
            self.left_stack.setCurrentWidget(self.search.results_box)
        else:
            self.left_stack.setCurrentWidget(self.list if self.rows else self.empty)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._watched and event.type() == QEvent.Type.Close:
            self.save_now()  # the chart window is closing: keep every word
        elif (
            watched is self.list
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            nid = self.current_note_id()
            if nid is not None:
                self.open_note(nid)
                return True
        return False

    def showEvent(self, event: object) -> None:
        window = self.window()
        if window is not self._watched and window is not self:
            if self._watched is not None:
                self._watched.removeEventFilter(self)
            window.installEventFilter(self)
            self._watched = window
        super().showEvent(event)  # type: ignore[arg-type]

    # -- notes ----------------------------------------------------------------------------------------

    def new_note(self, template_id: str) -> NoteEditor | None:
        """Start a draft from a template and open it with the cursor in its first field."""
        user = self.ctx.user
        if user is None:
            return None
        try:
            info = perform(
                self.ctx,
                lambda s: notes.create_draft(
                    s,
                    client_id=self.client_id,
                    template_id=template_id,
                    author_id=user.id,
                    actor=self.ctx.actor,
                    templates=self.templates,
                ),
            )
        except StagewiseError as exc:
            self._problem(str(exc))
            return None
        log.info("draft %s started", info.id)
        self.search.clear()
        self.refresh(select_id=info.id)
        self.changed.emit()
        editor = self.open_note(info.id, record_view=False)
        if editor is not None and editor.inputs:
            next(iter(editor.inputs.values())).setFocus()
        return editor

    def open_note(self, note_id: int, *, record_view: bool = True) -> NoteEditor | None:
        if self.editor is not None and self.editor.note_id == note_id:
            self.editor.setFocus()
            return self.editor
        if not self.close_note():
            return self.editor  # its text is not stored yet: keep it on screen
        try:
            editor = NoteEditor(
                self.ctx,
                note_id,
                templates=self.templates,
                autosave_ms=self.autosave_ms,
                record_view=record_view,
            )
        except StagewiseError as exc:
            self._problem(str(exc))
            return None
        editor.changed.connect(lambda nid: self._note_changed(nid))
        editor.saved.connect(lambda _r, e=editor: self._update_preview(e))
        editor.discarded.connect(self._discarded)
        self.editor = editor
        self.right.addWidget(editor)
        self.right.setCurrentWidget(editor)
        for i in range(self.list.count()):
            item = self.list.item(i)
            if int(item.data(Qt.ItemDataRole.UserRole)) == note_id:
                self.list.setCurrentItem(item)
        return editor

    def close_note(self) -> bool:
        """Save and close the open note (if any).  False: it could not be saved, so it stays open."""
        editor = self.editor
        if editor is None:
            return True
        if not editor.save_now():
            editor.show_problem(self.tr("This draft could not be saved, so it stays open. Try again."))
            return False
        editor.stop()
        self.editor = None
        self.right.removeWidget(editor)
        editor.hide()
        editor.deleteLater()
        self.right.setCurrentWidget(self.placeholder)
        return True

    def _note_changed(self, note_id: int) -> None:
        self.refresh(select_id=note_id)
        self.changed.emit()

    def _update_preview(self, editor: NoteEditor) -> None:
        """Autosaved: show the new start of the text in the list without reloading it."""
        for i in range(self.list.count()):
            item = self.list.item(i)
            if int(item.data(Qt.ItemDataRole.UserRole)) == editor.note_id:
                row = self.list.itemWidget(item)
                if isinstance(row, NoteRow):
                    text = " ".join(v for v in editor.values().values() if v)
                    row.preview.set_full_text(text[: notes.PREVIEW_CHARS] or self.tr("(empty)"))

    def _discarded(self, _note_id: int) -> None:
        self.close_note()
        self.refresh()
        self.changed.emit()
        self.list.setFocus()

    def _problem(self, text: str) -> None:
        self.placeholder.setText(text)
        self.right.setCurrentWidget(self.placeholder)

    def save_now(self) -> bool:
        """Write the open draft now (connect to ``LockManager.locking``)."""
        return self.editor.save_now() if self.editor is not None else True
