"""Note search: as you type, highlighted matches, filters, FTS syntax as plain text, Enter opens."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from stagewise.core.notes import drafts as notes
from stagewise.ui.notes.common import snippet_html
from stagewise.ui.notes.editor import NoteWindow
from stagewise.ui.notes.search import HitRow, SearchPanel, SearchWindow
from tests.ui.conftest import PracticeFile, shoot
from tests.ui.notes.notes_support import Notes, chart_with_notes, open_notes


@pytest.fixture
def env(practice_file: PracticeFile, styled_app: QApplication, tmp_path: Path) -> Iterator[Notes]:
    yield from open_notes(practice_file, styled_app, tmp_path)


def seed(env: Notes) -> tuple[int, int, int]:
    """A signed SOAP note with an addendum for client 1001, a draft for 1001 and a draft for 1002."""
    signed = env.draft(
        subjective="Client reports cravings in the evening, especially after work.",
        objective="Restless; AUDIT-C 7.",
        assessment="Contemplation; ambivalent about cutting down.",
        plan="Decisional balance next session.",
    )
    assert env.casey is not None
    with env.practice.session_factory.begin() as s:
        notes.sign_note(s, signed, user_id=env.casey.id, actor="casey")
        notes.add_addendum(
            s, signed, "Phoned: cravings eased at the weekend.", author_id=env.casey.id, actor="casey"
        )
    draft = env.draft("dap", data="Talked about sleep and evening routines.")
    other = env.draft(
        "free_text", client_id=env.other_client_id, text="Cravings discussed with a new client."
    )
    return signed, draft, other


def results_of(panel: SearchPanel) -> list[int]:
    return [h.note_id for h in panel.hits]


def wait_search(qtbot: QtBot, panel: SearchPanel) -> None:
    qtbot.waitUntil(lambda: not panel.pending, timeout=5_000)


def test_snippet_is_escaped_and_highlighted() -> None:
    html = snippet_html("a <b>\x02crav\x03ings</b>\nnext")
    assert "&lt;b&gt;" in html
    assert html.count("<b style") == 1
    assert ">crav</b>" in html
    assert "\n" not in html


def test_client_search_in_the_notes_tab_opens_the_note(qtbot: QtBot, env: Notes) -> None:
    signed, _draft, _other = seed(env)
    chart, tab = chart_with_notes(qtbot, env, search_delay_ms=20)
    chart.activateWindow()
    tab.list.setFocus()
    qtbot.waitUntil(tab.list.hasFocus)
    qtbot.keyClick(tab.list, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(tab.search.query_edit.hasFocus)
    qtbot.keyClicks(tab.search.query_edit, "crav")
    wait_search(qtbot, tab.search)
    assert results_of(tab.search) == [signed]  # this client only; prefix match while typing
    assert tab.left_stack.currentWidget() is tab.search.results_box
    row = tab.search.results.itemWidget(tab.search.results.item(0))
    assert isinstance(row, HitRow)
    assert "<b style" in row.snippet.text()
    assert "ravings</b>" in row.snippet.text()
    shoot(chart, "notes_tab_search")
    qtbot.keyClick(tab.search.query_edit, Qt.Key.Key_Return)
    assert tab.editor is not None
    assert tab.editor.note_id == signed
    assert tab.editor.read_only
    # Clearing the query brings the list back.
    qtbot.keyClick(tab.search.query_edit, Qt.Key.Key_Escape)
    assert tab.left_stack.currentWidget() is tab.list


def test_practice_search_window_filters_and_opens(qtbot: QtBot, env: Notes) -> None:
    signed, draft, other = seed(env)
    window = SearchWindow(env.ctx, delay_ms=20)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    panel = window.panel
    qtbot.keyClicks(panel.query_edit, "cravings")
    wait_search(qtbot, panel)
    assert results_of(panel) == [other, signed]  # newest first, every client
    assert panel.status_label.text() == "2 notes match."
    rows = [panel.results.itemWidget(panel.results.item(i)) for i in range(panel.results.count())]
    assert all(isinstance(r, HitRow) for r in rows)
    # Practice-wide: whose note it is (name beside the chart number) and who wrote it, by name.
    where = [r.where.text() for r in rows if isinstance(r, HitRow)]
    assert "<b>Ana Okafor</b> (chart 1002)" in where[0]
    assert "<b>Jo Smith</b> (chart 1001)" in where[1]
    assert all("Casey Lee" in w and "casey" not in w for w in where)
    shoot(window, "notes_search_window")

    qtbot.keyClicks(panel.chart_edit, "1001")
    wait_search(qtbot, panel)
    assert results_of(panel) == [signed]
    panel.chart_edit.clear()
    qtbot.keyClicks(panel.chart_edit, "9999")
    wait_search(qtbot, panel)
    assert results_of(panel) == []
    assert "chart number" in panel.status_label.text()
    panel.chart_edit.clear()
    panel.template_combo.setCurrentIndex(panel.template_combo.findData("free_text"))
    wait_search(qtbot, panel)
    assert results_of(panel) == [other]
    panel.template_combo.setCurrentIndex(0)
    panel.since_edit.setDate(QDate.currentDate().addDays(1))
    wait_search(qtbot, panel)
    assert results_of(panel) == []
    panel.since_edit.setDate(panel.since_edit.minimumDate())
    wait_search(qtbot, panel)
    assert results_of(panel) == [other, signed]

    # Addenda are searched too; Down moves to the results and Enter opens the note.
    panel.query_edit.clear()
    qtbot.keyClicks(panel.query_edit, "weekend")
    wait_search(qtbot, panel)
    assert results_of(panel) == [signed]
    qtbot.keyClick(panel.query_edit, Qt.Key.Key_Down)
    assert panel.results.hasFocus() or panel.results.currentRow() == 0
    qtbot.keyClick(panel.results, Qt.Key.Key_Return)
    opened = window.note_windows.get(signed)
    assert isinstance(opened, NoteWindow)
    assert opened.editor.view is not None
    assert len(opened.editor.view.addendum_cards) == 1
    del draft


@pytest.mark.parametrize("query", ["a AND (b", '"cravings', "crav*", 'NEAR(x y) OR "', ":^-+", "*"])
def test_fts_syntax_is_plain_text(qtbot: QtBot, env: Notes, query: str) -> None:
    seed(env)
    window = SearchWindow(env.ctx, delay_ms=10)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.panel.searched, timeout=5_000):
        qtbot.keyClicks(window.panel.query_edit, query)
    wait_search(qtbot, window.panel)
    assert "could not run" not in window.panel.status_label.text()
    if query in ('"cravings', "crav*"):
        assert len(window.panel.hits) == 2


def test_enter_right_after_typing_searches_then_opens(qtbot: QtBot, env: Notes) -> None:
    signed, _draft, _other = seed(env)
    opened: list[tuple[int, int]] = []
    window = SearchWindow(env.ctx, delay_ms=60_000, opener=lambda c, n: opened.append((c, n)))
    qtbot.addWidget(window)
    qtbot.keyClicks(window.panel.query_edit, "decisional")
    qtbot.keyClick(window.panel.query_edit, Qt.Key.Key_Return)  # searches now instead of waiting
    wait_search(qtbot, window.panel)
    qtbot.keyClick(window.panel.query_edit, Qt.Key.Key_Return)
    assert opened == [(env.client_id, signed)]
