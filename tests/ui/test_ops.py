"""ui/ops.py: a change made anywhere refreshes the screens showing it; an error is one plain message."""

from __future__ import annotations

import dataclasses

from pytestqt.qtbot import QtBot
from sqlalchemy.orm import Session

from stagewise.core.changes import Done, OpChanges
from stagewise.core.clients import records as clients
from stagewise.core.clients.edits import ClientForm, FocusDraft, edit_client
from stagewise.core.errors import UserInputError
from stagewise.ui.ops import run_op
from tests.ui.conftest import MakeWindow, PracticeFile
from tests.ui.test_main_window import family_names, signed_in_window


def _form_of(info: clients.ClientInfo) -> ClientForm:
    return ClientForm(
        info.chart_number,
        info.given_name,
        info.family_name,
        info.date_of_birth,
        tuple(FocusDraft(f.key, f.label, f.id) for f in info.focuses if f.active),
    )


def test_an_edit_made_elsewhere_refreshes_the_client_list_and_the_open_chart(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    window = signed_in_window(qtbot, make_window, practice_file)
    cid = next(r.id for r in window.client_list.model.rows if r.family_name == "Okafor")
    chart = window.open_chart(cid)
    assert chart is not None
    assert "Okafor" in chart.name_label.text()
    heard: list[OpChanges] = []
    window.ctx.changes.changed.connect(lambda changes, _source: heard.append(changes))
    before = chart.client
    form = dataclasses.replace(_form_of(before), family_name="Okafor-Bello")

    # Not the main window's own edit path: any screen running the operation through the runner.
    run_op(window.ctx, lambda s: edit_client(s, cid, form, actor="admin"), parent=None)

    assert [c.client_ids for c in heard] == [frozenset({cid})]
    assert "Okafor-Bello" in family_names(window)
    assert chart.name_label.text().endswith("Okafor-Bello")
    assert window.messages.shown == []


def test_a_slow_operation_commits_off_the_ui_thread_and_still_refreshes(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    window = signed_in_window(qtbot, make_window, practice_file)
    cid = next(r.id for r in window.client_list.model.rows if r.family_name == "Nair")
    got: list[clients.ClientInfo] = []

    def discharge(s: Session) -> Done[clients.ClientInfo]:
        from stagewise.core.clients.edits import set_discharged

        return set_discharged(s, cid, discharged=True, actor="admin")

    run_op(window.ctx, discharge, on_success=got.append, slow=True, runner=window.ops)
    qtbot.waitUntil(lambda: bool(got), timeout=10_000)
    assert got[0].status.value == "discharged"
    assert "Nair" not in family_names(window)  # the active list refreshed itself


def test_an_error_becomes_one_plain_message_and_nothing_is_stored(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    window = signed_in_window(qtbot, make_window, practice_file)
    cid = next(r.id for r in window.client_list.model.rows if r.family_name == "Nair")
    heard: list[OpChanges] = []
    window.ctx.changes.changed.connect(lambda changes, _source: heard.append(changes))

    def half_done(s: Session) -> None:
        clients.discharge(s, cid, actor="admin")
        raise UserInputError("That cannot be saved yet.")

    assert run_op(window.ctx, half_done, title="Change status") is None
    assert window.messages.shown == [("Change status", "That cannot be saved yet.")]
    assert heard == []
    practice = window.ctx.practice
    assert practice is not None
    with practice.session_factory() as s:
        assert clients.get_client(s, cid, actor=None, record_view=False).status.value == "active"
    # Shown in place instead when the screen has a place for it.
    inline: list[str] = []
    run_op(window.ctx, half_done, on_error=inline.append)
    assert inline == ["That cannot be saved yet."]
    assert len(window.messages.shown) == 1
