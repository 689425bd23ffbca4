"""The chart's Stage tab: record a stage (proposal, override, pause), recycling on the timeline, and
suggestions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox
from pytestqt.qtbot import QtBot

from stagewise.core import users
from stagewise.core.administrations import lifecycle as administrations
from stagewise.core.clients import records as clients
from stagewise.core.instruments import load_library
from stagewise.core.models import AdministrationMode, DecisionKind, Stage, StageBasis
from stagewise.core.paths import AppPaths
from stagewise.core.stages import records as stages
from stagewise.core.stages.interventions import InterventionModel
from stagewise.core.storage import store
from stagewise.ui.context import AppContext
from stagewise.ui.stages import suggestions_panel
from stagewise.ui.stages.record_dialog import RecordStageDialog
from stagewise.ui.stages.stage_tab import StageTab
from tests.ui.conftest import PracticeFile, shoot

URICA_ANSWERS = {str(i): (i * 3) % 5 + 1 for i in range(1, 33)}


@pytest.fixture
def ctx(practice_file: PracticeFile, styled_app: QApplication, tmp_path: object) -> Iterator[AppContext]:
    """The practice open, signed in as the clinician ``casey``."""
    practice = store.open_practice(practice_file.path, practice_file.key)
    with practice.session_factory() as s:
        user = users.get_by_username(s, "casey")
    assert user is not None
    context = AppContext(
        paths=AppPaths.resolve(str(tmp_path)),
        practice_path=practice_file.path,
        no_dialogs=True,
        practice=practice,
        user=user,
        practice_name="Harbour Counselling",
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


def focus_id(ctx: AppContext, chart: str = "1001") -> int:
    return client(ctx, chart).focuses[0].id


def make_tab(qtbot: QtBot, ctx: AppContext, chart: str = "1001") -> StageTab:
    tab = StageTab(ctx, client(ctx, chart).id)
    qtbot.addWidget(tab)
    tab.resize(1366, 768)
    tab.show()
    return tab


def give_urica(ctx: AppContext, when: dt.datetime, answers: dict[str, int] | None = None) -> int:
    assert ctx.practice is not None
    assert ctx.user is not None
    me = client(ctx)
    with ctx.practice.session_factory.begin() as s:
        info = administrations.start(
            s,
            client_id=me.id,
            focus_id=me.focuses[0].id,
            form_id="urica-32",
            mode=AdministrationMode.CLINICIAN,
            by_user_id=ctx.user.id,
            actor="casey",
            now=when,
        )
        for k, v in (answers or URICA_ANSWERS).items():
            administrations.answer(s, info.id, k, v)
        administrations.complete(s, info.id, actor="casey", now=when)
    return info.id


def proposal(ctx: AppContext, administration_id: int) -> Stage:
    assert ctx.practice is not None
    with ctx.practice.read_factory() as s:  # a read: it must not wait for the caller's open write
        result = administrations.get(s, administration_id).result
    assert result is not None
    assert result.stage is not None
    return result.stage


def seed(ctx: AppContext, fid: int, stage: Stage | None, days_ago: int, reason: str | None = None) -> None:
    assert ctx.practice is not None
    assert ctx.user is not None
    with ctx.practice.session_factory.begin() as s:
        stages.record_stage(
            s,
            focus_id=fid,
            stage=stage,
            reason=reason,
            effective=dt.date.today() - dt.timedelta(days=days_ago),
            by_user_id=ctx.user.id,
            actor="casey",
        )


def history(ctx: AppContext, fid: int) -> list[stages.StageRecordInfo]:
    assert ctx.practice is not None
    with ctx.practice.session_factory() as s:
        return stages.history(s, fid)


def decisions(ctx: AppContext, fid: int) -> list[stages.DecisionInfo]:
    assert ctx.practice is not None
    with ctx.practice.session_factory() as s:
        return stages.decisions(s, focus_id=fid)


def press(qtbot: QtBot, dialog: RecordStageDialog, key: str) -> None:
    target = dialog.focusWidget() or dialog
    qtbot.keyClicks(target, key)


def submit(qtbot: QtBot, tab: StageTab, dialog: RecordStageDialog) -> None:
    with qtbot.waitSignal(tab.changed, timeout=5_000):
        qtbot.keyClick(dialog.focusWidget() or dialog, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: tab.record_dialog is None, timeout=5_000)


def no_warning_shown(tab: StageTab) -> bool:
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    return not boxes and not tab.message.isVisible()


# ------------------------------------------------------------------------------------------------------


def test_proposed_stage_override_with_reason_then_two_suggestions_on_the_chart(
    qtbot: QtBot, ctx: AppContext
) -> None:
    adm = give_urica(ctx, dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    proposed = proposal(ctx, adm)
    fid = focus_id(ctx)
    tab = make_tab(qtbot, ctx)

    # The Assessments tab's results view asks for it with (focus id, proposed stage, administration id).
    dialog = tab.record_stage(fid, proposed, adm)
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    assert "URICA" in dialog.proposal_label.text()
    assert dialog.stage == proposed  # the proposal is preselected …
    assert dialog.ok_button.isEnabled()  # … and accepting it needs no reason
    assert not dialog.hint.isVisible()

    # Keyboard: pick another stage with its number key; OK waits for a reason.
    other = Stage.PREPARATION if proposed != Stage.PREPARATION else Stage.ACTION
    press(qtbot, dialog, str(other.order + 1))
    assert dialog.stage == other
    assert not dialog.ok_button.isEnabled()
    assert dialog.hint.isVisible()
    assert "reason" in dialog.hint.text().lower()
    shoot(dialog, "record_dialog_reason_needed")
    submit_attempt = dialog.choice()
    assert submit_attempt is None
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)  # from the stages on to the reason
    dialog.reason_edit.setFocus()
    qtbot.keyClicks(dialog.reason_edit, "Has cut down already; plans a quit date")
    assert dialog.ok_button.isEnabled()
    assert not dialog.hint.isVisible()
    assert dialog.date_edit.date().toPython() == dt.date.today()
    submit(qtbot, tab, dialog)

    (rec,) = history(ctx, fid)
    assert rec.stage == other
    assert rec.proposed == proposed
    assert rec.basis == StageBasis.OVERRIDE
    assert rec.reason == "Has cut down already; plans a quit date"
    assert rec.administration_id == adm
    assert tab.stage_label.text() == {Stage.PREPARATION: "Preparation", Stage.ACTION: "Action"}[other]
    assert "proposed by the questionnaire" in tab.detail_label.text()
    assert len(tab.chart.override_markers) == 1

    # Accept two suggestions: both are stored and listed (and marked) on the chart.
    assert len(tab.panel.cards) >= 2
    first, second = tab.panel.cards[0].entry, tab.panel.cards[1].entry
    assert first.rationale
    assert first.source
    # The card cites author and year ("Prochaska et al. 1992"), never the full reference or a file.
    card_text = [label.text() for label in tab.panel.cards[0].findChildren(QLabel)]
    assert f"Source: {first.citation_short}" in card_text
    assert first.source not in card_text
    qtbot.mouseClick(tab.panel.cards[0].accept_button, Qt.MouseButton.LeftButton)
    card = tab.panel.card_for(second.id)
    assert card is not None
    qtbot.mouseClick(card.accept_button, Qt.MouseButton.LeftButton)
    stored = decisions(ctx, fid)
    assert [(d.intervention_id, d.decision) for d in stored] == [
        (first.id, DecisionKind.ACCEPTED),
        (second.id, DecisionKind.ACCEPTED),
    ]
    assert all(d.stage_record_id == rec.id and d.stage == other for d in stored)
    assert tab.decisions_table.rowCount() == 2
    assert tab.decisions_table.item(0, 3).text().startswith(first.title)
    assert tab.decisions_table.item(1, 3).text().startswith(second.title)
    assert [m.decision.id for m in tab.chart.decision_markers] == [d.id for d in stored]
    accepted_card = tab.panel.card_for(first.id)
    assert accepted_card is not None
    assert "Accepted" in accepted_card.status.text()
    assert not accepted_card.accept_button.isVisible()


def test_moving_back_a_stage_is_accepted_without_warning_and_drawn_as_recycling(
    qtbot: QtBot, ctx: AppContext
) -> None:
    fid = focus_id(ctx)
    seed(ctx, fid, Stage.CONTEMPLATION, 60)
    seed(ctx, fid, Stage.ACTION, 30)
    tab = make_tab(qtbot, ctx)
    assert tab.chart.recycling_markers == []

    dialog = tab.record_stage(fid)
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.stage == Stage.ACTION  # the current stage, no proposal
    press(qtbot, dialog, "2")  # back to contemplation
    assert dialog.stage == Stage.CONTEMPLATION
    assert dialog.ok_button.isEnabled()  # clinical judgement: no reason asked, nothing to confirm
    assert not dialog.hint.isVisible()
    assert not dialog.error.isVisible()
    submit(qtbot, tab, dialog)

    assert no_warning_shown(tab)
    latest = history(ctx, fid)[-1]
    assert latest.stage == Stage.CONTEMPLATION
    assert latest.is_recycling
    markers = tab.chart.recycling_markers
    assert len(markers) == 1
    assert (markers[0].before, markers[0].after, markers[0].day) == (
        Stage.ACTION,
        Stage.CONTEMPLATION,
        dt.date.today(),
    )
    assert "moved back (recycling)" in tab.detail_label.text()
    # Suggestions follow the clinician's stage, with those for renewing the work after a move back.
    assert tab.view is not None
    assert tab.view.suggestions.recycling
    assert "move back" in tab.panel.note.text()


def test_not_staged_for_now_requires_a_reason_and_shows_as_a_paused_span(
    qtbot: QtBot, ctx: AppContext
) -> None:
    fid = focus_id(ctx)
    seed(ctx, fid, Stage.PREPARATION, 20)
    tab = make_tab(qtbot, ctx)
    dialog = tab.record_stage(fid)
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)

    press(qtbot, dialog, "0")
    assert dialog.stage is None
    assert dialog.needs_reason
    assert not dialog.ok_button.isEnabled()
    assert "pausing" in dialog.hint.text().lower()
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert dialog.isVisible()  # nothing recorded without a reason
    assert len(history(ctx, fid)) == 1
    dialog.reason_edit.setFocus()
    qtbot.keyClicks(dialog.reason_edit, "Admitted for detoxification")
    assert dialog.ok_button.isEnabled()
    submit(qtbot, tab, dialog)

    latest = history(ctx, fid)[-1]
    assert latest.stage is None
    assert latest.basis == StageBasis.NOT_STAGED
    assert ctx.practice is not None
    with ctx.practice.session_factory() as s:
        assert stages.reassessment_paused(s, fid)
    assert tab.stage_label.text() == "Not staged for now"
    assert "paused" in tab.detail_label.text()
    spans = tab.chart.paused_spans
    assert len(spans) == 1
    assert spans[0].start == dt.date.today()
    assert spans[0].reason == "Admitted for detoxification"
    assert tab.panel.cards == []
    assert "paused" in tab.panel.note.text()


def test_decline_with_reason_add_own_and_filter_by_model(
    qtbot: QtBot, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    fid = focus_id(ctx)
    seed(ctx, fid, Stage.CONTEMPLATION, 3)
    tab = make_tab(qtbot, ctx)
    models = {c.entry.model for c in tab.panel.cards}
    assert InterventionModel.MI in models

    # Filter: turn MI off.
    qtbot.mouseClick(tab.panel.filter_buttons[InterventionModel.MI], Qt.MouseButton.LeftButton)
    assert tab.panel.cards
    assert all(c.entry.model != InterventionModel.MI for c in tab.panel.cards)
    qtbot.mouseClick(tab.panel.filter_buttons[InterventionModel.MI], Qt.MouseButton.LeftButton)
    assert any(c.entry.model == InterventionModel.MI for c in tab.panel.cards)

    entry = tab.panel.cards[0].entry
    monkeypatch.setattr(
        suggestions_panel.DeclineDialog, "ask", classmethod(lambda cls, *a: "Tried it last year")
    )
    qtbot.mouseClick(tab.panel.cards[0].decline_button, Qt.MouseButton.LeftButton)
    monkeypatch.setattr(
        suggestions_panel.OwnInterventionDialog,
        "ask",
        classmethod(
            lambda cls, *a: suggestions_panel.OwnIntervention("Walk with a friend after work", None, None)
        ),
    )
    qtbot.mouseClick(tab.panel.add_button, Qt.MouseButton.LeftButton)

    stored = decisions(ctx, fid)
    assert [(d.decision, d.intervention_id, d.reason) for d in stored] == [
        (DecisionKind.DECLINED, entry.id, "Tried it last year"),
        (DecisionKind.ADDED, None, None),
    ]
    assert stored[1].title == "Walk with a friend after work"
    assert tab.decisions_table.rowCount() == 2
    assert tab.decisions_table.item(0, 2).text() == "Declined"
    card = tab.panel.card_for(entry.id)
    assert card is not None
    assert "Declined" in card.status.text()


def test_results_view_signal_opens_the_record_dialog_with_the_proposal(qtbot: QtBot, ctx: AppContext) -> None:
    from stagewise.ui.administrations.assessments_tab import AssessmentsTab

    adm = give_urica(ctx, dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))
    fid = focus_id(ctx)
    tab = make_tab(qtbot, ctx)
    assessments = AssessmentsTab(ctx, client(ctx).id)
    qtbot.addWidget(assessments)
    assessments.record_stage_requested.connect(tab.record_stage)  # the line ChartWindow adds
    # A newer questionnaire's proposal is mentioned until it is decided.
    assert "newer questionnaire proposes" in tab.detail_label.text()
    assessments.record_stage_requested.emit(fid, proposal(ctx, adm), adm)
    dialog = tab.record_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.proposed == proposal(ctx, adm)
    assert dialog.administration_id == adm
    submit(qtbot, tab, dialog)
    (rec,) = history(ctx, fid)
    assert rec.basis == StageBasis.INSTRUMENT
    assert "newer questionnaire" not in tab.detail_label.text()


def test_future_date_is_refused_in_the_dialog_and_nothing_is_written(qtbot: QtBot, ctx: AppContext) -> None:
    fid = focus_id(ctx)
    tab = make_tab(qtbot, ctx)
    assert tab.stage_label.text() == "Not staged yet"
    assert tab.chart.steps == []
    assert "Record a stage" in tab.panel.note.text()
    dialog = tab.record_stage(fid)
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.stage is None
    assert dialog.chosen_id is None
    assert not dialog.ok_button.isEnabled()  # nothing chosen yet
    press(qtbot, dialog, "1")
    assert dialog.ok_button.isEnabled()
    # The date cannot go past today (the core would refuse it too).
    dialog.date_edit.setDate(dialog.date_edit.date().addDays(5))
    assert dialog.date_edit.date().toPython() == dt.date.today()
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: tab.record_dialog is None)
    assert history(ctx, fid) == []


def test_screenshot_stage_tab_with_recycling_pause_overrides_decisions_and_scores(
    qtbot: QtBot, ctx: AppContext
) -> None:
    assert ctx.practice is not None
    assert ctx.user is not None
    fid = focus_id(ctx)
    now = dt.datetime.now(dt.UTC)
    today = dt.date.today()
    # A year of work: questionnaires, stages (one override, one move back, one pause) and decisions.
    low = {k: (1 if int(k) % 4 else 3) for k in URICA_ANSWERS}
    adm1 = give_urica(ctx, now - dt.timedelta(days=300), low)
    adm2 = give_urica(ctx, now - dt.timedelta(days=200))
    adm3 = give_urica(ctx, now - dt.timedelta(days=40), {k: 4 for k in URICA_ANSWERS})
    library = None
    with ctx.practice.session_factory.begin() as s:
        for days_ago, stage, adm, reason in (
            (300, proposal(ctx, adm1), adm1, None),
            (200, Stage.CONTEMPLATION, adm2, "Talks about cutting down; no plan yet"),
            (150, Stage.PREPARATION, None, None),
            (110, Stage.ACTION, None, None),
            (70, Stage.CONTEMPLATION, None, None),
            (55, None, None, "Admitted for detoxification"),
            (40, Stage.PREPARATION, adm3, "Wants to go slowly after detox"),
        ):
            proposed = None if adm is None else proposal(ctx, adm)
            stages.record_stage(
                s,
                focus_id=fid,
                stage=stage,
                proposed=proposed,
                reason=reason if (stage is None or (proposed is not None and proposed != stage)) else None,
                effective=today - dt.timedelta(days=days_ago),
                administration_id=adm,
                by_user_id=ctx.user.id,
                actor="casey",
                now=now - dt.timedelta(days=days_ago),
            )
    tab = make_tab(qtbot, ctx)
    library = tab.library
    with ctx.practice.session_factory.begin() as s:
        entries = stages.focus_suggestions(s, library, fid).entries
        for n, entry in enumerate(entries[:2]):
            stages.decide_intervention(
                s,
                focus_id=fid,
                intervention=entry,
                decision=DecisionKind.ACCEPTED if n == 0 else DecisionKind.DECLINED,
                reason=None if n == 0 else "Already in a group",
                by_user_id=ctx.user.id,
                actor="casey",
                now=now - dt.timedelta(days=30 - n * 10),
            )
    tab.refresh()
    chart = tab.chart
    assert len(chart.recycling_markers) == 1
    assert len(chart.paused_spans) == 1
    assert len(chart.override_markers) >= 1
    assert len(chart.decision_markers) == 2
    assert chart.score_lines
    assert chart.score_lines[0].score == "readiness"
    assert len(chart.score_lines[0].points) == 3
    # The score list offers each chart of the instrument file's [presentation], titled as in the file.
    urica = load_library().get("urica-32").charts
    box = tab.score_combo
    combo = [(box.itemData(i), box.itemText(i)) for i in range(box.count())]
    assert combo == [("urica-32", urica[0].title), ("urica-32#2", urica[1].title)]
    tab.score_combo.setCurrentIndex(1)
    assert [line.score for line in chart.score_lines] == list(urica[1].score_names)
    assert (chart.score_lines[0].low, chart.score_lines[0].high) == urica[1].axes[0]  # item means 1–5
    tab.score_combo.setCurrentIndex(0)
    qtbot.waitUntil(lambda: chart.isVisible() and chart.height() > 300)
    qtbot.waitUntil(lambda: all(c.isVisible() and c.height() > 60 for c in tab.panel.cards[:3]))
    path = shoot(tab, "stage_tab")
    assert path.exists()
    for label in tab.findChildren(QLabel):
        assert "Traceback" not in label.text()


def test_without_a_signed_in_user_nothing_can_be_recorded(qtbot: QtBot, ctx: AppContext) -> None:
    ctx.user = None  # the technical (read-only) check
    tab = make_tab(qtbot, ctx)
    assert not tab.record_button.isEnabled()
    assert tab.record_stage(focus_id(ctx)) is None


def test_stage_tab_in_the_chart_window_with_the_lead_s_integration_lines(
    qtbot: QtBot, ctx: AppContext
) -> None:
    from stagewise.ui.clients.chart_window import ChartWindow

    fid = focus_id(ctx)
    seed(ctx, fid, Stage.CONTEMPLATION, 45)
    seed(ctx, fid, Stage.PREPARATION, 25)
    seed(ctx, fid, Stage.CONTEMPLATION, 10)
    assert ctx.practice is not None
    with ctx.practice.session_factory() as s:
        info = clients.get_client(s, client(ctx).id, actor=None, record_view=False)
    chart = ChartWindow(info, practice_name="Harbour Counselling")
    qtbot.addWidget(chart)
    # The lines the ChartWindow owner adds:
    tab = StageTab(ctx, info.id)
    chart.stage_tab.placeholder.hide()
    chart.stage_tab.layout().setContentsMargins(0, 0, 0, 0)
    chart.stage_tab.layout().addWidget(tab)
    chart.tabs.setCurrentWidget(chart.stage_tab)
    chart.show()
    qtbot.waitUntil(lambda: tab.isVisible() and tab.chart.height() > 200)
    assert len(tab.chart.recycling_markers) == 1
    assert tab.stage_label.toolTip() == "The client sees: “Thinking about change”"
    shoot(chart, "chart_window_stage_tab")


def test_score_panel_draws_the_instrument_files_bands(qtbot: QtBot, ctx: AppContext) -> None:
    """PHQ-9 (given without a focus) is shaded by its file's severity bands, on its file's axis."""
    assert ctx.practice is not None
    assert ctx.user is not None
    me = client(ctx)
    when = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    with ctx.practice.session_factory.begin() as s:
        info = administrations.start(
            s,
            client_id=me.id,
            focus_id=None,
            form_id="phq-9",
            mode=AdministrationMode.CLINICIAN,
            by_user_id=ctx.user.id,
            actor="casey",
            now=when,
        )
        for item in load_library().get("phq-9").items:
            administrations.answer(s, info.id, item.id, 1)
        administrations.complete(s, info.id, actor="casey", now=when)
    seed(ctx, focus_id(ctx), Stage.CONTEMPLATION, 5)
    tab = make_tab(qtbot, ctx)
    (phq,) = load_library().get("phq-9").charts
    lines = tab.chart.score_lines
    assert [line.chart for line in lines] == ["phq-9"]
    assert lines[0].bands == phq.bands
    assert (lines[0].low, lines[0].high) == (0, 27)
    assert lines[0].points[0].value == 9
    assert tab.score_combo.currentText() == phq.title
