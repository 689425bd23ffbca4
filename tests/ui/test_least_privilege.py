"""Issue #16: an administrator-only account keeps the client list but is never shown clinical content."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from stagewise.core import users
from stagewise.core.models import AuditEvent, Role
from stagewise.core.storage import store
from tests.conftest import ADMIN_PASSWORD
from tests.ui.conftest import MakeWindow, PracticeFile, shoot, sign_in


def _add_admin_only(pf: PracticeFile) -> None:
    with store.open_practice(pf.path, pf.key) as p, p.session_factory.begin() as s:
        users.create_user(
            s, username="o.quaaith", display_name="Olu Quaaith", password=ADMIN_PASSWORD,
            roles=(Role.ADMIN,), actor="admin",
        )  # fmt: skip


def _chart_views(pf: PracticeFile) -> int:
    with store.open_practice(pf.path, pf.key) as p, p.session_factory() as s:
        q = select(func.count()).where(AuditEvent.action == "view", AuditEvent.entity == "client")
        return int(s.execute(q).scalar_one())


def test_an_admin_only_account_is_refused_a_chart_with_a_plain_message(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    _add_admin_only(practice_file)
    window = make_window(practice_file)
    window.start()
    sign_in(qtbot, window, "o.quaaith", ADMIN_PASSWORD)
    panel = window.client_list
    qtbot.waitUntil(lambda: len(panel.model.rows) == 5)

    # The client list stays usable for administration; clinical windows are not offered.
    assert window.new_action.isEnabled()
    assert window.users_action.isEnabled()
    assert not window.open_action.isEnabled()
    assert not window.open_action.isVisible()
    assert not panel.open_button.isVisible()
    assert not window.notes_menu.menuAction().isVisible()
    for action in (window.dashboard_action, window.practice_report_action, window.search_notes_action,
                   window.todo_action):  # fmt: skip
        assert not action.isEnabled()

    # Enter or a double-click on a client: refused, and the person is told why in plain words.
    panel.table.setFocus()
    panel.table.selectRow(0)
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    panel.table.doubleClicked.emit(panel.model.index(1, 1))
    assert window.open_chart(panel.model.rows[2].id) is None
    assert window.chart_windows == {}
    title, text = window.messages.shown[-1]
    assert title == "Open chart"
    assert text == users.CLINICAL_ONLY
    assert "clinical accounts" in text
    for size in ((1000, 700), (1600, 1000)):
        window.resize(*size)
        shoot(window, f"admin_only_client_list_{size[0]}")
    window.shutdown()
    assert _chart_views(practice_file) == 0  # nothing was opened


def test_a_clinician_still_opens_charts(
    qtbot: QtBot, make_window: MakeWindow, practice_file: PracticeFile
) -> None:
    window = make_window(practice_file)
    window.start()
    sign_in(qtbot, window)  # "admin" is administrator and clinician
    assert window.open_action.isVisible()
    chart = window.open_chart(window.client_list.model.rows[0].id)
    assert chart is not None
    assert window.dashboard_action.isEnabled()
    assert window.search_notes_action.isEnabled()
    # The audit log names the person who signed in ("Alex Morgan"), not the user name "admin".
    audit_window = window.show_audit_log()
    assert audit_window is not None
    model = audit_window.model
    (row,) = [r for r, e in enumerate(model.events) if e.action == "sign_in"][:1]
    assert model.data(model.index(row, 1)) == "Alex Morgan"
    assert model.data(model.index(row, 1), Qt.ItemDataRole.ToolTipRole) == "Alex Morgan · admin"
