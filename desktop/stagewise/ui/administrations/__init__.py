"""Giving a questionnaire on screen (issue 4).

* :mod:`.picker` — start: focus, instrument (favourites and recent first), mode;
* :mod:`.clinician_form` — clinician mode: every item on one page, number keys;
* :mod:`.handover` — client hand-over mode: full screen, one question at a time, password to leave;
* :mod:`.results_view`, :mod:`.item_history_view` — scores, stages side by side, item-level history;
* :mod:`.risk_prompt` — the clinician's safety prompt and acknowledgement;
* :mod:`.assessments_tab` — the chart's Assessments tab; :mod:`.due_view` — due this week.

Integration: ``ui/chart_tabs.py`` mounts :class:`.assessments_tab.AssessmentsTab` in each chart and connects
the chart's ``locking`` signal to ``save_and_close`` (questionnaire windows are saved and closed before the
database closes).  Still to connect: ``AssessmentsTab.record_stage_requested(focus_id, stage,
administration_id)`` to the stage screen, and :class:`.due_view.DueView` in the main window
(``open_client`` → ``open_chart``, ``refresh()`` after sign-in, ``clear()`` on ``LockManager.clear``).
"""
