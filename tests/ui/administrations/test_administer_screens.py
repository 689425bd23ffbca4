"""Screenshots of the questionnaire screens at 1366×768 and 1920×1080, for a person to look at.

Saved in ``$STAGEWISE_SHOTS`` (default ``/tmp/shots``) as ``administer-<screen>-<size>.png``.
"""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from stagewise.core.models import AdministrationMode
from stagewise.ui.administrations.clinician_form import ClinicianForm
from stagewise.ui.administrations.handover import HandoverWindow
from stagewise.ui.administrations.item_history_view import ItemHistoryView
from stagewise.ui.administrations.results_view import ResultsView
from stagewise.ui.context import AppContext
from tests.ui.administrations.test_administer import URICA, client, complete_with, ctx, make_tab, start
from tests.ui.conftest import shoot

__all__ = ["ctx"]  # the fixture, shared with test_administer

SIZES = [(1366, 768), (1920, 1080)]


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_screenshots(
    qtbot: QtBot, ctx: AppContext, monkeypatch: pytest.MonkeyPatch, width: int, height: int
) -> None:
    size = f"{width}x{height}"
    day = dt.datetime(2026, 9, 1, 10, tzinfo=dt.UTC)
    earlier = complete_with(ctx, "urica-32", {k: 3 for k in URICA}, when=day)
    rcq = {str(i): (2 if i in (2, 6, 7, 11) else -1) for i in range(1, 13)}
    complete_with(ctx, "rcq-12", rcq, when=day + dt.timedelta(days=1))
    latest = complete_with(ctx, "urica-32", URICA, when=day + dt.timedelta(days=30))
    assert earlier < latest

    tab = make_tab(qtbot, ctx)
    form = start(qtbot, monkeypatch, tab, "urica-32", AdministrationMode.CLINICIAN)
    assert isinstance(form, ClinicianForm)
    form.resize(width, height)
    qtbot.waitUntil(lambda: form.current_row is form.rows[0])
    for i, value in enumerate(list(URICA.values())[:9]):
        if i == 4:
            qtbot.keyClick(form.rows[i], Qt.Key.Key_Tab)  # one left blank: highlighted
            continue
        qtbot.keyClicks(form.rows[i], str(value))
        qtbot.keyClick(form.rows[i], Qt.Key.Key_Return)
    qtbot.keyClicks(form.rows[9], "7")  # out of scale: the message shows
    shoot(form, f"administer-clinician-{size}")
    form.close()

    ladder = start(qtbot, monkeypatch, tab, "readiness-ruler", AdministrationMode.CLINICIAN)
    assert isinstance(ladder, ClinicianForm)
    ladder.resize(width, height)
    qtbot.keyClicks(ladder.rows[0], "7")
    shoot(ladder, f"administer-ruler-{size}")
    ladder.close()

    hand = start(qtbot, monkeypatch, tab, "urica-32", AdministrationMode.CLIENT)
    assert isinstance(hand, HandoverWindow)
    hand.resize(width, height)  # offscreen "full screen" has the platform's size; show the target sizes
    shoot(hand, f"administer-handover-intro-{size}")
    qtbot.keyClick(hand, Qt.Key.Key_Return)
    for value in "2431":
        qtbot.keyClicks(hand, value)
    shoot(hand, f"administer-handover-item-{size}")
    hand.show_end()
    shoot(hand, f"administer-handover-end-{size}")
    hand.save_and_close()

    results = ResultsView(ctx, latest)
    qtbot.addWidget(results)
    results.resize(width, height)
    results.show()
    shoot(results, f"administer-results-{size}")

    history = ItemHistoryView(ctx, client(ctx).id, "urica-32", client(ctx).focuses[0].id)
    qtbot.addWidget(history)
    history.resize(width, height)
    history.show()
    shoot(history, f"administer-history-{size}")

    tab.refresh()
    tab.resize(width - 100, height - 200)
    shoot(tab, f"administer-tab-{size}")


def test_dialog_screenshots(qtbot: QtBot, ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    from stagewise.core.administrations import risk
    from stagewise.ui.administrations.picker import StartDialog, load_choices
    from stagewise.ui.administrations.risk_prompt import RiskPromptDialog

    me = client(ctx)
    start_dialog = StartDialog(None, load_choices(ctx, me.id), me.focuses[0].id)
    qtbot.addWidget(start_dialog)
    start_dialog.show()
    shoot(start_dialog, "administer-start-dialog")

    tab = make_tab(qtbot, ctx)
    prompts: list[risk.RiskPrompt] = []
    monkeypatch.setattr(RiskPromptDialog, "ask", classmethod(lambda cls, p, prompt: prompts.append(prompt)))
    form = start(qtbot, monkeypatch, tab, "phq-9", AdministrationMode.CLINICIAN, with_focus=False)
    assert isinstance(form, ClinicianForm)
    qtbot.keyClicks(form.rows[8], "3")
    assert prompts
    dialog = RiskPromptDialog(form, prompts[0])
    qtbot.addWidget(dialog)
    dialog.show()
    shoot(dialog, "administer-risk-prompt")
    dialog.close()
    form.resize(1366, 768)
    shoot(form, "administer-phq9-1366x768")
    form.close()
    tab.refresh()
    tab.resize(1266, 568)
    shoot(tab, "administer-tab-alert")
