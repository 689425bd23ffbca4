"""Shared set-up for the notes UI tests: a signed-in context on a practice, and a chart with the Notes tab."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from stagewise.core import users
from stagewise.core.clients import records as clients
from stagewise.core.models import Note, Role
from stagewise.core.notes import drafts as notes
from stagewise.core.paths import AppPaths
from stagewise.core.storage import store
from stagewise.ui.clients.chart_window import ChartWindow
from stagewise.ui.context import AppContext
from stagewise.ui.notes.notes_tab import NotesTab
from tests.ui.conftest import PracticeFile

SUPERVISOR_PASSWORD = "Copper-Willow-Beacon-58"


class Notes:
    """A practice opened as the app opens it after sign-in, with ``casey`` (clinician) signed in."""

    def __init__(self, pf: PracticeFile, home: Path) -> None:
        self.pf = pf
        self.practice = store.open_practice(pf.path, pf.key)
        with self.practice.session_factory.begin() as s:
            users.create_user(
                s,
                username="sam",
                display_name="Sam Rivera",
                password=SUPERVISOR_PASSWORD,
                roles=(Role.SUPERVISOR,),
                actor="admin",
            )
            self.casey = users.get_by_username(s, "casey")
            self.sam = users.get_by_username(s, "sam")
            client = clients.get_by_chart_number(s, "1001")
            other = clients.get_by_chart_number(s, "1002")
        assert self.casey is not None
        assert self.sam is not None
        assert client is not None
        assert other is not None
        self.client_id = client.id
        self.other_client_id = other.id
        self.ctx = self.context(self.casey)
        self.home = home

    def context(self, user: users.UserInfo) -> AppContext:
        return AppContext(
            paths=AppPaths.resolve(self.pf.path.parent / "home"),
            practice_path=self.pf.path,
            no_dialogs=True,
            practice=self.practice,
            user=user,
            practice_name="Harbour Counselling",
            key=self.pf.key,
        )

    def stored(self, note_id: int) -> dict[str, str]:
        """The note's fields as the database holds them (a fresh session)."""
        with self.practice.session_factory() as s:
            note = s.get(Note, note_id)
            assert note is not None
            return {str(k): str(v) for k, v in note.fields.items()}

    def info(self, note_id: int) -> notes.NoteInfo:
        with self.practice.session_factory() as s:
            return notes.get_note(s, note_id)

    def draft(self, template_id: str = "soap", client_id: int | None = None, **fields: str) -> int:
        assert self.casey is not None
        with self.practice.session_factory.begin() as s:
            return notes.create_draft(
                s,
                client_id=client_id or self.client_id,
                template_id=template_id,
                author_id=self.casey.id,
                actor="casey",
                fields=fields or None,
            ).id

    def close(self) -> None:
        QThreadPool.globalInstance().waitForDone(10_000)
        self.practice.close()


def open_notes(practice_file: PracticeFile, styled_app: QApplication, tmp_path: Path) -> Iterator[Notes]:
    """The body of each notes test module's ``env`` fixture."""
    del styled_app  # requested for its side effect: the app's style is applied
    env = Notes(practice_file, tmp_path / "home")
    try:
        yield env
    finally:
        env.close()


def chart_with_notes(qtbot: QtBot, env: Notes, **tab_kw: object) -> tuple[ChartWindow, NotesTab]:
    """A chart window with the Notes tab installed exactly as the lead's integration line does."""
    with env.practice.session_factory() as s:
        client = clients.get_client(s, env.client_id, actor=None, record_view=False)
    chart = ChartWindow(client, practice_name="Harbour Counselling")
    qtbot.addWidget(chart)
    tab = NotesTab(env.ctx, env.client_id, **tab_kw)  # type: ignore[arg-type]
    install(chart.notes_tab, tab)
    chart.tabs.setCurrentWidget(chart.notes_tab)
    chart.resize(1366, 768)
    chart.show()
    qtbot.waitExposed(chart)
    return chart, tab


def install(host: QWidget, tab: QWidget) -> None:
    """Replace a chart tab's placeholder with ``tab`` (what ChartWindow will do)."""
    layout = host.layout()
    assert layout is not None
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget() if item is not None else None
        if widget is not None:
            widget.hide()
            widget.deleteLater()
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(tab)
