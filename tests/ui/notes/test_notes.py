"""The note editor in the chart's Notes tab: typing, autosave, signing, addenda, co-signature, drafts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPlainTextEdit, QWidget
from pytestqt.qtbot import QtBot

from stagewise.core import users
from stagewise.core.clients import records as clients
from stagewise.core.models import NoteStatus
from stagewise.core.notes import drafts as notes
from stagewise.core.storage import store
from stagewise.ui.clients.chart_window import ChartWindow
from stagewise.ui.dialogs import Confirm
from stagewise.ui.lock import LockManager
from stagewise.ui.notes.editor import NoteEditor
from stagewise.ui.notes.notes_tab import NoteRow, NotesTab
from stagewise.ui.notes.prompts import AddendumDialog, DraftHistoryDialog
from stagewise.ui.notes.recovery import offer_recovered_drafts
from stagewise.ui.notes.todo_view import TodoView
from tests.ui.conftest import MakeWindow, PracticeFile, shoot, sign_in
from tests.ui.notes.notes_support import Notes, chart_with_notes, install, open_notes

SUBJECTIVE = "Client reports sleeping better since cutting down to two drinks on weekdays."
OBJECTIVE = "Calm, engaged; URICA shows contemplation."
ASSESSMENT = "Moving towards preparation; no risk concerns today."
PLAN = "Drink diary for two weeks; review in 14 days."


@pytest.fixture
def env(practice_file: PracticeFile, styled_app: QApplication, tmp_path: Path) -> Iterator[Notes]:
    yield from open_notes(practice_file, styled_app, tmp_path)


@pytest.fixture
def confirm(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Answer every confirmation with yes and remember the titles asked."""
    asked: list[str] = []

    def ask(
        _cls: object, _parent: QWidget | None, title: str, _text: str, _yes: str, *, default_yes: bool = False
    ) -> bool:
        asked.append(title)
        return True

    monkeypatch.setattr(Confirm, "ask", classmethod(ask))
    return asked


def start_soap(qtbot: QtBot, env: Notes, **tab_kw: object) -> tuple[ChartWindow, NoteEditor]:
    chart, tab = chart_with_notes(qtbot, env, **tab_kw)
    action = next(a for a in tab.new_menu.actions() if a.data() == "soap")
    action.trigger()
    editor = tab.editor
    assert editor is not None
    qtbot.waitUntil(editor.inputs["subjective"].hasFocus)
    return chart, editor


def test_write_autosave_sign_and_amend_a_soap_note(
    qtbot: QtBot, env: Notes, confirm: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    chart, editor = start_soap(qtbot, env, autosave_ms=50)
    tab = chart.notes_tab.findChild(QWidget, "notes")
    assert tab is not None
    note_id = editor.note_id
    assert [f for f, lbl in editor.field_labels.items() if lbl.text().endswith("*")] == [
        "subjective",
        "objective",
        "assessment",
        "plan",
    ]

    # Typing alone is enough: the draft reaches the database without any explicit save.
    qtbot.keyClicks(editor.inputs["subjective"], SUBJECTIVE)
    qtbot.waitUntil(lambda: env.stored(note_id)["subjective"] == SUBJECTIVE, timeout=5_000)
    qtbot.waitUntil(lambda: editor.saved_label.text().startswith("Saved"))
    shoot(chart, "notes_editor_draft")

    # Signing with empty required fields is refused: they are marked and the cursor goes to the first.
    qtbot.mouseClick(editor.sign_button, Qt.MouseButton.LeftButton)
    assert confirm == []
    assert env.info(note_id).status is NoteStatus.DRAFT
    assert editor.message.isVisible()
    assert "Objective, Assessment, Plan" in editor.message.text()
    marked = [f for f, w in editor.inputs.items() if w.property("invalid")]
    assert marked == ["objective", "assessment", "plan"]
    assert editor.field_labels["plan"].property("invalid")
    qtbot.waitUntil(editor.inputs["objective"].hasFocus)
    shoot(chart, "notes_editor_missing_fields")

    qtbot.keyClicks(editor.inputs["objective"], OBJECTIVE)
    assert not editor.inputs["objective"].property("invalid")  # typing clears the mark
    qtbot.keyClick(editor.inputs["objective"], Qt.Key.Key_Tab)
    qtbot.waitUntil(editor.inputs["assessment"].hasFocus)
    qtbot.keyClicks(editor.inputs["assessment"], ASSESSMENT)
    qtbot.keyClick(editor.inputs["assessment"], Qt.Key.Key_Tab)
    qtbot.keyClicks(editor.inputs["plan"], PLAN)

    qtbot.mouseClick(editor.sign_button, Qt.MouseButton.LeftButton)
    assert confirm == ["Sign note"]
    info = env.info(note_id)
    assert info.status is NoteStatus.SIGNED
    assert info.fields == {
        "subjective": SUBJECTIVE,
        "objective": OBJECTIVE,
        "assessment": ASSESSMENT,
        "plan": PLAN,
    }
    assert info.hash is not None

    # Read-only from now on, showing who signed, when, and the fingerprint.
    assert editor.read_only
    assert all(w.isReadOnly() for w in editor.inputs.values())
    assert not editor.sign_button.isVisible()
    assert editor.view is not None
    assert editor.stack.currentWidget() is editor.view
    assert "Signed by Casey Lee" in editor.view.signature.signed_label.text()  # the person, not "casey"
    assert info.hash in editor.view.signature.hash_label.text()
    assert editor.view.field_labels["plan"].text() == PLAN
    assert editor.badge.text() == "Signed"

    # A correction is an addendum, typed into the real dialog.
    def ask(_cls: object, parent: QWidget | None) -> str | None:
        dialog = AddendumDialog(parent)
        qtbot.addWidget(dialog)
        dialog.show()
        assert not dialog.ok_button.isEnabled()
        qtbot.keyClicks(dialog.edit, "Late entry: client phoned to confirm the next appointment.")
        assert dialog.ok_button.isEnabled()
        return dialog.text()

    monkeypatch.setattr(AddendumDialog, "ask", classmethod(ask))
    assert editor.addendum_button.isVisible()
    qtbot.mouseClick(editor.addendum_button, Qt.MouseButton.LeftButton)
    info = env.info(note_id)
    assert [a.text for a in info.addenda] == ["Late entry: client phoned to confirm the next appointment."]
    assert info.fields["plan"] == PLAN  # the note itself never changed
    assert len(editor.view.addendum_cards) == 1
    assert "client phoned" in editor.view.addendum_cards[0].text_label.text()

    # The list shows the signed note with its badge, newest first, next to a new draft.
    env.draft("dap", data="Reviewed drink diary.")
    tab.refresh(select_id=note_id)  # type: ignore[attr-defined]
    rows = tab.rows  # type: ignore[attr-defined]
    assert rows[0].status is NoteStatus.DRAFT
    assert rows[1].id == note_id
    assert rows[1].status is NoteStatus.SIGNED
    shoot(chart, "notes_editor_signed_addendum")


def test_notes_tab_lists_badges_and_opens_with_enter(qtbot: QtBot, env: Notes, confirm: list[str]) -> None:
    first = env.draft(subjective="First session.")
    with env.practice.session_factory.begin() as s:
        notes.save_draft(s, first, {"objective": "o", "assessment": "a", "plan": "p"})
        assert env.casey is not None
        notes.sign_note(s, first, user_id=env.casey.id, actor="casey")
    second = env.draft("birp", behaviour="Arrived on time.")
    chart, tab = chart_with_notes(qtbot, env)
    assert [r.id for r in tab.rows] == [second, first]
    rows = [tab.list.itemWidget(tab.list.item(i)) for i in range(tab.list.count())]
    badges = [r.badge.text() for r in rows if isinstance(r, NoteRow)]
    assert badges == ["Draft", "Signed"]
    assert tab.editor is None
    tab.list.setFocus()
    tab.list.setCurrentRow(1)
    qtbot.keyClick(tab.list, Qt.Key.Key_Return)
    assert tab.editor is not None
    assert tab.editor.note_id == first
    assert tab.editor.read_only
    tab.list.setCurrentRow(0)
    qtbot.keyClick(tab.list, Qt.Key.Key_Return)
    assert tab.editor is not None
    assert tab.editor.note_id == second
    assert not tab.editor.read_only
    shoot(chart, "notes_tab")


def test_draft_is_saved_on_focus_change(qtbot: QtBot, env: Notes) -> None:
    _chart, editor = start_soap(qtbot, env, autosave_ms=60_000)  # the timer cannot be what saves
    qtbot.keyClicks(editor.inputs["subjective"], "Said the week was hard.")
    assert env.stored(editor.note_id)["subjective"] == ""
    qtbot.keyClick(editor.inputs["subjective"], Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: env.stored(editor.note_id)["subjective"] == "Said the week was hard.")


def test_draft_is_saved_on_lock_and_on_close(qtbot: QtBot, env: Notes) -> None:
    chart, editor = start_soap(qtbot, env, autosave_ms=60_000)
    tab = chart.notes_tab.findChild(QWidget, "notes")
    lock = LockManager(idle_ms=600_000)
    lock.locking.connect(tab.save_now)  # type: ignore[union-attr]  # the integration line
    qtbot.keyClicks(editor.inputs["subjective"], "Before the lock")
    lock.locking.emit()  # saved at once: the database closes right after this signal
    assert env.stored(editor.note_id)["subjective"] == "Before the lock"
    qtbot.keyClicks(editor.inputs["subjective"], ", and before closing.")
    chart.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)  # so qtbot can close it again
    chart.close()
    assert env.stored(editor.note_id)["subjective"] == "Before the lock, and before closing."


def test_continuous_typing_is_saved_within_the_max_wait(qtbot: QtBot, env: Notes) -> None:
    note_id = env.draft()
    editor = NoteEditor(env.ctx, note_id, autosave_ms=60_000, max_wait_ms=100)
    qtbot.addWidget(editor)
    editor.show()
    qtbot.keyClicks(editor.inputs["plan"], "Keep going")
    editor.idle_timer.start()  # as if the typing never paused: only the max-wait timer can save
    qtbot.waitUntil(lambda: env.stored(note_id)["plan"] == "Keep going")
    assert editor.idle_timer.isActive() is False


def test_history_summary_and_discard(qtbot: QtBot, env: Notes, confirm: list[str]) -> None:
    chart, editor = start_soap(qtbot, env, autosave_ms=50)
    tab = chart.notes_tab.findChild(QWidget, "notes")
    note_id = editor.note_id
    qtbot.keyClicks(editor.inputs["subjective"], "Some words.")
    qtbot.waitUntil(lambda: env.stored(note_id)["subjective"] == "Some words.")
    dialog = editor.show_history()
    assert isinstance(dialog, DraftHistoryDialog)
    qtbot.addWidget(dialog)
    assert dialog.list.count() == 1
    assert "Subjective" in dialog.list.item(0).text()
    assert "Some words." in dialog.view.toPlainText()
    shoot(dialog, "notes_draft_history")
    dialog.close()

    # The session summary goes into the field last written in (or the first multi-line one).
    editor.inputs["objective"].setFocus()
    qtbot.waitUntil(editor.inputs["objective"].hasFocus)
    assert editor.insert_session_summary()
    stored = env.stored(note_id)
    assert stored["objective"] != ""
    assert editor.inputs["objective"].toPlainText() == stored["objective"]  # type: ignore[union-attr]
    assert stored["subjective"] == "Some words."

    assert editor.discard()
    assert confirm == ["Discard draft"]
    with env.practice.session_factory() as s:
        assert notes.list_notes(s, client_id=env.client_id) == []
    assert tab.editor is None  # type: ignore[union-attr]


def test_other_authors_draft_is_read_only(qtbot: QtBot, env: Notes) -> None:
    note_id = env.draft(subjective="Casey's words")
    assert env.sam is not None
    editor = NoteEditor(env.context(env.sam), note_id)
    qtbot.addWidget(editor)
    assert editor.read_only
    assert editor.inputs["subjective"].isReadOnly()
    assert "only its author" in editor.notice.text()


def test_cosign_by_a_supervisor_and_the_todo_view(qtbot: QtBot, env: Notes, confirm: list[str]) -> None:
    with env.practice.session_factory.begin() as s:
        assert env.casey is not None
        users.set_requires_cosign(s, env.casey.id, True, actor="admin")
        env.casey = users.get_by_username(s, "casey")
    assert env.casey is not None
    env.ctx = env.context(env.casey)
    note_id = env.draft(subjective="s", objective="o", assessment="a", plan="p")
    editor = NoteEditor(env.ctx, note_id)
    qtbot.addWidget(editor)
    assert editor.sign()
    assert env.info(note_id).status is NoteStatus.AWAITING_COSIGN
    assert editor.badge.text() == "Awaiting co-signature"
    assert not editor.cosign_button.isVisible()  # never one's own

    assert env.sam is not None
    sam = env.context(env.sam)
    todo = TodoView(sam)
    qtbot.addWidget(todo)
    assert todo.count == 1
    group = todo.tree.topLevelItem(1)
    assert group is not None
    assert group.text(0).startswith("Awaiting my co-signature (1)")
    todo.show()
    qtbot.waitExposed(todo)
    shoot(todo, "notes_todo")
    window = todo.open_note(env.client_id, note_id)
    assert window is not None
    sam_editor = window.editor  # type: ignore[attr-defined]
    assert sam_editor.cosign_button.isVisible()
    assert sam_editor.cosign()
    info = env.info(note_id)
    assert info.status is NoteStatus.SIGNED
    assert info.cosigned_by_username == "sam"
    todo.refresh()
    assert todo.count == 0
    todo.close()


def test_recovered_drafts_are_offered_after_sign_in(qtbot: QtBot, env: Notes) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    assert offer_recovered_drafts(env.ctx, parent, lambda c, n: None) is None
    first = env.draft(subjective="one")
    second = env.draft("dap", client_id=env.other_client_id, data="two")
    opened: list[tuple[int, int]] = []
    dialog = offer_recovered_drafts(env.ctx, parent, lambda c, n: opened.append((c, n)))
    assert dialog is not None
    qtbot.addWidget(dialog)
    assert dialog.findChild(QWidget, "noteTitle").text() == "You have 2 unsigned drafts"  # type: ignore[union-attr]
    assert len(dialog.open_buttons) == 2
    shoot(dialog, "notes_recovery")
    qtbot.mouseClick(dialog.open_buttons[1], Qt.MouseButton.LeftButton)
    assert opened == [(env.client_id, first)]
    assert second != first


def test_date_and_list_fields_of_a_treatment_plan(qtbot: QtBot, env: Notes, confirm: list[str]) -> None:
    note_id = env.draft("treatment_plan")
    editor = NoteEditor(env.ctx, note_id, autosave_ms=50)
    qtbot.addWidget(editor)
    editor.resize(900, 700)
    editor.show()
    kinds = {f.id: f.kind.value for f in editor.template.fields}  # type: ignore[union-attr]
    lists = [f for f, k in kinds.items() if k == "list"]
    dates = [f for f, k in kinds.items() if k == "date"]
    assert lists
    assert dates
    assert isinstance(editor.inputs[lists[0]], QPlainTextEdit)
    for fid, widget in editor.inputs.items():
        qtbot.keyClicks(widget, "2026-02-30" if fid in dates else "x")
    assert not editor.sign()  # 30 February is not a date
    shoot(editor, "notes_editor_treatment_plan")
    assert all(editor.inputs[d].property("invalid") for d in dates)
    assert confirm == []


def test_a_refused_save_keeps_the_text_and_says_so(qtbot: QtBot, env: Notes, confirm: list[str]) -> None:
    chart, editor = start_soap(qtbot, env, autosave_ms=30)
    tab = chart.notes_tab.findChild(NotesTab, "notes")
    assert tab is not None
    qtbot.keyClicks(editor.inputs["subjective"], "s")
    qtbot.waitUntil(lambda: env.stored(editor.note_id)["subjective"] == "s")
    with env.practice.session_factory.begin() as s:  # signed elsewhere meanwhile (another window)
        notes.save_draft(s, editor.note_id, {"objective": "o", "assessment": "a", "plan": "p"})
        assert env.casey is not None
        notes.sign_note(s, editor.note_id, user_id=env.casey.id, actor="casey")
    qtbot.keyClicks(editor.inputs["subjective"], " and more")
    qtbot.waitUntil(lambda: editor.saved_label.text().startswith("Not saved"))
    assert "addendum" in editor.saved_label.text()
    assert editor.inputs["subjective"].toPlainText() == "s and more"  # type: ignore[union-attr]
    # Opening another note does not throw the unsaved text away.
    other = env.draft("dap")
    tab.refresh()
    assert tab.open_note(other) is editor
    assert editor.message.isVisible()


@pytest.mark.parametrize("connect_locking", [True, False])
def test_locking_the_main_window_keeps_the_draft(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile, connect_locking: bool
) -> None:
    window = make_window(practice_file)
    window.start()
    sign_in(qtbot, window)
    ctx = window.ctx
    assert ctx.practice is not None
    with ctx.practice.session_factory() as s:
        client = clients.get_by_chart_number(s, "1001")
    assert client is not None
    chart = window.open_chart(client.id)
    assert chart is not None
    tab = NotesTab(ctx, client.id, autosave_ms=60_000)  # the lead's integration lines
    install(chart.notes_tab, tab)
    if connect_locking:
        window.lock_manager.locking.connect(tab.save_now)
    chart.tabs.setCurrentWidget(chart.notes_tab)
    editor = tab.new_note("free_text")
    assert editor is not None
    note_id = editor.note_id
    qtbot.keyClicks(editor.inputs["text"], "Typed just before the lock")
    window.lock()  # the chart closes and the database closes, with no autosave due yet
    assert window.is_locked
    practice = store.open_practice(practice_file.path, practice_file.key)
    try:
        with practice.session_factory() as s:
            assert notes.get_note(s, note_id).fields["text"] == "Typed just before the lock"
    finally:
        practice.close()


def test_new_note_menu_offers_shipped_and_practice_templates(qtbot: QtBot, env: Notes) -> None:
    folder = env.ctx.paths.data / "forms" / "templates"
    folder.mkdir(parents=True)
    (folder / "group.toml").write_text(
        'id = "group_session"\nversion = "1"\ntitle = "Group session"\n\n'
        '[[fields]]\nid = "summary"\nlabel = "Summary"\nkind = "multiline"\nrequired = true\n',
        encoding="utf-8",
    )
    _chart, tab = chart_with_notes(qtbot, env)
    titles = [a.text() for a in tab.new_menu.actions()]
    assert titles == [
        "SOAP note",
        "DAP note",
        "BIRP note",
        "Free-text note",
        "Treatment plan",
        "Group session",
    ]
    editor = tab.new_note("group_session")
    assert editor is not None
    assert list(editor.inputs) == ["summary"]
