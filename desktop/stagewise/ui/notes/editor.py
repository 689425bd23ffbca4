"""The note editor: a template's fields, autosaved as you write, then signed, co-signed and amended.

Autosave (docs/notes.md, "Autosave policy"): a single-shot timer saves ``autosave_ms`` (2 s) after typing
stops and another guarantees a save at most ``max_wait_ms`` (4.5 s) after the first unsaved keystroke, so
continuous typing is saved too; leaving a field saves at once.  Those saves run in the background
(:class:`~stagewise.ui.notes.autosave.DraftSaver`), so typing never waits.  ``save_now()`` saves on the
spot: connect it to ``LockManager.locking``; hosts call it when they close.  A signed note is shown
read-only (:class:`~stagewise.ui.notes.note_view.NoteView`); corrections are addenda.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from stagewise.core.enums import NoteStatus
from stagewise.core.errors import StagewiseError
from stagewise.core.notes import drafts as notes, summary as note_summary
from stagewise.core.notes.drafts import NoteFieldsError, NoteInfo
from stagewise.core.notes.templates import FieldKind, Template, TemplateField, TemplateLibrary
from stagewise.ui.context import AppContext
from stagewise.ui.dialogs import Confirm
from stagewise.ui.notes import labels as note_labels
from stagewise.ui.notes.autosave import DraftSaver
from stagewise.ui.notes.common import SHEET, form_titles, repolish, template_title, templates_for
from stagewise.ui.notes.inputs import _make_input as _make_input, _value as _value
from stagewise.ui.notes.note_view import NoteView
from stagewise.ui.notes.prompts import AddendumDialog, DraftHistoryDialog
from stagewise.ui.ops import perform
from stagewise.ui.workers import OpRunner

log = logging.getLogger(__name__)

AUTOSAVE_MS = 2000  # a pause in typing this long saves
MAX_WAIT_MS = 4500  # typing without a pause is saved at least this often (the promise is ≤ 5 s)

Input = QLineEdit | QPlainTextEdit


class NoteEditor(QWidget):
    """One note.  ``changed(note_id)`` after signing, co-signing, an addendum or a summary; ``discarded``."""

    changed = Signal(int)
    discarded = Signal(int)
    saved = Signal(object)  # DraftSaved

    def __init__(
        self,
        ctx: AppContext,
        note_id: int,
        *,
        templates: TemplateLibrary | None = None,
        autosave_ms: int = AUTOSAVE_MS,
        max_wait_ms: int = MAX_WAIT_MS,
        runner: OpRunner | None = None,
        titles: Callable[[], dict[str, str] | None] | None = None,
        record_view: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("noteEditor")
        self.setStyleSheet(SHEET)
        self.ctx = ctx
        self.note_id = note_id
        self.templates = templates if templates is not None else templates_for(ctx)
        self._titles = titles or (lambda: form_titles(ctx))
        self._loading = False
        self._last_multiline: str | None = None
        self.is_discarded = False
        self.note: NoteInfo = perform(
            ctx, lambda s: notes.get_note(s, note_id, actor=ctx.actor if record_view else None)
        )
        self.template: Template | None = self.templates.find(self.note.template_id)

        self.saver = DraftSaver(
            lambda: ctx.practice.session_factory if ctx.practice is not None else None,
            note_id,
            self.note.fields,
            runner=runner,
            parent=self,
        )
        self.saver.saved.connect(self._saved)
        self.saver.failed.connect(self._save_failed)
        self.idle_timer = QTimer(self)
        self.idle_timer.setSingleShot(True)
        self.idle_timer.setInterval(autosave_ms)
        self.idle_timer.timeout.connect(self._autosave)
        self.max_timer = QTimer(self)
        self.max_timer.setSingleShot(True)
        self.max_timer.setInterval(max_wait_ms)
        self.max_timer.timeout.connect(self._autosave)

        # -- header
        self.title_label = QLabel(template_title(self.templates, self.note.template_id))
        self.title_label.setObjectName("noteTitle")
        self.badge = QLabel()
        self.badge.setObjectName("noteBadge")
        self.saved_label = QLabel()
        self.saved_label.setObjectName("savedLabel")
        self.meta_label = QLabel(note_labels.written_line(self.note.author_name, self.note.written_at))
        self.meta_label.setObjectName("noteMeta")
        self.notice = QLabel()
        self.notice.setObjectName("noteMeta")
        self.notice.setWordWrap(True)
        self.message = QLabel()
        self.message.setObjectName("errorLabel")
        self.message.setWordWrap(True)
        self.message.setVisible(False)
        top = QHBoxLayout()
        top.addWidget(self.title_label)
        top.addSpacing(8)
        top.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignVCenter)
        top.addStretch(1)
        top.addWidget(self.saved_label)

        # -- actions
        self.insert_button = QPushButton(self.tr("&Insert today's session summary"))
        self.insert_button.setToolTip(
            self.tr("Adds today's questionnaires and stage decisions to the field you were writing in.")
        )
        self.insert_button.clicked.connect(lambda: self.insert_session_summary())
        self.history_button = QPushButton(self.tr("Draft &history…"))
        self.history_button.clicked.connect(lambda: self.show_history())
        self.discard_button = QPushButton(self.tr("&Discard draft…"))
        self.discard_button.clicked.connect(lambda: self.discard())
        self.sign_button = QPushButton(self.tr("Si&gn…"))
        self.sign_button.setObjectName("primary")
        self.sign_button.clicked.connect(lambda: self.sign())
        self.addendum_button = QPushButton(self.tr("Add a&ddendum…"))
        self.addendum_button.clicked.connect(lambda: self.add_addendum())
        self.cosign_button = QPushButton(self.tr("&Co-sign…"))
        self.cosign_button.setObjectName("primary")
        self.cosign_button.clicked.connect(lambda: self.cosign())
        actions = QHBoxLayout()
        actions.setSpacing(8)
        for b in (self.insert_button, self.history_button, self.discard_button):
            actions.addWidget(b)
        actions.addStretch(1)
        for b in (self.addendum_button, self.cosign_button, self.sign_button):
            actions.addWidget(b)

        # -- fields
        self.inputs: dict[str, Input] = {}
        self.field_labels: dict[str, QLabel] = {}
        form_page = QWidget()
        form_page.setObjectName("noteFormPage")
        form = QVBoxLayout(form_page)
        form.setContentsMargins(0, 0, 10, 10)
        form.setSpacing(4)
        fields = self.template.fields if self.template else self._fallback_fields()
        for i, field in enumerate(fields):
            if i:
                form.addSpacing(10)
            label = QLabel(field.label + (" *" if field.required else ""))
            label.setObjectName("fieldLabel")
            label.setToolTip(self.tr("Required before signing") if field.required else "")
            widget = _make_input(field)
            widget.setObjectName(f"field_{field.id}")
            widget.setAccessibleName(field.label)
            label.setBuddy(widget)
            form.addWidget(label)
            if field.help:
                help_label = QLabel(field.help)
                help_label.setObjectName("fieldHelp")
                help_label.setWordWrap(True)
                form.addWidget(help_label)
            form.addWidget(widget, 1 if isinstance(widget, QPlainTextEdit) else 0)
            self.inputs[field.id] = widget
            self.field_labels[field.id] = label
            self._fill(widget, self.note.fields.get(field.id, ""))
            if isinstance(widget, QLineEdit):
                widget.textEdited.connect(lambda _t, f=field.id: self._edited(f))
            else:
                widget.textChanged.connect(lambda f=field.id: self._edited(f))
            widget.installEventFilter(self)
        required_hint = QLabel(self.tr("* required before signing"))
        required_hint.setObjectName("fieldHelp")
        form.addSpacing(6)
        form.addWidget(required_hint)
        self.form_scroll = QScrollArea()
        self.form_scroll.setObjectName("noteForm")
        self.form_scroll.setWidgetResizable(True)
        self.form_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.form_scroll.setWidget(form_page)
        self.view: NoteView | None = None
        self.stack = QStackedWidget()
        self.stack.addWidget(self.form_scroll)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 14, 20, 14)
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addWidget(self.meta_label)
        layout.addWidget(self.notice)
        layout.addLayout(actions)
        layout.addWidget(self.message)
        layout.addWidget(self.stack, 1)

        save = QShortcut(QKeySequence.StandardKey.Save, self)
        save.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        save.activated.connect(self.save_now)
        self._show_state()

    # -- state ----------------------------------------------------------------------------------------

    def _fallback_fields(self) -> list[TemplateField]:
        """A note whose template is not installed: every stored field, as multi-line text."""
        return [
            TemplateField(k, k.replace("_", " ").capitalize(), FieldKind.MULTILINE) for k in self.note.fields
        ]

    @property
    def is_draft(self) -> bool:
        return self.note.status is NoteStatus.DRAFT

    @property
    def editable(self) -> bool:
        """A draft, written by the signed-in user, not discarded."""
        user = self.ctx.user
        return self.is_draft and not self.is_discarded and user is not None and user.id == self.note.author_id

    @property
    def read_only(self) -> bool:
        return not self.editable

    def values(self) -> dict[str, str]:
        return {fid: _value(w) for fid, w in self.inputs.items()}

    def _fill(self, widget: Input, text: str) -> None:
        self._loading = True
        try:
            if isinstance(widget, QLineEdit):
                widget.setText(text)
            else:
                widget.setPlainText(text)
        finally:
            self._loading = False

    def _show_state(self) -> None:
        note, user = self.note, self.ctx.user
        self.badge.setText(note_labels.status(note.status))
        self.badge.setProperty("state", note_labels.status_state(note.status))
        repolish(self.badge)
        editable = self.editable
        writer = user is not None and (user.is_clinician or user.is_supervisor)
        for w in self.inputs.values():
            w.setReadOnly(not editable)
        for b in (self.insert_button, self.history_button, self.discard_button, self.sign_button):
            b.setVisible(editable)
        self.addendum_button.setVisible(not self.is_draft and writer)
        self.cosign_button.setVisible(
            note.status is NoteStatus.AWAITING_COSIGN
            and user is not None
            and user.is_supervisor
            and user.id != note.author_id
        )
        if self.is_draft and not editable and not self.is_discarded:
            self.notice.setText(
                self.tr("This draft is %1's; only its author can change or sign it.").replace(
                    "%1", note.author_name
                )
            )
        self.notice.setVisible(bool(self.notice.text()) and self.is_draft)
        if self.is_draft:
            self.saved_label.setText(note_labels.saved(note.updated_at) if editable else "")
            self.stack.setCurrentWidget(self.form_scroll)
        else:
            self.saved_label.setText("")
            if self.view is None:
                self.view = NoteView(note, self.template)
                self.stack.addWidget(self.view)
            else:
                self.view.set_note(note)
            self.stack.setCurrentWidget(self.view)

    def _set_note(self, note: NoteInfo) -> None:
        self.note = note
        self._show_state()

    def _reload(self) -> None:
        perform(self.ctx, lambda s: self._set_note(notes.get_note(s, self.note_id)))

    def show_problem(self, text: str) -> None:
        """A sentence above the fields (empty: hide it)."""
        self._show_message(text)

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    # -- autosave -------------------------------------------------------------------------------------

    def _edited(self, field_id: str) -> None:
        if self._loading or not self.editable:
            return
        self._mark(field_id, False)
        self.idle_timer.start()
        if not self.max_timer.isActive():
            self.max_timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusIn and isinstance(watched, QPlainTextEdit):
            self._last_multiline = next((f for f, w in self.inputs.items() if w is watched), None)
        elif event.type() == QEvent.Type.FocusOut and self.editable:
            self._autosave()  # leaving a field saves it (in the background)
        return False

    @property
    def pending(self) -> bool:
        """Typed text not yet written (a save is due, running or was refused)."""
        return self.idle_timer.isActive() or self.saver.busy or self.values() != self.saver.stored

    def _autosave(self) -> None:
        self.idle_timer.stop()
        self.max_timer.stop()
        if self.editable:
            self.saver.publish(self.values())
            self.saver.save_async()

    def save_now(self) -> bool:
        """Write what is typed, now (lock, close, before signing).  True when everything is stored."""
        self.idle_timer.stop()
        self.max_timer.stop()
        if not self.editable:
            return True
        self.saver.publish(self.values())
        return self.saver.save_sync()

    def _saved(self, result: notes.DraftSaved) -> None:
        self.saved_label.setProperty("state", "ok")
        self.saved_label.setText(note_labels.saved(result.updated_at))
        repolish(self.saved_label)
        self.saved.emit(result)

    def _save_failed(self, reason: str) -> None:
        self.saved_label.setProperty("state", "bad")
        self.saved_label.setText(note_labels.not_saved(reason))
        repolish(self.saved_label)

    def stop(self) -> None:
        """Save and stop autosaving (the database is about to close)."""
        self.save_now()
        self.saver.stop()

    # -- signing --------------------------------------------------------------------------------------

    def _mark(self, field_id: str, bad: bool) -> None:
        for w in (self.inputs.get(field_id), self.field_labels.get(field_id)):
            if w is not None and bool(w.property("invalid")) != bad:
                w.setProperty("invalid", bad)
                repolish(w)

    def _show_field_errors(self, exc: NoteFieldsError) -> None:
        for fid in self.inputs:
            self._mark(fid, fid in exc.field_ids)
        self._show_message(str(exc))
        first = next((self.inputs[f] for f in exc.field_ids if f in self.inputs), None)
        if first is not None:
            self.form_scroll.ensureWidgetVisible(first)
            first.setFocus(Qt.FocusReason.OtherFocusReason)

    def sign(self) -> bool:
        """Check, confirm and sign; on empty required fields, mark them and go to the first.  True: signed."""
        user = self.ctx.user
        if not self.editable or user is None:
            return False
        if not self.save_now():
            self._show_message(self.tr("The draft could not be saved, so it was not signed. Try again."))
            return False
        if self.template is not None:
            try:
                notes.check_signable(self.template, self.values())
            except NoteFieldsError as exc:
                self._show_field_errors(exc)
                return False
        text = self.tr(
            "Sign this note as %1? A signed note cannot be changed; corrections are added as addenda."
        ).replace("%1", user.display_name)
        if user.requires_cosign:
            text += " " + self.tr("A supervisor will then co-sign it.")
        if not Confirm.ask(self, self.tr("Sign note"), text, self.tr("Sign"), default_yes=True):
            return False
        try:
            info = perform(
                self.ctx,
                lambda s: notes.sign_note(
                    s, self.note_id, user_id=user.id, actor=self.ctx.actor, templates=self.templates
                ),
            )
        except NoteFieldsError as exc:
            self._show_field_errors(exc)
            return False
        except StagewiseError as exc:
            self._show_message(str(exc))
            return False
        log.info("note %s signed", self.note_id)
        self.saver.stop()
        self._show_message("")
        self._set_note(info)
        self.changed.emit(self.note_id)
        return True

    def cosign(self) -> bool:
        user = self.ctx.user
        if user is None or not self.cosign_button.isVisible():
            return False
        if not Confirm.ask(
            self,
            self.tr("Co-sign note"),
            self.tr("Co-sign this note by %1 as its supervisor?").replace("%1", self.note.author_name),
            self.tr("Co-sign"),
        ):
            return False
        try:
            info = perform(
                self.ctx,
                lambda s: notes.cosign_note(s, self.note_id, supervisor_id=user.id, actor=self.ctx.actor),
            )
        except StagewiseError as exc:
            self._show_message(str(exc))
            return False
        self._show_message("")
        self._set_note(info)
        self.changed.emit(self.note_id)
        return True

    def add_addendum(self) -> bool:
        user = self.ctx.user
        if user is None or self.is_draft:
            return False
        text = AddendumDialog.ask(self)
        if not text:
            return False
        try:
            perform(
                self.ctx,
                lambda s: notes.add_addendum(s, self.note_id, text, author_id=user.id, actor=self.ctx.actor),
            )
        except StagewiseError as exc:
            self._show_message(str(exc))
            return False
        self._show_message("")
        self._reload()
        self.changed.emit(self.note_id)
        return True

    # -- draft tools ----------------------------------------------------------------------------------

    def insert_session_summary(self, on_date: dt.date | None = None) -> bool:
        """Append today's questionnaires and stage decisions to the field last written in (or the first)."""
        if not self.editable or not self.save_now():
            return False
        field_id = self._last_multiline
        try:
            info = perform(
                self.ctx,
                lambda s: note_summary.insert_session_summary(
                    s,
                    self.note_id,
                    on_date=on_date or dt.date.today(),
                    field_id=field_id,
                    actor=self.ctx.actor,
                    form_titles=self._titles(),
                    templates=self.templates,
                ),
            )
        except StagewiseError as exc:
            self._show_message(str(exc))
            return False
        self.note = info
        for fid, widget in self.inputs.items():
            if _value(widget) != info.fields.get(fid, ""):
                self._fill(widget, info.fields.get(fid, ""))
        self.saver.reset(info.fields)
        self.saved_label.setText(note_labels.saved(info.updated_at))
        target = self.inputs.get(field_id or "") or next(
            (w for f, w in self.inputs.items() if info.fields.get(f)), None
        )
        if isinstance(target, QPlainTextEdit):
            target.setFocus()
            target.moveCursor(target.textCursor().MoveOperation.End)
        self.changed.emit(self.note_id)
        return True

    def show_history(self) -> DraftHistoryDialog | None:
        if not self.is_draft:
            return None
        self.save_now()
        versions = perform(self.ctx, lambda s: notes.draft_history(s, self.note_id))
        labels = {f.id: f.label for f in self.template.fields} if self.template else {}
        dialog = DraftHistoryDialog(versions, labels, self)
        dialog.open()
        return dialog

    def discard(self) -> bool:
        if not self.editable:
            return False
        if not Confirm.ask(
            self,
            self.tr("Discard draft"),
            self.tr("Discard this draft? Its text and its history are deleted; this cannot be undone."),
            self.tr("Discard draft"),
        ):
            return False
        self.idle_timer.stop()
        self.max_timer.stop()
        self.saver.save_sync()  # finish any background write first (it holds the same lock)
        self.saver.stop()
        try:
            perform(self.ctx, lambda s: notes.discard_draft(s, self.note_id, actor=self.ctx.actor))
        except StagewiseError as exc:
            self._show_message(str(exc))
            return False
        log.info("draft %s discarded", self.note_id)
        self.is_discarded = True
        self._show_state()
        self.discarded.emit(self.note_id)
        return True


class NoteWindow(QWidget):
    """A note in a window of its own (opened from search, the to-do view or recovery)."""

    closed = Signal(int)

    def __init__(
        self,
        ctx: AppContext,
        note_id: int,
        *,
        title: str = "",
        parent: QWidget | None = None,
        **editor_kw: object,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("noteWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.editor = NoteEditor(ctx, note_id, **editor_kw)  # type: ignore[arg-type]
        self.note_id = note_id
        self.setWindowTitle(title or self.editor.title_label.text())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.editor)
        self.editor.discarded.connect(lambda _id: self.close())
        close = QShortcut(QKeySequence.StandardKey.Close, self)
        close.activated.connect(self.close)
        self.resize(860, 700)

    def save_now(self) -> bool:
        return self.editor.save_now()

    def _may_close(self) -> bool:
        """Saved, or the user chose to close anyway (never asked once the practice is locked)."""
        if self.editor.save_now() or self.editor.ctx.practice is None:
            return True
        return Confirm.ask(
            self,
            self.tr("Draft not saved"),
            self.tr("The latest changes to this draft could not be saved. Close it anyway and lose them?"),
            self.tr("Close without saving"),
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._may_close():
            event.ignore()
            return
        self.editor.stop()
        self.closed.emit(self.note_id)
        super().closeEvent(event)
