"""Giving questionnaires on screen (issue 4): both modes by keyboard, risk prompts, leaving, resuming."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

from stagewise.core import settings, users
from stagewise.core.administrations import lifecycle as administrations, risk
from stagewise.core.clients import records as clients
from stagewise.core.instruments.loader import load_library
from stagewise.core.instruments.scoring import score
from stagewise.core.models import AdministrationMode, AdministrationStatus
from stagewise.core.storage import store
from stagewise.ui.administrations import picker
from stagewise.ui.administrations.assessments_tab import AssessmentsTab
from stagewise.ui.administrations.clinician_form import ClinicianForm
from stagewise.ui.administrations.handover import HandoverWindow
from stagewise.ui.administrations.prompts import PasswordDialog, VoidDialog
from stagewise.ui.administrations.results_view import ResultsView
from stagewise.ui.administrations.risk_prompt import AddressDialog, RiskPromptDialog
from stagewise.ui.context import AppContext
from stagewise.ui.dialogs import Confirm
from tests.ui.conftest import CLINICIAN_PASSWORD, PracticeFile

# A URICA answer pattern that uses every response value.
URICA = {str(i): (i * 3) % 5 + 1 for i in range(1, 33)}


@pytest.fixture
def ctx(practice_file: PracticeFile, styled_app: QApplication, tmp_path: object) -> Iterator[AppContext]:
    """The practice open, signed in as the clinician ``casey``; client 1001's focus says "my drinking"."""
    from stagewise.core.paths import AppPaths

    practice = store.open_practice(practice_file.path, practice_file.key)
    with practice.session_factory.begin() as s:
        user = users.get_by_username(s, "casey")
        info = clients.get_by_chart_number(s, "1001")
        assert info is not None
        assert user is not None
        clients.update_focus(s, info.focuses[0].id, actor="casey", behaviour_phrase="my drinking")
    context = AppContext(
        paths=AppPaths.resolve(str(tmp_path)),
        practice_path=practice_file.path,
        no_dialogs=True,
        practice=practice,
        user=user,
    )
    yield context
    context.practice = None
    practice.close()


def client(ctx: AppContext, chart: str = "1001") -> clients.ClientInfo:
    assert ctx.practice is not None
    with ctx.practice.session_factory() as s:
        info = clients.get_by_chart_number(s, chart)
    assert info is not None
    return info


def get(ctx: AppContext, administration_id: int) -> administrations.AdministrationInfo:
    assert ctx.practice is not None
    with ctx.practice.session_factory() as s:
        return administrations.get(s, administration_id)


def make_tab(qtbot: QtBot, ctx: AppContext, chart: str = "1001") -> AssessmentsTab:
    tab = AssessmentsTab(ctx, client(ctx, chart).id)
    qtbot.addWidget(tab)
    tab.resize(1000, 600)
    tab.show()
    return tab


def start(
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    tab: AssessmentsTab,
    form_id: str,
    mode: AdministrationMode,
    *,
    with_focus: bool = True,
) -> QWidget:
    focus_id = client(tab.ctx).focuses[0].id if with_focus else None
    monkeypatch.setattr(
        picker.StartDialog,
        "ask",
        classmethod(lambda cls, *a, **k: picker.StartChoice(focus_id, form_id, mode)),
    )
    window = tab.start()
    assert window is not None
    qtbot.addWidget(window)
    return window


def press(qtbot: QtBot, widget: QWidget, keys: str) -> None:
    for ch in keys:
        qtbot.keyClicks(widget, ch)


def focused_row(form: ClinicianForm) -> object:
    row = form.current_row
    assert row is not None
    return row


def visible_texts(window: QWidget) -> list[str]:
    texts = [window.windowTitle()]
    for label in window.findChildren(QLabel):
        if label.isVisibleTo(window):
            texts.append(label.text())
    for button in window.findChildren(QAbstractButton):
        if button.isVisibleTo(window):
            texts.append(button.text() + button.toolTip())
    return texts


# ------------------------------------------------------------------------------------------------------
# Clinician mode


def test_clinician_mode_gives_a_whole_urica_by_keyboard(
    qtbot: QtBot, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    tab = make_tab(qtbot, ctx)
    form = start(qtbot, monkeypatch, tab, "urica-32", AdministrationMode.CLINICIAN)
    assert isinstance(form, ClinicianForm)
    qtbot.waitUntil(lambda: form.current_row is form.rows[0])
    assert "my drinking" in form.display.client_instructions
    assert form.completeness.text() == "0 of 32 answered"
    for item_id, value in URICA.items():
        row = form.current_row
        assert row is not None
        assert row.item.id == item_id
        qtbot.keyClicks(row, str(value))
        qtbot.keyClick(row, Qt.Key.Key_Return)
    assert form.completeness.text() == "32 of 32 answered"
    qtbot.waitUntil(form.complete_button.hasFocus)  # Enter on the last item moves to "Complete"
    qtbot.keyClick(form.complete_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: any(isinstance(w, ResultsView) for w in tab.windows))

    done = get(ctx, form.administration_id)
    assert done.status == AdministrationStatus.COMPLETE
    assert done.answers == URICA
    expected = score(load_library().get("urica-32"), URICA)
    assert done.result is not None
    assert done.result.scores == expected.scores
    assert done.result.stage == expected.stage
    view = next(w for w in tab.windows if isinstance(w, ResultsView))
    qtbot.addWidget(view)
    shown = [view.score_table.item(r, 0).text() for r in range(view.score_table.rowCount())]
    assert any("Readiness" in s for s in shown)


def test_unanswered_items_are_highlighted_and_completing_warns(
    qtbot: QtBot, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    tab = make_tab(qtbot, ctx)
    form = start(qtbot, monkeypatch, tab, "gad-7", AdministrationMode.CLINICIAN, with_focus=False)
    assert isinstance(form, ClinicianForm)
    qtbot.waitUntil(lambda: form.current_row is form.rows[0])
    qtbot.keyClicks(form.rows[0], "2")
    qtbot.keyClick(form.rows[0], Qt.Key.Key_Return)
    qtbot.keyClick(form.rows[1], Qt.Key.Key_Tab)  # item 2 left blank
    qtbot.waitUntil(lambda: form.current_row is form.rows[2])
    assert form.rows[1].property("state") == "unanswered"
    assert form.rows[0].property("state") == "answered"
    asked: list[str] = []
    monkeypatch.setattr(Confirm, "ask", classmethod(lambda cls, p, t, text, y: asked.append(text) or False))
    form.complete()
    assert asked
    assert "2, 3, 4, 5, 6, 7" in asked[0]
    assert all(r.property("state") == "unanswered" for r in form.rows[1:])
    assert get(ctx, form.administration_id).status == AdministrationStatus.IN_PROGRESS


def test_out_of_scale_keys_are_ignored_with_a_message(
    qtbot: QtBot, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    tab = make_tab(qtbot, ctx)
    form = start(qtbot, monkeypatch, tab, "urica-32", AdministrationMode.CLINICIAN)
    assert isinstance(form, ClinicianForm)
    row = form.rows[0]
    qtbot.waitUntil(lambda: form.current_row is row)
    qtbot.keyClicks(row, "7")
    assert form.message.isVisible()
    assert "7 is not an answer to item 1" in form.message.text()
    assert "1 to 5" in form.message.text()
    assert get(ctx, form.administration_id).answers == {}
    qtbot.keyClicks(row, "0")
    assert get(ctx, form.administration_id).answers == {}
    qtbot.keyClicks(row, "4")
    assert not form.message.isVisible()
    assert get(ctx, form.administration_id).answers == {"1": 4}
    form.close()

    # AUDIT items 9 and 10 take only 0, 2 or 4.
    audit = start(qtbot, monkeypatch, tab, "audit", AdministrationMode.CLINICIAN)
    assert isinstance(audit, ClinicianForm)
    nine = audit.rows[8]
    nine.setFocus()
    qtbot.waitUntil(lambda: audit.current_row is nine)
    assert "0, 2 or 4" in audit.hint.text()
    for bad in "13":
        qtbot.keyClicks(nine, bad)
        assert f"{bad} is not an answer to item 9" in audit.message.text()
    assert "9" not in get(ctx, audit.administration_id).answers
    qtbot.keyClicks(nine, "2")
    assert get(ctx, audit.administration_id).answers == {"9": 2}


def test_ten_on_a_zero_to_ten_scale_and_arrows(
    qtbot: QtBot, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    tab = make_tab(qtbot, ctx)
    form = start(qtbot, monkeypatch, tab, "readiness-ruler", AdministrationMode.CLINICIAN)
    assert isinstance(form, ClinicianForm)
    first, second, third = form.rows
    qtbot.waitUntil(lambda: form.current_row is first)
    assert "for 10: type 1 then 0" in form.hint.text()
    qtbot.keyClicks(first, "1")
    assert first.chosen.text() == "1…"  # waiting for a possible 0
    qtbot.keyClicks(first, "0")
    assert get(ctx, form.administration_id).answers == {"1": 10}
    qtbot.keyClick(first, Qt.Key.Key_Return)
    qtbot.keyClicks(second, "1")
    qtbot.keyClick(second, Qt.Key.Key_Return)  # Enter takes the waiting 1
    assert get(ctx, form.administration_id).answers == {"1": 10, "2": 1}
    qtbot.keyClicks(third, "1")
    qtbot.waitUntil(lambda: get(ctx, form.administration_id).answers.get("3") == 1)  # or the pause does
    qtbot.keyClick(third, Qt.Key.Key_Right)
    qtbot.keyClick(third, Qt.Key.Key_Right)
    assert get(ctx, form.administration_id).answers["3"] == 3
    qtbot.keyClick(third, Qt.Key.Key_Left)
    assert get(ctx, form.administration_id).answers["3"] == 2


def test_closing_midway_resumes_at_the_same_item(
    qtbot: QtBot, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    tab = make_tab(qtbot, ctx)
    form = start(qtbot, monkeypatch, tab, "urica-32", AdministrationMode.CLINICIAN)
    assert isinstance(form, ClinicianForm)
    adm_id = form.administration_id
    qtbot.waitUntil(lambda: form.current_row is form.rows[0])
    for i in range(5):
        qtbot.keyClicks(form.rows[i], "3")
        qtbot.keyClick(form.rows[i], Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: form.current_row is form.rows[5])
    qtbot.keyClick(form, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: form not in tab.windows)

    assert ctx.practice is not None
    with ctx.practice.session_factory() as s:
        open_now = administrations.in_progress(s, client_id=tab.client_id)
    assert [a.id for a in open_now] == [adm_id]
    assert administrations.resume_point(open_now[0]) == "6"
    assert "5 of 32 answered" in tab.table.item(0, 4).text()
    tab.select(adm_id)
    resumed = tab.resume_selected()
    assert isinstance(resumed, ClinicianForm)
    qtbot.addWidget(resumed)
    qtbot.waitUntil(lambda: resumed.current_row is resumed.rows[5])
    assert resumed.completeness.text() == "5 of 32 answered"


def test_void_needs_a_reason(qtbot: QtBot, ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    tab = make_tab(qtbot, ctx)
    form = start(qtbot, monkeypatch, tab, "urica-32", AdministrationMode.CLINICIAN)
    assert isinstance(form, ClinicianForm)
    monkeypatch.setattr(VoidDialog, "ask", classmethod(lambda cls, parent: None))
    form.void()
    assert get(ctx, form.administration_id).status == AdministrationStatus.IN_PROGRESS
    monkeypatch.setattr(VoidDialog, "ask", classmethod(lambda cls, parent: "Started for the wrong focus"))
    adm_id = form.administration_id
    form.void()
    voided = get(ctx, adm_id)
    assert voided.status == AdministrationStatus.VOIDED
    assert voided.void_reason == "Started for the wrong focus"
    assert tab.table.item(0, 4).text() == "Voided"


def test_void_dialog_refuses_an_empty_reason(qtbot: QtBot, styled_app: QApplication) -> None:
    from stagewise.ui.administrations.prompts import TextDialog

    dialog = TextDialog(None, "Void", "Why?", ok_text="Void")
    qtbot.addWidget(dialog)
    assert not dialog.ok.isEnabled()
    qtbot.keyClicks(dialog.edit, "   ")
    assert not dialog.ok.isEnabled()
    qtbot.keyClicks(dialog.edit, "duplicate")
    assert dialog.ok.isEnabled()


# ------------------------------------------------------------------------------------------------------
# Hand-over mode


def test_handover_gives_a_whole_urica_by_keyboard_and_shows_no_client(
    qtbot: QtBot, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    tab = make_tab(qtbot, ctx)
    who = client(ctx)
    window = start(qtbot, monkeypatch, tab, "urica-32", AdministrationMode.CLIENT)
    assert isinstance(window, HandoverWindow)
    assert window.windowState() & Qt.WindowState.WindowFullScreen
    assert window.page == "intro"
    assert any("my drinking" in t for t in visible_texts(window))
    qtbot.keyClick(window, Qt.Key.Key_Return)
    assert window.page == "item"
    seen: list[str] = []
    for item_id, value in URICA.items():
        assert window.current_item is not None
        assert window.current_item.id == item_id
        assert window.count_label.text() == f"Question {item_id} of 32"
        seen += visible_texts(window)
        qtbot.keyClicks(window, str(value))
    assert window.page == "end"
    seen += visible_texts(window)
    assert any("Thank you — please hand the screen back" in t for t in seen)
    for secret in (who.given_name, who.family_name, who.chart_number):
        assert not any(secret in t for t in seen), secret

    # Leaving needs the clinician's password: a wrong one keeps the client's screen.
    monkeypatch.setattr(PasswordDialog, "ask", classmethod(lambda cls, parent, username: "not-it"))
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert window.isVisible()
    assert window.page == "end"
    assert "not correct" in window.message.text()
    window.message.clear()
    window.close()  # closing the window asks for the password too
    qtbot.waitUntil(lambda: "not correct" in window.message.text())
    assert window.isVisible()
    monkeypatch.setattr(PasswordDialog, "ask", classmethod(lambda cls, parent, username: None))
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert window.isVisible()
    monkeypatch.setattr(PasswordDialog, "ask", classmethod(lambda cls, parent, username: CLINICIAN_PASSWORD))
    with qtbot.waitSignal(window.completed, timeout=5_000):
        qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not window.isVisible()

    done = get(ctx, window.administration_id)
    assert done.mode == AdministrationMode.CLIENT
    assert done.status == AdministrationStatus.COMPLETE
    assert done.answers == URICA
    expected = score(load_library().get("urica-32"), URICA)
    assert done.result is not None
    assert done.result.scores == expected.scores
    assert any(isinstance(w, ResultsView) for w in tab.windows)  # for the clinician, after the password


def test_handover_back_next_and_lock_resume_at_the_same_item(
    qtbot: QtBot, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    tab = make_tab(qtbot, ctx)
    window = start(qtbot, monkeypatch, tab, "urica-32", AdministrationMode.CLIENT)
    assert isinstance(window, HandoverWindow)
    window.next()
    press(qtbot, window, "234")
    assert window.current_item is not None
    assert window.current_item.id == "4"
    qtbot.keyClick(window, Qt.Key.Key_Left)  # Back
    assert window.current_item.id == "3"
    assert window.option_buttons[4].isChecked()
    qtbot.keyClick(window, Qt.Key.Key_Right)  # Next
    assert window.current_item.id == "4"
    qtbot.keyClicks(window, "9")
    assert "Please choose one of the answers shown" in window.message.text()
    adm_id = window.administration_id
    window.save_and_close()  # what LockManager.locking does
    assert not window.isVisible()
    info = get(ctx, adm_id)
    assert info.status == AdministrationStatus.IN_PROGRESS
    assert info.answers == {"1": 2, "2": 3, "3": 4}
    assert administrations.resume_point(info) == "4"

    tab.refresh()
    tab.select(adm_id)
    again = tab.resume_selected()
    assert isinstance(again, HandoverWindow)
    qtbot.addWidget(again)
    assert again.page == "item"
    assert again.current_item is not None
    assert again.current_item.id == "4"
    assert again.progress.value() == 3
    again.save_and_close()


# ------------------------------------------------------------------------------------------------------
# Risk


def test_phq9_item9_prompts_the_clinician_and_records_the_acknowledgement(
    qtbot: QtBot, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    tab = make_tab(qtbot, ctx)
    prompts: list[risk.RiskPrompt] = []

    def answer(cls: object, parent: object, prompt: risk.RiskPrompt) -> str:
        prompts.append(prompt)
        return "Asked directly; no plan or intent; safety plan made"

    monkeypatch.setattr(RiskPromptDialog, "ask", classmethod(answer))
    form = start(qtbot, monkeypatch, tab, "phq-9", AdministrationMode.CLINICIAN, with_focus=False)
    assert isinstance(form, ClinicianForm)
    qtbot.waitUntil(lambda: form.current_row is form.rows[0])
    for row in form.rows[:8]:
        qtbot.keyClicks(row, "0")
        qtbot.keyClick(row, Qt.Key.Key_Return)
    assert not prompts
    qtbot.keyClicks(form.rows[8], "1")
    assert len(prompts) == 1
    assert prompts[0].item_id == "9"
    assert ctx.practice is not None
    with ctx.practice.session_factory() as s:
        assert prompts[0].safety_text == settings.load_settings(s).safety_text
        alert = risk.get_alert(s, prompts[0].alert_id)
    assert alert.acknowledged
    assert alert.acknowledged_by == "casey"
    assert alert.action_taken == "Asked directly; no plan or intent; safety plan made"
    assert alert.acknowledged_at is not None

    # The chart shows it until it is marked addressed.
    tab.refresh()
    assert len(tab.alert_rows) == 1
    assert "Acknowledged by casey" in tab.alert_rows[0].label.text()
    monkeypatch.setattr(AddressDialog, "ask", classmethod(lambda cls, parent: "Reviewed at next session"))
    tab.alert_rows[0].button.click()
    assert tab.alert_rows == []
    with ctx.practice.session_factory() as s:
        assert risk.get_alert(s, alert.id).addressed


def test_handover_risk_answer_shows_the_client_a_neutral_page_first(
    qtbot: QtBot, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    tab = make_tab(qtbot, ctx)
    prompts: list[risk.RiskPrompt] = []
    monkeypatch.setattr(RiskPromptDialog, "ask", classmethod(lambda cls, p, prompt: prompts.append(prompt)))
    window = start(qtbot, monkeypatch, tab, "phq-9", AdministrationMode.CLIENT, with_focus=False)
    assert isinstance(window, HandoverWindow)
    qtbot.keyClick(window, Qt.Key.Key_Return)
    press(qtbot, window, "00000000")
    qtbot.keyClicks(window, "2")  # item 9
    assert window.page == "handback"
    assert not prompts  # nothing alarming while the client holds the screen
    texts = " ".join(visible_texts(window)).lower()
    assert "please hand the screen to your clinician" in texts
    for word in ("risk", "suicide", "self-harm", "safety"):
        assert word not in texts
    # The client pressing Enter does not open the prompt: it needs the clinician's password.
    monkeypatch.setattr(PasswordDialog, "ask", classmethod(lambda cls, parent, username: "guess"))
    qtbot.keyClick(window, Qt.Key.Key_Return)
    assert not prompts
    assert window.page == "handback"
    monkeypatch.setattr(PasswordDialog, "ask", classmethod(lambda cls, parent, username: CLINICIAN_PASSWORD))
    qtbot.keyClick(window, Qt.Key.Key_Return)  # the clinician continues
    assert len(prompts) == 1
    assert prompts[0].item_id == "9"
    assert window.page == "item"
    assert window.current_item is not None
    assert window.current_item.id == "10"
    # Not acknowledged ("Later"): the chart shows it.
    tab.refresh()
    assert len(tab.alert_rows) == 1
    assert "Not yet acknowledged" in tab.alert_rows[0].label.text()
    monkeypatch.setattr(RiskPromptDialog, "ask", classmethod(lambda cls, p, prompt: "Called the crisis team"))
    tab.alert_rows[0].button.click()
    assert "Acknowledged by casey" in tab.alert_rows[0].label.text()
    window.save_and_close()


# ------------------------------------------------------------------------------------------------------
# Start, results, history


def test_picker_lists_favourites_then_recent_and_fills_the_behaviour(qtbot: QtBot, ctx: AppContext) -> None:
    assert ctx.practice is not None
    assert ctx.user is not None
    me = client(ctx)
    with ctx.practice.session_factory.begin() as s:
        settings.update_settings(s, actor="admin", favourite_forms=["phq-9"])
        administrations.start(
            s,
            client_id=me.id,
            focus_id=None,
            form_id="gad-7",
            mode=AdministrationMode.CLINICIAN,
            by_user_id=ctx.user.id,
            actor="casey",
        )
    data = picker.load_choices(ctx, me.id)
    assert [f.id for f in data.forms][:2] == ["phq-9", "gad-7"]
    dialog = picker.StartDialog(None, data, me.focuses[0].id)
    qtbot.addWidget(dialog)
    assert "★" in dialog.form_list.item(0).text()
    assert "recent" in dialog.form_list.item(1).text()
    # PHQ-9 (first) is about the client as a whole: no focus is asked for, whatever focus is selected.
    assert dialog.preview.text() == "PHQ-9 is about the client as a whole, not one focus: no focus is needed."
    assert not dialog.focus_combo.isEnabled()
    assert dialog.choice().focus_id is None  # type: ignore[union-attr]
    dialog.form_list.setCurrentRow(2)
    assert dialog.focus_combo.isEnabled()
    assert dialog.preview.text() == "Items will say “my drinking”."
    dialog.client_mode.setChecked(True)
    choice = dialog.choice()
    assert choice is not None
    assert choice.focus_id == me.focuses[0].id
    assert choice.mode == AdministrationMode.CLIENT
    # Keyboard: type to find an instrument, Enter starts.
    dialog.show()
    dialog.form_list.setFocus()
    qtbot.keyClicks(dialog.form_list, "AUDIT-C")
    assert dialog.form_list.currentItem().data(Qt.ItemDataRole.UserRole) == "audit-c"  # type: ignore[union-attr]
    qtbot.keyClick(dialog.form_list, Qt.Key.Key_Return)
    assert dialog.result() == dialog.DialogCode.Accepted
    dialog.focus_combo.setCurrentIndex(dialog.focus_combo.count() - 1)
    assert dialog.choice().focus_id is None  # type: ignore[union-attr]


def complete_with(
    ctx: AppContext, form_id: str, answers: dict[str, int], *, focus: bool = True, when: dt.datetime
) -> int:
    assert ctx.practice is not None
    assert ctx.user is not None
    me = client(ctx)
    with ctx.practice.session_factory.begin() as s:
        info = administrations.start(
            s,
            client_id=me.id,
            focus_id=me.focuses[0].id if focus else None,
            form_id=form_id,
            mode=AdministrationMode.CLINICIAN,
            by_user_id=ctx.user.id,
            actor="casey",
            now=when,
        )
        for k, v in answers.items():
            administrations.answer(s, info.id, k, v)
        administrations.complete(s, info.id, actor="casey", now=when)
    return info.id


def test_results_show_last_time_the_stage_rule_and_disagreement(qtbot: QtBot, ctx: AppContext) -> None:
    day = dt.datetime(2026, 10, 1, 10, tzinfo=dt.UTC)
    complete_with(ctx, "urica-32", {k: 2 for k in URICA}, when=day)
    latest = complete_with(ctx, "urica-32", URICA, when=day + dt.timedelta(days=30))
    # The RCQ says Action (its action items strongly agreed), the URICA answers Precontemplation.
    rcq = {str(i): (2 if i in (2, 6, 7, 11) else -2) for i in range(1, 13)}
    complete_with(ctx, "rcq-12", rcq, when=day + dt.timedelta(days=30, minutes=5))
    view = ResultsView(ctx, latest)
    qtbot.addWidget(view)
    view.show()
    table = view.score_table
    rows = {table.item(r, 0).text(): r for r in range(table.rowCount())}
    readiness = next(r for name, r in rows.items() if "Readiness" in name)
    assert "1 Oct 2026" in table.item(readiness, 3).text()
    assert view.data.info.result is not None
    assert view.data.info.result.stage is not None
    assert view.stage_rule.text() == view.data.info.result.stage_rule
    assert not view.unverified_notice.isVisible()
    comparison = view.data.comparison
    assert comparison is not None
    assert len(comparison.rows) == 2
    assert comparison.disagreement
    assert view.disagree.isVisible()
    assert view.disagree.text() == "⚠ Instruments disagree: Precontemplation / Action"
    with qtbot.waitSignal(view.record_stage_requested) as signal:
        qtbot.mouseClick(view.record_button, Qt.MouseButton.LeftButton)
    assert signal.args == [client(ctx).focuses[0].id, view.data.info.result.stage, latest]


def test_results_flag_an_unverified_scoring_rule(qtbot: QtBot, ctx: AppContext) -> None:
    adm = complete_with(
        ctx, "rcq-12", {str(i): 1 for i in range(1, 13)}, when=dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    )
    view = ResultsView(ctx, adm)
    qtbot.addWidget(view)
    view.show()
    assert view.unverified_notice.isVisible()
    assert "not verified against the manual" in view.unverified_notice.text()


def test_socrates_results_show_deciles(qtbot: QtBot, ctx: AppContext) -> None:
    adm = complete_with(
        ctx, "socrates-8a", {str(i): 4 for i in range(1, 20)}, when=dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    )
    view = ResultsView(ctx, adm)
    qtbot.addWidget(view)
    names = [view.score_table.item(r, 0).text() for r in range(view.score_table.rowCount())]
    assert any("decile" in n.lower() for n in names)


def test_item_history_highlights_the_statements_that_moved(qtbot: QtBot, ctx: AppContext) -> None:
    from stagewise.ui.administrations.item_history_view import ItemHistoryView

    day = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    first = {k: 3 for k in URICA}
    second = dict(first, **{"2": 5, "7": 1})
    complete_with(ctx, "urica-32", first, when=day)
    complete_with(ctx, "urica-32", second, when=day + dt.timedelta(days=14))
    view = ItemHistoryView(ctx, client(ctx).id, "urica-32", client(ctx).focuses[0].id)
    qtbot.addWidget(view)
    view.show()
    assert view.table.columnCount() == 4
    assert view.table.horizontalHeaderItem(2).text() == "1 Sep 2026"
    assert sorted(view.changed_cells) == [(1, 3), (6, 3)]
    assert view.table.item(0, 1).text().startswith("As far as I'm concerned")
    view.moved_only.setChecked(True)
    shown = [r for r in range(view.table.rowCount()) if not view.table.isRowHidden(r)]
    assert shown == [1, 6]


def test_due_this_week_sorts_and_opens_a_client(qtbot: QtBot, ctx: AppContext) -> None:
    from stagewise.ui.administrations.due_view import DueView

    complete_with(ctx, "urica-32", URICA, when=dt.datetime.now(dt.UTC) - dt.timedelta(days=2))
    view = DueView(ctx)
    qtbot.addWidget(view)
    view.resize(800, 400)
    view.show()
    view.refresh(today=dt.date.today() + dt.timedelta(days=1))
    # Never assessed focuses are due from the day they were added (today): four clients, one day overdue
    # tomorrow; 1001, assessed two days ago, is not due.
    proxy = view.overdue_proxy
    charts = [proxy.index(r, 0).data() for r in range(proxy.rowCount())]
    assert sorted(charts) == ["1002", "1003", "1004", "1005"]
    assert view.due_proxy.rowCount() == 0
    assert view.overdue_heading.text() == "&Overdue (4)"
    assert view.due_table.isHidden()
    view.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    assert proxy.index(0, 0).data() == "1005"
    c1005 = client(ctx, "1005")
    assert proxy.index(0, 1).data() == f"{c1005.family_name}, {c1005.given_name}"
    assert proxy.index(0, 3).data() == "Never (baseline)"
    assert proxy.index(0, 5).data() == "1 day overdue"
    view.table.setFocus()
    view.table.selectRow(0)
    with qtbot.waitSignal(view.open_client) as signal:
        qtbot.keyClick(view.table, Qt.Key.Key_Return)
    assert signal.args == [client(ctx, "1005").id]


def test_due_this_week_separates_overdue_from_due_and_says_how_long(qtbot: QtBot, ctx: AppContext) -> None:
    from stagewise.ui.administrations.due_view import DueView

    view = DueView(ctx)
    qtbot.addWidget(view)
    view.show()
    # Added today, never assessed: due today.  Seen from 180 days later, every focus is overdue.
    view.refresh(today=dt.date.today() + dt.timedelta(days=180))
    assert view.due_proxy.rowCount() == 0
    whens = {view.overdue_proxy.index(r, 5).data() for r in range(view.overdue_proxy.rowCount())}
    assert whens == {"180 days overdue"}
    view.refresh(today=dt.date.today())
    assert view.overdue_proxy.rowCount() == 0
    assert view.due_proxy.rowCount() == 5
    assert view.overdue_table.isHidden()
    assert not view.due_table.isHidden()


def test_due_view_drops_a_read_that_finishes_after_clear(qtbot: QtBot, ctx: AppContext) -> None:
    from stagewise.ui.administrations.due_view import DueView
    from stagewise.ui.workers import OpRunner

    runner = OpRunner()
    view = DueView(ctx, runner)
    qtbot.addWidget(view)
    view.show()
    view.refresh()  # off the UI thread: its result comes back through the event loop, after clear()
    view.clear()  # the app locks
    assert runner.wait(10_000)
    qtbot.waitUntil(lambda: not runner.busy)  # the read has reported back
    assert view.model.rowCount() == 0
    assert view.summary.text() == ""
    # The same read, not cleared, is shown: all five clients are due (never assessed).
    view.refresh()
    qtbot.waitUntil(lambda: view.model.rowCount() == 5, timeout=10_000)
    assert view.due_heading.text() == "Due this &week (5)"  # due today: not yet overdue
    assert view.due_proxy.index(0, 5).data() == "Due today"


def test_due_view_ignores_a_read_failing_after_clear(
    qtbot: QtBot, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stagewise.core.administrations import due as registry
    from stagewise.ui.administrations.due_view import DueView
    from stagewise.ui.workers import OpRunner

    def broken(*_args: object, **_kwargs: object) -> list[object]:
        raise RuntimeError("the practice was closed under the read")

    monkeypatch.setattr(registry, "due_list", broken)
    runner = OpRunner()
    view = DueView(ctx, runner)
    qtbot.addWidget(view)
    view.refresh()
    view.clear()
    assert runner.wait(10_000)
    qtbot.waitUntil(lambda: not runner.busy)  # no exception: pytest-qt would fail the test on one
    assert view.model.rowCount() == 0


def test_locking_saves_and_closes_every_questionnaire_window(
    qtbot: QtBot, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stagewise.ui.lock import LockManager

    lock = LockManager()
    tab = make_tab(qtbot, ctx)
    lock.locking.connect(tab.save_and_close)  # the integration line for the chart
    form = start(qtbot, monkeypatch, tab, "readiness-ruler", AdministrationMode.CLINICIAN)
    assert isinstance(form, ClinicianForm)
    qtbot.waitUntil(lambda: form.current_row is form.rows[0])
    qtbot.keyClicks(form.rows[0], "1")  # waiting for a possible 0 when the lock comes
    hand = start(qtbot, monkeypatch, tab, "urica-32", AdministrationMode.CLIENT)
    assert isinstance(hand, HandoverWindow)
    hand.next()
    qtbot.keyClicks(hand, "4")
    lock.locking.emit()
    assert not any(w.isVisible() for w in tab.windows)
    assert get(ctx, form.administration_id).answers == {"1": 1}  # what was typed is kept
    resumed = get(ctx, hand.administration_id)
    assert resumed.status == AdministrationStatus.IN_PROGRESS
    assert administrations.resume_point(resumed) == "2"


def test_handover_shows_the_ladder_with_ten_at_the_top(
    qtbot: QtBot, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    tab = make_tab(qtbot, ctx)
    hand = start(qtbot, monkeypatch, tab, "contemplation-ladder", AdministrationMode.CLIENT)
    assert isinstance(hand, HandoverWindow)
    qtbot.keyClick(hand, Qt.Key.Key_Return)
    values = list(hand.option_buttons)
    assert values[0] == 10
    assert values[-1] == 0
    assert all(b.isVisible() for b in hand.option_buttons.values())
    assert "my drinking" in hand.option_buttons[10].text()
    press(qtbot, hand, "10")
    assert hand.page == "end"
    assert get(ctx, hand.administration_id).answers == {"1": 10}
    hand.save_and_close()


def test_number_keys_give_minus_values_on_the_rcq(qtbot: QtBot, styled_app: QApplication) -> None:
    from stagewise.ui.administrations.common import KeyBuffer, key_hint

    keys = KeyBuffer()
    keys.set_values([-2, -1, 0, 1, 2])
    got: list[object] = []
    keys.committed.connect(got.append)
    keys.rejected.connect(lambda t: got.append(f"rejected {t}"))
    for ch in "-2":
        keys.feed(ch)
    keys.feed("1")
    keys.feed("-")
    keys.flush()  # a lone minus is not an answer
    keys.feed("5")
    assert got == [-2, 1, "rejected -", "rejected 5"]
    assert "minus" in key_hint([-2, -1, 0, 1, 2])
