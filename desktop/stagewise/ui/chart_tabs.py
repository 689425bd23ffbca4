"""Fills a chart's tabs with the screens later issues built (see ``MainWindow.chart_tab_factories``).

Each factory mounts one tab's content and connects the chart's ``locking`` signal so that work in progress
is saved while the database is still open.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stagewise.ui.chart_window import ChartWindow
    from stagewise.ui.context import AppContext
    from stagewise.ui.main_window import MainWindow
    from stagewise.ui.workers import OpRunner

log = logging.getLogger(__name__)


def assessments_tab(chart: ChartWindow, ctx: AppContext, runner: OpRunner) -> None:
    """Questionnaires given, in progress and due (issue 4)."""
    from stagewise.ui.administer.assessments_tab import AssessmentsTab

    tab = AssessmentsTab(ctx, chart.client_id, runner)
    chart.assessments_tab.mount(tab)
    chart.locking.connect(tab.save_and_close)


def install_default_tabs(window: MainWindow) -> None:
    """Register every tab that exists in this build."""
    window.chart_tab_factories.append(assessments_tab)
