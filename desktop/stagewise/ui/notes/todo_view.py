"""The notes to-do view: my unsigned drafts, notes awaiting my co-signature, mine awaiting others'.

``TodoView(ctx, opener=...)``: Enter or a double-click opens a note through ``opener(client_id, note_id)``
(default: a note window of its own).  ``refresh()`` reloads; ``count`` is the number of open items.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from stagewise.core.notes import drafts as notes
from stagewise.core.notes.drafts import NoteSummary, TodoList
from stagewise.core.notes.templates import TemplateLibrary
from stagewise.ui.context import AppContext
from stagewise.ui.notes import labels as note_labels
from stagewise.ui.notes.common import (
    SHEET,
    Opener,
    template_title,
    templates_for,
)
from stagewise.ui.notes.windows import NoteWindows
from stagewise.ui.ops import perform


class TodoView(QWidget):
    """A window listing what still needs a signature."""

    closed = Signal()

    def __init__(
        self,
        ctx: AppContext,
        *,
        opener: Opener | None = None,
        templates: TemplateLibrary | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("noteTodo")
        self.setStyleSheet(SHEET)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(self.tr("Notes to finish"))
        self.ctx = ctx
        self.opener = opener
        self.templates = templates if templates is not None else templates_for(ctx)
        self.todo: TodoList | None = None
        self.note_windows = NoteWindows()

        heading = QLabel(self.tr("Notes to finish"))
        heading.setObjectName("noteTitle")
        self.summary = QLabel()
        self.summary.setObjectName("noteMeta")
        self.tree = QTreeWidget()
        self.tree.setObjectName("todoTree")
        self.tree.setColumnCount(5)
        self.tree.setHeaderLabels(
            [self.tr("Chart"), self.tr("Note"), self.tr("Written"), self.tr("Author"), self.tr("Begins")]
        )
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setStretchLastSection(True)
        self.tree.itemActivated.connect(lambda item, _c: self._open(item))
        self.refresh_button = QPushButton(self.tr("&Refresh"))
        self.refresh_button.clicked.connect(self.refresh)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.refresh_button, 0, Qt.AlignmentFlag.AlignRight)
        close = QShortcut(QKeySequence.StandardKey.Close, self)
        close.activated.connect(self.close)
        self.resize(900, 560)
        self.refresh()

    @property
    def count(self) -> int:
        return self.todo.count if self.todo is not None else 0

    def refresh(self) -> None:
        user = self.ctx.user
        if user is None or self.ctx.practice is None:
            return
        self.todo = perform(self.ctx, lambda s: notes.todo(s, user_id=user.id))
        self.tree.clear()
        sections = [
            (self.tr("My unsigned drafts"), self.todo.drafts),
            (self.tr("Awaiting my co-signature"), self.todo.to_cosign),
            (self.tr("Mine, awaiting a supervisor's co-signature"), self.todo.awaiting_cosign),
        ]
        if not user.is_supervisor:
            sections.pop(1)
        first: QTreeWidgetItem | None = None
        for title, rows in sections:
            group = QTreeWidgetItem([f"{title} ({len(rows)})"])
            group.setFirstColumnSpanned(True)
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.tree.addTopLevelItem(group)
            group.setFirstColumnSpanned(True)
            for row in rows:
                item = self._item(row)
                group.addChild(item)
                first = first or item
            if not rows:
                none = QTreeWidgetItem([self.tr("Nothing here.")])
                none.setFlags(Qt.ItemFlag.NoItemFlags)
                group.addChild(none)
                none.setFirstColumnSpanned(True)
        self.tree.expandAll()
        self.summary.setText(note_labels.need_attention(self.count))
        if first is not None:
            self.tree.setCurrentItem(first)

    def _item(self, row: NoteSummary) -> QTreeWidgetItem:
        preview = " ".join(row.preview.split())
        item = QTreeWidgetItem(
            [
                row.chart_number,
                template_title(self.templates, row.template_id),
                note_labels.local_time(row.written_at),
                row.author_name,
                preview[:60] + ("…" if len(preview) > 60 else ""),
            ]
        )
        item.setData(0, Qt.ItemDataRole.UserRole, (row.client_id, row.id))
        return item

    def _open(self, item: QTreeWidgetItem) -> None:
        ids = item.data(0, Qt.ItemDataRole.UserRole)
        if ids:
            self.open_note(*ids)

    def _watch(self, window: QWidget) -> None:
        window.editor.changed.connect(lambda _nid: self.refresh())  # type: ignore[attr-defined]
        window.editor.discarded.connect(lambda _nid: self.refresh())  # type: ignore[attr-defined]

    def open_selected(self) -> None:
        item = self.tree.currentItem()
        if item is not None:
            self._open(item)

    def open_note(self, client_id: int, note_id: int) -> QWidget | None:
        if self.opener is not None:
            self.opener(client_id, note_id)
            return None
        return self.note_windows.show_note(self.ctx, note_id, self, on_open=self._watch)

    def save_now(self) -> None:
        self.note_windows.save_all()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.note_windows.close_all()
        self.closed.emit()
        super().closeEvent(event)
