"""Fills a chart's tabs with the screens later issues built (see ``MainWindow.chart_tab_factories``).

Each factory mounts one tab's content (kept on the chart as ``assessments``, ``stage``, ``notes``,
``reports``) and connects the chart's ``locking`` signal so that work in progress is saved while the
database is still open.  Tabs refresh themselves from ``ctx.changes`` (``ui/ops.py``); ``connect_tabs``
only lets a questionnaire's "Record stage" open the Stage tab.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stagewise.ui.clients.chart_window import ChartWindow
    from stagewise.ui.context import AppContext
    from stagewise.ui.main_window import MainWindow
    from stagewise.ui.workers import OpRunner

log = logging.getLogger(__name__)


def assessments_tab(chart: ChartWindow, ctx: AppContext, runner: OpRunner) -> None:
    """Questionnaires given, in progress and due (issue 4)."""
    from stagewise.ui.administrations.assessments_tab import AssessmentsTab

    tab = AssessmentsTab(ctx, chart.client_id, runner)
    chart.assessments_tab.mount(tab)
    chart.assessments = tab
    chart.locking.connect(tab.save_and_close)


def stage_tab(chart: ChartWindow, ctx: AppContext, runner: OpRunner) -> None:
    """Stage per focus, its timeline and stage-matched suggestions (issue 5)."""
    from stagewise.ui.stages.stage_tab import StageTab

    tab = StageTab(ctx, chart.client_id)
    chart.stage_tab.mount(tab)
    chart.stage = tab


def notes_tab(chart: ChartWindow, ctx: AppContext, runner: OpRunner) -> None:
    """Clinical notes: drafts, signing, addenda (issue 6); drafts are saved before the database closes."""
    from stagewise.ui.notes.notes_tab import NotesTab

    tab = NotesTab(ctx, chart.client_id)
    chart.notes_tab.mount(tab)
    chart.notes = tab
    chart.locking.connect(tab.save_now)


def reports_tab(chart: ChartWindow, ctx: AppContext, runner: OpRunner) -> None:
    """Progress summaries: preview, print, save as PDF (issue 7)."""
    from stagewise.ui.reports.reports_tab import ReportsTab

    tab = ReportsTab(ctx, chart.client_id, runner)
    chart.reports_tab.mount(tab)
    chart.reports = tab
    chart.locking.connect(tab.cancel)
    chart.client_changed.connect(tab.set_client)


def connect_tabs(chart: ChartWindow, ctx: AppContext, runner: OpRunner) -> None:
    """A questionnaire's "Record stage" opens the Stage tab (changes reach the tabs via ``ctx.changes``)."""
    assessments, stage = chart.assessments, chart.stage
    if assessments is not None and stage is not None:

        def record_stage(focus_id: int, proposed: Any, administration_id: int) -> None:
            chart.tabs.setCurrentWidget(chart.stage_tab)
            stage.record_stage(focus_id, proposed, administration_id)

        assessments.record_stage_requested.connect(record_stage)


def install_default_tabs(window: MainWindow) -> None:
    """Register every tab that exists in this build (the wiring last)."""
    window.chart_tab_factories.extend((assessments_tab, stage_tab, notes_tab, reports_tab, connect_tabs))
