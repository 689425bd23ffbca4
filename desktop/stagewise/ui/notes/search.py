"""Note search: results as you type, matches highlighted, Enter opens the note.

``SearchPanel`` is the query box, optional filters and the result list; the chart's Notes tab embeds one
for its client, and ``SearchWindow(ctx)`` is the practice-wide window (filters: chart number, author,
dates, note type).  The query is taken literally (``note_search``: FTS syntax is plain text), runs off the
UI thread after a short pause in typing, and a newer query always wins over an older answer.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from html import escape
from typing import Any

from PySide6.QtCore import QDate, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from stagewise.core import users
from stagewise.core.clients import records as clients
from stagewise.core.notes import drafts as notes
from stagewise.core.notes.drafts import SearchHit
from stagewise.core.notes.search import query_words
from stagewise.core.notes.templates import TemplateLibrary
from stagewise.ui.context import AppContext
from stagewise.ui.notes import labels as note_labels
from stagewise.ui.notes.common import (
    SHEET,
    Opener,
    snippet_html,
    template_title,
    templates_for,
)
from stagewise.ui.notes.windows import NoteWindows
from stagewise.ui.workers import OpRunner

log = logging.getLogger(__name__)

SEARCH_DELAY_MS = 250
LIMIT = 50
_ANY_DATE = QDate(2000, 1, 1)


@dataclass(frozen=True, slots=True)
class SearchQuery:
    text: str
    client_id: int | None = None
    chart_number: str = ""
    author_id: int | None = None
    template_id: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None


class HitRow(QWidget):
    """One result: where it is (chart, type, date, status, author) and the snippet with matches marked."""

    def __init__(self, hit: SearchHit, title: str, *, show_chart: bool) -> None:
        super().__init__()
        self.hit = hit
        # Practice-wide, the client's name goes beside the chart number: a number alone says nothing.
        where = (
            [f"<b>{escape(hit.client_name)}</b> ({self.tr('chart')} {escape(hit.chart_number)})"]
            if show_chart
            else []
        )
        where += [
            f"<b>{note_labels.local_date(hit.written_at)}</b>",
            escape(title),
            note_labels.status(hit.status),
            escape(hit.author_name),
        ]
        self.where = QLabel(" · ".join(where))
        self.where.setObjectName("noteMeta")
        self.where.setTextFormat(Qt.TextFormat.RichText)
        self.snippet = QLabel(snippet_html(hit.snippet))
        self.snippet.setObjectName("snippet")
        self.snippet.setTextFormat(Qt.TextFormat.RichText)
        self.snippet.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 7, 10, 7)
        layout.setSpacing(3)
        layout.addWidget(self.where)
        layout.addWidget(self.snippet)


class SearchPanel(QObject):
    """The parts of a note search; the host lays out ``query_edit``, ``filters`` and ``results_box``."""

    open_requested = Signal(int, int)  # client id, note id
    active_changed = Signal(bool)  # the query has words (the host shows results instead of its list)
    searched = Signal(int)  # results shown (their number)

    def __init__(
        self,
        ctx: AppContext,
        *,
        client_id: int | None = None,
        templates: TemplateLibrary | None = None,
        delay_ms: int = SEARCH_DELAY_MS,
        show_filters: bool = False,
        limit: int = LIMIT,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.client_id = client_id
        self.templates = templates if templates is not None else templates_for(ctx)
        self.limit = limit
        self.runner = OpRunner(self)
        self.hits: list[SearchHit] = []
        self._generation = 0
        self._shown_generation = 0
        self._active = False

        self.query_edit = QLineEdit()
        self.query_edit.setObjectName("noteSearch")
        self.query_edit.setClearButtonEnabled(True)
        self.query_edit.setPlaceholderText(self.tr("Search notes (words in any order)"))
        self.query_edit.textChanged.connect(self._schedule)
        self.query_edit.installEventFilter(self)

        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(delay_ms)
        self.timer.timeout.connect(self.run)
        self.query_edit.destroyed.connect(self.timer.stop)

        self.results = QListWidget()
        self.results.setObjectName("searchResults")
        self.results.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.results.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._viewport = self.results.viewport()
        self._viewport.installEventFilter(self)
        self.results.itemActivated.connect(lambda _item: self.open_current())
        self.results.installEventFilter(self)
        self.status_label = QLabel()
        self.status_label.setObjectName("noteMeta")
        self.results_box = QWidget()
        self.results_box.setObjectName("searchResultsBox")
        rb = QVBoxLayout(self.results_box)
        rb.setContentsMargins(0, 0, 0, 0)
        rb.setSpacing(6)
        rb.addWidget(self.status_label)
        rb.addWidget(self.results, 1)

        self.filters: QWidget | None = None
        if show_filters:
            self._build_filters()

    # -- filters --------------------------------------------------------------------------------------

    def _build_filters(self) -> None:
        self.filters = QWidget()
        self.filters.setObjectName("searchFilters")
        self.chart_edit = QLineEdit()
        self.chart_edit.setObjectName("chartFilter")
        self.chart_edit.setPlaceholderText(self.tr("Any client"))
        self.chart_edit.setMaximumWidth(130)
        self.chart_edit.textChanged.connect(self._schedule)
        self.author_combo = QComboBox()
        self.author_combo.setObjectName("authorFilter")
        self.author_combo.addItem(self.tr("Anyone"), None)
        practice = self.ctx.practice
        if practice is not None:
            with practice.session_factory() as s:
                shown = users.people(s)
                for u in users.list_users(s):
                    if u.is_clinician or u.is_supervisor:
                        self.author_combo.addItem(shown[u.id], u.id)
        self.author_combo.currentIndexChanged.connect(self._schedule)
        self.template_combo = QComboBox()
        self.template_combo.setObjectName("templateFilter")
        self.template_combo.addItem(self.tr("Any type"), None)
        for t in self.templates:
            self.template_combo.addItem(t.title, t.id)
        self.template_combo.currentIndexChanged.connect(self._schedule)
        self.since_edit = self._date_edit("sinceFilter")
        self.until_edit = self._date_edit("untilFilter")
        row = QHBoxLayout(self.filters)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(8)
        for text, widget in (
            (self.tr("C&hart no."), self.chart_edit),
            (self.tr("&Author"), self.author_combo),
            (self.tr("&Type"), self.template_combo),
            (self.tr("F&rom"), self.since_edit),
            (self.tr("T&o"), self.until_edit),
        ):
            label = QLabel(text)
            label.setBuddy(widget)
            row.addWidget(label)
            row.addWidget(widget)
            row.addSpacing(6)
        row.addStretch(1)

    def _date_edit(self, name: str) -> QDateEdit:
        edit = QDateEdit()
        edit.setObjectName(name)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("d MMM yyyy")
        edit.setMinimumDate(_ANY_DATE)
        edit.setSpecialValueText(self.tr("Any date"))
        edit.setDate(_ANY_DATE)
        edit.setMinimumWidth(130)
        edit.dateChanged.connect(self._schedule)
        return edit

    @staticmethod
    def _date(edit: QDateEdit) -> dt.date | None:
        value = edit.date()
        return None if value == _ANY_DATE else dt.date(value.year(), value.month(), value.day())

    def query(self) -> SearchQuery:
        text = self.query_edit.text()
        if self.filters is None:
            return SearchQuery(text, client_id=self.client_id)
        return SearchQuery(
            text,
            client_id=self.client_id,
            chart_number=self.chart_edit.text().strip(),
            author_id=self.author_combo.currentData(),
            template_id=self.template_combo.currentData(),
            since=self._date(self.since_edit),
            until=self._date(self.until_edit),
        )

    # -- searching ------------------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        return self._active

    @property
    def pending(self) -> bool:
        """A search is waiting for the pause in typing, or running."""
        return self.timer.isActive() or self._shown_generation != self._generation

    def focus(self) -> None:
        self.query_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.query_edit.selectAll()

    def clear(self) -> None:
        self.query_edit.clear()

    def _schedule(self, *_args: Any) -> None:
        active = bool(query_words(self.query_edit.text()))
        if active != self._active:
            self._active = active
            self.active_changed.emit(active)
        self._generation += 1
        self.timer.start()

    def run(self) -> None:
        """Search now with the current query and filters."""
        self.timer.stop()
        generation = self._generation
        q = self.query()
        practice = self.ctx.practice
        if practice is None or not query_words(q.text):
            self._show(generation, [], "")
            return
        factory, limit, actor = practice.session_factory, self.limit, self.ctx.actor

        def work() -> tuple[list[SearchHit], str]:
            with factory() as s:
                client_id = q.client_id
                if q.chart_number:
                    found = clients.get_by_chart_number(s, q.chart_number)
                    if found is None:
                        return [], "no_client"
                    client_id = found.id
                hits = notes.search_notes(
                    s,
                    q.text,
                    client_id=client_id,
                    author_id=q.author_id,
                    template_id=q.template_id,
                    since=q.since,
                    until=q.until,
                    limit=limit,
                    actor=actor,
                )
            return hits, ""

        def done(result: tuple[list[SearchHit], str]) -> None:
            self._show(generation, *result)

        def failed(exc: BaseException) -> None:
            self._failed(generation, exc)

        self.runner.run(work, on_done=done, on_failed=failed, name="note-search")

    def _show(self, generation: int, hits: list[SearchHit], problem: str) -> None:
        if generation != self._generation:
            return  # a newer query is on its way
        self._shown_generation = generation
        self.hits = hits
        self.results.clear()
        show_chart = self.client_id is None
        for hit in hits:
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, hit.note_id)
            row = HitRow(hit, template_title(self.templates, hit.template_id), show_chart=show_chart)
            self.results.addItem(item)
            self.results.setItemWidget(item, row)
        self._fit_rows()
        if hits:
            self.results.setCurrentRow(0)
        if problem == "no_client":
            self.status_label.setText(self.tr("No client has that chart number."))
        elif query_words(self.query_edit.text()):
            self.status_label.setText(note_labels.results(len(hits), self.limit))
        else:
            self.status_label.setText("")
        self.searched.emit(len(hits))

    def _fit_rows(self) -> None:
        """Give each result the height its wrapped snippet needs at the list's current width."""
        width = self.results.viewport().width()
        for i in range(self.results.count()):
            item = self.results.item(i)
            row = self.results.itemWidget(item)
            if row is None:
                continue
            hint = row.sizeHint()
            if row.hasHeightForWidth() and width > 50:
                hint.setHeight(row.heightForWidth(width))
            if item.sizeHint() != hint:
                item.setSizeHint(hint)

    def _failed(self, generation: int, exc: BaseException) -> None:
        log.warning("note search failed: %s", type(exc).__name__)
        if generation == self._generation:
            self._shown_generation = generation
            self.hits = []
            self.results.clear()
            self.status_label.setText(self.tr("The search could not run; try again."))
            self.searched.emit(0)

    def open_current(self) -> None:
        row = self.results.currentRow()
        if 0 <= row < len(self.hits):
            hit = self.hits[row]
            self.open_requested.emit(hit.client_id, hit.note_id)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._viewport:
            if event.type() == QEvent.Type.Resize:
                self._fit_rows()
            return False
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if watched is self.query_edit and self.pending:
                self.run()  # Enter right after typing: search now, then open
                return True
            if self.hits:
                self.open_current()
                return True
        elif watched is self.query_edit and key == Qt.Key.Key_Down and self.hits:
            self.results.setFocus()
            return True
        elif watched is self.query_edit and key == Qt.Key.Key_Escape and self.query_edit.text():
            self.query_edit.clear()
            return True
        return False


class SearchWindow(QWidget):
    """Practice-wide note search.  Opens notes through ``opener(client_id, note_id)``, else in a window."""

    closed = Signal()

    def __init__(
        self,
        ctx: AppContext,
        *,
        opener: Opener | None = None,
        delay_ms: int = SEARCH_DELAY_MS,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("noteSearchWindow")
        self.setStyleSheet(SHEET)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(self.tr("Search notes — %1").replace("%1", ctx.practice_name or "Stagewise"))
        self.ctx = ctx
        self.opener = opener
        self.note_windows = NoteWindows()
        self.panel = SearchPanel(ctx, delay_ms=delay_ms, show_filters=True, parent=self)
        self.panel.query_edit.setPlaceholderText(
            self.tr("Search every note and addendum: words in any order; the last may be the start of a word")
        )
        self.panel.open_requested.connect(self.open_note)
        heading = QLabel(self.tr("Search notes"))
        heading.setObjectName("noteTitle")
        hint = QLabel(self.tr("Newest first. Enter opens the selected note; ↓ moves to the results."))
        hint.setObjectName("noteMeta")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addWidget(self.panel.query_edit)
        assert self.panel.filters is not None
        layout.addWidget(self.panel.filters)
        layout.addWidget(hint)
        layout.addWidget(self.panel.results_box, 1)
        close = QShortcut(QKeySequence.StandardKey.Close, self)
        close.activated.connect(self.close)
        find = QShortcut(QKeySequence.StandardKey.Find, self)
        find.activated.connect(self.panel.focus)
        self.resize(1000, 680)
        self.panel.query_edit.setFocus()

    def open_note(self, client_id: int, note_id: int) -> QWidget | None:
        if self.opener is not None:
            self.opener(client_id, note_id)
            return None
        return self.note_windows.show_note(self.ctx, note_id, self)

    def save_now(self) -> None:
        self.note_windows.save_all()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.note_windows.close_all()
        self.closed.emit()
        super().closeEvent(event)
