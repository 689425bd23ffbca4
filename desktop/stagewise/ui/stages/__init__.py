"""The chart's Stage tab (stage per focus, timeline, stage-matched suggestions) and the practice dashboard.

Integration (lines the window owners add):

* ``ChartWindow``: ``tab = StageTab(ctx, client.id, runner=ops)`` into ``stage_tab``'s layout;
* ``AssessmentsTab.record_stage_requested.connect(stage_tab.record_stage)``;
* ``MainWindow``: a "Practice dashboard…" action that shows ``DashboardWindow(ctx, runner=self.ops)``.
"""
